//! Unit tests of the rate limiter on hand-built responses.

use super::*;
use crate::config::{Prefix, RrlConfig};

fn cfg(rate: u32, slip: u32) -> RrlConfig {
    RrlConfig {
        responses_per_second: rate,
        errors_per_second: rate,
        nxdomains_per_second: rate,
        slip,
        window: 2,
        ipv4_prefix_length: 24,
        ipv6_prefix_length: 56,
        exempt: Vec::new(),
    }
}

/// A response to `name` type A with `rc`, one answer record's worth of bytes after it.
fn resp(name: &str, rc: u8) -> Vec<u8> {
    let mut p = vec![0x12, 0x34, 0x84, rc, 0, 1, 0, 1, 0, 0, 0, 0];
    for l in name.split('.') {
        p.push(l.len() as u8);
        p.extend_from_slice(l.as_bytes());
    }
    p.extend_from_slice(&[0, 0, 1, 0, 1]);
    p.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
    p
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

#[track_caller]
fn run(r: &mut Rrl, peer: &str, name: &str, rc: u8, n: usize, now: u32) -> (usize, usize, usize) {
    let (mut sent, mut dropped, mut slipped) = (0, 0, 0);
    for _ in 0..n {
        let mut p = resp(name, rc);
        match r.judge(ip(peer), &mut p, now, false) {
            Action::Send => sent += 1,
            Action::Drop => dropped += 1,
            Action::Slip(len) => {
                assert_eq!(len, 12 + name.len() + 2 + 4);
                assert_ne!(p[2] & 0x02, 0, "TC set");
                assert_eq!(&p[6..12], &[0; 6], "no records");
                slipped += 1;
            }
        }
    }
    (sent, dropped, slipped)
}

#[test]
fn budget_then_drops_and_slips() {
    let mut r = Rrl::new(&cfg(5, 2));
    let (sent, dropped, slipped) = run(&mut r, "10.0.0.1", "a.test", 0, 105, 1);
    assert_eq!(sent, 5);
    assert_eq!(dropped, 50);
    assert_eq!(slipped, 50);
    // Same /24, same name: same account.
    assert_eq!(run(&mut r, "10.0.0.77", "a.test", 0, 1, 1).0, 0);
    // Another prefix, or another name, has its own.
    assert_eq!(run(&mut r, "10.0.1.1", "a.test", 0, 5, 1).0, 5);
    assert_eq!(run(&mut r, "10.0.0.1", "b.test", 0, 5, 1).0, 5);
}

#[test]
fn credit_returns_after_the_window() {
    let mut r = Rrl::new(&cfg(5, 0));
    run(&mut r, "10.0.0.1", "a.test", 0, 100, 1);
    // Debt is capped at window * rate = 10: after 3 s the account is back in credit.
    assert_eq!(run(&mut r, "10.0.0.1", "a.test", 0, 5, 2).0, 0);
    assert_eq!(run(&mut r, "10.0.0.1", "a.test", 0, 5, 5).0, 5);
}

#[test]
fn nxdomain_and_errors_per_prefix_whatever_the_name() {
    let mut c = cfg(100, 0);
    c.nxdomains_per_second = 3;
    c.errors_per_second = 0; // no limit
    let mut r = Rrl::new(&c);
    let mut sent = 0;
    for i in 0..10 {
        sent += run(&mut r, "10.0.0.1", &format!("x{i}.test"), 3, 1, 1).0;
    }
    assert_eq!(sent, 3, "random names share one NXDOMAIN budget");
    assert_eq!(run(&mut r, "10.0.0.1", "a.test", 5, 50, 1).0, 50);
}

#[test]
fn exemptions() {
    let mut c = cfg(1, 0);
    c.exempt = vec!["10.9.0.0/16".parse::<Prefix>().expect("prefix")];
    let mut r = Rrl::new(&c);
    assert_eq!(run(&mut r, "10.9.3.4", "a.test", 0, 20, 1).0, 20);
    let mut p = resp("a.test", 0);
    for _ in 0..5 {
        assert_eq!(r.judge(ip("10.0.0.1"), &mut p, 1, true), Action::Send);
    }
}
