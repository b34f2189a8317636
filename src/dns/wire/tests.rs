//! Unit tests of the query parser and the response writer.

use super::*;

fn query(name: &[u8], qtype: u16, extra: &[u8], arcount: u16) -> Vec<u8> {
    let mut p = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0];
    p.extend_from_slice(&arcount.to_be_bytes());
    p.extend_from_slice(name);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    p.extend_from_slice(extra);
    p
}

const OPT: &[u8] = &[0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0];

#[test]
fn parses_query_with_edns() {
    let p = query(b"\x01a\x02bc\x00", 1, OPT, 1);
    let q = parse_query(&p).unwrap();
    assert_eq!(q.id, 0x1234);
    assert_eq!(q.qname, b"\x01a\x02bc\x00");
    assert_eq!(q.qtype, 1);
    assert!(q.rd());
    assert_eq!(
        q.edns,
        Some(Edns {
            payload: 4096,
            version: 0,
            dnssec_ok: true,
            nsid: false,
            keepalive: false,
        })
    );
}

#[test]
fn rejects() {
    assert!(matches!(parse_query(&[0; 5]), Err(Reject::Drop)));
    let mut p = query(b"\x01a\x00", 1, &[], 0);
    p[2] |= 0x80;
    assert!(matches!(parse_query(&p), Err(Reject::Drop)));
    let p = query(b"\x01a\x00", 1, b"junk", 0);
    assert!(matches!(
        parse_query(&p),
        Err(Reject::Error { rcode: 1, .. })
    ));
    let p = query(b"\xc0\x0c", 1, &[], 0);
    assert!(matches!(
        parse_query(&p),
        Err(Reject::Error {
            rcode: 1,
            question: None,
            ..
        })
    ));
    let mut two = OPT.to_vec();
    two.extend_from_slice(OPT);
    let p = query(b"\x01a\x00", 1, &two, 2);
    assert!(matches!(
        parse_query(&p),
        Err(Reject::Error { rcode: 1, .. })
    ));
    let mut p = query(b"\x01a\x00", 1, &[], 0);
    p[2] = 0x28; // opcode 5 (UPDATE)
    assert!(matches!(
        parse_query(&p),
        Err(Reject::Error { rcode: 4, .. })
    ));
}

#[test]
fn tsig_signed_query_is_notauth() {
    // hmac-sha256. key, time 0, fudge 300, empty MAC, original id, error 0, no other data.
    let mut tsig = b"\x03key\x00".to_vec();
    tsig.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]);
    let alg = b"\x0bhmac-sha256\x00";
    let rd_len = alg.len() + 6 + 2 + 2 + 2 + 2 + 2;
    tsig.extend_from_slice(&(rd_len as u16).to_be_bytes());
    tsig.extend_from_slice(alg);
    tsig.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 44, 0, 0, 0x12, 0x34, 0, 0, 0, 0]);
    let p = query(b"\x01a\x00", 1, &tsig, 1);
    assert!(matches!(
        parse_query(&p),
        Err(Reject::Error {
            rcode: rcode::NOTAUTH,
            question: Some(_),
            edns: None,
            ..
        })
    ));
    let mut both = OPT.to_vec();
    both.extend_from_slice(&tsig);
    let p = query(b"\x01a\x00", 1, &both, 2);
    assert!(matches!(
        parse_query(&p),
        Err(Reject::Error {
            rcode: rcode::NOTAUTH,
            edns: Some(_),
            ..
        })
    ));
}

#[test]
fn random_bytes_never_panic() {
    let mut seed = 7u64;
    let mut buf = [0u8; 64];
    for _ in 0..20000 {
        for b in buf.iter_mut() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (seed >> 56) as u8;
        }
        buf[2] &= 0x07; // mostly queries
        buf[4] = 0;
        buf[5] = 1;
        let n = (seed >> 20) as usize % 64;
        let _ = parse_query(&buf[..n]);
    }
}

#[test]
fn compression() {
    let mut b = [0u8; 512];
    let mut w = Writer::new(&mut b, 512);
    w.put(&[0; 12]).unwrap();
    w.put_name(b"\x03www\x07example\x03com\x00", true).unwrap();
    assert_eq!(w.len, 12 + 17);
    w.put_name(b"\x04mail\x07EXAMPLE\x03com\x00", true).unwrap();
    // "mail" + pointer to offset 16 ("example.com")
    assert_eq!(&w.bytes()[29..], b"\x04mail\xc0\x10");
    w.put_name(b"\x04mail\x07example\x03com\x00", true).unwrap();
    assert_eq!(&w.bytes()[36..], b"\xc0\x1d");
    w.set_limit(w.len + 1);
    assert_eq!(w.put_name(b"\x01x\x00", false), Err(Full));
}
