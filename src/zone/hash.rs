//! The case-insensitive hash of wire names that indexes a zone's nodes (and the store's
//! zones): eight bytes at a time with ASCII letters folded without a branch per byte.

use rustc_hash::FxHasher;
use std::hash::Hasher;

/// Hash of a wire name, case-insensitive.
pub fn hash_name(wire: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    // Hash 8 bytes at a time with the ASCII letters folded.
    let mut chunks = wire.chunks_exact(8);
    for c in &mut chunks {
        let mut v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Set bit 5 of every byte in A..Z: fold case without a branch per byte.
        let upper = upper_mask(v);
        v |= upper;
        h.write_u64(v);
    }
    for &b in chunks.remainder() {
        h.write_u8(b.to_ascii_lowercase());
    }
    h.finish()
}

/// Bit 5 set in each byte lane whose byte is in b'A'..=b'Z'.
#[inline]
pub(super) fn upper_mask(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Lanes >= 'A' and lanes > 'Z', computed without carries between lanes (all lanes < 0x80
    // are handled; lanes >= 0x80 are excluded by the final mask).
    let low7 = v & !HIGH;
    let ge_a = (low7 + ONES * (0x80 - b'A' as u64)) & HIGH;
    let gt_z = (low7 + ONES * (0x80 - b'Z' as u64 - 1)) & HIGH;
    let in_range = ge_a & !gt_z & !(v & HIGH);
    in_range >> 2
}
