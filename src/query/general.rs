//! The general answer path (RFC 1034 4.3.2, RFC 2308, RFC 4592), in NSD's named steps: from
//! the zone holding the name, `lookup` -> answer | delegation | nodata | nxdomain, CNAME
//! chains followed within the zone, then additional-section processing and EDNS, written
//! straight into the response buffer.

use crate::dns::name;
use crate::dns::rdata::{self, ANY, CNAME, DNAME, DS, NS, SOA};
use crate::dns::wire::{hf, rcode, Owner, Query, Writer, HEADER, OPT_LEN};
use crate::query::respond::{header, response_flags};
use crate::query::{Minimal, RequestCtx, Transport, CLASS_IN, MAX_RESTARTS, MIN_UDP, OUR_PAYLOAD};
use crate::store::ZoneSet;
use crate::zone::{flag, Lookup, Node, RRset, Zone};

mod dnssec;
mod nsec3;

/// RRsets with more records than this get no additional-section processing (BIND 9.18,
/// `DNS_RDATASET_MAXADDITIONAL`).
const MAX_ADDITIONAL: u16 = 13;

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
pub(super) struct Resp<'a, 'b> {
    set: &'a ZoneSet,
    q: Query<'a>,
    w: Writer<'b>,
    counts: [u16; 3],
    aa: bool,
    tc: bool,
    rcode: u8,
    /// No authority or additional records in positive answers: `minimal_responses = "yes"`
    /// (but for NS queries), or (as BIND answers them) a UDP query whose EDNS payload is 512 or
    /// less.
    minimal: bool,
    /// Which optional records positive answers carry otherwise (`minimal_responses`).
    mode: Minimal,
    /// ANY over UDP gets one RRset (RFC 8482 section 4.2, as NSD and Knot answer); over TCP all.
    any_one: bool,
    /// RRsets already in the message, by owner name and RRset (address), for duplicate
    /// suppression: a wildcard gives a separate RRset for each name it synthesizes (RFC 4592
    /// section 3.3.1), so the owner counts, not only the source RRset.
    added: [(*const RRset, &'a [u8]); MAX_TRACK],
    nadded: usize,
    /// RRsets whose target names need additional-section addresses.
    pending: [Option<Pending<'a>>; MAX_TRACK],
    npending: usize,
    /// Room for the names DNAME substitution makes, one per restart (empty for zones
    /// without DNAME).
    names: &'a mut [[u8; name::MAX_NAME]],
    /// Names a wildcard CNAME answered, whose NSEC proofs go in the authority section once the
    /// answer section is complete.
    wild_cnames: [Option<(&'a Zone, &'a Node, &'a [u8])>; MAX_RESTARTS + 1],
}

/// Answers from the general path into `out`; returns the response's length.
pub(super) fn answer(
    set: &ZoneSet,
    q: Query<'_>,
    out: &mut [u8],
    limit: usize,
    ctx: &RequestCtx,
    zone: &Zone,
    first: Lookup,
) -> usize {
    let how = (ctx.transport, ctx.access.minimal);
    if zone.has_dname {
        let mut names = [[0u8; name::MAX_NAME]; MAX_RESTARTS + 1];
        let mut r = Resp::new(set, q, out, limit, how, &mut names);
        r.answer(zone, first);
        r.finish()
    } else {
        let mut r = Resp::new(set, q, out, limit, how, &mut []);
        r.answer(zone, first);
        r.finish()
    }
}

impl<'a, 'b> Resp<'a, 'b> {
    pub(super) fn new(
        set: &'a ZoneSet,
        q: Query<'a>,
        out: &'b mut [u8],
        limit: usize,
        (transport, mode): (Transport, Minimal),
        names: &'a mut [[u8; name::MAX_NAME]],
    ) -> Self {
        let reserve = if q.edns.is_some() { OPT_LEN } else { 0 };
        let mut w = Writer::new(out, limit.saturating_sub(reserve).max(q.question.len()));
        // The question always fits: the limit is at least 512 and queries fit in 512 on UDP;
        // on TCP the limit is 65535.
        let _ = w.put(q.question);
        w.remember_name(HEADER);
        // `yes` keeps the addresses of an NS query's answer (BIND 9.18 does).
        let minimal = (!mode.additional() && q.qtype != NS)
            || (transport == Transport::Udp
                && q.edns.is_some_and(|e| e.payload as usize <= MIN_UDP));
        Resp {
            set,
            q,
            w,
            counts: [0; 3],
            aa: true,
            tc: false,
            rcode: rcode::NOERROR,
            minimal,
            mode,
            any_one: transport == Transport::Udp,
            added: [(std::ptr::null(), &[]); MAX_TRACK],
            nadded: 0,
            pending: [None; MAX_TRACK],
            npending: 0,
            names,
            wild_cnames: [None; MAX_RESTARTS + 1],
        }
    }

    /// The wire name an owner stands for (a pointer is always to the question name).
    fn owner_name(&self, owner: Owner<'a>) -> &'a [u8] {
        match owner {
            Owner::Pointer(_) => self.q.qname,
            Owner::Name(n) => n,
        }
    }

    fn is_added(&self, set: &RRset, owner: Owner<'a>) -> bool {
        let name = self.owner_name(owner);
        self.added[..self.nadded]
            .iter()
            .any(|&(s, n)| std::ptr::eq(s, set) && n.eq_ignore_ascii_case(name))
    }

    /// Adds an RRset to a section. When it does not fit in the answer or authority section the
    /// response is truncated: the records that fit stay (BIND without EDNS; `finish` empties
    /// the sections when EDNS is on). An additional-section RRset that does not fit is left out.
    fn add(&mut self, section: usize, owner: Owner<'a>, set: &'a RRset, ttl: Option<u32>) -> bool {
        if self.tc || self.is_added(set, owner) {
            return false;
        }
        self.put_set(section, owner, set, ttl)
    }

    /// [`Resp::add`] without the duplicate check (an RRSIG goes with its RRset wherever the
    /// RRset goes, even when the query for RRSIG put it in the answer already).
    fn put_set(
        &mut self,
        section: usize,
        owner: Owner<'a>,
        set: &'a RRset,
        ttl: Option<u32>,
    ) -> bool {
        if self.tc {
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
        self.track(set, owner);
        true
    }

    fn track(&mut self, set: &'a RRset, owner: Owner<'a>) {
        if self.nadded < MAX_TRACK {
            self.added[self.nadded] = (set, self.owner_name(owner));
            self.nadded += 1;
        }
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
    fn add_answer(
        &mut self,
        zone: &'a Zone,
        owner: Owner<'a>,
        node: &'a Node,
        set: &'a RRset,
    ) -> bool {
        if !self.add_signed(zone, ANSWER, owner, node, set, None) {
            return false;
        }
        if self.q.qtype != ANY && !self.minimal {
            self.want_additional(set, zone, false);
        }
        true
    }

    /// RFC 1034 4.3.2 from step 3 on, for the zone holding the query name.
    pub(super) fn answer(&mut self, first: &'a Zone, first_lookup: Lookup) {
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
                Lookup::Dname(d) => {
                    let next = self.dname(zone, zone.node(d), cur, owner);
                    match self.follow(next, hop) {
                        Some(t) => {
                            cur = t;
                            owner_is_question = false;
                            continue;
                        }
                        None => return,
                    }
                }
                Lookup::Delegation(cut) => {
                    let cutnode = zone.node(cut);
                    // DS and NSEC at a delegation point are the parent's data.
                    let parent_side = qtype == DS
                        || (qtype == rdata::NSEC && cutnode.rrset(rdata::NSEC).is_some());
                    if parent_side && cutnode.name.wire().eq_ignore_ascii_case(cur) {
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
                Lookup::NoName {
                    wildcard: None,
                    encloser,
                } => {
                    self.rcode = rcode::NXDOMAIN;
                    self.negative(zone);
                    self.prove_no_name(zone, cur, zone.node(encloser));
                    return;
                }
            };
            let next = self.at_node(zone, node, owner);
            match self.follow(next, hop) {
                Some(t) => {
                    cur = t;
                    owner_is_question = false;
                }
                None => return,
            }
        }
    }

    /// The name to restart at after a CNAME or DNAME, within the restart limit.
    fn follow(&mut self, next: Option<&'a [u8]>, hop: usize) -> Option<&'a [u8]> {
        if next.is_some() && hop == MAX_RESTARTS {
            // Too many CNAMEs: BIND gives up with SERVFAIL, keeping the chain.
            self.rcode = rcode::SERVFAIL;
            return None;
        }
        next
    }

    /// Answers from one node; returns the CNAME target to follow, if any.
    fn at_node(&mut self, zone: &'a Zone, node: &'a Node, owner: Owner<'a>) -> Option<&'a [u8]> {
        let qtype = self.q.qtype;
        let name = self.owner_name(owner);
        if qtype == rdata::RRSIG {
            // Every signature at the name (stored one RRset per covered type), as BIND.
            let mut any = false;
            for set in node.rrsets.iter().filter(|s| s.rtype == rdata::RRSIG) {
                any |= self.add(ANSWER, owner, set, None);
            }
            if any {
                self.positive(zone);
                self.prove_wildcard(zone, node, name);
            } else {
                self.negative(zone);
                self.prove_no_data(zone, node, name);
            }
            return None;
        }
        if qtype == ANY {
            if node.rrsets.is_empty() {
                self.negative(zone);
                self.prove_no_data(zone, node, name);
                return None;
            }
            // Over UDP one RRset (RFC 8482): the first at the node, which keeps the answer
            // small and a reflection attack unrewarding; a client wanting all asks over TCP.
            let take = if self.any_one { 1 } else { node.rrsets.len() };
            for set in node.rrsets.iter().take(take) {
                self.add_answer(zone, owner, node, set);
            }
            self.positive(zone);
            self.prove_wildcard(zone, node, name);
            return None;
        }
        if let Some(set) = node.rrset(qtype) {
            self.add_answer(zone, owner, node, set);
            // DS at a delegation point and DNSKEY: BIND adds no NS to the authority section.
            if !(node.has(flag::CUT) && qtype == DS) && qtype != rdata::DNSKEY {
                self.positive(zone);
            }
            self.prove_wildcard(zone, node, name);
            return None;
        }
        // NSEC is not chased through a CNAME (BIND answers NODATA in NSEC3 zones).
        if let Some(c) = node.rrset(CNAME).filter(|_| qtype != rdata::NSEC) {
            if self.is_added(c, owner) {
                // A loop: BIND restarts until its limit, then answers SERVFAIL with the chain.
                self.rcode = rcode::SERVFAIL;
                return None;
            }
            if !self.add_signed(zone, ANSWER, owner, node, c, None) {
                return None;
            }
            if dnssec::synthesized(node, name) {
                if let Some(slot) = self.wild_cnames.iter_mut().find(|s| s.is_none()) {
                    *slot = Some((zone, node, name));
                }
            }
            return c.rdatas().next();
        }
        self.negative(zone);
        self.prove_no_data(zone, node, name);
        None
    }

    /// RFC 6672 section 3, for `cur` strictly below the DNAME at `dnode`: the DNAME RRset,
    /// then a CNAME synthesized from it (owner the name asked, TTL the DNAME's) to the
    /// substituted name, which is returned to restart at. YXDOMAIN when that name is too long.
    fn dname(
        &mut self,
        zone: &'a Zone,
        dnode: &'a Node,
        cur: &'a [u8],
        owner: Owner<'a>,
    ) -> Option<&'a [u8]> {
        let set = dnode.rrset(DNAME)?;
        let target = set.rdatas().next()?;
        let downer = Owner::Name(dnode.name.wire());
        if self.add(ANSWER, downer, set, None) {
            // BIND compresses later names against the (uncompressed) DNAME target.
            self.w.remember_name(self.w.len - target.len());
            if let Some(sig) = dnode.rrsig(DNAME).filter(|_| self.signs(zone)) {
                self.add(ANSWER, downer, sig, None);
            }
        }
        if self.tc {
            return None;
        }
        let keep = cur.len().checked_sub(dnode.name.len())?;
        let total = keep + target.len();
        if total > name::MAX_NAME {
            self.rcode = rcode::YXDOMAIN;
            return None;
        }
        // The synthesized CNAME is tracked as the DNAME RRset under the name asked.
        if self.is_added(set, owner) {
            // A loop: as for CNAMEs, SERVFAIL with the chain so far.
            self.rcode = rcode::SERVFAIL;
            return None;
        }
        let Some((buf, rest)) = std::mem::take(&mut self.names).split_first_mut() else {
            self.rcode = rcode::SERVFAIL;
            return None;
        };
        self.names = rest;
        buf[..keep].copy_from_slice(&cur[..keep]);
        buf[keep..total].copy_from_slice(target);
        let new: &'a [u8] = &buf[..total];
        let at = self.w.len;
        if self.w.put_rr(owner, CNAME, CLASS_IN, set.ttl, new).is_err() {
            self.w.truncate(at);
            self.tc = true;
            return None;
        }
        self.counts[ANSWER] += 1;
        self.track(set, owner);
        if matches!(self.q.qtype, CNAME | ANY) {
            // The synthesized CNAME answers these: no restart (as for a CNAME at the name).
            self.positive(zone);
            return None;
        }
        Some(new)
    }

    /// Authority for positive answers: the zone's NS RRset as `minimal_responses` says (BIND's
    /// default, `no-auth-recursive`: only when recursion was not desired).
    fn positive(&mut self, zone: &'a Zone) {
        if self.minimal || !self.mode.authority(self.q.rd()) {
            return;
        }
        let apex = zone.apex();
        if let Some(ns) = apex.rrset(NS) {
            if self.add_signed(
                zone,
                AUTHORITY,
                Owner::Name(apex.name.wire()),
                apex,
                ns,
                None,
            ) && self.q.qtype != ANY
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
            let apex = zone.apex();
            self.add_signed(
                zone,
                AUTHORITY,
                Owner::Name(apex.name.wire()),
                apex,
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
        self.prove_delegation(zone, cut);
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
                    if let Some((owner, node, addr)) = additional_rrset(p, rd, t) {
                        // Authoritative addresses go with their RRSIGs; glue has none.
                        self.add_signed(p.zone, ADDITIONAL, Owner::Name(owner), node, addr, None);
                    }
                }
            }
        }
    }

    pub(super) fn finish(mut self) -> usize {
        let edns = self.q.edns;
        for i in 0..self.wild_cnames.len() {
            if let Some((zone, node, name)) = self.wild_cnames[i] {
                self.prove_wildcard(zone, node, name);
            }
        }
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
fn additional_rrset<'a>(
    p: Pending<'a>,
    rd: &'a [u8],
    rtype: u16,
) -> Option<(&'a [u8], &'a Node, &'a RRset)> {
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
    Some((owner, node, node.rrset(rtype)?))
}
