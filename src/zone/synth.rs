//! Synthesized PTR records (`auto_ptr`): the reverse names of the A/AAAA records of forward
//! zones, and a reverse zone rebuilt with those PTRs added as real data (so negative answers,
//! empty non-terminals and the pre-encoded fast path treat them like records from a file).
//!
//! Rules: an explicit PTR (or a CNAME, as in RFC 2317 classless delegation) at a reverse name
//! wins over synthesis; names at or below a delegation in the reverse zone are left alone; one
//! address with several names gets one PTR per name; the PTR's TTL is the A/AAAA record's TTL
//! (the smallest, if several names with different TTLs share the address). Glue and occluded
//! addresses (below a delegation of the forward zone) and wildcard owners are not synthesized.

use std::net::IpAddr;

use super::{build, flag, Lookup, Zone, ZoneErrors};
use crate::dns::name::{self, Name};
use crate::dns::rdata;
use crate::zonefile::{Parsed, Record};

/// One PTR to synthesize: the reverse name, the forward name, its TTL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SynthPtr {
    pub owner: Name,
    pub target: Name,
    pub ttl: u32,
}

/// The reverse name of an address: `192.168.1.5` -> `5.1.168.192.in-addr.arpa.`, IPv6 as
/// nibbles under `ip6.arpa.`.
pub fn reverse_name(addr: IpAddr) -> Name {
    let mut wire = Vec::with_capacity(74);
    match addr {
        IpAddr::V4(a) => {
            for o in a.octets().iter().rev() {
                let s = o.to_string();
                wire.push(s.len() as u8);
                wire.extend_from_slice(s.as_bytes());
            }
            wire.extend_from_slice(b"\x07in-addr\x04arpa\x00");
        }
        IpAddr::V6(a) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for o in a.octets().iter().rev() {
                wire.extend_from_slice(&[1, HEX[(o & 15) as usize], 1, HEX[(o >> 4) as usize]]);
            }
            wire.extend_from_slice(b"\x03ip6\x04arpa\x00");
        }
    }
    Name::from_wire_unchecked(&wire)
}

/// True for zones under `in-addr.arpa.` or `ip6.arpa.`.
pub fn is_reverse(origin: &Name) -> bool {
    name::is_subdomain(origin.wire(), b"\x07in-addr\x04arpa\x00")
        || name::is_subdomain(origin.wire(), b"\x03ip6\x04arpa\x00")
}

/// Every address record of a forward zone, as the PTR it implies (names in lower case).
/// Records below a delegation (glue) and wildcard owners are skipped.
pub fn address_ptrs(zone: &Zone, out: &mut Vec<SynthPtr>) {
    for node in &zone.nodes {
        if node.has(flag::CUT | flag::BELOW_CUT) {
            continue;
        }
        let w = node.name.wire();
        if w.len() > 1 && w[0] == 1 && w[1] == b'*' {
            continue;
        }
        for set in node.rrsets.iter() {
            let addr = |rd: &[u8]| -> Option<IpAddr> {
                match set.rtype {
                    rdata::A => <[u8; 4]>::try_from(rd).ok().map(IpAddr::from),
                    rdata::AAAA => <[u8; 16]>::try_from(rd).ok().map(IpAddr::from),
                    _ => None,
                }
            };
            for rd in set.rdatas() {
                if let Some(a) = addr(rd) {
                    out.push(SynthPtr {
                        owner: reverse_name(a),
                        target: node.name.to_lowercase(),
                        ttl: set.ttl,
                    });
                }
            }
        }
    }
}

/// The PTRs of `all` that `base` (a reverse zone) would actually get: inside the zone, not
/// at or below a delegation, and not where the file already has a PTR or CNAME. Sorted, one
/// TTL per owner (the smallest).
pub fn ptrs_for(base: &Zone, all: &[SynthPtr]) -> Vec<SynthPtr> {
    let mut out: Vec<SynthPtr> = all
        .iter()
        .filter(|p| name::is_subdomain(p.owner.wire(), base.origin.wire()))
        .filter(|p| match base.lookup(p.owner.wire()) {
            // Below a delegation or a DNAME the data would never be answered.
            Lookup::Delegation(_) | Lookup::Dname(_) => false,
            Lookup::Exact(id) => {
                let n = base.node(id);
                n.rrset(rdata::PTR).is_none() && n.rrset(rdata::CNAME).is_none()
            }
            Lookup::NoName { .. } => true,
        })
        .cloned()
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.owner == b.owner && a.target == b.target);
    let mut i = 0;
    while i < out.len() {
        let j = i + out[i..]
            .iter()
            .take_while(|p| p.owner == out[i].owner)
            .count();
        let ttl = out[i..j].iter().map(|p| p.ttl).min().unwrap_or(0);
        for p in &mut out[i..j] {
            p.ttl = ttl;
        }
        i = j;
    }
    out
}

/// `base` with `ptrs` (from [`ptrs_for`]) added as PTR records: a complete new zone, checked
/// as a loaded zone is (its SOA, and so its serial, is `base`'s).
pub fn with_ptrs(base: &Zone, ptrs: &[SynthPtr]) -> Result<Zone, ZoneErrors> {
    let extra = ptrs
        .iter()
        .map(|p| record(&p.owner, p.ttl, rdata::PTR, p.target.wire()))
        .collect();
    extended(base, extra, &[])
}

/// `base` with `extra` records added, rebuilt and checked as a loaded zone is. The records'
/// `file` indexes count on from `base.files`, then `extra_files`.
pub fn extended(
    base: &Zone,
    extra: Vec<Record>,
    extra_files: &[std::path::PathBuf],
) -> Result<Zone, ZoneErrors> {
    let mut records = Vec::with_capacity(base.records + extra.len());
    for node in &base.nodes {
        for set in node.rrsets.iter() {
            for rd in set.rdatas() {
                records.push(record(&node.name, set.ttl, set.rtype, rd));
            }
        }
    }
    records.extend(extra);
    let mut files = base.files.clone();
    files.extend_from_slice(extra_files);
    let parsed = Parsed {
        records,
        files,
        ..Parsed::default()
    };
    build(&base.origin, parsed, &mut Vec::new())
}

pub(crate) fn record(owner: &Name, ttl: u32, rtype: u16, rd: &[u8]) -> Record {
    Record {
        owner: owner.clone(),
        ttl,
        class: 1,
        rtype,
        rdata: rd.into(),
        file: 0,
        line: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[track_caller]
    fn zone(origin: &str, text: &str) -> Zone {
        let origin = Name::from_ascii(origin).expect("origin");
        let parsed = crate::zonefile::parse_str(
            text.as_bytes(),
            Path::new("t.zone"),
            &crate::zonefile::Options::new(origin.clone()),
        );
        build(&origin, parsed, &mut Vec::new()).expect("zone builds")
    }

    const HEAD: &str = "$TTL 1D\n@ IN SOA ns.lihui.hadoop. root.lihui.hadoop. 1 1D 1H 1W 3H\n@ IN NS ns.lihui.hadoop.\n";

    #[test]
    fn reverse_names() {
        let r = |s: &str| reverse_name(s.parse().expect("addr")).to_string();
        assert_eq!(r("192.168.1.5"), "5.1.168.192.in-addr.arpa.");
        assert_eq!(
            r("2001:db8::1"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
        assert!(is_reverse(
            &Name::from_ascii("1.168.192.in-addr.arpa").expect("n")
        ));
        assert!(!is_reverse(&Name::from_ascii("lihui.hadoop").expect("n")));
    }

    #[test]
    fn explicit_ptrs_win_and_several_names_share_one_ttl() {
        let fwd = zone(
            "lihui.hadoop",
            &format!("{HEAD}ns A 192.168.1.4\na 300 A 192.168.1.5\nb A 192.168.1.5\nc A 10.0.0.1\nsub NS ns.other.\nx.sub A 192.168.1.9\n"),
        );
        let rev = zone(
            "1.168.192.in-addr.arpa",
            &format!("{HEAD}4 PTR explicit.lihui.hadoop.\n"),
        );
        let mut all = Vec::new();
        address_ptrs(&fwd, &mut all);
        let ptrs = ptrs_for(&rev, &all);
        let shown: Vec<String> = ptrs
            .iter()
            .map(|p| format!("{} {} {}", p.owner, p.ttl, p.target))
            .collect();
        assert_eq!(
            shown,
            [
                "5.1.168.192.in-addr.arpa. 300 a.lihui.hadoop.",
                "5.1.168.192.in-addr.arpa. 300 b.lihui.hadoop."
            ]
        );
        let z = with_ptrs(&rev, &ptrs).expect("builds");
        assert_eq!(z.records, rev.records + 2);
        assert_eq!(z.serial, 1);
        let n = z.find(ptrs[0].owner.wire()).expect("synthesized node");
        assert_eq!(z.node(n).rrset(rdata::PTR).map(|s| s.count), Some(2));
    }
}
