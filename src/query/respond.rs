//! One request, from packet to response: parse, the policy hook, the size limit, the refusals
//! (class, EDNS version, meta types, names outside our zones), then the fast path or the
//! general path; and the small responses that carry only the question.

use crate::dns::name;
use crate::dns::rdata;
use crate::dns::wire::{self, hf, rcode, Edns, Query, Reject, Writer, HEADER, OPT_LEN};
use crate::query::fast::fast_answer_at;
use crate::query::general;
use crate::query::policy::{self, Verdict};
use crate::query::service::{self, Service};
use crate::query::{cookie, nsid};
use crate::query::{Minimal, RequestCtx, Transport, CLASS_IN, MAX_UDP, MIN_UDP, OUR_PAYLOAD};
use crate::store::ZoneSet;
use crate::zone::{flag, Lookup};

/// Answers one packet: writes the response into `out` and returns its length, or `None` when
/// the packet deserves no answer (a response, or too short to carry an ID).
#[inline]
pub fn respond(set: &ZoneSet, packet: &[u8], out: &mut [u8], ctx: &RequestCtx) -> Option<usize> {
    respond_via::<true>(set, packet, out, ctx).map(|a| a.len)
}

/// What [`respond_ext`] tells the caller about an answer (for the rate limiter, metrics and
/// the query log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// Length of the response in `out`.
    pub len: usize,
    /// The question's type (0 when the packet could not be parsed that far).
    pub qtype: u16,
    /// Index in `set.zones()` of the zone that answered, or [`NO_ZONE`].
    pub zone: u32,
    /// The client presented a valid server cookie (it cannot be a spoofed address).
    pub cookie_ok: bool,
    /// The query carried an edns-tcp-keepalive option (RFC 7828), as the parser saw it.
    pub keepalive: bool,
}

/// [`Answered::zone`] when no zone answered (refused, malformed).
pub const NO_ZONE: u32 = u32::MAX;

/// [`respond`], also saying which zone answered, the question's type and whether the client
/// proved its address with a server cookie (what the UDP rate limiter exempts).
#[inline]
pub fn respond_ext(
    set: &ZoneSet,
    packet: &[u8],
    out: &mut [u8],
    ctx: &RequestCtx,
) -> Option<Answered> {
    respond_via::<true>(set, packet, out, ctx)
}

/// [`respond`] without the pre-encoded path: what the general path alone answers. For the
/// test that compares the two paths.
#[doc(hidden)]
pub fn respond_general(
    set: &ZoneSet,
    packet: &[u8],
    out: &mut [u8],
    ctx: &RequestCtx,
) -> Option<usize> {
    respond_via::<false>(set, packet, out, ctx).map(|a| a.len)
}

/// Parses, answers, and adds a server cookie when the client sent a client cookie (RFC 7873).
#[inline]
fn respond_via<const FAST: bool>(
    set: &ZoneSet,
    packet: &[u8],
    out: &mut [u8],
    ctx: &RequestCtx,
) -> Option<Answered> {
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
            let len = error_response(out, id, flags, rcode, question, edns);
            return Some(Answered {
                len,
                qtype: 0,
                zone: NO_ZONE,
                cookie_ok: false,
                keepalive: false,
            });
        }
    };
    let qtype = q.qtype;
    let keepalive = q.edns.is_some_and(|e| e.keepalive);
    // The server's identity when asked for and configured (RFC 5001).
    let id = match (q.edns, ctx.access.nsid.as_deref()) {
        (Some(e), Some(id)) if e.nsid && e.version == 0 => Some(id),
        _ => None,
    };
    let nsid_len = id.map_or(0, nsid::reply_len);
    let Some(c) = q.cookie else {
        let (len, zone) = answer::<FAST>(set, q, out, ctx, nsid_len)?;
        return Some(Answered {
            len: with_nsid(out, len, len, id),
            qtype,
            zone,
            cookie_ok: false,
            keepalive,
        });
    };
    // Leave room for the cookie so that it never truncates an answer.
    let (len, zone) = answer::<FAST>(set, q, out, ctx, cookie::REPLY_LEN + nsid_len)?;
    let (ip, now) = (ctx.peer.ip(), cookie::now());
    let with_cookie = cookie::append(out, len, c, ip, now);
    Some(Answered {
        len: with_nsid(out, len, with_cookie, id),
        qtype,
        zone,
        cookie_ok: cookie::valid(c, ip, now),
        keepalive,
    })
}

/// Appends the NSID option to the OPT record that ended the answer (`answered` bytes long
/// before other options were added; `len` now).
fn with_nsid(out: &mut [u8], answered: usize, len: usize, id: Option<&[u8]>) -> usize {
    match id {
        Some(id) => nsid::append(out, answered.saturating_sub(OPT_LEN), len, id),
        None => len,
    }
}

/// Answers a parsed query in at most the transport's limit less `reserve` bytes; returns the
/// length and the index of the zone that answered ([`NO_ZONE`] for none).
#[inline]
fn answer<const FAST: bool>(
    set: &ZoneSet,
    q: Query<'_>,
    out: &mut [u8],
    ctx: &RequestCtx,
    reserve: usize,
) -> Option<(usize, u32)> {
    let limit = match (ctx.transport, q.edns) {
        (Transport::Tcp | Transport::Dot | Transport::Doh, _) => 65535,
        (Transport::Udp, Some(e)) => (e.payload as usize).clamp(MIN_UDP, MAX_UDP),
        (Transport::Udp, None) => MIN_UDP,
    } - reserve;
    // With zones that have an `allow_query` of their own, who may ask is judged once the zone
    // is known (below); otherwise here, before anything else.
    let per_zone = !ctx.access.zones.is_empty();
    if !per_zone && policy::admit(ctx, &q) == Verdict::Refuse {
        return Some((simple(out, &q, limit, rcode::REFUSED, 0), NO_ZONE));
    }
    if let Some(e) = q.edns {
        if e.version > 0 {
            let n = simple(out, &q, limit, 0, (rcode::BADVERS >> 4) as u8);
            return Some((n, NO_ZONE));
        }
    }
    if q.qclass != CLASS_IN {
        return Some((simple(out, &q, limit, rcode::REFUSED, 0), NO_ZONE));
    }
    match q.qtype {
        rdata::OPT => return Some((simple(out, &q, limit, rcode::FORMERR, 0), NO_ZONE)),
        rdata::AXFR | rdata::IXFR => {
            return Some((simple(out, &q, limit, rcode::REFUSED, 0), NO_ZONE))
        }
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
    if set.is_servfail(q.qname) {
        if per_zone && policy::admit(ctx, &q) == Verdict::Refuse {
            return Some((simple(out, &q, limit, rcode::REFUSED, 0), NO_ZONE));
        }
        // A secondary zone past its expire time, or not transferred yet (RFC 1035).
        return Some((simple(out, &q, limit, rcode::SERVFAIL, 0), NO_ZONE));
    }
    let Some(zi) = set.find_index(q.qname) else {
        return Some((simple(out, &q, limit, rcode::REFUSED, 0), NO_ZONE));
    };
    let zone = &set.zones()[zi as usize];
    if per_zone && policy::admit_zone(ctx, zone) == Verdict::Refuse {
        return Some((simple(out, &q, limit, rcode::REFUSED, 0), NO_ZONE));
    }
    let first = zone.lookup(q.qname);
    if let Lookup::Exact(id) = first {
        if zone.node(id).flags & flag::SERVICE != 0 {
            match service::answer(set, zi, id, &q, out, limit) {
                Some(Service::Written(n)) => return Some((n, zi)),
                Some(Service::Servfail) => {
                    return Some((simple(out, &q, limit, rcode::SERVFAIL, 0), zi))
                }
                None => {}
            }
        }
    }
    // Pre-encoded answers carry additional addresses and no authority (what an RD query gets
    // by default).
    let shaped = matches!(
        ctx.access.minimal,
        Minimal::NoAuthRecursive | Minimal::NoAuth
    );
    if FAST && q.rd() && shaped {
        if let Lookup::Exact(id) = first {
            if let Some(n) = fast_answer_at(zone, id, &q, out, limit) {
                return Some((n, zi));
            }
        }
    }
    let n = general::answer(set, q, out, limit, ctx, zone, first);
    Some((n, zi))
}

pub(super) fn header(out: &mut [u8], id: u16, flags: u16, counts: [u16; 4]) {
    out[0..2].copy_from_slice(&id.to_be_bytes());
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    for (i, c) in counts.iter().enumerate() {
        out[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
    }
}

/// Flags of a response to a query with `qflags`: opcode, RD and CD copied.
pub(super) fn response_flags(qflags: u16, rc: u8) -> u16 {
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
