//! Differences between two versions of a zone: whether anything but the SOA serial changed
//! (what reload asks before it publishes), and the records removed and added, in wire form
//! (what an IXFR answer is made of).

use super::builder::covered_type;
use super::{Node, RRset, Zone};
use crate::dns::name::Name;
use crate::dns::rdata;
use crate::dns::serial::soa_without_serial;

/// One resource record in wire form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    pub owner: Name,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdata: Box<[u8]>,
}

/// What turns one version of a zone into another: delete `removed`, then add `added`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneDiff {
    pub removed: Vec<Rr>,
    pub added: Vec<Rr>,
}

impl ZoneDiff {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }
}

/// True when `a` and `b` hold the same content, ignoring only the serial of the SOA: same
/// class, same names (spelled the same) in the same order with the same flags, and the same
/// RRsets with the same TTLs and RDATA in the same order.
pub fn same_except_serial(a: &Zone, b: &Zone) -> bool {
    a.class == b.class
        && a.records == b.records
        && a.nodes.len() == b.nodes.len()
        && a.nodes.iter().zip(&b.nodes).all(|(x, y)| {
            x.name.wire() == y.name.wire()
                && x.flags == y.flags
                && x.rrsets.len() == y.rrsets.len()
                && x.rrsets.iter().zip(y.rrsets.iter()).all(|(s, t)| {
                    s.rtype == t.rtype
                        && s.ttl == t.ttl
                        && s.count == t.count
                        && if s.rtype == rdata::SOA {
                            soa_without_serial(&s.rdata) == soa_without_serial(&t.rdata)
                        } else {
                            s.rdata == t.rdata
                        }
                })
        })
}

/// The records to remove from `old` and to add to make `new`, nothing ignored (the SOA
/// included). Names match case-insensitively; RDATA and TTLs must match byte for byte, so a
/// changed TTL removes the old records and adds them again with the new one. Records come
/// in the order of `old`'s names for removals and `new`'s for additions.
pub fn diff(old: &Zone, new: &Zone) -> ZoneDiff {
    let mut d = ZoneDiff::default();
    for n in &old.nodes {
        let other = new.find(n.name.wire()).map(|id| new.node(id));
        for s in n.rrsets.iter() {
            let t = other.and_then(|o| same_set(o, s));
            push_missing(&mut d.removed, n, s, t, old.class);
        }
    }
    for n in &new.nodes {
        let other = old.find(n.name.wire()).map(|id| old.node(id));
        for s in n.rrsets.iter() {
            let t = other.and_then(|o| same_set(o, s));
            push_missing(&mut d.added, n, s, t, new.class);
        }
    }
    d
}

/// The RRset of `n` that `s` would be compared with: same type and, for RRSIGs, the same
/// covered type (each is an RRset of its own).
fn same_set<'a>(n: &'a Node, s: &RRset) -> Option<&'a RRset> {
    let covered = |x: &RRset| x.rdatas().next().and_then(|r| covered_type(x.rtype, r));
    n.rrsets
        .iter()
        .find(|t| t.rtype == s.rtype && covered(t) == covered(s))
}

/// Appends the records of `s` (at `n`) that `other` lacks: all of them when `other` is
/// absent or has another TTL.
fn push_missing(out: &mut Vec<Rr>, n: &Node, s: &RRset, other: Option<&RRset>, class: u16) {
    let other = other.filter(|t| t.ttl == s.ttl);
    for rd in s.rdatas() {
        if other.is_some_and(|t| t.rdatas().any(|x| x == rd)) {
            continue;
        }
        out.push(Rr {
            owner: n.name.clone(),
            rtype: s.rtype,
            class,
            ttl: s.ttl,
            rdata: rd.into(),
        });
    }
}
