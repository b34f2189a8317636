//! The policy hook: the one place where a request is judged by who sent it and how, before it
//! is answered. ACLs, response-rate limiting, metrics and transfer permissions plug in here;
//! today every request is answered. Runs per packet: no allocation, no lock.

use crate::dns::wire::Query;
use crate::query::RequestCtx;

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Answer it from the zones.
    Answer,
}

/// Judges one parsed request.
#[inline]
pub(super) fn admit(_ctx: &RequestCtx, _q: &Query<'_>) -> Verdict {
    Verdict::Answer
}
