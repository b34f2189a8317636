//! The recent changes of a zone, for IXFR (RFC 1995): one `Delta` per serial step, oldest
//! first, bounded by count and bytes. Published with the zone version it leads to and never
//! changed after: the next version gets a new `History` sharing the older deltas.

use std::sync::Arc;

use super::diff::{diff, Rr};
use super::Zone;
use crate::dns::rdata;

/// Most serial steps kept per zone.
pub const MAX_DELTAS: usize = 64;
/// Most bytes of records kept per zone (a delta larger than this alone is not kept).
pub const MAX_BYTES: usize = 16 << 20;

/// One serial step: delete `removed`, add `added`, and the SOA goes from `from` to `to`.
#[derive(Debug)]
pub struct Delta {
    pub from: u32,
    pub to: u32,
    /// The SOA RDATA before and after (its TTL is the zone's SOA TTL).
    pub old_soa: (u32, Box<[u8]>),
    pub new_soa: (u32, Box<[u8]>),
    /// The records removed and added, the SOA left out.
    pub removed: Vec<Rr>,
    pub added: Vec<Rr>,
    bytes: usize,
}

/// The deltas that lead to the zone version holding this history, oldest first.
#[derive(Debug, Default, Clone)]
pub struct History {
    deltas: Vec<Arc<Delta>>,
    /// This version changed content without changing the serial: its serial names two
    /// contents, so the step from it is not recorded either.
    ambiguous: bool,
}

fn soa_of(z: &Zone) -> Option<(u32, Box<[u8]>)> {
    let s = z.soa()?;
    Some((s.ttl, s.rdatas().next()?.into()))
}

fn size(rrs: &[Rr]) -> usize {
    rrs.iter().map(|r| r.owner.len() + r.rdata.len() + 10).sum()
}

impl History {
    /// The history of `new`, the version after `old`: `old`'s history plus the step from
    /// `old` to `new`, trimmed to the bounds. A step that keeps the serial (content changed
    /// without a serial bump, and no `--auto-serial`) breaks the chain: the history restarts
    /// empty, and the step after it is not recorded either, so clients at that serial get a
    /// full transfer rather than a diff that lies (whichever content they hold).
    pub fn next(old: &Zone, new: &Zone) -> History {
        if old.serial == new.serial {
            return History {
                deltas: Vec::new(),
                ambiguous: true,
            };
        }
        if old.history.ambiguous {
            return History::default();
        }
        let (Some(old_soa), Some(new_soa)) = (soa_of(old), soa_of(new)) else {
            return History::default();
        };
        let mut d = diff(old, new);
        d.removed.retain(|r| r.rtype != rdata::SOA);
        d.added.retain(|r| r.rtype != rdata::SOA);
        let bytes = size(&d.removed) + size(&d.added);
        if bytes > MAX_BYTES {
            return History::default();
        }
        let mut deltas: Vec<Arc<Delta>> = old.history.deltas.clone();
        deltas.push(Arc::new(Delta {
            from: old.serial,
            to: new.serial,
            old_soa,
            new_soa,
            removed: d.removed,
            added: d.added,
            bytes,
        }));
        let mut total: usize = deltas.iter().map(|d| d.bytes).sum();
        let mut drop = deltas.len().saturating_sub(MAX_DELTAS);
        while total > MAX_BYTES || drop > 0 {
            total -= deltas[0].bytes;
            deltas.remove(0);
            drop = drop.saturating_sub(1);
        }
        History {
            deltas,
            ambiguous: false,
        }
    }

    /// The steps from serial `from` to the current version, or `None` when `from` is not in
    /// the history (unknown, too old, or from before a chain break).
    pub fn since(&self, from: u32) -> Option<&[Arc<Delta>]> {
        let i = self.deltas.iter().position(|d| d.from == from)?;
        Some(&self.deltas[i..])
    }

    pub fn len(&self) -> usize {
        self.deltas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }
}
