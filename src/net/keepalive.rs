//! The EDNS TCP keepalive option (RFC 7828) on stream transports: adding it, with our idle
//! timeout, to the OPT record of the response (in place, no allocation). Whether a query
//! carries it is the parser's (`wire::Edns::keepalive`, passed on in `Answered`).

use std::time::Duration;

use crate::dns::rdata::OPT;
use crate::dns::wire::{skip_name, HEADER, OPT_KEEPALIVE};

/// Bytes the option adds to a response: code, length, a 16-bit timeout.
pub(crate) const REPLY_LEN: usize = 6;

/// The timeout field of the option: units of 100 ms, saturated at 16 bits.
pub(crate) fn units(idle: Duration) -> u16 {
    (idle.as_millis() / 100).min(u16::MAX as u128) as u16
}

/// Appends an edns-tcp-keepalive option carrying `timeout` (100 ms units) to the OPT record
/// that ends the `len`-byte response in `out`; returns the new length. The response is left
/// alone when its last record is not OPT or `out` has no room.
pub(crate) fn append(out: &mut [u8], len: usize, timeout: u16) -> usize {
    let msg = &out[..len];
    if msg.len() < HEADER || u16::from_be_bytes([msg[10], msg[11]]) == 0 {
        return len;
    }
    let Some(opt) = find_opt(msg) else {
        return len;
    };
    let end = len + REPLY_LEN;
    if opt.end != len || end > out.len() {
        return len; // OPT is not last (a signature follows): leave the message as signed
    }
    let rdlen = (opt.end - opt.rdata + REPLY_LEN) as u16;
    out[opt.rdata - 2..opt.rdata].copy_from_slice(&rdlen.to_be_bytes());
    out[len..len + 2].copy_from_slice(&OPT_KEEPALIVE.to_be_bytes());
    out[len + 2..len + 4].copy_from_slice(&2u16.to_be_bytes());
    out[len + 4..end].copy_from_slice(&timeout.to_be_bytes());
    end
}

/// Where the OPT record's RDATA is in a message.
struct OptAt {
    rdata: usize,
    end: usize,
}

/// Finds the OPT record among the additional records of `msg`.
fn find_opt(msg: &[u8]) -> Option<OptAt> {
    let count = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]) as usize;
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    let mut pos = HEADER;
    for _ in 0..qd {
        pos = skip_name(msg, pos)? + 4;
    }
    for i in 0..an + ns + ar {
        pos = skip_name(msg, pos)?;
        let fixed = msg.get(pos..pos + 10)?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let rdlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let rdata = pos + 10;
        let end = rdata + rdlen;
        if end > msg.len() {
            return None;
        }
        if rtype == OPT && i >= an + ns {
            return Some(OptAt { rdata, end });
        }
        pos = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the parser sees a keepalive option in `q` (what the TCP path acts on).
    fn asks(q: &[u8]) -> bool {
        crate::dns::wire::parse_query(q)
            .ok()
            .and_then(|q| q.edns)
            .is_some_and(|e| e.keepalive)
    }

    /// A query for `a.` type A with an OPT record carrying `options`.
    fn query(options: &[u8]) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
        q.extend_from_slice(&[1, b'a', 0, 0, 1, 0, 1]);
        q.extend_from_slice(&[0, 0, 41, 4, 208, 0, 0, 0, 0]);
        q.extend_from_slice(&(options.len() as u16).to_be_bytes());
        q.extend_from_slice(options);
        q
    }

    #[test]
    fn finds_the_option_among_others() {
        assert!(asks(&query(&[0, 11, 0, 0])));
        assert!(asks(&query(&[
            0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 11, 0, 0
        ])));
        assert!(!asks(&query(&[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])));
        assert!(!asks(&query(&[])));
        let mut no_opt = query(&[]);
        no_opt[11] = 0;
        assert!(!asks(&no_opt));
        assert!(!asks(&query(&[0, 11, 0, 0])[..20]), "truncated");
    }

    #[test]
    fn appends_to_the_last_opt() {
        // A local-use option (65001) before ours.
        let mut out = query(&[0xfd, 0xe9, 0, 2, 9, 9]);
        let len = out.len();
        out.resize(len + 16, 0);
        let n = append(&mut out, len, units(Duration::from_secs(10)));
        assert_eq!(n, len + REPLY_LEN);
        assert_eq!(&out[len - 8..len - 6], &[0, 12], "rdlength grew by 6");
        assert_eq!(&out[len..n], &[0, 11, 0, 2, 0, 100]);
        assert!(asks(&out[..n]));
        // No room: unchanged.
        let mut tight = query(&[]);
        let l = tight.len();
        assert_eq!(append(&mut tight, l, 1), l);
    }
}
