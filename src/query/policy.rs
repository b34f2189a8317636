//! The policy hook: the one place where a request is judged by who sent it and how, before it
//! is answered. ACLs (`allow-query`, a prefix table built at config time), response-rate
//! limiting, metrics and transfer permissions plug in here. Runs per packet: no allocation,
//! no lock.

use crate::dns::name;
use crate::dns::rdata;
use crate::dns::wire::{self, Query};
use crate::query::{RequestCtx, CLASS_IN};
use crate::store::ZoneSet;
use crate::zone::Zone;

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Answer it from the zones.
    Answer,
    /// Answer REFUSED (the client is outside `allow-query`, as BIND does).
    Refuse,
}

/// Judges one parsed request.
#[inline]
pub(super) fn admit(ctx: &RequestCtx, _q: &Query<'_>) -> Verdict {
    if ctx.access.query.allows(ctx.peer.ip()) {
        Verdict::Answer
    } else {
        Verdict::Refuse
    }
}

/// Judges a request answered from `zone` when some zones have an `allow_query` of their own:
/// the zone's list, else the global one (BIND's zone `allow-query`). Zone origins are lower
/// case (`zone::build`), as the table's keys are.
#[inline]
pub(super) fn admit_zone(ctx: &RequestCtx, zone: &Zone) -> Verdict {
    let table = ctx
        .access
        .zones
        .get(zone.origin.wire())
        .unwrap_or(&ctx.access.query);
    if table.allows(ctx.peer.ip()) {
        Verdict::Answer
    } else {
        Verdict::Refuse
    }
}

/// Whether our `answer` to `packet` is to be replaced by the forwarder's: it is REFUSED (one
/// byte, checked first), forwarders are configured, and `forwardable` agrees. The one test
/// every transport makes.
#[inline]
pub fn forward_instead(
    set: &ZoneSet,
    packet: &[u8],
    answer: &[u8],
    ctx: &RequestCtx,
    store: &crate::store::Store,
) -> bool {
    answer.len() > 3
        && answer[3] & 0x0f == wire::rcode::REFUSED
        && store.forwarding()
        && forwardable(set, packet, ctx)
}

/// An answer we could not forward after all (the forwarder's queue was full or it did not
/// answer): our REFUSED made SERVFAIL with RA set, in place -- the shape of the forwarder's own
/// SERVFAIL (question and OPT as the query had them), on every transport.
pub fn refused_to_servfail(answer: &mut [u8]) {
    if let Some(b) = answer.get_mut(3) {
        *b = (*b & 0x70) | 0x80 | wire::rcode::SERVFAIL;
    }
}

/// Whether a query that was answered REFUSED may be forwarded instead: a standard IN query
/// with RD set, for a name outside every zone of `set`, from a client allowed to query and
/// in `allow-recursion`. Runs only for REFUSED answers; no allocation.
pub fn forwardable(set: &ZoneSet, packet: &[u8], ctx: &RequestCtx) -> bool {
    let Ok(q) = wire::parse_query(packet) else {
        return false;
    };
    if !q.rd()
        || q.qclass != CLASS_IN
        || matches!(q.qtype, rdata::OPT | rdata::AXFR | rdata::IXFR)
        || !ctx.access.query.allows(ctx.peer.ip())
        || !ctx.access.recursion.allows(ctx.peer.ip())
    {
        return false;
    }
    let mut lower = [0u8; name::MAX_NAME];
    let n = q.qname.len().min(name::MAX_NAME);
    for (d, c) in lower[..n].iter_mut().zip(q.qname) {
        *d = c.to_ascii_lowercase();
    }
    set.find(&lower[..n]).is_none()
}
