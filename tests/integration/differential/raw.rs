//! Byte-level comparisons with BIND where dig hides the detail: the header flags of NOTIMP
//! answers to unknown opcodes, and the NSID option (RFC 5001) when the server has an identity.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use super::{fixture_zones, Named};
use crate::harness::{opt_rr, query_packet, wire_name, Server, TempDir};

const RD: u16 = 0x0100;
const AD: u16 = 0x0020;
const CD: u16 = 0x0010;

/// Sends `packet` to 127.0.0.1:`port` over UDP and returns the response with the ID zeroed,
/// asking again (up to a deadline) when a datagram is lost.
fn ask(port: u16, packet: &[u8]) -> Vec<u8> {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        sock.send_to(packet, ("127.0.0.1", port)).expect("send");
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            let mut r = buf[..n].to_vec();
            r[0] = 0;
            r[1] = 0;
            return r;
        }
    }
    panic!("no answer from port {port} within 10 s");
}

/// An OPT record with an empty NSID option (what `dig +nsid` sends).
fn opt_with_nsid(payload: u16, dnssec_ok: bool) -> Vec<u8> {
    let mut o = opt_rr(payload, dnssec_ok).to_vec();
    o[9..11].copy_from_slice(&4u16.to_be_bytes());
    o.extend_from_slice(&[0, 3, 0, 0]);
    o
}

#[test]
fn notimp_and_nsid_bytes_match_bind() {
    let zones = fixture_zones();
    let dir = TempDir::new("raw-zones");
    for (p, _) in &zones {
        std::fs::copy(p, dir.path().join(p.file_name().expect("file name"))).expect("copy");
    }
    let named = Named::start_with(dir.path(), &zones, "server-id \"ns-test\";");
    let ours = Server::start(dir.path(), &["--no-watch", "--nsid", "0x6e732d74657374"]);
    let plain = Server::start(dir.path(), &["--no-watch"]);
    let www = wire_name("www.diff.test.");
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    // Unknown opcodes: NOTIMP with only the opcode echoed, an OPT when the query had one.
    for opcode in [1u16, 2, 3, 6, 9, 15] {
        for flags in [RD | AD | CD, 0x0400 | 0x0080 | 0x0200] {
            let f = (opcode << 11) | flags;
            let opt = opt_rr(1232, true);
            cases.push((
                format!("opcode {opcode} flags {flags:#x} edns"),
                query_packet(1, f, &www, 1, Some(&opt)),
            ));
            cases.push((
                format!("opcode {opcode} flags {flags:#x}"),
                query_packet(1, f, &www, 1, None),
            ));
        }
    }
    // NSID: answered only when asked, in positive, negative, refused and truncated answers.
    for (name, qtype, payload) in [
        ("www.diff.test.", 1u16, 1232u16),
        ("nosuch.diff.test.", 1, 1232),
        ("a.target.conform.test.", 1, 1232),
        ("example.com.", 1, 1232),
        ("bigmx.diff.test.", 15, 512),
        ("big.diff.test.", 1, 512),
    ] {
        let n = wire_name(name);
        let opt = opt_with_nsid(payload, false);
        cases.push((
            format!("nsid {name} {qtype} {payload}"),
            query_packet(1, RD, &n, qtype, Some(&opt)),
        ));
        let opt = opt_rr(payload, false);
        cases.push((
            format!("no nsid {name} {qtype} {payload}"),
            query_packet(1, RD, &n, qtype, Some(&opt)),
        ));
    }
    let mut nsid_seen = 0;
    for (what, packet) in &cases {
        let b = ask(named.port, packet);
        let o = ask(ours.port, packet);
        if what.starts_with("opcode") {
            assert_eq!(o, b, "{what}: clusterdns differs from BIND");
        } else {
            // BIND orders records at random (rrset-order random): compare the header, the
            // size and the OPT record with its options, which ends the message.
            assert_eq!(o.len(), b.len(), "{what}: sizes differ");
            assert_eq!(o[..12], b[..12], "{what}: headers differ");
            let tail = if what.starts_with("nsid") { 22 } else { 11 };
            assert_eq!(
                o[o.len() - tail..],
                b[b.len() - tail..],
                "{what}: OPT records differ"
            );
        }
        if what.starts_with("nsid") && o.windows(11).any(|w| w == b"\0\x03\0\x07ns-test") {
            nsid_seen += 1;
        }
        if what.starts_with("opcode") {
            assert_eq!(o[3] & 0xf, 4, "{what}: NOTIMP");
            assert_eq!(o[2] & 0x01, 0, "{what}: RD not echoed");
        }
    }
    assert!(nsid_seen >= 5, "NSID in only {nsid_seen} answers");
    // Without --nsid nothing is added, whatever the client asks.
    let opt = opt_with_nsid(1232, false);
    let r = ask(plain.port, &query_packet(1, RD, &www, 1, Some(&opt)));
    assert!(
        !r.windows(4).any(|w| w == [0, 3, 0, 7]),
        "no NSID configured"
    );
    assert_eq!(&r[r.len() - 2..], &[0, 0], "empty OPT");
}
