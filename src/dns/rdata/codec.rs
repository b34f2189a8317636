//! The binary-to-text codecs of RDATA (base64, base32hex, hex, with BIND's strictness and
//! line splitting) built on `data-encoding`, and the NSEC/NXT type bitmaps.

use std::sync::LazyLock;

use data_encoding::{Encoding, Specification, BASE64, HEXLOWER_PERMISSIVE, HEXUPPER};

use super::types::type_to_text;

/// Base64 with padding, as BIND reads it: non-zero bits after the last byte are ignored.
static BASE64_LAX: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = BASE64.specification();
    spec.check_trailing_bits = false;
    spec.encoding().unwrap_or_else(|_| BASE64.clone())
});

/// Unpadded base32hex, case-insensitive (NSEC3 hashes).
static BASE32HEX_ANYCASE: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str("0123456789ABCDEFGHIJKLMNOPQRSTUV");
    spec.translate.from.push_str("abcdefghijklmnopqrstuv");
    spec.translate.to.push_str("ABCDEFGHIJKLMNOPQRSTUV");
    spec.encoding()
        .unwrap_or_else(|_| data_encoding::BASE32HEX_NOPAD.clone())
});

/// Decodes hex digit pairs (either case); fails on odd length or a non-hex digit.
pub(crate) fn decode_hex_into(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    out.extend_from_slice(&HEXLOWER_PERMISSIVE.decode(t).ok()?);
    Some(())
}

/// The value of one hex digit, either case.
#[inline]
pub(crate) fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes base64 (padding required as BIND requires it).
pub(crate) fn decode_base64_into(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    out.extend_from_slice(&BASE64_LAX.decode(t).ok()?);
    Some(())
}

/// Encodes base64 with padding.
pub(crate) fn encode_base64(data: &[u8], out: &mut String) {
    BASE64.encode_append(data, out);
}

/// Base64 split into 56-character words, as BIND prints key and signature material.
pub(crate) fn encode_base64_split(data: &[u8], out: &mut String) {
    for (i, chunk) in data.chunks(42).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        encode_base64(chunk, out);
    }
}

/// Uppercase hex, split into 56-character words when `split`.
pub(crate) fn encode_hex(data: &[u8], split: bool, out: &mut String) {
    if !split {
        HEXUPPER.encode_append(data, out);
        return;
    }
    for (i, chunk) in data.chunks(28).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        HEXUPPER.encode_append(chunk, out);
    }
}

/// Decodes unpadded base32hex, case-insensitive (BIND rejects `=` in NSEC3 hashes, and bits
/// left over after the last byte must be zero).
pub(crate) fn decode_base32hex_into(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    out.extend_from_slice(&BASE32HEX_ANYCASE.decode(t).ok()?);
    Some(())
}

pub(crate) fn encode_base32hex(data: &[u8], out: &mut String) {
    BASE32HEX_ANYCASE.encode_append(data, out);
}

/// Builds an NSEC type bitmap (RFC 4034 4.1.2) from `types` (sorted and deduplicated here).
pub(crate) fn encode_bitmap(types: &mut Vec<u16>, out: &mut Vec<u8>) {
    types.sort_unstable();
    types.dedup();
    let mut i = 0;
    while i < types.len() {
        let window = (types[i] >> 8) as u8;
        let mut bits = [0u8; 32];
        let mut max = 0usize;
        while i < types.len() && (types[i] >> 8) as u8 == window {
            let lo = (types[i] & 0xff) as usize;
            bits[lo / 8] |= 0x80 >> (lo % 8);
            max = lo / 8;
            i += 1;
        }
        out.push(window);
        out.push(max as u8 + 1);
        out.extend_from_slice(&bits[..=max]);
    }
}

/// Builds an NXT bitmap (types 1-127, no windows).
pub(crate) fn encode_nxt_bitmap(types: &[u16], out: &mut Vec<u8>) {
    let mut bits = [0u8; 16];
    let mut max = None;
    for &t in types {
        let t = t as usize;
        bits[t / 8] |= 0x80 >> (t % 8);
        max = max.max(Some(t / 8));
    }
    if let Some(m) = max {
        out.extend_from_slice(&bits[..=m]);
    }
}

/// Calls `f` with each type whose bit is set in `bits`, the first byte covering `base`.
pub(crate) fn each_bit(bits: &[u8], base: u16, mut f: impl FnMut(u16)) {
    for (j, &b) in bits.iter().enumerate() {
        for k in 0..8 {
            if b & (0x80 >> k) != 0 {
                f(base | (j * 8 + k) as u16);
            }
        }
    }
}

/// Prints the types of an NSEC bitmap; `None` when malformed.
pub(crate) fn write_bitmap(mut rd: &[u8], out: &mut String) -> Option<()> {
    let mut last: i32 = -1;
    let mut first = true;
    while !rd.is_empty() {
        let window = *rd.first()? as i32;
        let len = *rd.get(1)? as usize;
        if window <= last || len == 0 || len > 32 {
            return None;
        }
        last = window;
        let bits = rd.get(2..2 + len)?;
        if bits[len - 1] == 0 {
            return None;
        }
        each_bit(bits, (window as u16) << 8, |t| {
            if !first {
                out.push(' ');
            }
            first = false;
            type_to_text(t, out);
        });
        rd = &rd[2 + len..];
    }
    Some(())
}
