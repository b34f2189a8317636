//! Keeping service under attack (issue 10, network side): UDP response-rate limiting with
//! slips, cookies, minimal ANY over UDP, no answers to reflection ports; the TCP cases
//! (keepalive flood, fd exhaustion) are in `tcp`. Every packet goes to 127.0.0.0/8.

mod tcp;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use crate::harness::*;

const NAME: &str = "lhmaster.lihui.hadoop";

fn ask(port: u16, src: &str, p: &[u8]) -> Option<Vec<u8>> {
    let c = UdpSocket::bind((src, 0)).expect("bind client");
    c.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    c.send_to(p, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 4096];
    c.recv(&mut buf).ok().map(|n| buf[..n].to_vec())
}

/// An OPT record carrying a COOKIE option with `cookie` (client cookie, maybe server cookie).
fn opt_with_cookie(cookie: &[u8]) -> Vec<u8> {
    let mut o = opt_rr(1232, false).to_vec();
    o[9..11].copy_from_slice(&((4 + cookie.len()) as u16).to_be_bytes());
    o.extend_from_slice(&10u16.to_be_bytes());
    o.extend_from_slice(&(cookie.len() as u16).to_be_bytes());
    o.extend_from_slice(cookie);
    o
}

/// The COOKIE option data of a response ending with an OPT that carries only that option.
fn cookie_of(resp: &[u8]) -> Option<&[u8]> {
    let n = resp.len();
    (n > 28 && resp[n - 28..n - 24] == [0, 10, 0, 24]).then(|| &resp[n - 24..])
}

/// Sends `count` queries from one socket as fast as it can while a second thread collects what
/// comes back until the server has been quiet for 500 ms: (answers with records, truncated
/// slips). Reading while sending keeps the client's receive buffer from overflowing.
fn flood(port: u16, src: &str, count: u16, opt: Option<&[u8]>) -> (usize, usize) {
    let c = UdpSocket::bind((src, 0)).expect("bind client");
    let r = c.try_clone().expect("clone socket");
    r.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let reader = std::thread::spawn(move || {
        let (mut answered, mut slipped) = (0, 0);
        let mut buf = [0u8; 4096];
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            let Ok(n) = r.recv(&mut buf) else { break };
            let m = &buf[..n];
            if m[2] & 0x02 != 0 {
                assert_eq!(&m[6..12], &[0; 6], "a slip carries no records");
                slipped += 1;
            } else if m[6..8] != [0, 0] {
                answered += 1;
            }
        }
        (answered, slipped)
    });
    for id in 0..count {
        let q = query_packet(id, RD, &wire_name(NAME), 1, opt);
        c.send_to(&q, ("127.0.0.1", port)).expect("send");
    }
    reader.join().expect("reader")
}

#[test]
fn rrl_limits_a_flood_slips_tc_and_spares_others() {
    let zones = TempDir::with_example_zones("rrl");
    let s = Server::start(
        zones.path(),
        &[
            "--rrl-responses-per-second",
            "5",
            "--rrl-window",
            "5",
            "--rrl-slip",
            "2",
        ],
    );
    s.wait_log("response-rate limiting on UDP", Duration::from_secs(5));
    let (answered, slipped) = flood(s.port, "127.0.0.1", 200, None);
    // 5 in budget (a second boundary during the burst may add 5 more), half the rest slipped.
    assert!(answered <= 15, "{answered} answered of 200");
    assert!(answered >= 1, "the budget was answered");
    assert!(
        (80..=110).contains(&slipped),
        "{slipped} slips of {} limited",
        200 - answered
    );
    // Another /24 has its own budget.
    let q = query_packet(1, RD, &wire_name(NAME), 1, None);
    let other = ask(s.port, "127.0.1.1", &q).expect("another source is answered");
    assert_eq!(&other[6..8], &[0, 1]);
    // TCP is never rate-limited.
    for _ in 0..20 {
        let d = s.dig(&["+tcp", NAME, "A"]);
        assert_eq!(d.status, "NOERROR");
        assert_eq!(d.answer_rdata(), vec!["192.168.1.4"]);
    }
    // A client that proves its address with a server cookie is exempt.
    let client = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let first = ask(
        s.port,
        "127.0.2.1",
        &query_packet(2, RD, &wire_name(NAME), 1, Some(&opt_with_cookie(&client))),
    )
    .expect("answer");
    let full = cookie_of(&first).expect("server cookie returned").to_vec();
    let (answered, _) = flood(s.port, "127.0.2.1", 100, Some(&opt_with_cookie(&full)));
    assert_eq!(answered, 100, "valid cookies are exempt");
}

#[test]
fn rrl_is_off_by_default() {
    let zones = TempDir::with_example_zones("rrl-off");
    let s = Server::start(zones.path(), &[]);
    let (answered, slipped) = flood(s.port, "127.0.0.1", 100, None);
    assert_eq!((answered, slipped), (100, 0));
    assert!(!s.log().contains("rate limiting"));
}

#[test]
fn any_is_one_rrset_over_udp_and_all_over_tcp() {
    let zones = TempDir::with_example_zones("any");
    let s = Server::start(zones.path(), &[]);
    // dig asks for ANY over TCP unless told otherwise.
    let udp = s.dig(&["+notcp", "lihui.hadoop", "ANY"]);
    assert_eq!(udp.status, "NOERROR");
    assert_eq!(udp.transport, "UDP");
    assert_eq!(udp.answer.len(), 1, "{}", udp.raw);
    let tcp = s.dig(&["+tcp", "lihui.hadoop", "ANY"]);
    assert_eq!(tcp.status, "NOERROR");
    let types: std::collections::BTreeSet<String> = tcp
        .answer
        .iter()
        .filter_map(|l| l.split(' ').nth(3).map(String::from))
        .collect();
    assert!(types.contains("SOA") && types.contains("NS"), "{}", tcp.raw);
    assert!(udp.answer.iter().all(|l| tcp.answer.contains(l)));
}

#[test]
fn cookies_are_returned_checked_and_bad_lengths_refused() {
    let zones = TempDir::with_example_zones("cookie");
    let s = Server::start(zones.path(), &[]);
    // dig sends a client cookie, then the server cookie it got back, and reports "good".
    let out = std::process::Command::new("dig")
        .args([
            "@127.0.0.1",
            "-p",
            &s.port.to_string(),
            "+time=2",
            "+tries=2",
        ])
        .args(["+cookie=0102030405060708", NAME, "A"])
        .output()
        .expect("dig");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("; COOKIE: 0102030405060708"), "{text}");
    assert!(
        text.contains("(good)"),
        "dig judges the server cookie: {text}"
    );
    let d = parse_dig(&text);
    assert_eq!(d.answer_rdata(), vec!["192.168.1.4"]);
    // Bad lengths (RFC 7873 5.2.2): FORMERR.
    for len in [5usize, 12, 41] {
        let q = query_packet(
            3,
            RD,
            &wire_name(NAME),
            1,
            Some(&opt_with_cookie(&vec![7; len])),
        );
        let r = ask(s.port, "127.0.0.1", &q).expect("answer");
        assert_eq!(r[3] & 0x0f, 1, "cookie of {len} bytes: FORMERR");
    }
    // A query without a cookie gets none.
    let q = query_packet(4, RD, &wire_name(NAME), 1, Some(&opt_rr(1232, false)));
    let r = ask(s.port, "127.0.0.1", &q).expect("answer");
    assert!(cookie_of(&r).is_none());
    assert_eq!(&r[r.len() - 2..], &[0, 0], "empty OPT");
}

#[test]
fn reflection_source_ports_get_no_udp_answer() {
    let zones = TempDir::with_example_zones("ports");
    let s = Server::start(zones.path(), &[]);
    let q = query_packet(5, RD, &wire_name(NAME), 1, None);
    assert!(
        ask(s.port, "127.0.0.1", &q).is_some(),
        "control: an ordinary port is answered"
    );
    let mut tried = 0;
    for port in [7u16, 13, 17, 19, 37] {
        let Ok(c) = UdpSocket::bind(("127.0.0.1", port)) else {
            println!("skipping source port {port}: cannot bind it (needs root or a free port)");
            continue;
        };
        tried += 1;
        c.set_read_timeout(Some(Duration::from_millis(700)))
            .expect("timeout");
        c.send_to(&q, ("127.0.0.1", s.port)).expect("send");
        let mut buf = [0u8; 512];
        assert!(
            c.recv(&mut buf).is_err(),
            "an answer went to source port {port}"
        );
    }
    println!("checked {tried} reflection ports");
    // Still serving everyone else.
    assert!(ask(s.port, "127.0.0.1", &q).is_some());
}
