//! The answer pipeline (RFC 1034 4.3.2, RFC 2308, RFC 4592, RFC 6891), in NSD's named steps:
//! `respond` -> zone for the name -> `lookup` -> answer | delegation | nodata | nxdomain, CNAME
//! chains followed across our zones, then additional-section processing and EDNS, written
//! straight into the response buffer. Positive answers the zone pre-encoded at load time are
//! copied instead of rendered (`preencode`), and give the same bytes.

use crate::rdata::{self, ANY, CNAME, DS, NS, SOA};
use crate::store::ZoneSet;
use crate::wire::{self, hf, rcode, Edns, Full, Owner, Query, Reject, Writer, HEADER, OPT_LEN};
use crate::zone::{flag, Lookup, Node, RRset, Zone};

/// Largest UDP response we send whatever the client offers (BIND 9.18, NSD, Knot default).
pub const MAX_UDP: usize = 1232;
/// UDP size without EDNS.
pub const MIN_UDP: usize = 512;
/// The payload size we advertise in OPT.
pub const OUR_PAYLOAD: u16 = 1232;
/// Most CNAMEs followed for one query.
pub const MAX_CHAIN: usize = 16;
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
    let Some(zone) = set.find(q.qname) else {
        return Some(simple(out, &q, limit, rcode::REFUSED, 0));
    };
    if opts.use_fast && q.rd() {
        if let Some(n) = fast_answer(zone, &q, out, limit) {
            return Some(n);
        }
    }
    let mut r = Resp::new(set, q, out, limit);
    r.answer(zone);
    Some(r.finish())
}

/// The pre-encoded path: an exact match whose answer is the RRset alone. RRsets with
/// compressible names carry the answer rendered at load time; the others (A, AAAA, TXT, ...)
/// are context-free, so their stored `rdlength | rdata` entries are copied behind a fixed
/// 10-byte prefix. Both give the bytes the general path writes.
#[inline]
fn fast_answer(zone: &Zone, q: &Query<'_>, out: &mut [u8], limit: usize) -> Option<usize> {
    let Lookup::Exact(id) = zone.lookup(q.qname) else {
        return None;
    };
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
            let mut rest: &[u8] = &set.rdata;
            while rest.len() >= 2 {
                let n = 2 + u16::from_be_bytes([rest[0], rest[1]]) as usize;
                let Some(entry) = rest.get(..n) else { break };
                out[at..at + 10].copy_from_slice(&prefix);
                out[at + 10..at + 10 + n].copy_from_slice(entry);
                at += 10 + n;
                rest = &rest[n..];
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

/// Types whose answer RRs are the stored RDATA behind a fixed prefix: no name to compress and
/// no additional-section processing.
fn is_plain(rtype: u16) -> bool {
    rdata::compressible_fields(rtype).is_none()
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
            if rdata::info(set.rtype).is_some_and(|t| t.additional.is_some()) || set.rtype == CNAME
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

/// A response under construction.
struct Resp<'a, 'b> {
    set: &'a ZoneSet,
    q: Query<'a>,
    w: Writer<'b>,
    counts: [u16; 3],
    aa: bool,
    tc: bool,
    rcode: u8,
    /// RRsets already in the message (by address), for duplicate suppression.
    added: [*const RRset; MAX_TRACK],
    nadded: usize,
    /// RRsets whose target names need additional-section addresses.
    needs_additional: [Option<&'a RRset>; MAX_TRACK],
    nneeds: usize,
}

impl<'a, 'b> Resp<'a, 'b> {
    fn new(set: &'a ZoneSet, q: Query<'a>, out: &'b mut [u8], limit: usize) -> Self {
        let reserve = if q.edns.is_some() { OPT_LEN } else { 0 };
        let mut w = Writer::new(out, limit.saturating_sub(reserve).max(q.question.len()));
        // The question always fits: the limit is at least 512 and queries fit in 512 on UDP;
        // on TCP the limit is 65535.
        let _ = w.put(q.question);
        w.remember_name(HEADER);
        Resp {
            set,
            q,
            w,
            counts: [0; 3],
            aa: true,
            tc: false,
            rcode: rcode::NOERROR,
            added: [std::ptr::null(); MAX_TRACK],
            nadded: 0,
            needs_additional: [None; MAX_TRACK],
            nneeds: 0,
        }
    }

    fn is_added(&self, set: &RRset) -> bool {
        self.added[..self.nadded].contains(&(set as *const RRset))
    }

    /// Adds a whole RRset to a section; on overflow the RRset is dropped and, for the answer
    /// and authority sections, the response is marked truncated.
    fn add(&mut self, section: usize, owner: Owner<'_>, set: &'a RRset, ttl: Option<u32>) -> bool {
        if self.tc || self.is_added(set) {
            return false;
        }
        let mark = self.w.len;
        if put_rrset(&mut self.w, owner, set, ttl).is_err() {
            self.w.truncate(mark);
            if section != ADDITIONAL {
                self.tc = true;
            }
            return false;
        }
        self.counts[section] += set.count;
        if self.nadded < MAX_TRACK {
            self.added[self.nadded] = set;
            self.nadded += 1;
        }
        if section != ADDITIONAL
            && rdata::info(set.rtype).is_some_and(|t| t.additional.is_some())
            && self.nneeds < MAX_TRACK
        {
            self.needs_additional[self.nneeds] = Some(set);
            self.nneeds += 1;
        }
        true
    }

    /// RFC 1034 4.3.2 from step 3 on, for the zone holding the query name.
    fn answer(&mut self, first: &'a Zone) {
        let qtype = self.q.qtype;
        let mut cur: &'a [u8] = self.q.qname;
        let mut owner_is_question = true;
        let mut zone = first;
        for hop in 0..=MAX_CHAIN {
            if hop > 0 {
                match self.set.find(cur) {
                    Some(z) => zone = z,
                    // The chain leaves our zones: the answer is the chain so far.
                    None => return,
                }
            }
            let owner = if owner_is_question {
                Owner::Pointer(HEADER as u16)
            } else {
                Owner::Name(cur)
            };
            let node = match zone.lookup(cur) {
                Lookup::Delegation(cut) => {
                    let cutnode = zone.node(cut);
                    if qtype == DS && cutnode.name.wire().eq_ignore_ascii_case(cur) {
                        cutnode
                    } else {
                        self.referral(cutnode, hop == 0);
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
                self.add(ANSWER, owner, set, None);
            }
            self.positive(zone);
            return None;
        }
        if let Some(set) = node.rrset(qtype) {
            self.add(ANSWER, owner, set, None);
            self.positive(zone);
            return None;
        }
        if let Some(c) = node.rrset(CNAME) {
            if self.is_added(c) {
                // A loop: the chain came back to a name already answered.
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
        if !self.q.rd() {
            if let Some(ns) = zone.apex().rrset(NS) {
                self.add(AUTHORITY, Owner::Name(zone.apex().name.wire()), ns, None);
            }
        }
    }

    /// NXDOMAIN and NODATA: the SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308 section 3).
    fn negative(&mut self, zone: &'a Zone) {
        if let Some(soa) = zone.apex().rrset(SOA) {
            self.add(
                AUTHORITY,
                Owner::Name(zone.apex().name.wire()),
                soa,
                Some(zone.negative_ttl()),
            );
        }
    }

    /// A referral: the cut's NS RRset in authority, glue in additional, AA clear.
    fn referral(&mut self, cut: &'a Node, first_hop: bool) {
        if first_hop {
            self.aa = false;
        }
        if let Some(ns) = cut.rrset(NS) {
            self.add(AUTHORITY, Owner::Name(cut.name.wire()), ns, None);
        }
    }

    /// Addresses for the targets of NS, MX and SRV records in the answer and authority.
    fn additional(&mut self) {
        for i in 0..self.nneeds {
            let Some(set) = self.needs_additional[i] else {
                continue;
            };
            for rd in set.rdatas() {
                let Some(target) = rdata::additional_name(set.rtype, rd) else {
                    continue;
                };
                let Some(zone) = self.set.find(target) else {
                    continue;
                };
                let Some(id) = zone.find(target) else {
                    continue;
                };
                let node = zone.node(id);
                for t in [rdata::A, rdata::AAAA] {
                    if let Some(addr) = node.rrset(t) {
                        self.add(ADDITIONAL, Owner::Name(node.name.wire()), addr, None);
                    }
                }
            }
        }
    }

    fn finish(mut self) -> usize {
        if !self.tc {
            self.additional();
        }
        let edns = self.q.edns;
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
