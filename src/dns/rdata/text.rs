//! The small text forms RDATA fields share: decimal numbers and TTLs, addresses (IPv4, IPv6,
//! EUI, locators, NSAP), character-strings and escapes, and big-endian reads of wire RDATA.

use super::codec::hexval;
use super::{custom, RdataError};
use crate::dns::name;

/// Appends a decimal number without going through `format!`.
pub(crate) fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // The digits are ASCII.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Parses an unsigned decimal number without sign or spaces.
pub fn parse_dec(t: &[u8]) -> Option<u64> {
    if t.is_empty() || t.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in t {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u64;
    }
    Some(v)
}

/// Parses a TTL: decimal seconds or BIND units (`1W2D3H4M5S`, case-insensitive).
pub fn parse_ttl(t: &[u8]) -> Option<u32> {
    if let Some(v) = parse_dec(t) {
        return u32::try_from(v).ok();
    }
    if t.is_empty() || !t[0].is_ascii_digit() {
        return None;
    }
    let mut total: u64 = 0;
    let mut cur: u64 = 0;
    let mut have = false;
    for &c in t {
        if c.is_ascii_digit() {
            cur = cur.checked_mul(10)?.checked_add((c - b'0') as u64)?;
            have = true;
            continue;
        }
        if !have {
            return None;
        }
        let mult = match c.to_ascii_lowercase() {
            b'w' => 604800,
            b'd' => 86400,
            b'h' => 3600,
            b'm' => 60,
            b's' => 1,
            _ => return None,
        };
        total = total.checked_add(cur.checked_mul(mult)?)?;
        cur = 0;
        have = false;
    }
    if have {
        // BIND requires every number after the first unit to carry a unit.
        return None;
    }
    u32::try_from(total).ok()
}

pub(crate) fn lossy(t: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(t)
}

/// Strict dotted-quad (BIND's inet_pton: exactly four decimal parts, each 0-255).
pub(crate) fn parse_ipv4(t: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut n = 0usize;
    let mut v: u32 = 0;
    let mut digits = 0;
    for &c in t {
        if c == b'.' {
            if digits == 0 || n == 3 {
                return None;
            }
            out[n] = v as u8;
            n += 1;
            v = 0;
            digits = 0;
        } else if c.is_ascii_digit() {
            // inet_pton rejects leading zeros ("01").
            if digits > 0 && v == 0 {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
            digits += 1;
            if v > 255 {
                return None;
            }
        } else {
            return None;
        }
    }
    if digits == 0 || n != 3 {
        return None;
    }
    out[3] = v as u8;
    Some(out)
}

/// IPv6 text as inet_pton reads it (embedded dotted quad allowed).
pub(crate) fn parse_ipv6(t: &[u8]) -> Option<[u8; 16]> {
    let s = std::str::from_utf8(t).ok()?;
    // Rust's parser accepts the same forms as inet_pton except leading zeros in an embedded
    // IPv4 part, which both reject.
    let a: std::net::Ipv6Addr = s.parse().ok()?;
    Some(a.octets())
}

/// Appends one character-string (length byte + bytes), interpreting escapes.
pub(crate) fn push_charstring(text: &[u8], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let len_at = out.len();
    out.push(0);
    unescape_into(text, out).ok_or_else(|| RdataError::Escape(lossy(text).into_owned()))?;
    let len = out.len() - len_at - 1;
    if len > 255 {
        return Err(RdataError::StringTooLong(len));
    }
    out[len_at] = len as u8;
    Ok(())
}

/// Interprets `\X` and `\DDD` escapes.
pub(crate) fn unescape_into(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let d = *text.get(i + 1)?;
        if d.is_ascii_digit() {
            let ds = text.get(i + 1..i + 4)?;
            if !ds.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let v =
                (ds[0] - b'0') as u32 * 100 + (ds[1] - b'0') as u32 * 10 + (ds[2] - b'0') as u32;
            if v > 255 {
                return None;
            }
            out.push(v as u8);
            i += 4;
        } else {
            out.push(d);
            i += 2;
        }
    }
    Some(())
}

/// EUI-48/EUI-64 as BIND 9.18 reads them (`sscanf("%2x-%2x-...")`): one or two hex digits
/// per group, anything after the last group ignored.
pub(crate) fn parse_eui(t: &[u8], n: usize, out: &mut Vec<u8>) -> Option<()> {
    let mut i = 0;
    for g in 0..n {
        if g > 0 {
            if t.get(i) != Some(&b'-') {
                return None;
            }
            i += 1;
        }
        let mut v = hexval(*t.get(i)?)?;
        i += 1;
        if let Some(d) = t.get(i).and_then(|&c| hexval(c)) {
            v = v << 4 | d;
            i += 1;
        }
        out.push(v);
    }
    Some(())
}

pub(crate) fn parse_locator64(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut n = 0;
    for part in t.split(|&c| c == b':') {
        if n == 4 || part.is_empty() || part.len() > 4 {
            return None;
        }
        let mut v = 0u16;
        for &c in part {
            v = v << 4 | hexval(c)? as u16;
        }
        out.extend_from_slice(&v.to_be_bytes());
        n += 1;
    }
    (n == 4).then_some(())
}

pub(crate) fn parse_nsap(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if t.len() < 2 || !t[..2].eq_ignore_ascii_case(b"0x") {
        return None;
    }
    let mut pending = None;
    let at = out.len();
    for &c in &t[2..] {
        if c == b'.' {
            continue;
        }
        let v = hexval(c)?;
        match pending.take() {
            Some(h) => out.push(h << 4 | v),
            None => pending = Some(v),
        }
    }
    (pending.is_none() && out.len() > at).then_some(())
}

/// Appends a character-string in BIND's quoted form.
pub(crate) fn write_charstring(s: &[u8], out: &mut String) {
    out.push('"');
    write_text_escaped(s, out);
    out.push('"');
}

/// Escapes bytes as BIND does inside a quoted string.
pub(crate) fn write_text_escaped(s: &[u8], out: &mut String) {
    for &c in s {
        if c == b'"' || c == b'\\' {
            out.push('\\');
            out.push(c as char);
        } else if (0x20..=0x7e).contains(&c) {
            out.push(c as char);
        } else {
            name::push_ddd(out, c);
        }
    }
}

pub(crate) fn get_u16(rd: &[u8], p: usize) -> Option<u16> {
    Some(u16::from_be_bytes(rd.get(p..p + 2)?.try_into().ok()?))
}

pub(crate) fn get_u32(rd: &[u8], p: usize) -> Option<u32> {
    Some(u32::from_be_bytes(rd.get(p..p + 4)?.try_into().ok()?))
}

pub(crate) fn write_ip6(a: &[u8], out: &mut String) -> Option<()> {
    let a: [u8; 16] = a.try_into().ok()?;
    out.push_str(&custom::ipv6_text(&a));
    Some(())
}
