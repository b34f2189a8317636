//! An immutable, validated zone indexed for lookup: nodes keyed by case-insensitive wire
//! name (empty non-terminals included), delegation flags computed at build time, and the
//! single-walk lookup (exact match, closest encloser, delegation cut) the answer logic needs.
//! Building lives in `builder`, the `named-checkzone` rules in `checks`, version diffs in
//! `diff`.

use std::path::PathBuf;

use hashbrown::HashTable;

use crate::dns::name::{self, Name};
use crate::dns::rdata;
use crate::zonefile::Diag;

mod bigset;
mod builder;
mod checks;
pub mod diff;
mod hash;
pub mod history;
mod nsec;
mod nsec3;
pub mod service;
pub mod synth;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_big;

pub use builder::{build, ZoneBuilder};
pub use diff::{diff, same_except_serial, Rr, ZoneDiff};
pub use hash::hash_name;
pub use history::History;
pub(crate) use nsec::wildcard_of;

/// Node flags.
pub mod flag {
    /// The zone apex.
    pub const APEX: u8 = 1;
    /// A delegation point: NS records not at the apex.
    pub const CUT: u8 = 2;
    /// Strictly below a delegation point (glue or occluded data).
    pub const BELOW_CUT: u8 = 4;
    /// The node has a `*` child.
    pub const WILD_CHILD: u8 = 8;
    /// The node holds a CNAME.
    pub const CNAME: u8 = 16;
    /// The node holds a DNAME.
    pub const DNAME: u8 = 32;
    /// Strictly below a DNAME owner (occluded: the DNAME applies instead, RFC 6672 2.3).
    pub const BELOW_DNAME: u8 = 64;
    /// A health-checked service name (see `zone::service`, `query::service`).
    pub const SERVICE: u8 = 128;
}

/// The records of one type at one name. RDATA is stored as consecutive
/// `rdlength (u16 BE) | rdata` entries in the order they were first read.
#[derive(Debug, Clone)]
pub struct RRset {
    pub rtype: u16,
    pub ttl: u32,
    pub count: u16,
    pub rdata: Box<[u8]>,
    /// Pre-encoded answer (see `answer::preencode`), filled in after the zone is built.
    pub fast: Option<Box<[u8]>>,
}

impl RRset {
    /// Iterates the RDATA of each record.
    pub fn rdatas(&self) -> RdataIter<'_> {
        RdataIter { b: &self.rdata }
    }
}

pub struct RdataIter<'a> {
    b: &'a [u8],
}

impl<'a> Iterator for RdataIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.b.len() < 2 {
            return None;
        }
        let len = u16::from_be_bytes([self.b[0], self.b[1]]) as usize;
        let r = self.b.get(2..2 + len)?;
        self.b = &self.b[2 + len..];
        Some(r)
    }
}

/// One owner name and its RRsets.
#[derive(Debug, Clone)]
pub struct Node {
    /// The name as first written in the zone file (case preserved).
    pub name: Name,
    pub flags: u8,
    pub rrsets: Box<[RRset]>,
}

impl Node {
    pub fn rrset(&self, rtype: u16) -> Option<&RRset> {
        self.rrsets.iter().find(|r| r.rtype == rtype)
    }
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// Index of a node in its zone.
pub type NodeId = u32;

/// An immutable zone.
#[derive(Debug)]
pub struct Zone {
    /// The origin, lower-cased.
    pub origin: Name,
    pub class: u16,
    pub serial: u32,
    /// Number of records (after removing duplicates).
    pub records: usize,
    /// The files the zone was read from (zone file first, then includes).
    pub files: Vec<PathBuf>,
    pub nodes: Vec<Node>,
    /// Some node holds a DNAME.
    pub has_dname: bool,
    /// The zone is signed (pre-signed: RRSIGs, NSEC from the zone file).
    pub signed: bool,
    /// The nodes holding NSEC records, in canonical order (see `nsec`).
    nsec_chain: Box<[NodeId]>,
    /// The NSEC3 chain (see `nsec3`), for zones with an NSEC3PARAM.
    nsec3: Option<nsec3::Chain>,
    index: HashTable<NodeId>,
    /// The recent serial steps that led to this version (IXFR); set before publication.
    pub history: History,
}

/// The outcome of looking a name up in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The name is at or below this delegation point (never the apex).
    Delegation(NodeId),
    /// The name exists (possibly as an empty non-terminal).
    Exact(NodeId),
    /// The name does not exist; the closest encloser and, if present, the wildcard under it.
    NoName {
        encloser: NodeId,
        wildcard: Option<NodeId>,
    },
    /// The name is strictly below this DNAME owner, met on the way down before any
    /// delegation (RFC 6672 section 3): substitute.
    Dname(NodeId),
}

impl Zone {
    /// Finds the node with exactly this name (case-insensitive).
    pub fn find(&self, wire: &[u8]) -> Option<NodeId> {
        let h = hash_name(wire);
        self.index
            .find(h, |&id| {
                // Names are nearly always stored and asked in lower case: try bytes first.
                let n = self.nodes[id as usize].name.wire();
                n == wire || n.eq_ignore_ascii_case(wire)
            })
            .copied()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn apex(&self) -> &Node {
        &self.nodes[0]
    }

    pub fn soa(&self) -> Option<&RRset> {
        self.apex().rrset(rdata::SOA)
    }

    /// The SOA MINIMUM field, for negative-caching TTLs (RFC 2308).
    pub fn negative_ttl(&self) -> u32 {
        match self.soa() {
            Some(s) => {
                let rd = s.rdatas().next().unwrap_or(&[]);
                let min = rd
                    .len()
                    .checked_sub(4)
                    .map(|p| u32::from_be_bytes([rd[p], rd[p + 1], rd[p + 2], rd[p + 3]]))
                    .unwrap_or(0);
                min.min(s.ttl)
            }
            None => 0,
        }
    }

    /// Looks `qname` up. `qname` must be at or below the origin.
    pub fn lookup(&self, qname: &[u8]) -> Lookup {
        // Exact match first: the common case.
        let mut cur = qname;
        let mut found = self.find(cur);
        let exact = found.is_some();
        while found.is_none() {
            match name::parent(cur) {
                Some(p) if p.len() >= self.origin.len() => {
                    cur = p;
                    found = self.find(cur);
                }
                // Cannot happen for names inside the zone: the apex always exists.
                _ => {
                    return Lookup::NoName {
                        encloser: 0,
                        wildcard: None,
                    }
                }
            }
        }
        let id = found.unwrap_or(0);
        let node = self.node(id);
        // A DNAME at the closest encloser (the name is strictly below it) or above it.
        if node.has(flag::BELOW_DNAME) || (!exact && node.has(flag::DNAME)) {
            return self.redirect_above(cur, exact);
        }
        if node.flags & (flag::CUT | flag::BELOW_CUT) != 0 {
            if let Some(cut) = self.highest_cut(cur) {
                return Lookup::Delegation(cut);
            }
        }
        if exact {
            return Lookup::Exact(id);
        }
        let wildcard = if node.has(flag::WILD_CHILD) {
            let mut buf = [0u8; name::MAX_NAME + 2];
            buf[0] = 1;
            buf[1] = b'*';
            let n = cur.len().min(name::MAX_NAME);
            buf[2..2 + n].copy_from_slice(&cur[..n]);
            self.find(&buf[..2 + n])
        } else {
            None
        };
        Lookup::NoName {
            encloser: id,
            wildcard,
        }
    }

    /// For a name below a DNAME: what is met first on the way down from the apex to `wire`, a
    /// DNAME strictly above the query name or a delegation point (NSD's closest-encloser
    /// walk). `exact` says `wire` is the query name itself (its own DNAME does not apply).
    fn redirect_above(&self, wire: &[u8], exact: bool) -> Lookup {
        let mut best = None;
        let mut cur = wire;
        let mut first = exact;
        loop {
            if let Some(id) = self.find(cur) {
                let n = self.node(id);
                if n.has(flag::DNAME) && !first {
                    best = Some(Lookup::Dname(id));
                }
                // At one node a delegation occludes a DNAME (it is not authoritative there).
                if n.has(flag::CUT) {
                    best = Some(Lookup::Delegation(id));
                }
            }
            first = false;
            match name::parent(cur) {
                Some(p) if p.len() >= self.origin.len() => cur = p,
                _ => break,
            }
        }
        best.unwrap_or(Lookup::NoName {
            encloser: 0,
            wildcard: None,
        })
    }

    /// The delegation point closest to the apex at or above `wire`.
    fn highest_cut(&self, wire: &[u8]) -> Option<NodeId> {
        let mut best = None;
        let mut cur = wire;
        while cur.len() > self.origin.len() {
            if let Some(id) = self.find(cur) {
                if self.node(id).has(flag::CUT) {
                    best = Some(id);
                }
            }
            cur = name::parent(cur)?;
        }
        best
    }

    /// Looks up the RRset `rtype` at `wire` only where it is authoritative data or glue.
    pub fn rrset_at(&self, wire: &[u8], rtype: u16) -> Option<&RRset> {
        self.find(wire).and_then(|id| self.node(id).rrset(rtype))
    }
}

/// A zone that could not be built, with every reason.
#[derive(Debug)]
pub struct ZoneErrors {
    pub errors: Vec<Diag>,
    pub suppressed: usize,
}

pub use crate::dns::serial::soa_serial;
