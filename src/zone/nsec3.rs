//! NSEC3 (RFC 5155) for pre-signed zones: the chain's parameters and the NSEC3 records sorted
//! by hash, read once at build time, with the hash of every zone name computed then too; only
//! names derived from a query (next closer names, wildcards) are hashed per query.

use std::cmp::Ordering;

use crate::dns::name::MAX_NAME;
use crate::zone::{Node, NodeId, Zone};

const NSEC3: u16 = 50;
const NSEC3PARAM: u16 = 51;

/// An NSEC3 hash (SHA-1).
type Hash = [u8; 20];

/// The NSEC3 chain of a zone.
#[derive(Debug)]
pub(super) struct Chain {
    iterations: u16,
    salt: Box<[u8]>,
    /// NSEC3 records by owner hash, sorted.
    sorted: Box<[(Hash, NodeId)]>,
    /// For each node, the NSEC3 record matching its name (`NodeId::MAX`: none).
    matching: Box<[NodeId]>,
}

/// Reads the chain named by the apex NSEC3PARAM (SHA-1 only); `None` for other zones.
pub(super) fn chain(nodes: &[Node], origin: &[u8]) -> Option<Chain> {
    let param = nodes.first()?.rrset(NSEC3PARAM)?.rdatas().next()?;
    let (&alg, iter, salt_len) = (param.first()?, param.get(2..4)?, *param.get(4)? as usize);
    if alg != 1 {
        return None;
    }
    let iterations = u16::from_be_bytes([iter[0], iter[1]]);
    let salt: Box<[u8]> = param.get(5..5 + salt_len)?.into();
    let mut sorted: Vec<(Hash, NodeId)> = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.rrset(NSEC3).is_some())
        .filter_map(|(i, n)| {
            let w = n.name.wire();
            // The owner is <base32hex hash>.<origin>.
            (w.len() == origin.len() + 1 + w[0] as usize)
                .then(|| decode_base32hex(&w[1..1 + w[0] as usize]))
                .flatten()
                .map(|h| (h, i as NodeId))
        })
        .collect();
    sorted.sort_unstable();
    let mut c = Chain {
        iterations,
        salt,
        sorted: sorted.into_boxed_slice(),
        matching: Box::new([]),
    };
    c.matching = nodes
        .iter()
        .map(|n| {
            let h = c.hash(n.name.wire());
            c.find(&h).unwrap_or(NodeId::MAX)
        })
        .collect();
    Some(c)
}

impl Chain {
    /// The NSEC3 hash of a wire name (lower-cased), with the chain's salt and iterations.
    fn hash(&self, wire: &[u8]) -> Hash {
        let mut buf = [0u8; MAX_NAME + 255];
        let n = wire.len().min(MAX_NAME);
        for (d, s) in buf[..n].iter_mut().zip(wire) {
            *d = s.to_ascii_lowercase();
        }
        buf[n..n + self.salt.len()].copy_from_slice(&self.salt);
        let mut h = sha1(&buf[..n + self.salt.len()]);
        for _ in 0..self.iterations {
            buf[..20].copy_from_slice(&h);
            buf[20..20 + self.salt.len()].copy_from_slice(&self.salt);
            h = sha1(&buf[..20 + self.salt.len()]);
        }
        h
    }

    fn find(&self, h: &Hash) -> Option<NodeId> {
        self.sorted
            .binary_search_by(|(x, _)| x.cmp(h))
            .ok()
            .map(|i| self.sorted[i].1)
    }

    /// The NSEC3 record covering (or matching) hash `h`: the last at or before it, wrapping.
    fn covering(&self, h: &Hash) -> Option<NodeId> {
        if self.sorted.is_empty() {
            return None;
        }
        let i = self
            .sorted
            .partition_point(|(x, _)| x.cmp(h) != Ordering::Greater);
        Some(self.sorted[if i == 0 { self.sorted.len() - 1 } else { i - 1 }].1)
    }
}

impl Zone {
    /// Does the zone deny existence with NSEC3 (it has an NSEC3PARAM with SHA-1)?
    pub fn has_nsec3(&self) -> bool {
        self.nsec3.is_some()
    }

    /// The NSEC3 record matching the name of node `id` (hashed at build time).
    pub fn nsec3_matching(&self, id: NodeId) -> Option<NodeId> {
        let c = self.nsec3.as_ref()?;
        c.matching
            .get(id as usize)
            .copied()
            .filter(|&m| m != NodeId::MAX)
    }

    /// The NSEC3 record covering `wire` (a name not in the zone; hashed now).
    pub fn nsec3_covering(&self, wire: &[u8]) -> Option<NodeId> {
        let c = self.nsec3.as_ref()?;
        c.covering(&c.hash(wire))
    }
}

/// Decodes an unpadded base32hex label (RFC 4648) of exactly 20 bytes.
fn decode_base32hex(s: &[u8]) -> Option<Hash> {
    if s.len() != 32 {
        return None;
    }
    let mut out = [0u8; 20];
    let (mut acc, mut bits, mut o) = (0u64, 0u32, 0usize);
    for &c in s {
        let v = match c.to_ascii_uppercase() {
            b'0'..=b'9' => c - b'0',
            c @ b'A'..=b'V' => c - b'A' + 10,
            _ => return None,
        };
        acc = (acc << 5) | v as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out[o] = (acc >> bits) as u8;
            o += 1;
        }
    }
    Some(out)
}

/// SHA-1 (FIPS 180-4), for NSEC3 hashes only (RFC 5155 fixes the algorithm): ring's, on the
/// stack, no allocation.
fn sha1(data: &[u8]) -> Hash {
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(d.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::name::Name;

    #[test]
    fn sha1_vectors() {
        let hex = |h: Hash| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(sha1(long)), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    }

    #[test]
    fn rfc5155_appendix_a_hashes() {
        // Salt aabbccdd, 12 iterations: example -> 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.
        let c = Chain {
            iterations: 12,
            salt: Box::new([0xaa, 0xbb, 0xcc, 0xdd]),
            sorted: Box::new([]),
            matching: Box::new([]),
        };
        let want = decode_base32hex(b"0p9mhaveqvm6t7vbl5lop2u3t2rp3tom").unwrap();
        assert_eq!(c.hash(Name::from_ascii("example.").unwrap().wire()), want);
        let want = decode_base32hex(b"35mthgpgcu1qg68fab165klnsnk3dpvl").unwrap();
        assert_eq!(c.hash(Name::from_ascii("a.example.").unwrap().wire()), want);
    }
}
