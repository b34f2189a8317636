//! Address match tables for the policy hook (`allow-query`, `allow-recursion`): an ordered,
//! first-match list of (possibly negated) prefixes, flattened once at config time into sorted
//! disjoint address ranges, so a lookup is one binary search with no allocation.

use std::net::IpAddr;

/// One rule: addresses within `addr/len` are allowed (or denied, when `allow` is false).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub addr: IpAddr,
    pub len: u8,
    pub allow: bool,
}

/// The verdict for every address, as sorted ranges: `(first address, allowed)`, each range
/// running to the next one's start. Addresses before the first range are denied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    v4: Vec<(u32, bool)>,
    v6: Vec<(u128, bool)>,
}

impl Table {
    /// Allows everyone.
    pub fn open() -> Table {
        Table {
            v4: vec![(0, true)],
            v6: vec![(0, true)],
        }
    }

    /// The table of `rules`, the first rule that matches deciding; no match denies.
    pub fn new(rules: &[Rule]) -> Table {
        let v4: Vec<(u32, u32, bool)> = rules
            .iter()
            .filter_map(|r| match r.addr {
                IpAddr::V4(a) => {
                    let (lo, hi) = range32(u32::from(a), r.len);
                    Some((lo, hi, r.allow))
                }
                IpAddr::V6(a) => a.to_ipv4_mapped().map(|m| {
                    let (lo, hi) = range32(u32::from(m), r.len.saturating_sub(96));
                    (lo, hi, r.allow)
                }),
            })
            .collect();
        let v6: Vec<(u128, u128, bool)> = rules
            .iter()
            .filter_map(|r| match r.addr {
                IpAddr::V6(a) => {
                    let (lo, hi) = range128(u128::from(a), r.len);
                    Some((lo, hi, r.allow))
                }
                IpAddr::V4(_) => None,
            })
            .collect();
        Table {
            v4: flatten(&v4),
            v6: flatten(&v6),
        }
    }

    /// Whether `addr` is allowed (IPv4-mapped IPv6 addresses are judged as IPv4). Per packet:
    /// no allocation.
    #[inline]
    pub fn allows(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => lookup(&self.v4, u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(m) => lookup(&self.v4, u32::from(m)),
                None => lookup(&self.v6, u128::from(a)),
            },
        }
    }
}

/// Who may do what, judged per packet by the policy hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Who may query (others get REFUSED).
    pub query: Table,
    /// Zones with an `allow_query` of their own, by lower-case origin (wire form): it replaces
    /// `query` for the names they answer (BIND's zone `allow-query`). Usually empty: then
    /// `query` is judged before anything else, as always.
    pub zones: std::collections::HashMap<Box<[u8]>, Table>,
    /// Which optional records positive answers carry (`minimal_responses`).
    pub minimal: super::Minimal,
    /// Whose queries for names outside our zones are forwarded.
    pub recursion: Table,
    /// The server's identity, answered to queries that ask for it (RFC 5001 NSID).
    pub nsid: Option<Box<[u8]>>,
}

impl Default for Access {
    fn default() -> Access {
        Access {
            query: Table::open(),
            zones: Default::default(),
            minimal: super::Minimal::default(),
            recursion: Table::default(),
            nsid: None,
        }
    }
}

fn range32(a: u32, len: u8) -> (u32, u32) {
    let len = len.min(32);
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    (a & mask, (a & mask) | !mask)
}

fn range128(a: u128, len: u8) -> (u128, u128) {
    let len = len.min(128);
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    (a & mask, (a & mask) | !mask)
}

/// Sorted disjoint ranges from first-match rules: every boundary starts an elementary range
/// whose verdict is the first rule covering it; neighbours with the same verdict merge.
fn flatten<T>(rules: &[(T, T, bool)]) -> Vec<(T, bool)>
where
    T: Copy + Ord + num::One,
{
    let mut points: Vec<T> = vec![T::ZERO];
    for &(lo, hi, _) in rules {
        points.push(lo);
        if let Some(next) = hi.checked_next() {
            points.push(next);
        }
    }
    points.sort();
    points.dedup();
    let mut out: Vec<(T, bool)> = Vec::with_capacity(points.len());
    for p in points {
        let allow = rules
            .iter()
            .find(|(lo, hi, _)| *lo <= p && p <= *hi)
            .is_some_and(|r| r.2);
        if out.last().is_none_or(|l| l.1 != allow) {
            out.push((p, allow));
        }
    }
    out
}

#[inline]
fn lookup<T: Copy + Ord>(ranges: &[(T, bool)], a: T) -> bool {
    match ranges.partition_point(|r| r.0 <= a) {
        0 => false,
        i => ranges[i - 1].1,
    }
}

/// The integer forms of addresses, for `flatten`.
mod num {
    pub trait One: Sized {
        const ZERO: Self;
        fn checked_next(self) -> Option<Self>;
    }
    impl One for u32 {
        const ZERO: u32 = 0;
        fn checked_next(self) -> Option<u32> {
            self.checked_add(1)
        }
    }
    impl One for u128 {
        const ZERO: u128 = 0;
        fn checked_next(self) -> Option<u128> {
            self.checked_add(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str, allow: bool) -> Rule {
        let (a, l) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a.parse().expect("addr");
        let len = l.parse().unwrap_or(if addr.is_ipv4() { 32 } else { 128 });
        Rule { addr, len, allow }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("addr")
    }

    #[test]
    fn first_match_decides() {
        // !10.1.0.0/16; 10.0.0.0/8; 127.0.0.1; ::1
        let t = Table::new(&[
            rule("10.1.0.0/16", false),
            rule("10.0.0.0/8", true),
            rule("127.0.0.1", true),
            rule("::1", true),
        ]);
        assert!(t.allows(ip("10.2.3.4")));
        assert!(!t.allows(ip("10.1.3.4")));
        assert!(!t.allows(ip("11.0.0.0")));
        assert!(!t.allows(ip("9.255.255.255")));
        assert!(t.allows(ip("127.0.0.1")));
        assert!(!t.allows(ip("127.0.0.2")));
        assert!(t.allows(ip("::1")));
        assert!(t.allows(ip("::ffff:10.2.3.4")));
        assert!(!t.allows(ip("::2")));
        let all = Table::new(&[rule("0.0.0.0/0", true), rule("::/0", true)]);
        assert!(all.allows(ip("255.255.255.255")) && all.allows(ip("ffff::1")));
        assert!(Table::open().allows(ip("1.2.3.4")));
        assert!(!Table::default().allows(ip("1.2.3.4")));
    }
}
