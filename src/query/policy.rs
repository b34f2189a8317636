//! The policy hook: the one place where a request is judged by who sent it and how, before it
//! is answered. ACLs (`allow-query`, a prefix table built at config time), response-rate
//! limiting, metrics and transfer permissions plug in here. Runs per packet: no allocation,
//! no lock.

use crate::dns::wire::Query;
use crate::query::RequestCtx;

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
