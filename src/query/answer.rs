//! The answer pipeline (RFC 1034 4.3.2, RFC 2308, RFC 4592, RFC 6891), in NSD's named steps:
//! `respond` -> zone for the name -> `lookup` -> answer | delegation | nodata | nxdomain, CNAME
//! chains followed across our zones, then additional-section processing and EDNS, written
//! straight into the response buffer. Positive answers the zone pre-encoded at load time are
//! copied instead of rendered (`preencode`), and give the same bytes.

use crate::dns::name;
use crate::dns::rdata::{self, ANY, CNAME, DS, NS, SOA};
use crate::dns::wire::{
    self, hf, rcode, Edns, Full, Owner, Query, Reject, Writer, HEADER, OPT_LEN,
};
use crate::store::ZoneSet;
use crate::zone::{flag, Lookup, Node, NodeId, RRset, Zone};

/// Largest UDP response we send whatever the client offers (BIND 9.18, NSD, Knot default).
pub const MAX_UDP: usize = 1232;
/// UDP size without EDNS.
pub const MIN_UDP: usize = 512;
/// The payload size we advertise in OPT.
pub const OUR_PAYLOAD: u16 = 1232;
/// Most CNAMEs followed for one query: BIND 9.18 restarts a query at most 11 times and answers
/// SERVFAIL (with the chain so far) when the 12th CNAME would need following.
pub const MAX_RESTARTS: usize = 11;
/// RRsets with more records than this get no additional-section processing (BIND 9.18,
/// `DNS_RDATASET_MAXADDITIONAL`).
const MAX_ADDITIONAL: u16 = 13;
/// Largest pre-encoded answer kept per RRset.
const MAX_FAST: usize = MAX_UDP;
const CLASS_IN: u16 = 1;

/// Where the query came from: the transport decides the size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// Options for the answer path (tests turn the pre-encoded path off to compare).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub use_fast: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { use_fast: true }
    }
}

/// Answers one packet: writes the response into `out` and returns its length, or `None` when
/// the packet deserves no answer (a response, or too short to carry an ID).
pub fn respond(
    set: &ZoneSet,
    packet: &[u8],
    out: &mut [u8],
    transport: Transport,
    opts: Options,
) -> Option<usize> {
    let q = match wire::parse_query(packet) {
        Ok(q) => q,
        Err(Reject::Drop) => return None,
        Err(Reject::Error {
            id,
            flags,
            rcode,
            question,
            edns,
        }) => {
            return Some(error_response(out, id, flags, rcode, question, edns));
        }
    };
    let limit = match (transport, q.edns) {
        (Transport::Tcp, _) => 65535,
        (Transport::Udp, Some(e)) => (e.payload as usize).clamp(MIN_UDP, MAX_UDP),
        (Transport::Udp, None) => MIN_UDP,
    };
    if let Some(e) = q.edns {
        if e.version > 0 {
            return Some(simple(out, &q, limit, 0, (rcode::BADVERS >> 4) as u8));
        }
    }
    if q.qclass != CLASS_IN {
        return Some(simple(out, &q, limit, rcode::REFUSED, 0));
    }
    match q.qtype {
        rdata::OPT => return Some(simple(out, &q, limit, rcode::FORMERR, 0)),
        rdata::AXFR | rdata::IXFR => return Some(simple(out, &q, limit, rcode::REFUSED, 0)),
        _ => {}
    }
    // Look names up in lower case: hashing and comparing against the (usually lower-case)
    // zone data is then mostly plain byte equality. The question is echoed from the packet.
    let mut lower = [0u8; name::MAX_NAME];
    let n = q.qname.len().min(name::MAX_NAME);
    for (d, c) in lower[..n].iter_mut().zip(q.qname) {
        *d = c.to_ascii_lowercase();
    }
    let q = Query {
        qname: &lower[..n],
        ..q
    };
    let Some(zone) = set.find(q.qname) else {
        return Some(simple(out, &q, limit, rcode::REFUSED, 0));
    };
    let first = zone.lookup(q.qname);
    if opts.use_fast && q.rd() {
        if let Lookup::Exact(id) = first {
            if let Some(n) = fast_answer_at(zone, id, &q, out, limit) {
                return Some(n);
            }
        }
    }
    let mut r = Resp::new(set, q, out, limit, transport);
    r.answer(zone, first);
    Some(r.finish())
}

/// The pre-encoded path: an exact match whose answer is the RRset alone. RRsets with
/// compressible names carry the answer rendered at load time; the others (A, AAAA, TXT, ...)
/// are context-free, so their stored `rdlength | rdata` entries are copied behind a fixed
/// 10-byte prefix. Both give the bytes the general path writes.
#[inline]
pub fn fast_answer(zone: &Zone, q: &Query<'_>, out: &mut [u8], limit: usize) -> Option<usize> {
    let Lookup::Exact(id) = zone.lookup(q.qname) else {
        return None;
    };
    fast_answer_at(zone, id, q, out, limit)
}

/// [`fast_answer`] for a name already looked up.
#[inline]
fn fast_answer_at(
    zone: &Zone,
    id: NodeId,
    q: &Query<'_>,
    out: &mut [u8],
    limit: usize,
) -> Option<usize> {
    let node = zone.node(id);
    if node.flags & (flag::CUT | flag::BELOW_CUT | flag::CNAME) != 0 {
        return None;
    }
    let set = node.rrset(q.qtype)?;
    let blob = set.fast.as_deref();
    if blob.is_none() && !is_plain(set.rtype) {
        return None;
    }
    let body = blob.map_or(set.rdata.len() + 10 * set.count as usize, <[u8]>::len);
    let qlen = q.question.len() - HEADER;
    let opt = if q.edns.is_some() { OPT_LEN } else { 0 };
    let total = HEADER + qlen + body + opt;
    if total > limit || total > out.len() {
        return None;
    }
    let flags = hf::QR | hf::AA | (q.flags & (hf::RD | hf::CD | 0x7800));
    out[0..2].copy_from_slice(&q.id.to_be_bytes());
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    out[4..6].copy_from_slice(&1u16.to_be_bytes());
    out[6..8].copy_from_slice(&set.count.to_be_bytes());
    out[8..10].copy_from_slice(&0u16.to_be_bytes());
    out[10..12].copy_from_slice(&(q.edns.is_some() as u16).to_be_bytes());
    out[HEADER..HEADER + qlen].copy_from_slice(&q.question[HEADER..]);
    let mut at = HEADER + qlen;
    match blob {
        Some(b) => {
            out[at..at + b.len()].copy_from_slice(b);
            at += b.len();
        }
        None => {
            let t = set.rtype.to_be_bytes();
            let ttl = set.ttl.to_be_bytes();
            let prefix = [
                0xc0,
                HEADER as u8,
                t[0],
                t[1],
                0,
                1,
                ttl[0],
                ttl[1],
                ttl[2],
                ttl[3],
            ];
            for rd in set.rdatas() {
                let n = rd.len();
                out[at..at + 10].copy_from_slice(&prefix);
                out[at + 10..at + 12].copy_from_slice(&(n as u16).to_be_bytes());
                out[at + 12..at + 12 + n].copy_from_slice(rd);
                at += 12 + n;
            }
        }
    }
    if let Some(e) = q.edns {
        let d = if e.dnssec_ok { 0x80 } else { 0 };
        let p = OUR_PAYLOAD.to_be_bytes();
        out[at..at + OPT_LEN].copy_from_slice(&[0, 0, 41, p[0], p[1], 0, 0, d, 0, 0, 0]);
        at += OPT_LEN;
    }
    Some(at)
}

/// Types whose answer RRs are the stored RDATA behind a fixed prefix: no name to compress, no
/// additional-section processing, and not DS (answered from the parent zone at an apex).
fn is_plain(rtype: u16) -> bool {
    rtype != DS
        && rdata::compressible_fields(rtype).is_none()
        && rdata::info(rtype).is_none_or(|t| t.additional.is_none())
}

/// Renders, at load time, the answer section each RRset gives when it is the whole answer:
/// positive exact matches of types without additional-section processing, outside delegations.
pub fn preencode(zone: &mut Zone) {
    let mut buf = vec![0u8; 2048];
    for node in zone.nodes.iter_mut() {
        if node.flags & (flag::CUT | flag::BELOW_CUT | flag::CNAME) != 0 {
            continue;
        }
        let name = node.name.clone();
        for set in node.rrsets.iter_mut() {
            // Types with additional-section processing, CNAMEs (chains) and DS (answered from
            // the parent zone at an apex) always take the general path.
            if rdata::info(set.rtype).is_some_and(|t| t.additional.is_some())
                || set.rtype == CNAME
                || set.rtype == DS
                || is_plain(set.rtype)
            {
                continue;
            }
            let mut w = Writer::new(&mut buf, 2048);
            let qstart = HEADER;
            if w.put(&[0; HEADER]).is_err()
                || w.put(name.wire()).is_err()
                || w.put(&[0; 4]).is_err()
            {
                continue;
            }
            w.remember_name(qstart);
            let start = w.len;
            if put_rrset(&mut w, Owner::Pointer(HEADER as u16), set, None).is_err() {
                continue;
            }
            let blob = &w.bytes()[start..];
            if blob.len() <= MAX_FAST {
                set.fast = Some(blob.into());
            }
        }
    }
}

/// Writes every record of an RRset; `ttl` overrides the RRset's TTL (negative answers).
fn put_rrset(
    w: &mut Writer<'_>,
    owner: Owner<'_>,
    set: &RRset,
    ttl: Option<u32>,
) -> Result<(), Full> {
    let ttl = ttl.unwrap_or(set.ttl);
    for rd in set.rdatas() {
        w.put_rr(owner, set.rtype, CLASS_IN, ttl, rd)?;
    }
    Ok(())
}

fn header(out: &mut [u8], id: u16, flags: u16, counts: [u16; 4]) {
    out[0..2].copy_from_slice(&id.to_be_bytes());
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    for (i, c) in counts.iter().enumerate() {
        out[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
    }
}

/// Flags of a response to a query with `qflags`: opcode, RD and CD copied.
fn response_flags(qflags: u16, rc: u8) -> u16 {
    hf::QR | (qflags & (0x7800 | hf::RD | hf::CD)) | (rc as u16 & 0xf)
}

/// A response carrying only the question (and OPT): REFUSED, FORMERR, BADVERS.
fn simple(out: &mut [u8], q: &Query<'_>, limit: usize, rc: u8, ext: u8) -> usize {
    let mut w = Writer::new(out, limit.max(HEADER + q.question.len()));
    let _ = w.put(q.question);
    if let Some(e) = q.edns {
        let _ = w.put_opt(OUR_PAYLOAD, ext, e.dnssec_ok);
    }
    let n = w.len;
    header(
        out,
        q.id,
        response_flags(q.flags, rc),
        [1, 0, 0, q.edns.is_some() as u16],
    );
    n
}

fn error_response(
    out: &mut [u8],
    id: u16,
    flags: u16,
    rc: u8,
    question: Option<&[u8]>,
    edns: Option<Edns>,
) -> usize {
    let mut w = Writer::new(out, MIN_UDP.max(question.map_or(0, |q| q.len()) + OPT_LEN));
    let _ = w.put(&[0; HEADER]);
    if let Some(q) = question {
        let _ = w.put(&q[HEADER..]);
    }
    if let Some(e) = edns {
        let _ = w.put_opt(OUR_PAYLOAD, 0, e.dnssec_ok);
    }
    let n = w.len;
    header(
        out,
        id,
        response_flags(flags, rc),
        [question.is_some() as u16, 0, 0, edns.is_some() as u16],
    );
    n
}

const ANSWER: usize = 0;
const AUTHORITY: usize = 1;
const ADDITIONAL: usize = 2;
/// RRsets remembered for additional processing and duplicate suppression.
const MAX_TRACK: usize = 32;

/// An RRset whose target names get addresses in the additional section, looked up in `zone`
/// only (BIND does not look in other zones): authoritative data, or glue for referrals.
#[derive(Clone, Copy)]
struct Pending<'a> {
    set: &'a RRset,
    zone: &'a Zone,
    glue_only: bool,
}

/// A response under construction.
struct Resp<'a, 'b> {
    set: &'a ZoneSet,
    q: Query<'a>,
    w: Writer<'b>,
    counts: [u16; 3],
    aa: bool,
    tc: bool,
    rcode: u8,
    /// BIND answers UDP queries whose EDNS payload is 512 or less minimally: no authority or
    /// additional records in positive answers.
    minimal: bool,
    /// RRsets already in the message (by address), for duplicate suppression.
    added: [*const RRset; MAX_TRACK],
    nadded: usize,
    /// RRsets whose target names need additional-section addresses.
    pending: [Option<Pending<'a>>; MAX_TRACK],
    npending: usize,
}

impl<'a, 'b> Resp<'a, 'b> {
    fn new(
        set: &'a ZoneSet,
        q: Query<'a>,
        out: &'b mut [u8],
        limit: usize,
        transport: Transport,
    ) -> Self {
        let reserve = if q.edns.is_some() { OPT_LEN } else { 0 };
        let mut w = Writer::new(out, limit.saturating_sub(reserve).max(q.question.len()));
        // The question always fits: the limit is at least 512 and queries fit in 512 on UDP;
        // on TCP the limit is 65535.
        let _ = w.put(q.question);
        w.remember_name(HEADER);
        let minimal =
            transport == Transport::Udp && q.edns.is_some_and(|e| e.payload as usize <= MIN_UDP);
        Resp {
            set,
            q,
            w,
            counts: [0; 3],
            aa: true,
            tc: false,
            rcode: rcode::NOERROR,
            minimal,
            added: [std::ptr::null(); MAX_TRACK],
            nadded: 0,
            pending: [None; MAX_TRACK],
            npending: 0,
        }
    }

    fn is_added(&self, set: &RRset) -> bool {
        self.added[..self.nadded].contains(&(set as *const RRset))
    }

    /// Adds an RRset to a section. When it does not fit in the answer or authority section the
    /// response is truncated: the records that fit stay (BIND without EDNS; `finish` empties
    /// the sections when EDNS is on). An additional-section RRset that does not fit is left out.
    fn add(&mut self, section: usize, owner: Owner<'_>, set: &'a RRset, ttl: Option<u32>) -> bool {
        if self.tc || self.is_added(set) {
            return false;
        }
        let mark = self.w.len;
        let ttl = ttl.unwrap_or(set.ttl);
        let mut n = 0u16;
        for rd in set.rdatas() {
            let at = self.w.len;
            if self.w.put_rr(owner, set.rtype, CLASS_IN, ttl, rd).is_err() {
                self.w.truncate(at);
                if section == ADDITIONAL {
                    self.w.truncate(mark);
                } else {
                    self.tc = true;
                    self.counts[section] += n;
                }
                return false;
            }
            n += 1;
        }
        self.counts[section] += n;
        if self.nadded < MAX_TRACK {
            self.added[self.nadded] = set;
            self.nadded += 1;
        }
        true
    }

    /// Asks for addresses of the targets of `set` (NS, MX, SRV) from `zone`. BIND skips
    /// RRsets of more than 13 records (`DNS_RDATASET_MAXADDITIONAL`).
    fn want_additional(&mut self, set: &'a RRset, zone: &'a Zone, glue_only: bool) {
        if set.count > MAX_ADDITIONAL
            || self.npending == MAX_TRACK
            || rdata::info(set.rtype).is_none_or(|t| t.additional.is_none())
        {
            return;
        }
        self.pending[self.npending] = Some(Pending {
            set,
            zone,
            glue_only,
        });
        self.npending += 1;
    }

    /// Adds an answer-section RRset of a positive answer; its targets get additional addresses
    /// unless the query is for ANY or the response is minimal.
    fn add_answer(&mut self, zone: &'a Zone, owner: Owner<'_>, set: &'a RRset) -> bool {
        if !self.add(ANSWER, owner, set, None) {
            return false;
        }
        if self.q.qtype != ANY && !self.minimal {
            self.want_additional(set, zone, false);
        }
        true
    }

    /// RFC 1034 4.3.2 from step 3 on, for the zone holding the query name.
    fn answer(&mut self, first: &'a Zone, first_lookup: Lookup) {
        let mut first_lookup = Some(first_lookup);
        let qtype = self.q.qtype;
        let mut cur: &'a [u8] = self.q.qname;
        let mut zone = first;
        // DS records live in the parent: at the apex of a zone whose parent zone we also serve,
        // answer from the parent (BIND looks DS up with DNS_GETDB_NOEXACT).
        if qtype == DS && cur.len() == first.origin.len() {
            if let Some(parent) = name::parent(cur).and_then(|p| self.set.find(p)) {
                zone = parent;
            }
        }
        let mut owner_is_question = true;
        for hop in 0..=MAX_RESTARTS {
            // BIND follows a CNAME only while the target stays in the zone the query started
            // in; elsewhere the answer is the chain so far.
            if hop > 0 && !self.set.find(cur).is_some_and(|z| std::ptr::eq(z, zone)) {
                return;
            }
            let owner = if owner_is_question {
                Owner::Pointer(HEADER as u16)
            } else {
                Owner::Name(cur)
            };
            let lookup = match first_lookup.take() {
                Some(l) if std::ptr::eq(zone, first) => l,
                _ => zone.lookup(cur),
            };
            let node = match lookup {
                Lookup::Delegation(cut) => {
                    let cutnode = zone.node(cut);
                    if qtype == DS && cutnode.name.wire().eq_ignore_ascii_case(cur) {
                        cutnode
                    } else {
                        self.referral(zone, cutnode, hop == 0);
                        return;
                    }
                }
                Lookup::Exact(id) => zone.node(id),
                Lookup::NoName {
                    wildcard: Some(w), ..
                } => zone.node(w),
                Lookup::NoName { wildcard: None, .. } => {
                    self.rcode = rcode::NXDOMAIN;
                    self.negative(zone);
                    return;
                }
            };
            match self.at_node(zone, node, owner) {
                Some(_) if hop == MAX_RESTARTS => {
                    // Too many CNAMEs: BIND gives up with SERVFAIL, keeping the chain.
                    self.rcode = rcode::SERVFAIL;
                    return;
                }
                Some(target) => {
                    cur = target;
                    owner_is_question = false;
                }
                None => return,
            }
        }
    }

    /// Answers from one node; returns the CNAME target to follow, if any.
    fn at_node(&mut self, zone: &'a Zone, node: &'a Node, owner: Owner<'_>) -> Option<&'a [u8]> {
        let qtype = self.q.qtype;
        if qtype == ANY {
            if node.rrsets.is_empty() {
                self.negative(zone);
                return None;
            }
            for set in node.rrsets.iter() {
                self.add_answer(zone, owner, set);
            }
            self.positive(zone);
            return None;
        }
        if let Some(set) = node.rrset(qtype) {
            self.add_answer(zone, owner, set);
            // DS at a delegation point: BIND adds no NS to the authority section.
            if !node.has(flag::CUT) {
                self.positive(zone);
            }
            return None;
        }
        if let Some(c) = node.rrset(CNAME) {
            if self.is_added(c) {
                // A loop: BIND restarts until its limit, then answers SERVFAIL with the chain.
                self.rcode = rcode::SERVFAIL;
                return None;
            }
            if !self.add(ANSWER, owner, c, None) {
                return None;
            }
            return c.rdatas().next();
        }
        self.negative(zone);
        None
    }

    /// Authority for positive answers: BIND's default (`minimal-responses no-auth-recursive`)
    /// adds the zone's NS RRset only when recursion was not desired.
    fn positive(&mut self, zone: &'a Zone) {
        if self.q.rd() || self.minimal {
            return;
        }
        if let Some(ns) = zone.apex().rrset(NS) {
            if self.add(AUTHORITY, Owner::Name(zone.apex().name.wire()), ns, None)
                && self.q.qtype != ANY
            {
                self.want_additional(ns, zone, false);
            }
        }
    }

    /// NXDOMAIN and NODATA: the SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308 section 3).
    /// NXDOMAIN answers to SOA queries carry TTL 0, so that finding a name's zone with a stub
    /// resolver caches nothing (BIND's `zero-no-soa-ttl yes`).
    fn negative(&mut self, zone: &'a Zone) {
        if let Some(soa) = zone.apex().rrset(SOA) {
            let ttl = if self.rcode == rcode::NXDOMAIN && self.q.qtype == SOA {
                0
            } else {
                zone.negative_ttl()
            };
            self.add(
                AUTHORITY,
                Owner::Name(zone.apex().name.wire()),
                soa,
                Some(ttl),
            );
        }
    }

    /// A referral: the cut's NS RRset in authority, glue in additional, AA clear.
    fn referral(&mut self, zone: &'a Zone, cut: &'a Node, first_hop: bool) {
        if first_hop {
            self.aa = false;
        }
        if let Some(ns) = cut.rrset(NS) {
            if self.add(AUTHORITY, Owner::Name(cut.name.wire()), ns, None) {
                self.want_additional(ns, zone, true);
            }
        }
    }

    /// Addresses for the targets of NS, MX and SRV records in the answer and authority, from
    /// the zone that holds those records: its authoritative data (wildcards included), or for
    /// referrals its glue. Every A RRset goes before every AAAA RRset, as BIND renders them, so
    /// a full message keeps the IPv4 addresses.
    fn additional(&mut self) {
        for t in [rdata::A, rdata::AAAA] {
            for i in 0..self.npending {
                let Some(p) = self.pending[i] else {
                    continue;
                };
                for rd in p.set.rdatas() {
                    if let Some((owner, addr)) = additional_rrset(p, rd, t) {
                        self.add(ADDITIONAL, Owner::Name(owner), addr, None);
                    }
                }
            }
        }
    }

    fn finish(mut self) -> usize {
        let edns = self.q.edns;
        if !self.tc {
            self.additional();
        } else if edns.is_some() {
            // BIND sends a truncated EDNS response with the question only.
            self.w.truncate(self.q.question.len());
            self.counts = [0; 3];
        }
        if let Some(e) = edns {
            let lim = self.w.limit() + OPT_LEN;
            self.w.set_limit(lim);
            let _ = self.w.put_opt(OUR_PAYLOAD, 0, e.dnssec_ok);
        }
        let mut flags = response_flags(self.q.flags, self.rcode);
        if self.aa {
            flags |= hf::AA;
        }
        if self.tc {
            flags |= hf::TC;
        }
        let n = self.w.len;
        let counts = [
            1,
            self.counts[0],
            self.counts[1],
            self.counts[2] + edns.is_some() as u16,
        ];
        header(self.w.bytes_mut(), self.q.id, flags, counts);
        n
    }
}

/// The `rtype` (A or AAAA) RRset for the target name in `rd` of a pending RRset, with the
/// owner to write it under.
fn additional_rrset<'a>(p: Pending<'a>, rd: &'a [u8], rtype: u16) -> Option<(&'a [u8], &'a RRset)> {
    let target = rdata::additional_name(p.set.rtype, rd)?;
    if !name::is_subdomain(target, p.zone.origin.wire()) {
        return None;
    }
    let (node, owner) = match (p.zone.lookup(target), p.glue_only) {
        (Lookup::Exact(id), false) => {
            let n = p.zone.node(id);
            (n, n.name.wire())
        }
        (
            Lookup::NoName {
                wildcard: Some(w), ..
            },
            false,
        ) => (p.zone.node(w), target),
        (Lookup::Delegation(_), true) => {
            let n = p.zone.node(p.zone.find(target)?);
            (n, n.name.wire())
        }
        _ => return None,
    };
    Some((owner, node.rrset(rtype)?))
}
