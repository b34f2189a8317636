//! The `named-checkzone` rules a zone must pass before it is served, one function per rule,
//! and the flags (delegation cuts, names below them, wildcard parents) set once it has.

use std::path::PathBuf;

use hashbrown::HashTable;

use super::{flag, hash_name, Node, NodeId, RRset};
use crate::dns::name::{self, Name};
use crate::dns::rdata;
use crate::zonefile::Diag;

/// Where each node was first written, as (file index, line).
pub(super) type FirstLine = (u16, u32);

/// What the rules look at: the nodes (apex first), how to find one by name, and where each
/// was written.
pub(super) struct Checked<'a> {
    pub origin: &'a Name,
    pub nodes: &'a [Node],
    pub index: &'a HashTable<NodeId>,
    pub first_line: &'a [FirstLine],
    pub files: &'a [PathBuf],
    pub apex_ns: &'a [ApexNs],
}

impl Checked<'_> {
    /// A diagnostic at the line where node `id` was first written.
    fn at_node(&self, id: usize, message: String) -> Diag {
        let (f, line) = self.first_line[id];
        self.at(f, line, message)
    }

    fn at(&self, file: u16, line: u32, message: String) -> Diag {
        Diag::in_file(self.files, file, line, message)
    }

    /// A diagnostic about the whole zone (the top file, no line).
    fn at_zone(&self, message: String) -> Diag {
        self.at(0, 0, message)
    }
}

/// A rule about one name: the message when node `id` breaks it.
type NodeRule = fn(id: usize, n: &Node) -> Option<String>;

/// The per-name rules, in the order BIND reports them.
const NODE_RULES: &[NodeRule] = &[
    cname_and_other_data,
    single_cname,
    no_ds_at_apex,
    single_dname,
    soa_only_at_apex,
];

/// The per-name pass, one walk over the nodes (a zone may have millions): sets the CUT flag
/// on delegation points and CNAME on aliases, and applies [`NODE_RULES`], handing each
/// broken rule to `report` with the node's id.
pub(super) fn check_names(nodes: &mut [Node], mut report: impl FnMut(usize, String)) {
    for (id, n) in nodes.iter_mut().enumerate() {
        // Most names hold only address records: none of the rules applies to them.
        let mut ruled = false;
        for r in n.rrsets.iter() {
            match r.rtype {
                rdata::CNAME => {
                    n.flags |= flag::CNAME;
                    ruled = true;
                }
                rdata::NS if id != 0 => n.flags |= flag::CUT,
                rdata::DNAME => {
                    n.flags |= flag::DNAME;
                    ruled = true;
                }
                rdata::SOA | rdata::DS => ruled = true,
                _ => {}
            }
        }
        if ruled {
            for rule in NODE_RULES {
                if let Some(m) = rule(id, n) {
                    report(id, m);
                }
            }
        }
    }
}

/// The rules about the zone as a whole, after [`check_names`]. The apex NS and CDS rules
/// run only on a zone that passed all the others, as in BIND.
pub(super) fn check_zone(z: &Checked<'_>, errors: &mut Vec<Diag>) {
    errors.extend(soa_at_apex(z));
    errors.extend(ns_at_apex(z));
    if errors.is_empty() {
        check_apex_ns(z, errors);
    }
    if errors.is_empty() && !cds_consistent(&z.nodes[0]) {
        errors.push(z.at_node(
            0,
            format!("zone {}: CDS/CDNSKEY consistency checks failed", z.origin),
        ));
    }
}

/// A CNAME may only share its name with DNSSEC records (RRSIG, NSEC, KEY, NXT).
fn cname_and_other_data(_: usize, n: &Node) -> Option<String> {
    let dnssec = |t| {
        matches!(
            t,
            rdata::CNAME | rdata::RRSIG | rdata::NSEC | rdata::KEY | rdata::NXT
        )
    };
    (n.rrset(rdata::CNAME).is_some() && n.rrsets.iter().any(|r| !dnssec(r.rtype)))
        .then(|| format!("{}: CNAME and other data", n.name))
}

fn single_cname(_: usize, n: &Node) -> Option<String> {
    singleton(n, rdata::CNAME, "CNAME")
}

fn single_dname(_: usize, n: &Node) -> Option<String> {
    singleton(n, rdata::DNAME, "DNAME")
}

/// At most one record of a singleton type at a name.
fn singleton(n: &Node, rtype: u16, type_name: &str) -> Option<String> {
    n.rrset(rtype)
        .is_some_and(|r| r.count > 1)
        .then(|| format!("{}: multiple RRs of singleton type ({type_name})", n.name))
}

/// DS records belong to the parent side of a cut, never at the apex.
fn no_ds_at_apex(id: usize, n: &Node) -> Option<String> {
    (id == 0 && n.rrset(rdata::DS).is_some())
        .then(|| format!("DS record at top of zone ({})", n.name))
}

fn soa_only_at_apex(id: usize, n: &Node) -> Option<String> {
    (id != 0 && n.rrset(rdata::SOA).is_some())
        .then(|| format!("{}: SOA record not at top of zone", n.name))
}

/// Exactly one SOA record, at the apex.
fn soa_at_apex(z: &Checked<'_>) -> Option<Diag> {
    match z.nodes[0].rrset(rdata::SOA) {
        None => Some(z.at_zone(format!("zone {}: has no SOA record", z.origin))),
        Some(s) if s.count > 1 => Some(z.at_node(
            0,
            format!("{}: multiple RRs of singleton type (SOA)", z.origin),
        )),
        _ => None,
    }
}

fn ns_at_apex(z: &Checked<'_>) -> Option<Diag> {
    z.nodes[0]
        .rrset(rdata::NS)
        .is_none()
        .then(|| z.at_zone(format!("zone {}: has no NS records", z.origin)))
}

/// BIND 9.18's `dns_zone_cdscheck` at the apex: every algorithm used by CDS or CDNSKEY records
/// needs a DNSKEY of that algorithm, and the "delete" forms must stand alone.
fn cds_consistent(apex: &Node) -> bool {
    let dnskeys: Vec<&[u8]> = apex
        .rrset(48)
        .map(|s| s.rdatas().collect())
        .unwrap_or_default();
    // CDS: algorithm at byte 2, delete form 0 0 0 00; CDNSKEY: byte 3, delete form 0 3 0 00.
    [(59, 2, [0u8, 0, 0, 0, 0]), (60, 3, [0, 0, 3, 0, 0])]
        .iter()
        .all(|&(rtype, at, delete_form)| {
            apex.rrset(rtype)
                .is_none_or(|set| algorithms_have_keys(set, at, &delete_form, &dnskeys))
        })
}

/// One CDS or CDNSKEY RRset against the DNSKEYs: every algorithm it names has a key, and a
/// delete form stands alone.
fn algorithms_have_keys(set: &RRset, alg_at: usize, delete_form: &[u8], dnskeys: &[&[u8]]) -> bool {
    let mut delete = false;
    // Per algorithm: 1 = expected, 2 = found.
    let mut algs = [0u8; 256];
    for rd in set.rdatas() {
        if rd == delete_form {
            delete = true;
            continue;
        }
        if dnskeys.is_empty() || rd.len() < 4 {
            return false;
        }
        let alg = rd[alg_at];
        if algs[alg as usize] == 0 {
            algs[alg as usize] = 1;
        }
        if dnskeys.iter().any(|k| k.len() > 3 && k[3] == alg) {
            algs[alg as usize] = 2;
        }
    }
    !algs.iter().any(|&a| if delete { a != 0 } else { a == 1 })
}

/// An apex NS target and the (file, line) it was written at.
pub(super) type ApexNs = (Box<[u8]>, (u16, u32));

/// `named-checkzone`'s check of the apex NS records: a target inside the zone must have an
/// address record, must not be a CNAME and must not sit below a DNAME (BIND's
/// `zone_check_ns`, which looks the target up as `dns_db_find` would).
fn check_apex_ns(z: &Checked<'_>, errors: &mut Vec<Diag>) {
    let (origin, nodes, index) = (z.origin, z.nodes, z.index);
    let find = |w: &[u8]| {
        index
            .find(hash_name(w), |&i| {
                nodes[i as usize].name.wire().eq_ignore_ascii_case(w)
            })
            .copied()
    };
    let bare = |w: &[u8]| {
        let mut s = String::new();
        name::write_name(w, &mut s);
        if s.len() > 1 {
            s.pop();
        }
        s
    };
    let mut seen: Vec<&[u8]> = Vec::new();
    for (target, (file, line)) in z.apex_ns {
        let t: &[u8] = target;
        if !name::is_subdomain(t, origin.wire()) || seen.iter().any(|s| s.eq_ignore_ascii_case(t)) {
            continue;
        }
        seen.push(t);
        let problem = ns_target_problem(t, origin.wire(), nodes, &find, &bare);
        if let Some(message) = problem {
            errors.push(z.at(*file, *line, message));
        }
    }
}

fn ns_target_problem(
    t: &[u8],
    origin: &[u8],
    nodes: &[Node],
    find: &dyn Fn(&[u8]) -> Option<NodeId>,
    bare: &dyn Fn(&[u8]) -> String,
) -> Option<String> {
    // Ancestors from the apex down: a DNAME (even at the apex) or a delegation decides.
    let mut chain = Vec::new();
    let mut cur = name::parent(t);
    while let Some(p) = cur {
        if p.len() < origin.len() {
            break;
        }
        chain.push(p);
        cur = name::parent(p);
    }
    let mut encloser = 0;
    for p in chain.iter().rev() {
        let Some(id) = find(p) else { break };
        encloser = id;
        let n = &nodes[id as usize];
        if n.rrset(rdata::DNAME).is_some() {
            return Some(format!(
                "NS '{}' is below a DNAME '{}' (illegal)",
                bare(t),
                bare(p)
            ));
        }
        if id != 0 && n.rrset(rdata::NS).is_some() {
            return None;
        }
    }
    let id = match find(t) {
        Some(id) => id,
        None => {
            // Wildcard under the closest encloser.
            let e = nodes[encloser as usize].name.wire();
            let mut w = vec![1, b'*'];
            w.extend_from_slice(e);
            match find(&w) {
                Some(id) => id,
                None => {
                    return Some(format!(
                        "NS '{}' has no address records (A or AAAA)",
                        bare(t)
                    ))
                }
            }
        }
    };
    let n = &nodes[id as usize];
    if id != 0 && n.rrset(rdata::NS).is_some() {
        return None;
    }
    if n.rrset(rdata::A).is_some() {
        return None;
    }
    if n.rrset(rdata::CNAME).is_some() {
        return Some(format!("NS '{}' is a CNAME (illegal)", bare(t)));
    }
    if n.rrset(rdata::AAAA).is_some() {
        return None;
    }
    Some(format!(
        "NS '{}' has no address records (A or AAAA)",
        bare(t)
    ))
}
