//! Unit tests of the transfer side: which requests are transfers, IXFR request parsing, and
//! the plan (full, incremental, current, fallback) from a zone's history.

use super::out::{plan, Plan};
use super::*;
use crate::dns::name::Name;
use crate::zone::History;

fn zone(serial: u32, extra: &str) -> Zone {
    let origin = Name::from_ascii("lihui.hadoop").expect("origin");
    let text = format!(
        "$TTL 1D\n@ IN SOA ns root ( {serial} 1D 1H 1W 3H )\n@ IN NS ns\nns IN A 192.168.1.4\n{extra}"
    );
    let parsed = crate::zonefile::parse_str(
        text.as_bytes(),
        std::path::Path::new("t.zone"),
        &crate::zonefile::Options::new(origin.clone()),
    );
    crate::zone::build(&origin, parsed, &mut Vec::new()).expect("zone builds")
}

fn request(qtype: u16, serial: Option<u32>) -> Vec<u8> {
    let mut m = vec![
        0xab,
        0xcd,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        serial.is_some() as u8,
        0,
        0,
    ];
    m.extend_from_slice(b"\x05lihui\x06hadoop\x00");
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    if let Some(s) = serial {
        // Owner, mname and rname compressed to the question name.
        m.extend_from_slice(&[0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0]);
        let mut rd = vec![0xc0, 12, 0xc0, 12];
        rd.extend_from_slice(&s.to_be_bytes());
        rd.extend_from_slice(&[0; 16]);
        m.extend_from_slice(&(rd.len() as u16).to_be_bytes());
        m.extend_from_slice(&rd);
    }
    m
}

#[test]
fn transfers_are_told_from_queries() {
    assert!(is_transfer(&request(rdata::AXFR, None)));
    assert!(is_transfer(&request(rdata::IXFR, Some(7))));
    assert!(!is_transfer(&request(rdata::SOA, None)));
    assert!(!is_transfer(&[0, 1, 2]));
    let mut resp = request(rdata::AXFR, None);
    resp[2] |= 0x80;
    assert!(!is_transfer(&resp), "a response is not a request");
}

#[test]
fn ixfr_request_carries_the_client_serial() {
    let m = request(rdata::IXFR, Some(2024010105));
    let r = parse(&m).expect("parses");
    assert_eq!(r.client_serial, Some(2024010105));
    assert_eq!(r.qtype, rdata::IXFR);
    let no_soa = request(rdata::IXFR, None);
    assert!(
        parse(&no_soa).is_none(),
        "IXFR without the client's SOA is FORMERR"
    );
}

#[test]
fn plans_follow_the_history() {
    let v1 = zone(1, "");
    let mut v2 = zone(2, "a IN A 10.0.0.1\n");
    v2.history = History::next(&v1, &v2);
    let mut v3 = zone(3, "a IN A 10.0.0.2\n");
    v3.history = History::next(&v2, &v3);
    assert_eq!(v3.history.len(), 2);
    let d = v3.history.since(2).expect("step 2->3");
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].removed.len(), d[0].added.len()), (1, 1));
    assert_eq!(plan(&v3, rdata::AXFR, None), Plan::Full { fallback: false });
    assert_eq!(
        plan(&v3, rdata::IXFR, Some(1)),
        Plan::Incremental { from: 1, steps: 2 }
    );
    assert_eq!(plan(&v3, rdata::IXFR, Some(3)), Plan::Current);
    assert_eq!(
        plan(&v3, rdata::IXFR, Some(0)),
        Plan::Full { fallback: true }
    );
    // Content changed without a serial bump: the chain breaks, clients at 3 get the zone.
    let mut v3b = zone(3, "a IN A 10.0.0.3\n");
    v3b.history = History::next(&v3, &v3b);
    assert!(v3b.history.is_empty());
    let mut v4 = zone(4, "a IN A 10.0.0.3\n");
    v4.history = History::next(&v3b, &v4);
    assert_eq!(
        plan(&v4, rdata::IXFR, Some(2)),
        Plan::Full { fallback: true }
    );
    assert_eq!(
        plan(&v4, rdata::IXFR, Some(3)),
        Plan::Full { fallback: true }
    );
    let mut v5 = zone(5, "a IN A 10.0.0.4\n");
    v5.history = History::next(&v4, &v5);
    assert_eq!(
        plan(&v5, rdata::IXFR, Some(4)),
        Plan::Incremental { from: 4, steps: 1 }
    );
}
