//! Tests of the transfer packer through `out::stream`: every record of a transfer reads back
//! as the zone holds it (letter case included) by our decoder and by hickory-proto,
//! pointers only point backwards, messages stay within 64 KiB, names compress, and TSIG
//! signs every message.

use super::super::out::{stream, Plan};
use super::super::{parse, Request};
use super::*;
use crate::dns::name::Name;
use crate::dns::tsig::{self, Algorithm, TsigKey, Verified};
use crate::zone::Zone;

fn zone_of(text: &str) -> Zone {
    let origin = Name::from_ascii("Big.Test").expect("origin");
    let parsed = crate::zonefile::parse_str(
        text.as_bytes(),
        std::path::Path::new("t.zone"),
        &crate::zonefile::Options::new(origin.clone()),
    );
    crate::zone::build(&origin, parsed, &mut Vec::new()).expect("zone builds")
}

/// A zone of `hosts` hosts with several types each, names in RDATA and mixed letter case.
fn test_zone(hosts: usize) -> Zone {
    let mut t = String::from(
        "$TTL 1H\n@ IN SOA ns1 HostMaster ( 7 1D 1H 1W 3H )\n@ IN NS ns1\n@ IN NS NS2.Other.\n\
         @ IN MX 10 Mail\nns1 IN A 10.255.255.254\nMail IN A 10.255.255.253\n",
    );
    for i in 0..hosts {
        let h = if i % 3 == 0 {
            format!("Host{i}.Sub")
        } else {
            format!("host{i}.sub")
        };
        t.push_str(&format!(
            "{h} IN A 10.{}.{}.{}\n",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        ));
        t.push_str(&format!("{h} IN AAAA fd00::{i:x}\n"));
        t.push_str(&format!(
            "{h} 300 IN TXT \"host {i}\" \"{}\"\n",
            "x".repeat(i % 200)
        ));
        if i % 5 == 0 {
            t.push_str(&format!("{h} IN MX 5 Mx{i}.Sub\n"));
            t.push_str(&format!("alias{i} IN CNAME {h}\n"));
        }
    }
    zone_of(&t)
}

/// (owner, type, class, ttl, RDATA) with every name uncompressed.
type Rec = (Vec<u8>, u16, u16, u32, Vec<u8>);

/// The records an AXFR of `zone` must carry, in order: SOA, every other record, SOA.
fn expected(zone: &Zone) -> Vec<Rec> {
    let soa = zone.soa().expect("soa");
    let soa_rec = (
        zone.origin.wire().to_vec(),
        rdata::SOA,
        zone.class,
        soa.ttl,
        soa.rdatas().next().expect("soa rdata").to_vec(),
    );
    let mut out = vec![soa_rec.clone()];
    for n in &zone.nodes {
        for s in &n.rrsets {
            if s.rtype == rdata::SOA && n.has(crate::zone::flag::APEX) {
                continue;
            }
            for rd in s.rdatas() {
                out.push((
                    n.name.wire().to_vec(),
                    s.rtype,
                    zone.class,
                    s.ttl,
                    rd.to_vec(),
                ));
            }
        }
    }
    out.push(soa_rec);
    out
}

fn axfr_request(zone: &Zone) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(zone.origin.wire());
    m.extend_from_slice(&rdata::AXFR.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m
}

/// The framed messages `stream` writes for `req`.
fn run(zone: &Zone, req: &Request<'_>, signer: Option<&mut tsig::Signer<'_>>) -> Vec<Vec<u8>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut out: Vec<u8> = Vec::new();
    rt.block_on(stream(
        &mut out,
        req,
        zone,
        Plan::Full { fallback: false },
        signer,
    ))
    .expect("transfer written");
    let mut msgs = Vec::new();
    let mut p = 0;
    while p < out.len() {
        let len = u16::from_be_bytes([out[p], out[p + 1]]) as usize;
        msgs.push(out[p + 2..p + 2 + len].to_vec());
        p += 2 + len;
    }
    assert_eq!(p, out.len(), "framing ends with the last message");
    msgs
}

/// The name at `pos`, uncompressed, and where the record goes on; every pointer must point
/// before itself.
fn read_name(msg: &[u8], mut pos: usize) -> (Vec<u8>, usize) {
    let mut name = Vec::new();
    let mut end = None;
    loop {
        let l = msg[pos] as usize;
        if l & 0xc0 == 0xc0 {
            let target = ((l & 0x3f) << 8) | msg[pos + 1] as usize;
            assert!(
                target < pos,
                "pointer at {pos} to {target} is not backwards"
            );
            end.get_or_insert(pos + 2);
            pos = target;
            continue;
        }
        assert_eq!(l & 0xc0, 0, "label type at {pos}");
        name.extend_from_slice(&msg[pos..pos + 1 + l]);
        if l == 0 {
            return (name, end.unwrap_or(pos + 1));
        }
        pos += 1 + l;
    }
}

/// The answer records of `msg`, names uncompressed (RDATA names of the RFC 1035 types).
fn answers(msg: &[u8]) -> Vec<Rec> {
    let u16_at = |p: usize| u16::from_be_bytes([msg[p], msg[p + 1]]);
    let mut pos = 12;
    for _ in 0..u16_at(4) {
        pos = read_name(msg, pos).1 + 4;
    }
    let mut out = Vec::new();
    for _ in 0..u16_at(6) {
        let (owner, p) = read_name(msg, pos);
        let rtype = u16_at(p);
        let class = u16_at(p + 2);
        let ttl = u32::from_be_bytes([msg[p + 4], msg[p + 5], msg[p + 6], msg[p + 7]]);
        let (start, end) = (p + 10, p + 10 + u16_at(p + 8) as usize);
        let mut rd = Vec::new();
        match rdata::compressible_fields(rtype) {
            None => rd.extend_from_slice(&msg[start..end]),
            Some(fields) => {
                let mut q = start;
                for f in fields {
                    if matches!(f, rdata::F::Dn(_)) {
                        let (n, after) = read_name(msg, q);
                        rd.extend_from_slice(&n);
                        q = after;
                    } else {
                        let n = f.wire_len(&msg[start..end], q - start).unwrap_or(end - q);
                        rd.extend_from_slice(&msg[q..q + n]);
                        q += n;
                    }
                }
                assert_eq!(q, end, "RDATA of type {rtype} used up");
            }
        }
        out.push((owner, rtype, class, ttl, rd));
        pos = end;
    }
    out
}

#[test]
fn every_record_reads_back_exactly() {
    let zone = test_zone(4000);
    let want = expected(&zone);
    let req_wire = axfr_request(&zone);
    let req = parse(&req_wire).expect("request parses");
    let msgs = run(&zone, &req, None);
    assert!(msgs.len() > 5, "many messages: {}", msgs.len());
    let mut got = Vec::new();
    let mut bytes = 0;
    for (i, m) in msgs.iter().enumerate() {
        assert!(m.len() <= 65535);
        assert_eq!(&m[..2], &[0x12, 0x34], "id");
        assert_eq!(
            u16::from_be_bytes([m[4], m[5]]),
            (i == 0) as u16,
            "question once"
        );
        got.extend(answers(m));
        bytes += m.len();
        // hickory-proto reads the same names, letter case included.
        let h = hickory_proto::op::Message::from_vec(m).expect("hickory parses the message");
        let ours = answers(m);
        assert_eq!(h.answers.len(), ours.len());
        for (hr, o) in h.answers.iter().zip(&ours) {
            let mut wire = Vec::new();
            for l in hr.name.iter() {
                wire.push(l.len() as u8);
                wire.extend_from_slice(l);
            }
            wire.push(0);
            assert_eq!(wire, o.0, "owner as hickory reads it");
            assert_eq!(u16::from(hr.record_type()), o.1);
        }
    }
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g,
            w,
            "record {:?}",
            Name::from_wire_unchecked(&w.0).to_string()
        );
    }
    // Compressed: well under the uncompressed size (owner names alone are ~20 bytes each).
    let plain: usize = want.iter().map(|r| r.0.len() + 10 + r.4.len()).sum();
    assert!(
        bytes * 10 < plain * 8,
        "{bytes} bytes vs {plain} uncompressed"
    );
}

#[test]
fn names_compress_to_the_longest_known_suffix() {
    let mut p = Packer::new(65535, 65535);
    p.begin();
    p.put_name(b"\x03www\x07Example\x03com\x00", true);
    p.put_name(b"\x04mail\x07Example\x03com\x00", true);
    p.put_name(b"\x04mail\x07example\x03com\x00", true);
    p.put_name(b"\x07Example\x03com\x00", true);
    p.put_name(b"\x03com\x00", false);
    let msg = &p.buf[FRAME..];
    let at = |s: usize| &msg[s..];
    assert_eq!(&at(12)[..17], b"\x03www\x07Example\x03com\x00");
    // Only the first label differs: a pointer to "Example.com" (offset 16).
    assert_eq!(&at(29)[..7], b"\x04mail\xc0\x10");
    // A label in another case is not the same label: "example" is written out, "com" shared.
    assert_eq!(&at(36)[..15], b"\x04mail\x07example\xc0\x18");
    // The whole name known: a pointer alone.
    assert_eq!(&at(51)[..2], b"\xc0\x10");
    // Not compressed when asked not to.
    assert_eq!(at(53), b"\x03com\x00");
}

#[test]
fn names_past_the_pointer_range_are_not_targets() {
    let mut p = Packer::new(65535, 65535);
    p.begin();
    // Fill to beyond 16 KiB with unrelated bytes, then write one name twice.
    p.buf.resize(FRAME + 0x4000 + 5, 0);
    p.put_name(b"\x03abc\x00", true);
    p.put_name(b"\x03abc\x00", true);
    assert!(p.buf[FRAME + 0x4005..] == b"\x03abc\x00\x03abc\x00"[..]);
    // A new message (after the finished ones) remembers nothing of the last one.
    p.finish(1, 0, [0; 4], None);
    let second = p.finished().len();
    p.begin();
    p.put_name(b"\x03abc\x00", true);
    assert!(p.buf[second + FRAME + 12..] == b"\x03abc\x00"[..]);
    p.clear();
    assert!(p.finished().is_empty());
}

#[test]
fn many_distinct_names_fill_the_table_safely() {
    let mut p = Packer::new(65535, 65535);
    p.begin();
    for i in 0..20000u32 {
        let label = format!("{i:x}");
        let mut n = vec![label.len() as u8];
        n.extend_from_slice(label.as_bytes());
        n.push(0);
        p.put_name(&n, true);
    }
    assert!(p.nodes.len() <= MAX_NODES);
    let msg = p.buf[FRAME..].to_vec();
    let mut pos = 12;
    while pos < msg.len() {
        pos = read_name(&msg, pos).1;
    }
    assert_eq!(pos, msg.len());
}

/// A zone whose record `big` has a TXT of `strings` strings of 250 bytes.
fn zone_with_big_txt(strings: usize) -> Zone {
    let mut t = String::from("$TTL 1H\n@ IN SOA ns1 hm ( 1 1D 1H 1W 3H )\n@ IN NS ns1\n");
    t.push_str("ns1 IN A 10.0.0.1\nbig IN TXT");
    for _ in 0..strings {
        t.push_str(&format!(" \"{}\"", "y".repeat(250)));
    }
    t.push_str("\nz IN A 10.0.0.2\n");
    let zone = zone_of(&t);
    assert!(zone.nodes.iter().any(|n| n.rrset(rdata::TXT).is_some()));
    zone
}

#[test]
fn a_big_record_goes_alone_and_one_too_big_is_an_error() {
    // About 60 KB: more than a message is filled to, less than the most a message can hold.
    let zone = zone_with_big_txt(239);
    let req_wire = axfr_request(&zone);
    let req = parse(&req_wire).expect("request parses");
    let msgs = run(&zone, &req, None);
    let n: Vec<usize> = msgs.iter().map(|m| answers(m).len()).collect();
    assert_eq!(n.iter().sum::<usize>(), expected(&zone).len());
    assert!(msgs.iter().all(|m| m.len() <= 65535));
    // 65511 bytes of RDATA (the most a zone takes) cannot fit with header and owner.
    let zone = zone_with_big_txt(261);
    let req_wire = axfr_request(&zone);
    let req = parse(&req_wire).expect("request parses");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut out: Vec<u8> = Vec::new();
    let r = rt.block_on(stream(
        &mut out,
        &req,
        &zone,
        Plan::Full { fallback: false },
        None,
    ));
    assert!(r.is_err(), "a record too big for any message");
}

#[test]
fn every_message_is_signed_with_the_running_mac() {
    let zone = test_zone(3000);
    let key_name = Name::from_ascii("xfr-key").expect("key name");
    let keys = vec![TsigKey::new(
        &key_name,
        Algorithm::HmacSha256,
        b"0123456789abcdef",
    )];
    let mut req_wire = axfr_request(&zone);
    let mut check = tsig::sign_request(&mut req_wire, &keys[0], tsig::now());
    let Verified::Valid(mut signer) = tsig::verify(&req_wire, &keys, tsig::now()) else {
        panic!("request verifies");
    };
    let req = parse(&req_wire).expect("request parses");
    let msgs = run(&zone, &req, Some(&mut signer));
    assert!(msgs.len() > 3);
    let mut n = 0;
    for m in &msgs {
        assert!(m.len() <= 65535);
        check.check(m, tsig::now()).expect("message signed");
        n += answers(m).len();
    }
    assert_eq!(n, expected(&zone).len());
}
