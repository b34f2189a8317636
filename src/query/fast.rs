//! The pre-encoded fast path: an exact match whose answer is the RRset alone, copied from what
//! `preencode` rendered at load time (or from the stored RDATA for context-free types). It
//! gives the bytes the general path writes, or declines.

use crate::dns::rdata::{self, DS};
use crate::dns::wire::{hf, Edns, Query, HEADER, OPT_LEN};
use crate::query::OUR_PAYLOAD;
use crate::zone::{flag, Lookup, NodeId, RRset, Zone};

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
pub(super) fn fast_answer_at(
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
    // From a signed zone with DO, the RRSIG follows the RRset (its records are context-free:
    // the signer name is never compressed); an unsigned RRset takes the general path.
    // A query for RRSIG gets every signature at the name: the general path.
    if q.qtype == rdata::RRSIG {
        return None;
    }
    let sig = match zone.signed && q.edns.is_some_and(|e| e.dnssec_ok) {
        true => Some(node.rrsig(q.qtype)?),
        false => None,
    };
    let blob = set.fast.as_deref();
    if blob.is_none() && !is_plain(set.rtype) {
        return None;
    }
    let plain_len = |s: &RRset| s.rdata.len() + 10 * s.count as usize;
    let body = blob.map_or(plain_len(set), <[u8]>::len) + sig.map_or(0, plain_len);
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
    let count = set.count + sig.map_or(0, |s| s.count);
    out[6..8].copy_from_slice(&count.to_be_bytes());
    out[8..10].copy_from_slice(&0u16.to_be_bytes());
    out[10..12].copy_from_slice(&(q.edns.is_some() as u16).to_be_bytes());
    out[HEADER..HEADER + qlen].copy_from_slice(&q.question[HEADER..]);
    let mut at = HEADER + qlen;
    match blob {
        Some(b) => {
            out[at..at + b.len()].copy_from_slice(b);
            at += b.len();
        }
        None => at = put_plain(out, at, set),
    }
    if let Some(s) = sig {
        at = put_plain(out, at, s);
    }
    Some(put_opt(out, at, q.edns))
}

/// Writes our OPT record at `at` when the query had EDNS (the DO bit echoed); returns the end.
/// The caller has checked the room (`OPT_LEN`).
#[inline]
pub(super) fn put_opt(out: &mut [u8], at: usize, edns: Option<Edns>) -> usize {
    let Some(e) = edns else { return at };
    let d = if e.dnssec_ok { 0x80 } else { 0 };
    let p = OUR_PAYLOAD.to_be_bytes();
    out[at..at + OPT_LEN].copy_from_slice(&[0, 0, 41, p[0], p[1], 0, 0, d, 0, 0, 0]);
    at + OPT_LEN
}

/// Writes the records of a context-free RRset at `at` (owner: the question name); returns the
/// end. The caller has checked the room.
fn put_plain(out: &mut [u8], mut at: usize, set: &RRset) -> usize {
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
    at
}

/// Types whose answer RRs are the stored RDATA behind a fixed prefix: no name to compress, no
/// additional-section processing, and not DS (answered from the parent zone at an apex).
#[inline]
pub(super) fn is_plain(rtype: u16) -> bool {
    match rtype {
        // The common answers, without a walk of the type table.
        rdata::A | rdata::AAAA | rdata::TXT => true,
        _ => {
            rtype != DS
                && rdata::compressible_fields(rtype).is_none()
                && rdata::info(rtype).is_none_or(|t| t.additional.is_none())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortcut_agrees_with_the_type_table() {
        for t in [rdata::A, rdata::AAAA, rdata::TXT] {
            assert!(rdata::compressible_fields(t).is_none(), "type {t}");
            assert!(
                rdata::info(t).is_none_or(|i| i.additional.is_none()),
                "type {t}"
            );
        }
        assert!(!is_plain(DS));
        assert!(!is_plain(rdata::MX));
    }
}
