//! An immutable, validated zone indexed for lookup: nodes keyed by case-insensitive wire
//! name (empty non-terminals included), delegation flags computed at build time, and the
//! single-walk lookup (exact match, closest encloser, delegation cut) the answer logic needs.

use std::path::PathBuf;

use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::hash::Hasher;

use crate::dns::name::{self, Name};
use crate::dns::rdata;
use crate::zonefile::{Diag, Parsed, Record};

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
    index: HashTable<NodeId>,
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
}

/// Hash of a wire name, case-insensitive.
pub fn hash_name(wire: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    // Hash 8 bytes at a time with the ASCII letters folded.
    let mut chunks = wire.chunks_exact(8);
    for c in &mut chunks {
        let mut v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Set bit 5 of every byte in A..Z: fold case without a branch per byte.
        let upper = upper_mask(v);
        v |= upper;
        h.write_u64(v);
    }
    for &b in chunks.remainder() {
        h.write_u8(b.to_ascii_lowercase());
    }
    h.finish()
}

/// Bit 5 set in each byte lane whose byte is in b'A'..=b'Z'.
#[inline]
fn upper_mask(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Lanes >= 'A' and lanes > 'Z', computed without carries between lanes (all lanes < 0x80
    // are handled; lanes >= 0x80 are excluded by the final mask).
    let low7 = v & !HIGH;
    let ge_a = (low7 + ONES * (0x80 - b'A' as u64)) & HIGH;
    let gt_z = (low7 + ONES * (0x80 - b'Z' as u64 - 1)) & HIGH;
    let in_range = ge_a & !gt_z & !(v & HIGH);
    in_range >> 2
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

/// Builds a zone from parsed records, applying `named-checkzone`'s checks. Warnings are
/// appended to `warnings`. Fails when the file had errors or the zone breaks a rule.
pub fn build(
    origin: &Name,
    mut parsed: Parsed,
    warnings: &mut Vec<Diag>,
) -> Result<Zone, ZoneErrors> {
    let records = std::mem::take(&mut parsed.records);
    let mut zb = ZoneBuilder::new(origin, records.len());
    for r in records {
        zb.push(r);
    }
    zb.finish(parsed, warnings)
}

/// Assembles a zone from records handed over one at a time, as the reader streams them (a
/// large zone is never held twice), then applies the checks in [`ZoneBuilder::finish`].
pub struct ZoneBuilder {
    origin: Name,
    b: Builder,
    /// Apex NS targets with where they were written, for the address checks.
    apex_ns: Vec<ApexNs>,
    /// The previous record's owner as written, to split runs without allocating.
    prev_owner: Vec<u8>,
    /// Warnings found while adding, as (file, line, message): paths are known at the end.
    deferred: Vec<(u16, u32, String)>,
}

impl ZoneBuilder {
    /// A builder for the zone `origin`; `hint` is the expected number of records.
    pub fn new(origin: &Name, hint: usize) -> ZoneBuilder {
        let origin = origin.to_lowercase();
        ZoneBuilder {
            b: Builder::new(origin.clone(), hint),
            origin,
            apex_ns: Vec::new(),
            prev_owner: Vec::new(),
            deferred: Vec::new(),
        }
    }

    /// Adds one record (out-of-zone records are dropped with a warning, as BIND does).
    pub fn push(&mut self, r: Record) {
        let origin = &self.origin;
        if !r.owner.is_subdomain_of(origin) {
            self.deferred.push((
                r.file,
                r.line,
                format!("ignoring out-of-zone data ({})", r.owner),
            ));
            return;
        }
        if r.rtype == rdata::NS && r.owner.wire().eq_ignore_ascii_case(origin.wire()) {
            self.apex_ns.push((r.rdata.clone(), (r.file, r.line)));
        }
        // BIND batches records while the owner is written the same way (byte for byte).
        if self.prev_owner.as_slice() != r.owner.wire() {
            self.b.new_run();
            self.prev_owner.clear();
            self.prev_owner.extend_from_slice(r.owner.wire());
        }
        let Record {
            owner,
            ttl,
            rtype,
            rdata: rd,
            file,
            line,
            ..
        } = r;
        let id = self.b.node_for(owner);
        self.b
            .add(id, rtype, ttl, &rd, (file, line), &mut self.deferred);
    }

    /// Checks the zone as `named-checkzone` does and freezes it.
    pub fn finish(mut self, parsed: Parsed, warnings: &mut Vec<Diag>) -> Result<Zone, ZoneErrors> {
        self.b.flush();
        let ZoneBuilder {
            origin,
            b,
            apex_ns,
            deferred,
            ..
        } = self;
        let Parsed {
            errors,
            warnings: pw,
            files,
            suppressed,
            ..
        } = parsed;
        warnings.extend(pw);
        for (f, line, message) in deferred {
            let path = files.get(f as usize).cloned().unwrap_or_default();
            warnings.push(Diag {
                path,
                line,
                message,
            });
        }
        finish(origin, b, apex_ns, errors, files, suppressed)
    }
}

fn finish(
    origin: Name,
    b: Builder,
    apex_ns: Vec<ApexNs>,
    mut errors: Vec<Diag>,
    files: Vec<PathBuf>,
    suppressed: usize,
) -> Result<Zone, ZoneErrors> {
    let top = files.first().cloned().unwrap_or_default();
    let Builder {
        mut nodes,
        index,
        count,
        first_line,
        ..
    } = b;
    let at = |id: usize, files: &[PathBuf]| -> (PathBuf, u32) {
        let (f, l) = first_line[id];
        (files.get(f as usize).cloned().unwrap_or_default(), l)
    };
    // Per-name rules, in one pass that also sets the CUT and CNAME flags.
    for (id, n) in nodes.iter_mut().enumerate() {
        let (mut cname, mut other, mut special) = (None, false, false);
        for r in n.rrsets.iter() {
            match r.rtype {
                rdata::CNAME => cname = Some(r.count),
                rdata::RRSIG | rdata::NSEC | rdata::KEY | rdata::NXT => {}
                rdata::NS => {
                    other = true;
                    if id != 0 {
                        n.flags |= flag::CUT;
                    }
                }
                rdata::DNAME | rdata::SOA | rdata::DS => {
                    other = true;
                    special = true;
                }
                _ => other = true,
            }
        }
        if let Some(count) = cname {
            n.flags |= flag::CNAME;
            if other {
                let (path, line) = at(id, &files);
                errors.push(Diag {
                    path,
                    line,
                    message: format!("{}: CNAME and other data", n.name),
                });
            }
            if count > 1 {
                let (path, line) = at(id, &files);
                errors.push(Diag {
                    path,
                    line,
                    message: format!("{}: multiple RRs of singleton type (CNAME)", n.name),
                });
            }
        }
        if !special {
            continue;
        }
        if id == 0 && n.rrset(rdata::DS).is_some() {
            let (path, line) = at(id, &files);
            errors.push(Diag {
                path,
                line,
                message: format!("DS record at top of zone ({})", n.name),
            });
        }
        if n.rrset(rdata::DNAME).is_some_and(|r| r.count > 1) {
            let (path, line) = at(id, &files);
            errors.push(Diag {
                path,
                line,
                message: format!("{}: multiple RRs of singleton type (DNAME)", n.name),
            });
        }
        if id != 0 && n.rrset(rdata::SOA).is_some() {
            let (path, line) = at(id, &files);
            errors.push(Diag {
                path,
                line,
                message: format!("{}: SOA record not at top of zone", n.name),
            });
        }
    }
    let apex = &nodes[0];
    match apex.rrset(rdata::SOA) {
        None => errors.push(Diag {
            path: top.clone(),
            line: 0,
            message: format!("zone {origin}: has no SOA record"),
        }),
        Some(s) if s.count > 1 => {
            let (path, line) = at(0, &files);
            errors.push(Diag {
                path,
                line,
                message: format!("{origin}: multiple RRs of singleton type (SOA)"),
            })
        }
        _ => {}
    }
    if apex.rrset(rdata::NS).is_none() {
        errors.push(Diag {
            path: top.clone(),
            line: 0,
            message: format!("zone {origin}: has no NS records"),
        });
    }
    if errors.is_empty() {
        check_apex_ns(&origin, &nodes, &index, &apex_ns, &files, &mut errors);
    }
    if errors.is_empty() && !cds_consistent(&nodes[0]) {
        let (path, line) = at(0, &files);
        errors.push(Diag {
            path,
            line,
            message: format!("zone {origin}: CDS/CDNSKEY consistency checks failed"),
        });
    }
    if !errors.is_empty() {
        return Err(ZoneErrors { errors, suppressed });
    }
    // Flags (CUT and CNAME are set above): names below cuts, wildcard parents.
    let origin_len = origin.len();
    let mut below = vec![false; nodes.len()];
    let mut wild_parent = Vec::new();
    for (id, n) in nodes.iter().enumerate() {
        let w = n.name.wire();
        if w.len() > origin_len && w[0] == 1 && w[1] == b'*' {
            if let Some(p) = name::parent(w) {
                wild_parent.push(p.to_vec());
            }
        }
        let mut cur = name::parent(w);
        while let Some(p) = cur {
            if p.len() <= origin_len {
                break;
            }
            let h = hash_name(p);
            if let Some(&pid) = index.find(h, |&i| {
                nodes[i as usize].name.wire().eq_ignore_ascii_case(p)
            }) {
                if nodes[pid as usize].has(flag::CUT) {
                    below[id] = true;
                    break;
                }
            }
            cur = name::parent(p);
        }
    }
    for (n, b) in nodes.iter_mut().zip(below) {
        if b {
            n.flags |= flag::BELOW_CUT;
        }
    }
    for p in wild_parent {
        let h = hash_name(&p);
        if let Some(&pid) = index.find(h, |&i| {
            nodes[i as usize].name.wire().eq_ignore_ascii_case(&p)
        }) {
            nodes[pid as usize].flags |= flag::WILD_CHILD;
        }
    }
    let serial = nodes[0]
        .rrset(rdata::SOA)
        .and_then(|s| s.rdatas().next().map(soa_serial))
        .unwrap_or(0);
    Ok(Zone {
        origin,
        class: 1,
        serial,
        records: count,
        files,
        nodes,
        index,
    })
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
type ApexNs = (Box<[u8]>, (u16, u32));

/// `named-checkzone`'s check of the apex NS records: a target inside the zone must have an
/// address record, must not be a CNAME and must not sit below a DNAME (BIND's
/// `zone_check_ns`, which looks the target up as `dns_db_find` would).
fn check_apex_ns(
    origin: &Name,
    nodes: &[Node],
    index: &HashTable<NodeId>,
    apex_ns: &[ApexNs],
    files: &[PathBuf],
    errors: &mut Vec<Diag>,
) {
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
    for (target, (file, line)) in apex_ns {
        let t: &[u8] = target;
        if !name::is_subdomain(t, origin.wire()) || seen.iter().any(|s| s.eq_ignore_ascii_case(t)) {
            continue;
        }
        seen.push(t);
        let problem = ns_target_problem(t, origin.wire(), nodes, &find, &bare);
        if let Some(message) = problem {
            errors.push(Diag {
                path: files.get(*file as usize).cloned().unwrap_or_default(),
                line: *line,
                message,
            });
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

/// The serial field of SOA RDATA.
pub fn soa_serial(rd: &[u8]) -> u32 {
    let mut p = 0;
    for _ in 0..2 {
        p += name::wire_len(&rd[p.min(rd.len())..]).unwrap_or(0);
    }
    rd.get(p..p + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

/// Where a name stands relative to the builder's sorted run of not-yet-indexed names.
enum RunPos {
    Found(NodeId),
    /// After the run's last name (or the run is empty).
    After,
    /// Before the run's end but not in it: the file is not sorted there.
    Missing,
}

/// The sorted-run shortcut is taken only while few names are indexed (each new name of the run
/// is still checked against the index, which must stay in cache for that to be cheap).
const SORTED_RUN_MAX_INDEXED: usize = 4096;

/// Compares wire names byte by byte with ASCII letters folded to lower case.
fn cmp_lower(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

/// Mutable state while a zone is assembled; becomes an immutable [`Zone`].
struct Builder {
    origin: Name,
    nodes: Vec<Node>,
    index: HashTable<NodeId>,
    /// `nodes[..indexed]` are in `index`. The rest is a run of children of the apex whose
    /// names strictly increase (compared in lower case), not indexed yet: zone files of big
    /// flat zones are usually sorted, and such a run is indexed in one cache-friendly sweep
    /// (`flush`) instead of one random probe per name.
    indexed: usize,
    /// Where each node was first written (for messages).
    first_line: Vec<(u16, u32)>,
    count: usize,
    /// Consecutive records of one owner form a "run", as BIND's loader batches them before
    /// adding them to the zone: (node, index into its sets) of the RRsets this run touched.
    run_sets: Vec<(NodeId, usize)>,
    /// (node, set index, offset) of the RDATA the current run added.
    run_added: Vec<(NodeId, usize, usize)>,
}

impl Builder {
    fn new(origin: Name, hint: usize) -> Builder {
        let mut b = Builder {
            origin: origin.clone(),
            nodes: Vec::with_capacity(hint + 1),
            index: HashTable::with_capacity(hint + 1),
            indexed: 0,
            first_line: Vec::with_capacity(hint + 1),
            count: 0,
            run_sets: Vec::new(),
            run_added: Vec::new(),
        };
        b.insert(origin, (0, 0));
        b
    }

    fn insert(&mut self, name: Name, at: (u16, u32)) -> NodeId {
        let h = hash_name(name.wire());
        self.insert_hashed(name, h, at)
    }

    fn insert_hashed(&mut self, name: Name, h: u64, at: (u16, u32)) -> NodeId {
        let id = self.nodes.len() as NodeId;
        let nodes = &self.nodes;
        self.index
            .insert_unique(h, id, |&i| hash_name(nodes[i as usize].name.wire()));
        self.push_node(name, at);
        self.indexed = self.nodes.len();
        id
    }

    /// Appends a node whose id is already in the index.
    fn push_node(&mut self, name: Name, at: (u16, u32)) {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node {
            name,
            flags: if id == 0 { flag::APEX } else { 0 },
            rrsets: Box::new([]),
        });
        self.first_line.push(at);
    }

    fn find(&self, wire: &[u8]) -> Option<NodeId> {
        let h = hash_name(wire);
        self.index
            .find(h, |&i| {
                self.nodes[i as usize]
                    .name
                    .wire()
                    .eq_ignore_ascii_case(wire)
            })
            .copied()
    }

    /// Where `wire` stands relative to the run of not-yet-indexed names.
    fn in_sorted_run(&self, wire: &[u8]) -> RunPos {
        let run = &self.nodes[self.indexed..];
        let Some(last) = run.last() else {
            return RunPos::After;
        };
        match cmp_lower(wire, last.name.wire()) {
            std::cmp::Ordering::Greater => RunPos::After,
            std::cmp::Ordering::Equal => RunPos::Found((self.nodes.len() - 1) as NodeId),
            std::cmp::Ordering::Less => {
                match run.binary_search_by(|n| cmp_lower(n.name.wire(), wire)) {
                    Ok(i) => RunPos::Found((self.indexed + i) as NodeId),
                    Err(_) => RunPos::Missing,
                }
            }
        }
    }

    /// Indexes the run of not-yet-indexed names, in the order of the table's buckets so the
    /// inserts sweep the table once instead of missing the cache on every name.
    fn flush(&mut self) {
        let (from, n) = (self.indexed, self.nodes.len());
        if from == n {
            return;
        }
        let nodes = &self.nodes;
        let hasher = |&i: &NodeId| hash_name(nodes[i as usize].name.wire());
        self.index.reserve(n - from, hasher);
        let hashes: Vec<u64> = nodes[from..]
            .iter()
            .map(|x| hash_name(x.name.wire()))
            .collect();
        // Counting sort of the ids by the top bits of their bucket (hashbrown starts probing at
        // `hash & (buckets - 1)`).
        let buckets = (self.index.capacity() * 8 / 7).max(1).next_power_of_two();
        let bits = buckets.trailing_zeros();
        let shift = bits.saturating_sub(12);
        let group = |h: u64| (h as usize & (buckets - 1)) >> shift;
        let mut start = vec![0usize; (1usize << (bits - shift)) + 1];
        for &h in &hashes {
            start[group(h) + 1] += 1;
        }
        for g in 1..start.len() {
            start[g] += start[g - 1];
        }
        let mut order = vec![0 as NodeId; hashes.len()];
        for (k, &h) in hashes.iter().enumerate() {
            let g = group(h);
            order[start[g]] = (from + k) as NodeId;
            start[g] += 1;
        }
        for id in order {
            let h = hashes[id as usize - from];
            self.index.insert_unique(h, id, hasher);
        }
        self.indexed = n;
    }

    /// The node for `owner`, created with its missing ancestors (empty non-terminals).
    fn node_for(&mut self, owner: Name) -> NodeId {
        // Records of one owner usually follow each other: no lookup for those.
        if let Some(last) = self.nodes.last() {
            if last.name.wire() == owner.wire() {
                return (self.nodes.len() - 1) as NodeId;
            }
        }
        let parent_is_apex =
            name::parent(owner.wire()).is_some_and(|p| p.len() == self.origin.len());
        if parent_is_apex && self.indexed <= SORTED_RUN_MAX_INDEXED {
            match self.in_sorted_run(owner.wire()) {
                RunPos::Found(id) => return id,
                RunPos::After => {
                    // Not in the run; the indexed nodes are few here, so this probe is cheap.
                    if let Some(id) = self.find(owner.wire()) {
                        return id;
                    }
                    let id = self.nodes.len() as NodeId;
                    self.push_node(owner, (0, 0));
                    return id;
                }
                RunPos::Missing => {}
            }
        }
        self.flush();
        let h = hash_name(owner.wire());
        let nodes = &self.nodes;
        let entry = self.index.entry(
            h,
            |&i| {
                nodes[i as usize]
                    .name
                    .wire()
                    .eq_ignore_ascii_case(owner.wire())
            },
            |&i| hash_name(nodes[i as usize].name.wire()),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => return *e.get(),
            // A new child of the apex: one probe finds and inserts.
            hashbrown::hash_table::Entry::Vacant(v) if parent_is_apex => {
                let id = self.nodes.len() as NodeId;
                v.insert(id);
                self.push_node(owner, (0, 0));
                self.indexed = self.nodes.len();
                return id;
            }
            hashbrown::hash_table::Entry::Vacant(_) => {}
        }
        // Create missing ancestors first, so parents precede children.
        let mut missing: Vec<&[u8]> = Vec::new();
        let mut cur = name::parent(owner.wire());
        while let Some(p) = cur {
            if p.len() <= self.origin.len() || self.find(p).is_some() {
                break;
            }
            missing.push(p);
            cur = name::parent(p);
        }
        let missing: Vec<Name> = missing
            .into_iter()
            .rev()
            .map(Name::from_wire_unchecked)
            .collect();
        for p in missing {
            self.insert(p, (0, 0));
        }
        self.insert_hashed(owner, h, (0, 0))
    }

    /// Starts a new run of records (the owner changed).
    fn new_run(&mut self) {
        self.run_sets.clear();
        self.run_added.clear();
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        id: NodeId,
        rtype: u16,
        ttl: u32,
        rd: &[u8],
        at: (u16, u32),
        deferred: &mut Vec<(u16, u32, String)>,
    ) {
        let idx = id as usize;
        if self.first_line[idx] == (0, 0) {
            self.first_line[idx] = at;
        }
        // RRSIGs form one RRset per covered type, as in BIND (each with its own TTL).
        let covered = covered_type(rtype, rd);
        let same = |s: &RRset| {
            s.rtype == rtype
                && (covered.is_none()
                    || s.rdatas().next().and_then(|r| covered_type(rtype, r)) == covered)
        };
        // The node's RRsets are edited as a Vec and frozen again below: no copy (capacity ==
        // length), and exact-size allocations (a zone holds millions of one-record RRsets).
        let mut sets = std::mem::take(&mut self.nodes[idx].rrsets).into_vec();
        let pos = match sets.iter().position(same) {
            Some(p) => p,
            None => {
                sets.reserve_exact(1);
                sets.push(RRset {
                    rtype,
                    ttl,
                    count: 0,
                    rdata: Box::new([]),
                    fast: None,
                });
                sets.len() - 1
            }
        };
        self.add_to(&mut sets[pos], idx, pos, rtype, ttl, rd, at, deferred);
        self.nodes[idx].rrsets = sets.into_boxed_slice();
    }

    #[allow(clippy::too_many_arguments)]
    fn add_to(
        &mut self,
        set: &mut RRset,
        idx: usize,
        pos: usize,
        rtype: u16,
        ttl: u32,
        rd: &[u8],
        at: (u16, u32),
        deferred: &mut Vec<(u16, u32, String)>,
    ) {
        let id = idx as NodeId;
        let in_run = self.run_sets.contains(&(id, pos));
        if in_run {
            // Within one run BIND keeps the first TTL and warns.
            if ttl != set.ttl {
                deferred.push((
                    at.0,
                    at.1,
                    format!(
                        "TTL set to prior TTL ({}) for {} {}",
                        set.ttl,
                        self.nodes[idx].name,
                        rdata::type_name(rtype)
                    ),
                ));
            }
        } else {
            // A later run merges into the RRset, whose TTL becomes the new one (BIND's
            // rbtdb merge keeps the TTL of the rdataset being added).
            self.run_sets.push((id, pos));
            set.ttl = ttl;
        }
        if let Some(off) = find_rdata(set, rtype, rd) {
            // Duplicates: within a run the later spelling replaces the earlier one (BIND
            // keeps the last of equal RDATA when it builds the RRset); what an earlier run
            // added stays as it is.
            if in_run && self.run_added.contains(&(id, pos, off)) {
                set.rdata[off..off + rd.len()].copy_from_slice(rd);
            }
            return;
        }
        if set.count == u16::MAX || set.rdata.len() + rd.len() + 2 > 16 * 1024 * 1024 {
            return;
        }
        let mut data = Vec::with_capacity(set.rdata.len() + 2 + rd.len());
        data.extend_from_slice(&set.rdata);
        data.extend_from_slice(&(rd.len() as u16).to_be_bytes());
        self.run_added.push((id, pos, data.len()));
        data.extend_from_slice(rd);
        set.rdata = data.into_boxed_slice();
        set.count += 1;
        self.count += 1;
    }
}

/// Offset of RDATA equal to `rd` (as [`rdata_eq`] defines it) inside `set`.
fn find_rdata(set: &RRset, rtype: u16, rd: &[u8]) -> Option<usize> {
    let mut off = 0;
    for r in set.rdatas() {
        off += 2;
        if r.len() == rd.len() && rdata_eq(rtype, r, rd) {
            return Some(off);
        }
        off += r.len();
    }
    None
}

/// The type an RRSIG covers (its RRset key besides the owner), `None` for other types.
fn covered_type(rtype: u16, rd: &[u8]) -> Option<u16> {
    (rtype == rdata::RRSIG).then(|| rd.get(..2).map_or(0, |b| u16::from_be_bytes([b[0], b[1]])))
}

/// RDATA equality as DNS defines it: names compared case-insensitively for the types whose
/// RDATA names are canonicalized (RFC 4034 6.2), bytes otherwise.
fn rdata_eq(rtype: u16, a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match rtype {
        2..=9 | 12 | 14 | 15 | 17 | 18 | 21 | 24 | 26 | 33 | 35 | 36 | 39 => {
            a.eq_ignore_ascii_case(b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zonefile::{parse_str, Options};
    use std::path::Path;

    pub fn zone(text: &str, origin: &str) -> Zone {
        let o = Name::from_ascii(origin).unwrap();
        let p = parse_str(
            text.as_bytes(),
            Path::new("t.zone"),
            &Options::new(o.clone()),
        );
        let mut w = Vec::new();
        build(&o, p, &mut w).unwrap()
    }

    fn n(s: &str) -> Vec<u8> {
        Name::from_ascii(s).unwrap().wire().to_vec()
    }

    const Z: &str = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 1.1.1.1\na.b.c A 1.1.1.2\n*.w A 1.1.1.3\nsub NS ns.sub\nns.sub A 1.1.1.4\n";

    #[test]
    fn lookups() {
        let z = zone(Z, "ex.");
        assert!(matches!(z.lookup(&n("ns.ex.")), Lookup::Exact(_)));
        assert!(matches!(z.lookup(&n("NS.EX.")), Lookup::Exact(_)));
        // empty non-terminals exist
        assert!(matches!(z.lookup(&n("b.c.ex.")), Lookup::Exact(_)));
        assert!(matches!(
            z.lookup(&n("x.ex.")),
            Lookup::NoName {
                encloser: 0,
                wildcard: None
            }
        ));
        match z.lookup(&n("x.y.w.ex.")) {
            Lookup::NoName {
                wildcard: Some(w), ..
            } => assert_eq!(z.node(w).name.to_string(), "*.w.ex."),
            other => panic!("{other:?}"),
        }
        for q in ["sub.ex.", "ns.sub.ex.", "deep.x.sub.ex."] {
            match z.lookup(&n(q)) {
                Lookup::Delegation(c) => assert_eq!(z.node(c).name.to_string(), "sub.ex."),
                other => panic!("{q}: {other:?}"),
            }
        }
        assert_eq!(z.serial, 1);
        assert_eq!(z.records, 7);
        assert_eq!(z.negative_ttl(), 5);
    }

    #[test]
    fn checks() {
        let o = Name::from_ascii("ex.").unwrap();
        let p = parse_str(
            b"$TTL 60\n@ NS ns\nx CNAME y\nx A 1.2.3.4\nout. A 1.2.3.4\n",
            Path::new("t.zone"),
            &Options::new(o.clone()),
        );
        let mut w = Vec::new();
        let e = build(&o, p, &mut w).unwrap_err();
        let msgs: Vec<String> = e.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "t.zone:3: x.ex.: CNAME and other data",
                "t.zone: zone ex.: has no SOA record"
            ]
        );
        assert!(w
            .iter()
            .any(|d| d.to_string() == "t.zone:5: ignoring out-of-zone data (out.)"));
    }

    #[test]
    fn duplicates_removed() {
        let z = zone(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\n@ NS NS\nns A 1.1.1.1\nns A 1.1.1.1\n",
            "ex.",
        );
        assert_eq!(z.records, 3);
    }

    /// Sorted runs of apex children are indexed late; names that come back later (in another
    /// case, out of order, after a deeper name) must still land in their first node.
    #[test]
    fn sorted_runs_and_late_repeats() {
        let mut text = String::from("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 1.1.1.1\n");
        for i in 0..5000 {
            text.push_str(&format!("h{i:05} A 10.0.{}.{}\n", i / 250, i % 250));
        }
        text.push_str("H00007 TXT \"again, upper case\"\n"); // back inside the run
        text.push_str("a.deep TXT \"deeper name flushes the run\"\n");
        text.push_str("h04999 AAAA ::1\nh00000 MX 10 ns\nzzz A 9.9.9.9\nH00001 A 10.0.0.1\n");
        let z = zone(&text, "ex.");
        let node = |n: &str| {
            z.node(
                z.find(&Name::from_ascii(n).unwrap().wire().to_ascii_lowercase())
                    .unwrap(),
            )
        };
        assert_eq!(node("h00007.ex.").rrsets.len(), 2);
        assert_eq!(node("h04999.ex.").rrsets.len(), 2);
        assert_eq!(node("h00000.ex.").rrsets.len(), 2);
        assert_eq!(
            node("h00001.ex.").rrset(1).map(|r| r.count),
            Some(1),
            "duplicate A merged"
        );
        assert!(
            z.find(b"\x04deep\x02ex\x00").is_some(),
            "empty non-terminal"
        );
        // apex, ns, 5000 hosts, deep, a.deep, zzz
        assert_eq!(z.nodes.len(), 1 + 1 + 5000 + 2 + 1);
        for (i, n) in z.nodes.iter().enumerate() {
            assert_eq!(z.find(n.name.wire()), Some(i as NodeId), "{}", n.name);
        }
    }

    #[test]
    fn case_fold_mask() {
        for s in ["ABCDEFGH", "Z@[`az{~", "\u{7f}aAzZ019"] {
            let b = s.as_bytes();
            let mut v = [0u8; 8];
            v[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
            let got = (u64::from_le_bytes(v) | upper_mask(u64::from_le_bytes(v))).to_le_bytes();
            assert_eq!(got, v.map(|c| c.to_ascii_lowercase()), "{s}");
        }
        assert_eq!(
            hash_name(b"\x08LHMASTER\x05LIHUI\x00"),
            hash_name(b"\x08lhmaster\x05lihui\x00")
        );
    }
}

/// `build()`'s checks, each asserting the exact `path:line: message` reported.
#[cfg(test)]
mod build_checks {
    use super::*;
    use crate::zonefile::{parse_str, Options};
    use std::path::Path;

    const HEAD: &str = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";

    fn try_build(text: &str) -> (Result<Zone, Vec<String>>, Vec<String>) {
        let o = Name::from_ascii("ex.").unwrap();
        let p = parse_str(text.as_bytes(), Path::new("z.db"), &Options::new(o.clone()));
        let mut w = Vec::new();
        let r = build(&o, p, &mut w).map_err(|e| e.errors.iter().map(|d| d.to_string()).collect());
        (r, w.iter().map(|d| d.to_string()).collect())
    }

    #[track_caller]
    fn rejects(text: &str, want: &[&str]) {
        match try_build(text).0 {
            Ok(_) => panic!("accepted: {text:?}"),
            Err(e) => assert_eq!(e, want, "{text:?}"),
        }
    }

    #[track_caller]
    fn accepts(text: &str) -> Zone {
        match try_build(text).0 {
            Ok(z) => z,
            Err(e) => panic!("rejected {text:?}: {e:?}"),
        }
    }

    fn ttl_of(z: &Zone, name: &str, rtype: u16) -> (u32, u16) {
        let w = Name::from_ascii(name).unwrap();
        let s = z.rrset_at(w.wire(), rtype).unwrap();
        (s.ttl, s.count)
    }

    #[test]
    fn soa_and_apex_ns() {
        rejects(
            "$TTL 60\n@ NS ns.other.\n",
            &["z.db: zone ex.: has no SOA record"],
        );
        rejects(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n",
            &["z.db: zone ex.: has no NS records"],
        );
        rejects(
            &format!("{HEAD}@ SOA ns h 2 2 3 4 5\n"),
            &["z.db:2: ex.: multiple RRs of singleton type (SOA)"],
        );
        rejects(
            &format!("{HEAD}sub SOA ns h 1 2 3 4 5\n"),
            &["z.db:5: sub.ex.: SOA record not at top of zone"],
        );
        rejects(
            &format!("{HEAD}@ DS 1 8 2 {}\n", "00".repeat(32)),
            &["z.db:2: DS record at top of zone (ex.)"],
        );
    }

    #[test]
    fn apex_ns_targets() {
        rejects(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\n@ NS ns2\nns2 TXT x\n",
            &[
                "z.db:3: NS 'ns.ex' has no address records (A or AAAA)",
                "z.db:4: NS 'ns2.ex' has no address records (A or AAAA)",
            ],
        );
        rejects(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns CNAME x.\n",
            &["z.db:3: NS 'ns.ex' is a CNAME (illegal)"],
        );
        rejects(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.d\nd DNAME x.\nns.d A 1.2.3.4\n",
            &["z.db:3: NS 'ns.d.ex' is below a DNAME 'd.ex' (illegal)"],
        );
        // Out-of-zone targets, glue below a delegation, AAAA-only and wildcard-matched
        // targets are all fine.
        accepts("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.other.\n");
        accepts("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.sub\nsub NS ns.sub\n");
        accepts("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns AAAA ::1\n");
        accepts("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns.w\n*.w A 1.2.3.4\n");
    }

    #[test]
    fn cname_and_singletons() {
        rejects(
            &format!("{HEAD}x CNAME y\nx A 1.2.3.4\n"),
            &["z.db:5: x.ex.: CNAME and other data"],
        );
        rejects(
            &format!("{HEAD}x CNAME y\nx CNAME z\n"),
            &["z.db:5: x.ex.: multiple RRs of singleton type (CNAME)"],
        );
        rejects(
            &format!("{HEAD}x DNAME y\nx DNAME z\n"),
            &["z.db:5: x.ex.: multiple RRs of singleton type (DNAME)"],
        );
        // CNAME may sit with its DNSSEC records.
        accepts(&format!("{HEAD}x CNAME y\nx NSEC z A\n"));
    }

    #[test]
    fn cds_and_cdnskey_need_a_dnskey_of_their_algorithm() {
        let key = "AwEAAQ==";
        rejects(
            &format!("{HEAD}@ CDS 1 8 2 {}\n", "00".repeat(32)),
            &["z.db:2: zone ex.: CDS/CDNSKEY consistency checks failed"],
        );
        rejects(
            &format!("{HEAD}@ DNSKEY 257 3 8 {key}\n@ CDNSKEY 257 3 13 {key}\n"),
            &["z.db:2: zone ex.: CDS/CDNSKEY consistency checks failed"],
        );
        rejects(
            &format!(
                "{HEAD}@ DNSKEY 257 3 8 {key}\n@ CDS 0 0 0 00\n@ CDS 1 8 2 {}\n",
                "00".repeat(32)
            ),
            &["z.db:2: zone ex.: CDS/CDNSKEY consistency checks failed"],
        );
        accepts(&format!(
            "{HEAD}@ DNSKEY 257 3 8 {key}\n@ CDNSKEY 257 3 8 {key}\n@ CDS 1 8 2 {}\n",
            "00".repeat(32)
        ));
        accepts(&format!("{HEAD}@ CDS 0 0 0 00\n@ CDNSKEY 0 3 0 AA==\n"));
    }

    #[test]
    fn out_of_zone_data_is_ignored_with_a_warning() {
        let (z, w) = try_build(&format!("{HEAD}other. A 1.2.3.4\n"));
        assert_eq!(z.unwrap().records, 3);
        assert_eq!(w, ["z.db:5: ignoring out-of-zone data (other.)"]);
    }

    #[test]
    fn ttls_of_runs_and_merges() {
        // Within a run the first TTL wins (with a warning); a later run sets the TTL.
        let (z, w) = try_build(&format!(
            "{HEAD}a 10 A 1.1.1.1\na 20 A 1.1.1.2\nb A 1.1.1.3\na 30 A 1.1.1.4\n"
        ));
        let z = z.unwrap();
        assert_eq!(ttl_of(&z, "a.ex.", rdata::A), (30, 3));
        assert_eq!(w, ["z.db:6: TTL set to prior TTL (10) for a.ex. A"]);
        // RRSIGs are one RRset per covered type.
        let z = accepts(&format!(
            "{HEAD}a 10 RRSIG A 8 2 10 20300101000000 20200101000000 1 ex. AAAA\na 20 RRSIG TXT 8 2 20 20300101000000 20200101000000 1 ex. AAAA\n"
        ));
        let n = z.node(z.find(Name::from_ascii("a.ex.").unwrap().wire()).unwrap());
        let ttls: Vec<u32> = n.rrsets.iter().map(|s| s.ttl).collect();
        assert_eq!(ttls, [10, 20]);
    }

    #[test]
    fn duplicates_keep_the_later_spelling_within_a_run() {
        let z = accepts(&format!(
            "{HEAD}m MX 1 A.ex.\nm MX 1 a.ex.\nn MX 1 B.ex.\nN MX 1 b.ex.\n"
        ));
        let show = |name: &str| {
            let s = z
                .rrset_at(Name::from_ascii(name).unwrap().wire(), rdata::MX)
                .unwrap();
            let mut t = String::new();
            rdata::write_rdata(rdata::MX, s.rdatas().next().unwrap(), &mut t);
            (s.count, t)
        };
        assert_eq!(show("m.ex."), (1, "1 a.ex.".to_string()));
        // `N` starts a new run (the owner is written differently): the first spelling stays.
        assert_eq!(show("n.ex."), (1, "1 B.ex.".to_string()));
    }
}
