//! RDATA equality within an RRset (names compared case-insensitively where DNS says so), and
//! RRsets grown large while a zone is built: their RDATA kept in a growable buffer with a hash
//! index of the records, so adding one more record (and finding a duplicate) takes constant
//! time instead of copying and scanning the whole RRset. Put back into the RRset when the zone
//! is finished.

use std::hash::Hasher;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use super::RRset;

/// RRsets with this many records get an index (smaller ones are scanned, as before).
pub(super) const BIG_FROM: usize = 32;

pub(super) struct BigSet {
    rtype: u16,
    /// The RRset's RDATA as stored: each record behind its 2-byte length.
    pub(super) data: Vec<u8>,
    /// Offsets (past the length) of every record in `data`, hashed as [`rdata_hash`] does.
    index: HashTable<usize>,
}

impl BigSet {
    /// Indexes the RDATA an RRset holds so far.
    pub(super) fn new(rtype: u16, rdata: &[u8]) -> BigSet {
        let mut b = BigSet {
            rtype,
            data: Vec::with_capacity(rdata.len() * 2),
            index: HashTable::new(),
        };
        let mut off = 0;
        while off + 2 <= rdata.len() {
            let len = u16::from_be_bytes([rdata[off], rdata[off + 1]]) as usize;
            let rd = &rdata[off + 2..(off + 2 + len).min(rdata.len())];
            b.push(rd);
            off += 2 + len;
        }
        b
    }

    fn at(data: &[u8], off: usize) -> &[u8] {
        let len = u16::from_be_bytes([data[off - 2], data[off - 1]]) as usize;
        &data[off..off + len]
    }

    /// The offset of RDATA equal to `rd`, if the RRset has it.
    pub(super) fn find(&self, rd: &[u8]) -> Option<usize> {
        let h = rdata_hash(self.rtype, rd);
        let data = &self.data;
        self.index
            .find(h, |&o| rdata_eq(self.rtype, Self::at(data, o), rd))
            .copied()
    }

    /// Appends a record (not a duplicate: see [`BigSet::find`]); returns its offset.
    pub(super) fn push(&mut self, rd: &[u8]) -> usize {
        self.data
            .extend_from_slice(&(rd.len() as u16).to_be_bytes());
        let off = self.data.len();
        self.data.extend_from_slice(rd);
        let rtype = self.rtype;
        let data = &self.data;
        self.index.insert_unique(rdata_hash(rtype, rd), off, |&o| {
            rdata_hash(rtype, Self::at(data, o))
        });
        off
    }
}

/// A hash that agrees with `rdata_eq`: case folded for the types whose names compare so.
fn rdata_hash(rtype: u16, rd: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    if names_fold(rtype) {
        for &c in rd {
            h.write_u8(c.to_ascii_lowercase());
        }
    } else {
        h.write(rd);
    }
    h.write_usize(rd.len());
    h.finish()
}

/// Offset of RDATA equal to `rd` (as [`rdata_eq`] defines it) inside `set`.
pub(super) fn find_rdata(set: &RRset, rtype: u16, rd: &[u8]) -> Option<usize> {
    let mut off = 0;
    for r in set.rdatas() {
        off += 2;
        if r.len() == rd.len() && rdata_eq(rtype, r, rd) {
            return Some(off);
        }
        off += r.len();
    }
    None
}

/// RDATA equality as DNS defines it: names compared case-insensitively for the types whose
/// RDATA names are canonicalized (RFC 4034 6.2), bytes otherwise.
fn rdata_eq(rtype: u16, a: &[u8], b: &[u8]) -> bool {
    a == b || (names_fold(rtype) && a.eq_ignore_ascii_case(b))
}

/// The types whose RDATA compares case-insensitively (see [`rdata_eq`]).
fn names_fold(rtype: u16) -> bool {
    matches!(
        rtype,
        2..=9 | 12 | 14 | 15 | 17 | 18 | 21 | 24 | 26 | 33 | 35 | 36 | 39
    )
}
