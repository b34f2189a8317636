//! Where a message goes, read from its header (and, on streams, its question): the query path
//! answers queries; dynamic updates (RFC 2136) and NOTIFY (RFC 1996) are handed to the tasks
//! that own zone changes, and zone transfers (TCP only) to the transfer module. One decision
//! for every transport, made before `respond`, with no parsing beyond the opcode on UDP.

use crate::dns::wire::hf;

/// The part of the server a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A query (or anything else `respond` answers or drops, responses included).
    Query,
    /// An UPDATE request.
    Update,
    /// A NOTIFY request.
    Notify,
    /// An AXFR or IXFR request (only reported for stream transports).
    Transfer,
}

const OPCODE_NOTIFY: u16 = 4;
const OPCODE_UPDATE: u16 = 5;

/// Where `packet` goes; `stream`: it came over TCP (the only transport transfers run on).
#[inline]
pub fn route(packet: &[u8], stream: bool) -> Route {
    let (Some(&hi), Some(&lo)) = (packet.get(2), packet.get(3)) else {
        return Route::Query;
    };
    let flags = u16::from_be_bytes([hi, lo]);
    if flags & hf::QR != 0 {
        return Route::Query; // a response: `respond` drops it
    }
    match (flags >> 11) & 0xf {
        OPCODE_UPDATE => Route::Update,
        OPCODE_NOTIFY => Route::Notify,
        0 if stream && crate::xfr::is_transfer(packet) => Route::Transfer,
        _ => Route::Query,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(flags: u16) -> Vec<u8> {
        let mut p = vec![0, 7];
        p.extend_from_slice(&flags.to_be_bytes());
        p.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(b"\x01t\x00\x00\xfc\x00\x01"); // t. AXFR IN
        p
    }

    #[test]
    fn opcodes_and_transfers() {
        assert_eq!(route(&header(5 << 11), false), Route::Update);
        assert_eq!(route(&header(4 << 11), true), Route::Notify);
        assert_eq!(route(&header(0), true), Route::Transfer);
        assert_eq!(
            route(&header(0), false),
            Route::Query,
            "no transfers over UDP"
        );
        assert_eq!(route(&header(hf::QR | 5 << 11), false), Route::Query);
        assert_eq!(route(&[0, 1], true), Route::Query);
    }
}
