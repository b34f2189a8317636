//! Service names placed into zone sets and answered through `query::respond`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::config::service::{Check, MemberSpec};
use crate::query::{acl::Access, respond, RequestCtx, Transport};
use crate::zonefile::{parse_str, Options};

fn zone(origin: &str, text: &str) -> Arc<Zone> {
    let o = Name::from_ascii(origin).expect("name");
    let p = parse_str(text.as_bytes(), Path::new("t"), &Options::new(o.clone()));
    Arc::new(crate::zone::build(&o, p, &mut Vec::new()).expect("zone"))
}

fn base() -> ZoneSet {
    ZoneSet::new(vec![zone(
        "lihui.hadoop.",
        "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 127.0.0.1\nlhmaster A 127.0.0.9\nweb A 127.0.0.99\n",
    )])
}

fn spec(
    name: &str,
    policy: Policy,
    members: &[(&str, u32)],
    fail_closed: bool,
) -> Arc<ServiceSpec> {
    Arc::new(ServiceSpec {
        name: Name::from_ascii(name).expect("name"),
        ttl: 5,
        policy,
        check: Check::Tcp { port: 1 },
        interval: std::time::Duration::from_millis(100),
        down_after: std::time::Duration::from_millis(300),
        up_after: 2,
        timeout: std::time::Duration::from_millis(80),
        fail_closed,
        members: members
            .iter()
            .map(|&(m, weight)| MemberSpec {
                target: match m.parse() {
                    Ok(a) => MemberTarget::Address(a),
                    Err(_) => MemberTarget::Node(Name::from_ascii(m).expect("name")),
                },
                weight,
            })
            .collect(),
    })
}

/// Asks `set` for `name`/`qtype` over UDP; returns the rcode and the answer addresses.
fn ask(set: &ZoneSet, name: &str, qtype: u16) -> (u8, Vec<IpAddr>) {
    let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(Name::from_ascii(name).expect("name").wire());
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    let access = Access::default();
    let ctx = RequestCtx {
        peer: SocketAddr::from(([127, 0, 0, 1], 5000)),
        transport: Transport::Udp,
        access: &access,
    };
    let mut out = [0u8; 1232];
    let n = respond(set, &q, &mut out, &ctx).expect("answered");
    let msg = hickory_proto::op::Message::from_vec(&out[..n]).expect("parses");
    let addrs = msg
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            hickory_proto::rr::RData::A(a) => Some(IpAddr::V4(a.0)),
            hickory_proto::rr::RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect();
    (msg.metadata.response_code.low(), addrs)
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

#[test]
fn all_healthy_first_healthy_and_fail_open() {
    let all = spec(
        "web.lihui.hadoop.",
        Policy::AllHealthy,
        &[("127.0.0.2", 1), ("127.0.0.3", 1)],
        false,
    );
    let first = spec(
        "nn.lihui.hadoop.",
        Policy::FirstHealthy,
        &[("127.0.0.4", 1), ("lhmaster.lihui.hadoop.", 1)],
        false,
    );
    let closed = spec(
        "closed.example.",
        Policy::AllHealthy,
        &[("127.0.0.5", 1), ("::1", 1)],
        true,
    );
    let states = |a: [bool; 2], f: [bool; 2], c: [bool; 2]| {
        vec![
            ServiceState {
                spec: all.clone(),
                up: a.to_vec(),
            },
            ServiceState {
                spec: first.clone(),
                up: f.to_vec(),
            },
            ServiceState {
                spec: closed.clone(),
                up: c.to_vec(),
            },
        ]
    };
    let b = base();
    let set = apply(&b, &states([true, true], [true, true], [true, true]));
    let mut web = ask(&set, "web.lihui.hadoop.", A).1;
    web.sort();
    assert_eq!(
        web,
        vec![ip("127.0.0.2"), ip("127.0.0.3")],
        "replaces the zone's own A"
    );
    assert_eq!(ask(&set, "nn.lihui.hadoop.", A).1, vec![ip("127.0.0.4")]);
    assert_eq!(
        ask(&set, "lhmaster.lihui.hadoop.", A).1,
        vec![ip("127.0.0.9")],
        "rest of the zone kept"
    );
    assert_eq!(
        ask(&set, "closed.example.", AAAA).1,
        vec![ip("::1")],
        "synthetic zone"
    );
    let set = apply(&b, &states([true, false], [false, true], [false, true]));
    assert_eq!(ask(&set, "web.lihui.hadoop.", A).1, vec![ip("127.0.0.2")]);
    assert_eq!(
        ask(&set, "nn.lihui.hadoop.", A).1,
        vec![ip("127.0.0.9")],
        "standby by node name"
    );
    assert_eq!(ask(&set, "closed.example.", AAAA).1, vec![ip("::1")]);
    assert_eq!(
        ask(&set, "closed.example.", A),
        (0, vec![]),
        "NODATA: no healthy v4"
    );
    let set = apply(&b, &states([false, false], [false, false], [false, false]));
    let mut web = ask(&set, "web.lihui.hadoop.", A).1;
    web.sort();
    assert_eq!(
        web,
        vec![ip("127.0.0.2"), ip("127.0.0.3")],
        "all down: fail open"
    );
    let mut nn = ask(&set, "nn.lihui.hadoop.", A).1;
    nn.sort();
    assert_eq!(
        nn,
        vec![ip("127.0.0.4"), ip("127.0.0.9")],
        "all down: every member"
    );
    assert_eq!(
        ask(&set, "closed.example.", A).0,
        2,
        "fail_closed: SERVFAIL"
    );
    assert_eq!(ask(&set, "closed.example.", AAAA).0, 2);
}

#[test]
fn weighted_draws_match_the_weights() {
    let s = spec(
        "web.lihui.hadoop.",
        Policy::Weighted,
        &[
            ("127.0.0.2", 1),
            ("127.0.0.3", 2),
            ("127.0.0.4", 1),
            ("127.0.0.5", 5),
        ],
        false,
    );
    let set = apply(
        &base(),
        &[ServiceState {
            spec: s,
            up: vec![true, true, true, false],
        }],
    );
    const N: u32 = 10_000;
    let mut counts = [0u32; 3];
    for _ in 0..N {
        let (rc, a) = ask(&set, "web.lihui.hadoop.", A);
        assert_eq!((rc, a.len()), (0, 1), "one member per answer");
        let i = match a[0] {
            x if x == ip("127.0.0.2") => 0,
            x if x == ip("127.0.0.3") => 1,
            x if x == ip("127.0.0.4") => 2,
            x => panic!("down or unknown member drawn: {x}"),
        };
        counts[i] += 1;
    }
    // Weights 1:2:1 over the healthy members: p = 1/4, 1/2, 1/4. The bound is 5 standard
    // deviations of a binomial count (sqrt(N p (1-p)) <= 50): 250 queries, so a correct
    // draw fails this with probability below 1e-6.
    for (c, p) in counts.iter().zip([0.25, 0.5, 0.25]) {
        let want = p * N as f64;
        assert!((*c as f64 - want).abs() <= 250.0, "counts {counts:?}");
    }
}
