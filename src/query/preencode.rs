//! Pre-encoding, at load time: the answer section each RRset gives when it is the whole answer
//! (positive exact matches outside delegations, types without additional-section processing),
//! rendered once so the fast path only copies it.

use crate::dns::rdata::{self, CNAME, DS};
use crate::dns::wire::{Full, Owner, Writer, HEADER};
use crate::query::fast::is_plain;
use crate::query::{CLASS_IN, MAX_UDP};
use crate::zone::{flag, RRset, Zone};

/// Largest pre-encoded answer kept per RRset.
const MAX_FAST: usize = MAX_UDP;

/// Renders, at load time, the answer section each RRset gives when it is the whole answer:
/// positive exact matches of types without additional-section processing, outside delegations.
pub(super) fn preencode(zone: &mut Zone) {
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
