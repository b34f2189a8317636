//! Field kinds with a plain text form: numbers, names, addresses, character-strings, type
//! mnemonics and RRSIG times.

use super::{shown, Field, Reader};
use crate::dns::name;
use crate::dns::rdata::text::{
    get_u16, get_u32, parse_eui, parse_ipv4, parse_ipv6, parse_locator64, parse_nsap, parse_ttl,
    push_charstring, push_u64, unescape_into, write_charstring, write_ip6, write_text_escaped,
};
use crate::dns::rdata::types::{type_from_text, type_to_text};
use crate::dns::rdata::RdataError;
use crate::dns::time::{parse_time, write_time};

/// An unsigned big-endian integer of 1, 2 or 4 bytes, decimal in text.
pub(crate) struct Uint(pub u8);

impl Field for Uint {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let n = self.0 as usize;
        let max = if n == 4 {
            0xffff_ffff
        } else {
            (1u64 << (8 * n)) - 1
        };
        let v = r.num(max, "number")?;
        out.extend_from_slice(&v.to_be_bytes()[8 - n..]);
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let n = self.0 as usize;
        let v = rd
            .get(p..p + n)?
            .iter()
            .fold(0u64, |v, &b| v << 8 | b as u64);
        push_u64(out, v);
        Some(p + n)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(self.0 as usize)
    }
}

/// A u32 written with optional TTL units (SOA timers, RRSIG original TTL).
pub(crate) struct Period;

impl Field for Period {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a number")?;
        let v = parse_ttl(t.text).ok_or_else(|| RdataError::bad("number", t.text))?;
        out.extend_from_slice(&v.to_be_bytes());
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        Uint(4).print(rd, p, out)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(4)
    }
}

/// A domain name, completed with the origin (whether it may be compressed on the wire is
/// the descriptor's business: [`super::F::Dn`]).
pub(crate) struct Dn;

impl Dn {
    /// Reads a name and returns the text it was read from.
    fn read_name<'a>(r: &mut Reader<'a, '_>, out: &mut Vec<u8>) -> Result<&'a [u8], RdataError> {
        let t = r.next("a name")?;
        name::parse_append(t.text, Some(r.origin.wire()), out)
            .map_err(|e| RdataError::name(t.text, e))?;
        Ok(t.text)
    }
}

impl Field for Dn {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        Dn::read_name(r, out).map(|_| ())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let l = self.wire_len(rd, p)?;
        name::write_name(&rd[p..p + l], out);
        Some(p + l)
    }

    fn wire_len(&self, rd: &[u8], p: usize) -> Option<usize> {
        name::wire_len(rd.get(p..)?)
    }
}

/// RRSIG signer name: at most as many labels as the labels field (third byte) says.
pub(crate) struct Signer;

impl Field for Signer {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let at = out.len();
        let text = Dn::read_name(r, out)?;
        if name::labels(&out[at..]).count() > out[3] as usize {
            return Err(RdataError::range(text, "more labels than the labels field"));
        }
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        Dn.print(rd, p, out)
    }
}

pub(crate) struct Ip4;

impl Field for Ip4 {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("an IPv4 address")?;
        let a = parse_ipv4(t.text).ok_or_else(|| RdataError::bad("IPv4 address", t.text))?;
        out.extend_from_slice(&a);
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        for (k, b) in rd.get(p..p + 4)?.iter().enumerate() {
            if k > 0 {
                out.push('.');
            }
            push_u64(out, *b as u64);
        }
        Some(p + 4)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(4)
    }
}

pub(crate) struct Ip6;

impl Field for Ip6 {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("an IPv6 address")?;
        let a = parse_ipv6(t.text).ok_or_else(|| RdataError::bad("IPv6 address", t.text))?;
        out.extend_from_slice(&a);
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        write_ip6(rd.get(p..p + 16)?, out)?;
        Some(p + 16)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(16)
    }
}

/// The character-string at `rd[p..]`: its bytes and where the next field starts.
fn charstring(rd: &[u8], p: usize) -> Option<(&[u8], usize)> {
    let l = *rd.get(p)? as usize;
    Some((rd.get(p + 1..p + 1 + l)?, p + 1 + l))
}

/// One character-string.
pub(crate) struct Str;

impl Field for Str {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        push_charstring(r.next("a character-string")?.text, out)
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let (s, next) = charstring(rd, p)?;
        write_charstring(s, out);
        Some(next)
    }
}

/// Zero or one character-string at the end (ISDN subaddress).
pub(crate) struct OptStr;

impl Field for OptStr {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        match r.next_opt() {
            Some(t) => push_charstring(t.text, out),
            None => Ok(()),
        }
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        if p >= rd.len() {
            return Some(p);
        }
        Str.print(rd, p, out)
    }
}

/// One or more character-strings up to the end of the RDATA.
pub(crate) struct Strs;

impl Field for Strs {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        push_charstring(r.next("a character-string")?.text, out)?;
        while let Some(t) = r.next_opt() {
            push_charstring(t.text, out)?;
        }
        Ok(())
    }

    fn print(&self, rd: &[u8], mut p: usize, out: &mut String) -> Option<usize> {
        if p >= rd.len() {
            return None;
        }
        let first = p;
        while p < rd.len() {
            if p > first {
                out.push(' ');
            }
            let (s, next) = charstring(rd, p)?;
            write_charstring(s, out);
            p = next;
        }
        Some(p)
    }
}

/// A character-string of at least 4 decimal digits (X25).
pub(crate) struct Digits;

impl Field for Digits {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a character-string")?;
        let at = out.len();
        push_charstring(t.text, out)?;
        let s = &out[at + 1..];
        if s.len() < 4 || !s.iter().all(u8::is_ascii_digit) {
            return Err(format!("bad X25 address '{}' (at least 4 digits)", shown(t.text)).into());
        }
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        Str.print(rd, p, out)
    }
}

/// One token without a length byte, to the end of the RDATA, printed quoted (CAA value;
/// with `quoted`, the URI target, which must be written quoted).
pub(crate) struct Text {
    pub quoted: bool,
}

impl Field for Text {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a string")?;
        if self.quoted && !t.quoted {
            return Err(RdataError::syntax(t.text, " (expected a quoted string)"));
        }
        unescape_into(t.text, out).ok_or_else(|| RdataError::Escape(shown(t.text)))
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        write_charstring(rd.get(p..)?, out);
        Some(rd.len())
    }
}

/// CAA tag: a character-string of letters and digits, printed bare.
pub(crate) struct Tag;

impl Field for Tag {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a tag")?;
        if t.quoted {
            return Err(format!(
                "unexpected token '\"{}\"' (the tag is not quoted)",
                shown(t.text)
            )
            .into());
        }
        let at = out.len();
        push_charstring(t.text, out)?;
        let s = &out[at + 1..];
        if s.is_empty() || !s.iter().all(u8::is_ascii_alphanumeric) {
            return Err(RdataError::bad("CAA tag", t.text));
        }
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let (s, next) = charstring(rd, p)?;
        if s.is_empty() {
            return None;
        }
        write_text_escaped(s, out);
        Some(next)
    }
}

/// A record type mnemonic (u16).
pub(crate) struct Type;

impl Field for Type {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a type")?;
        let v = type_from_text(t.text).ok_or_else(|| RdataError::unknown("type", t.text))?;
        out.extend_from_slice(&v.to_be_bytes());
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        type_to_text(get_u16(rd, p)?, out);
        Some(p + 2)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(2)
    }
}

/// RRSIG/SIG time: `YYYYMMDDHHMMSS` or seconds.
pub(crate) struct Time;

impl Field for Time {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a time")?;
        let v = parse_time(t.text).ok_or_else(|| RdataError::bad("time", t.text))?;
        out.extend_from_slice(&v.to_be_bytes());
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        write_time(get_u32(rd, p)?, out);
        Some(p + 4)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(4)
    }
}

/// EUI-48 (`.0` = 6) or EUI-64 (8): hex byte pairs joined by `-`.
pub(crate) struct Eui(pub usize);

impl Field for Eui {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("an EUI address")?;
        parse_eui(t.text, self.0, out).ok_or_else(|| RdataError::bad("EUI address", t.text))
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        for (k, b) in rd.get(p..p + self.0)?.iter().enumerate() {
            if k > 0 {
                out.push('-');
            }
            out.push_str(&format!("{b:02x}"));
        }
        Some(p + self.0)
    }
}

/// Four 16-bit hex groups (L64, NID).
pub(crate) struct Locator64;

impl Field for Locator64 {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a locator")?;
        parse_locator64(t.text, out).ok_or_else(|| RdataError::bad("locator", t.text))
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        for k in 0..4 {
            if k > 0 {
                out.push(':');
            }
            out.push_str(&format!("{:x}", get_u16(rd, p + 2 * k)?));
        }
        Some(p + 8)
    }
}

/// `0x`-prefixed hex (NSAP).
pub(crate) struct Nsap;

impl Field for Nsap {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("an NSAP address")?;
        parse_nsap(t.text, out).ok_or_else(|| RdataError::bad("NSAP address", t.text))
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        if p >= rd.len() {
            return None;
        }
        out.push_str("0x");
        for b in &rd[p..] {
            out.push_str(&format!("{b:02x}"));
        }
        Some(rd.len())
    }
}
