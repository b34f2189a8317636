//! The client side of the messages clusterdns sends itself (NOTIFY out; the SOA, IXFR and AXFR
//! queries of secondary mode), built with hickory-proto: our wire records as hickory records,
//! a UDP socket of the peer's family, a query ID.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use hickory_proto::rr::{Name as HName, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, Restrict};

/// The record (`owner` and `rdata` in wire form, uncompressed) as a hickory-proto record;
/// `None` when hickory cannot read it.
pub fn record(owner: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> Option<Record> {
    let name = HName::read(&mut BinDecoder::new(owner)).ok()?;
    let len = Restrict::new(u16::try_from(rdata.len()).ok()?);
    let data = RData::read(&mut BinDecoder::new(rdata), RecordType::from(rtype), len).ok()?;
    Some(Record::from_rdata(name, ttl, data))
}

/// A UDP socket on an ephemeral port of `peer`'s address family.
pub async fn udp_socket_for(peer: SocketAddr) -> std::io::Result<tokio::net::UdpSocket> {
    let local: SocketAddr = if peer.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    tokio::net::UdpSocket::bind(local).await
}

/// A query ID no peer can guess from the previous one.
pub fn query_id() -> u16 {
    use std::hash::{BuildHasher, RandomState};
    (RandomState::new().hash_one(std::time::Instant::now()) & 0xffff) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wire_a_record_reads_as_hickory_record() {
        let r = record(b"\x04host\x04test\x00", 1, 300, &[192, 0, 2, 7]).expect("reads");
        assert_eq!(r.name.to_ascii(), "host.test.");
        assert_eq!(r.ttl, 300);
        assert_eq!(r.data.ip_addr(), Some("192.0.2.7".parse().expect("ip")));
        assert!(
            record(b"\x04host\x00", 1, 300, &[1, 2, 3]).is_none(),
            "short A rdata"
        );
    }
}
