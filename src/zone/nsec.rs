//! DNSSEC data of a pre-signed zone as the answer logic needs it: the RRSIGs covering an
//! RRset, and the NSEC chain in canonical order (RFC 4034 section 6.1), sorted once at build
//! time so that the NSEC matching or covering a name is a binary search without allocation.

use std::cmp::Ordering;

use crate::dns::name::MAX_NAME;
use crate::dns::rdata::{NSEC, RRSIG};
use crate::zone::{Node, NodeId, RRset, Zone};

const DNSKEY: u16 = 48;

/// Most labels a wire name can have.
const MAX_LABELS: usize = MAX_NAME / 2 + 1;

/// Offsets of the labels of `wire` (root excluded), in order; returns how many.
fn label_offsets(wire: &[u8], out: &mut [u8; MAX_LABELS]) -> usize {
    let mut n = 0;
    let mut at = 0usize;
    while at < wire.len() && wire[at] != 0 && n < MAX_LABELS {
        out[n] = at as u8;
        n += 1;
        at += 1 + wire[at] as usize;
    }
    n
}

/// Canonical DNS name order (RFC 4034 section 6.1): labels compared from the root down, each
/// as lower-cased bytes, a shorter name first when it is a suffix of the other.
fn canonical_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut la, mut lb) = ([0u8; MAX_LABELS], [0u8; MAX_LABELS]);
    let (na, nb) = (label_offsets(a, &mut la), label_offsets(b, &mut lb));
    for i in 1..=na.min(nb) {
        let (pa, pb) = (la[na - i] as usize, lb[nb - i] as usize);
        let xa = a.get(pa + 1..pa + 1 + a[pa] as usize).unwrap_or(&[]);
        let xb = b.get(pb + 1..pb + 1 + b[pb] as usize).unwrap_or(&[]);
        let o = xa
            .iter()
            .map(u8::to_ascii_lowercase)
            .cmp(xb.iter().map(u8::to_ascii_lowercase));
        if o != Ordering::Equal {
            return o;
        }
    }
    na.cmp(&nb)
}

/// Is the zone signed (its apex has a DNSKEY signature)?
pub(super) fn is_signed(nodes: &[Node]) -> bool {
    nodes
        .first()
        .is_some_and(|apex| apex.rrsig(DNSKEY).is_some())
}

/// The nodes holding an NSEC RRset, in canonical order.
pub(super) fn nsec_chain(nodes: &[Node]) -> Box<[NodeId]> {
    let mut ids: Vec<NodeId> = (0..nodes.len() as NodeId)
        .filter(|&i| nodes[i as usize].rrset(NSEC).is_some())
        .collect();
    ids.sort_by(|&x, &y| {
        canonical_cmp(nodes[x as usize].name.wire(), nodes[y as usize].name.wire())
    });
    ids.into_boxed_slice()
}

impl Node {
    /// The RRSIG RRset covering `rtype` at this node (stored one per covered type).
    pub fn rrsig(&self, rtype: u16) -> Option<&RRset> {
        self.rrsets.iter().find(|s| {
            s.rtype == RRSIG
                && s.rdatas()
                    .next()
                    .is_some_and(|r| r.len() >= 2 && u16::from_be_bytes([r[0], r[1]]) == rtype)
        })
    }
}

impl Zone {
    /// The node whose NSEC matches `wire` or, failing that, covers it (the last name before it
    /// in canonical order; the last of the chain covers names after it).
    pub fn nsec_for(&self, wire: &[u8]) -> Option<NodeId> {
        let chain = &self.nsec_chain;
        if chain.is_empty() {
            return None;
        }
        let i = chain.partition_point(|&id| {
            canonical_cmp(self.node(id).name.wire(), wire) != Ordering::Greater
        });
        Some(chain[if i == 0 { chain.len() - 1 } else { i - 1 }])
    }
}

/// The wildcard name `*.<encloser>` written into `buf`; `None` when too long.
pub(crate) fn wildcard_of<'b>(
    encloser: &[u8],
    buf: &'b mut [u8; MAX_NAME + 2],
) -> Option<&'b [u8]> {
    if encloser.len() + 2 > MAX_NAME {
        return None;
    }
    buf[0] = 1;
    buf[1] = b'*';
    buf[2..2 + encloser.len()].copy_from_slice(encloser);
    Some(&buf[..2 + encloser.len()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::name::Name;

    fn w(s: &str) -> Vec<u8> {
        Name::from_ascii(s).unwrap().wire().to_vec()
    }

    #[test]
    fn canonical_order_of_rfc4034() {
        // The example of RFC 4034 section 6.1, in order.
        let names = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            "\\001.z.example.",
            "*.z.example.",
            "\\200.z.example.",
        ];
        for pair in names.windows(2) {
            let (a, b) = (w(pair[0]), w(pair[1]));
            assert_eq!(
                canonical_cmp(&a, &b),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(canonical_cmp(&b, &a), Ordering::Greater);
        }
        assert_eq!(
            canonical_cmp(&w("A.example."), &w("a.EXAMPLE.")),
            Ordering::Equal
        );
    }
}
