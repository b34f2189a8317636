//! Health-checked service names on the query path: `fail_closed` SERVFAIL, and the `weighted`
//! draw (a per-thread xorshift over the set's pre-rendered per-member answers). No allocation,
//! no lock: the answers were rendered when the set was built (`health::overlay`).

use std::cell::Cell;

use crate::dns::rdata::{A, AAAA, ANY};
use crate::dns::wire::{hf, Query, HEADER, OPT_LEN};
use crate::rand::XorShift;

use crate::store::ZoneSet;
use crate::zone::NodeId;

/// What a service name's node asks of `respond`.
pub(super) enum Service {
    /// Answer SERVFAIL (every member down, failing closed).
    Servfail,
    /// The answer is written: its length.
    Written(usize),
}

/// Answers a query at the service name `node` of zone `zi`, or `None` for the usual paths
/// (the name's RRsets are the healthy members).
#[inline]
pub(super) fn answer(
    set: &ZoneSet,
    zi: u32,
    node: NodeId,
    q: &Query<'_>,
    out: &mut [u8],
    limit: usize,
) -> Option<Service> {
    let s = set
        .services()
        .iter()
        .find(|s| s.zone == zi && s.node == node)?;
    if s.servfail && matches!(q.qtype, A | AAAA | ANY) {
        return Some(Service::Servfail);
    }
    let variants = match q.qtype {
        A => &s.a,
        AAAA => &s.aaaa,
        _ => return None,
    };
    let blob = variants.pick(next_random())?;
    write_one(q, out, limit, blob).map(Service::Written)
}

/// Writes a response whose answer section is the one RR `blob` (owner: a pointer to the
/// question), as the fast path writes a pre-encoded RRset.
fn write_one(q: &Query<'_>, out: &mut [u8], limit: usize, blob: &[u8]) -> Option<usize> {
    let qlen = q.question.len() - HEADER;
    let opt = if q.edns.is_some() { OPT_LEN } else { 0 };
    let total = HEADER + qlen + blob.len() + opt;
    if total > limit || total > out.len() {
        return None;
    }
    let flags = hf::QR | hf::AA | (q.flags & (hf::RD | hf::CD | 0x7800));
    out[0..2].copy_from_slice(&q.id.to_be_bytes());
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    out[4..12].copy_from_slice(&[0, 1, 0, 1, 0, 0, 0, q.edns.is_some() as u8]);
    out[HEADER..HEADER + qlen].copy_from_slice(&q.question[HEADER..]);
    let mut at = HEADER + qlen;
    out[at..at + blob.len()].copy_from_slice(blob);
    at += blob.len();
    Some(super::fast::put_opt(out, at, q.edns))
}

thread_local! {
    /// Each worker thread's own generator: no sharing, no lock.
    static RNG: Cell<Option<XorShift>> = const { Cell::new(None) };
}

/// A uniform 64-bit draw from this thread's generator (seeded on first use from the clock
/// and the thread's slot address).
#[inline]
fn next_random() -> u64 {
    RNG.with(|c| {
        let mut g = c.get().unwrap_or_else(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            XorShift::new(t ^ (c as *const _ as u64).rotate_left(32))
        });
        let x = g.next_u64();
        c.set(Some(g));
        x
    })
}
