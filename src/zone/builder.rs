//! Assembling a [`Zone`] from records as the reader streams them: nodes created with their
//! empty non-terminal ancestors, records merged into RRsets the way BIND's loader batches
//! them, and the sorted-run shortcut that indexes big flat zones in one sweep.

use hashbrown::HashTable;
use rustc_hash::{FxHashMap, FxHashSet};

use super::bigset::{find_rdata, BigSet, BIG_FROM};

use super::checks::{self, ApexNs, FirstLine};
use super::{flag, hash_name, soa_serial, Node, NodeId, RRset, Zone, ZoneErrors};
use crate::dns::name::{self, Name};
use crate::dns::rdata;
use crate::zonefile::{Diag, Parsed, Record};

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

    /// Sets the most records one RRset may hold (more is an error at the first one past).
    pub fn max_rrset(mut self, max: u32) -> ZoneBuilder {
        self.b.max_rrset = max.min(u16::MAX as u32);
        self
    }

    /// Checks the zone as `named-checkzone` does and freezes it.
    pub fn finish(mut self, parsed: Parsed, warnings: &mut Vec<Diag>) -> Result<Zone, ZoneErrors> {
        self.b.flush();
        self.b.unbig();
        let ZoneBuilder {
            origin,
            b,
            apex_ns,
            deferred,
            ..
        } = self;
        let Parsed {
            mut errors,
            warnings: pw,
            files,
            suppressed,
            ..
        } = parsed;
        warnings.extend(pw);
        for (f, line, message) in deferred {
            warnings.push(Diag::in_file(&files, f, line, message));
        }
        let Builder {
            mut nodes,
            index,
            count,
            first_line,
            too_big,
            ..
        } = b;
        for (f, line, message) in too_big {
            errors.push(Diag::in_file(&files, f, line, message));
        }
        checks::check_names(&mut nodes, |id, message| {
            let (f, line) = first_line[id];
            errors.push(Diag::in_file(&files, f, line, message));
        });
        let z = checks::Checked {
            origin: &origin,
            nodes: &nodes,
            index: &index,
            first_line: &first_line,
            files: &files,
            apex_ns: &apex_ns,
        };
        checks::check_zone(&z, &mut errors);
        if !errors.is_empty() {
            return Err(ZoneErrors { errors, suppressed });
        }
        mark_below_cuts_and_wildcards(&origin, &mut nodes, &index);
        let serial = nodes[0]
            .rrset(rdata::SOA)
            .and_then(|s| s.rdatas().next().map(soa_serial))
            .unwrap_or(0);
        let nsec3 = super::nsec3::chain(&nodes, origin.wire());
        Ok(Zone {
            origin,
            class: 1,
            serial,
            records: count,
            files,
            has_dname: nodes.iter().any(|n| n.has(flag::DNAME)),
            signed: super::nsec::is_signed(&nodes),
            nsec_chain: super::nsec::nsec_chain(&nodes),
            nsec3,
            nodes,
            index,
            history: Default::default(),
        })
    }
}

/// Flags names strictly below a delegation point or a DNAME, and the parents of wildcards
/// (CUT and DNAME must be set already).
fn mark_below_cuts_and_wildcards(origin: &Name, nodes: &mut [Node], index: &HashTable<NodeId>) {
    let origin_len = origin.len();
    let mut below = vec![0u8; nodes.len()];
    let mut wild_parent = Vec::new();
    for (id, n) in nodes.iter().enumerate() {
        let w = n.name.wire();
        if w.len() > origin_len && w[0] == 1 && w[1] == b'*' {
            if let Some(p) = name::parent(w) {
                wild_parent.push(p.to_vec());
            }
        }
        // Ancestors up to the apex (a DNAME may sit there; a delegation may not).
        let mut cur = name::parent(w);
        while let Some(p) = cur {
            if p.len() < origin_len || below[id] == flag::BELOW_CUT | flag::BELOW_DNAME {
                break;
            }
            let h = hash_name(p);
            if let Some(&pid) = index.find(h, |&i| {
                nodes[i as usize].name.wire().eq_ignore_ascii_case(p)
            }) {
                let pn = &nodes[pid as usize];
                if pn.has(flag::CUT) && p.len() > origin_len {
                    below[id] |= flag::BELOW_CUT;
                }
                if pn.has(flag::DNAME) {
                    below[id] |= flag::BELOW_DNAME;
                }
            }
            cur = name::parent(p);
        }
    }
    for (n, b) in nodes.iter_mut().zip(below) {
        n.flags |= b;
    }
    for p in wild_parent {
        let h = hash_name(&p);
        if let Some(&pid) = index.find(h, |&i| {
            nodes[i as usize].name.wire().eq_ignore_ascii_case(&p)
        }) {
            nodes[pid as usize].flags |= flag::WILD_CHILD;
        }
    }
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
    first_line: Vec<FirstLine>,
    count: usize,
    /// Consecutive records of one owner form a "run", as BIND's loader batches them before
    /// adding them to the zone: (node, index into its sets) of the RRsets this run touched.
    run_sets: FxHashSet<(NodeId, usize)>,
    /// (node, set index, offset) of the RDATA the current run added.
    run_added: FxHashSet<(NodeId, usize, usize)>,
    /// RRsets of [`BIG_FROM`] records or more, by (node, set index), indexed while built.
    big: FxHashMap<(NodeId, usize), BigSet>,
    /// The most records one RRset may hold.
    max_rrset: u32,
    /// RRsets over the limit, reported once each; and the messages, as (file, line, message).
    over: FxHashSet<(NodeId, usize)>,
    too_big: Vec<(u16, u32, String)>,
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
            run_sets: FxHashSet::default(),
            run_added: FxHashSet::default(),
            big: FxHashMap::default(),
            max_rrset: crate::zonefile::DEFAULT_MAX_RRSET,
            over: FxHashSet::default(),
            too_big: Vec::new(),
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
        // Clearing a hash set costs its capacity: start over after a big run instead.
        if self.run_added.capacity() > 1024 {
            self.run_added = FxHashSet::default();
        } else {
            self.run_added.clear();
        }
        if self.run_sets.capacity() > 1024 {
            self.run_sets = FxHashSet::default();
        } else {
            self.run_sets.clear();
        }
    }

    /// Puts the RDATA of the indexed big RRsets back into their RRsets.
    fn unbig(&mut self) {
        for ((id, pos), b) in std::mem::take(&mut self.big) {
            if let Some(set) = self.nodes[id as usize].rrsets.get_mut(pos) {
                set.rdata = b.data.into_boxed_slice();
            }
        }
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
            self.run_sets.insert((id, pos));
            set.ttl = ttl;
        }
        let key = (id, pos);
        if set.count as usize >= BIG_FROM && !self.big.contains_key(&key) {
            self.big.insert(key, BigSet::new(rtype, &set.rdata));
        }
        let big = self.big.get_mut(&key);
        let found = match &big {
            Some(b) => b.find(rd),
            None => find_rdata(set, rtype, rd),
        };
        if let Some(off) = found {
            // Duplicates: within a run the later spelling replaces the earlier one (BIND
            // keeps the last of equal RDATA when it builds the RRset); what an earlier run
            // added stays as it is.
            if in_run && self.run_added.contains(&(id, pos, off)) {
                let data = match big {
                    Some(b) => &mut b.data[..],
                    None => &mut set.rdata[..],
                };
                data[off..off + rd.len()].copy_from_slice(rd);
            }
            return;
        }
        let len = big.as_ref().map_or(set.rdata.len(), |b| b.data.len());
        if set.count as u32 >= self.max_rrset || len + rd.len() + 2 > MAX_RRSET_BYTES {
            if self.over.insert(key) {
                let mut ty = String::new();
                rdata::type_to_text(rtype, &mut ty);
                self.too_big.push((
                    at.0,
                    at.1,
                    format!(
                        "{} {ty}: RRset over the limit of {} records ({} bytes of RDATA at most); zone rejected",
                        self.nodes[idx].name, self.max_rrset, MAX_RRSET_BYTES
                    ),
                ));
            }
            return;
        }
        let off = match big {
            Some(b) => b.push(rd),
            None => {
                let mut data = Vec::with_capacity(set.rdata.len() + 2 + rd.len());
                data.extend_from_slice(&set.rdata);
                data.extend_from_slice(&(rd.len() as u16).to_be_bytes());
                let off = data.len();
                data.extend_from_slice(rd);
                set.rdata = data.into_boxed_slice();
                off
            }
        };
        self.run_added.insert((id, pos, off));
        set.count += 1;
        self.count += 1;
    }
}

/// The type an RRSIG covers (its RRset key besides the owner), `None` for other types.
pub(super) fn covered_type(rtype: u16, rd: &[u8]) -> Option<u16> {
    (rtype == rdata::RRSIG).then(|| rd.get(..2).map_or(0, |b| u16::from_be_bytes([b[0], b[1]])))
}

/// The most RDATA bytes one RRset may hold, whatever the record limit (a sanity bound: one
/// message carries 64 KiB at most).
const MAX_RRSET_BYTES: usize = 16 * 1024 * 1024;
