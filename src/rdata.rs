//! Record types and RDATA: the per-type field-descriptor table used to read RDATA from
//! master-file tokens into wire format, to print it in BIND's canonical text form, and to tell
//! the encoder where compressible names sit.

use crate::name::{self, Name};

/// One token of RDATA text as the lexer saw it (escapes not yet interpreted).
#[derive(Debug, Clone, Copy)]
pub struct Tok<'a> {
    pub text: &'a [u8],
    pub quoted: bool,
}

/// A field of an RDATA layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum F {
    U8,
    U16,
    U32,
    /// u32 written in master files with optional TTL units (SOA timers).
    Period,
    /// A domain name; `true` when it may be compressed on the wire (RFC 3597 section 4).
    Dn(bool),
    Ip4,
    Ip6,
    /// One character-string.
    Str,
    /// One or more character-strings up to the end of the RDATA.
    Strs,
    /// Base64 up to the end of the RDATA (whitespace allowed inside).
    B64,
    /// Hex up to the end of the RDATA.
    Hex,
}

/// What a record type is called and how its RDATA is laid out.
pub struct TypeInfo {
    pub code: u16,
    pub name: &'static str,
    /// Field layout; `None` means the RDATA is opaque (only `\# len hex` is accepted).
    pub fields: Option<&'static [F]>,
    /// Position of the field whose name gets additional-section processing.
    pub additional: Option<usize>,
}

macro_rules! t {
    ($code:expr, $name:expr) => {
        TypeInfo { code: $code, name: $name, fields: None, additional: None }
    };
    ($code:expr, $name:expr, $fields:expr) => {
        TypeInfo { code: $code, name: $name, fields: Some($fields), additional: None }
    };
    ($code:expr, $name:expr, $fields:expr, add $a:expr) => {
        TypeInfo { code: $code, name: $name, fields: Some($fields), additional: Some($a) }
    };
}

use F::*;

pub const A: u16 = 1;
pub const NS: u16 = 2;
pub const CNAME: u16 = 5;
pub const SOA: u16 = 6;
pub const PTR: u16 = 12;
pub const MX: u16 = 15;
pub const TXT: u16 = 16;
pub const AAAA: u16 = 28;
pub const SRV: u16 = 33;
pub const DNAME: u16 = 39;
pub const OPT: u16 = 41;
pub const DS: u16 = 43;
pub const RRSIG: u16 = 46;
pub const NSEC: u16 = 47;
pub const NSEC3: u16 = 50;
pub const IXFR: u16 = 251;
pub const AXFR: u16 = 252;
pub const MAILB: u16 = 253;
pub const MAILA: u16 = 254;
pub const ANY: u16 = 255;

/// Every type we know by name. Types without a layout keep their RDATA opaque.
pub static TYPES: &[TypeInfo] = &[
    t!(1, "A", &[Ip4]),
    t!(2, "NS", &[Dn(true)], add 0),
    t!(3, "MD", &[Dn(true)]),
    t!(4, "MF", &[Dn(true)]),
    t!(5, "CNAME", &[Dn(true)]),
    t!(6, "SOA", &[Dn(true), Dn(true), U32, Period, Period, Period, Period]),
    t!(7, "MB", &[Dn(true)]),
    t!(8, "MG", &[Dn(true)]),
    t!(9, "MR", &[Dn(true)]),
    t!(10, "NULL"),
    t!(11, "WKS"),
    t!(12, "PTR", &[Dn(true)]),
    t!(13, "HINFO", &[Str, Str]),
    t!(14, "MINFO", &[Dn(true), Dn(true)]),
    t!(15, "MX", &[U16, Dn(true)], add 1),
    t!(16, "TXT", &[Strs]),
    t!(17, "RP", &[Dn(false), Dn(false)]),
    t!(18, "AFSDB", &[U16, Dn(false)]),
    t!(19, "X25", &[Str]),
    t!(20, "ISDN"),
    t!(21, "RT", &[U16, Dn(false)]),
    t!(22, "NSAP"),
    t!(23, "NSAP-PTR", &[Dn(false)]),
    t!(24, "SIG"),
    t!(25, "KEY"),
    t!(26, "PX", &[U16, Dn(false), Dn(false)]),
    t!(27, "GPOS", &[Str, Str, Str]),
    t!(28, "AAAA", &[Ip6]),
    t!(29, "LOC"),
    t!(30, "NXT"),
    t!(31, "EID"),
    t!(32, "NIMLOC"),
    t!(33, "SRV", &[U16, U16, U16, Dn(false)], add 3),
    t!(34, "ATMA"),
    t!(35, "NAPTR"),
    t!(36, "KX", &[U16, Dn(false)]),
    t!(37, "CERT"),
    t!(38, "A6"),
    t!(39, "DNAME", &[Dn(false)]),
    t!(40, "SINK"),
    t!(41, "OPT"),
    t!(42, "APL"),
    t!(43, "DS"),
    t!(44, "SSHFP"),
    t!(45, "IPSECKEY"),
    t!(46, "RRSIG"),
    t!(47, "NSEC"),
    t!(48, "DNSKEY"),
    t!(49, "DHCID", &[B64]),
    t!(50, "NSEC3"),
    t!(51, "NSEC3PARAM"),
    t!(52, "TLSA"),
    t!(53, "SMIMEA"),
    t!(55, "HIP"),
    t!(56, "NINFO", &[Strs]),
    t!(57, "RKEY"),
    t!(58, "TALINK", &[Dn(false), Dn(false)]),
    t!(59, "CDS"),
    t!(60, "CDNSKEY"),
    t!(61, "OPENPGPKEY", &[B64]),
    t!(62, "CSYNC"),
    t!(63, "ZONEMD"),
    t!(64, "SVCB"),
    t!(65, "HTTPS"),
    t!(66, "DSYNC"),
    t!(67, "HHIT"),
    t!(68, "BRID"),
    t!(99, "SPF", &[Strs]),
    t!(100, "UINFO"),
    t!(101, "UID"),
    t!(102, "GID"),
    t!(103, "UNSPEC"),
    t!(104, "NID"),
    t!(105, "L32"),
    t!(106, "L64"),
    t!(107, "LP"),
    t!(108, "EUI48"),
    t!(109, "EUI64"),
    t!(128, "NXNAME"),
    t!(249, "TKEY"),
    t!(250, "TSIG"),
    t!(251, "IXFR"),
    t!(252, "AXFR"),
    t!(253, "MAILB"),
    t!(254, "MAILA"),
    t!(255, "ANY"),
    t!(256, "URI"),
    t!(257, "CAA"),
    t!(258, "AVC", &[Strs]),
    t!(259, "DOA"),
    t!(260, "AMTRELAY"),
    t!(261, "RESINFO", &[Strs]),
    t!(262, "WALLET", &[Strs]),
    t!(32768, "TA"),
    t!(32769, "DLV"),
];

/// Looks up a type by code.
pub fn info(code: u16) -> Option<&'static TypeInfo> {
    // The table is small and sorted by code: binary search.
    TYPES.binary_search_by_key(&code, |t| t.code).ok().map(|i| &TYPES[i])
}

/// Parses a type mnemonic or `TYPEnnn`.
pub fn type_from_text(text: &[u8]) -> Option<u16> {
    if text.len() > 4 && text[..4].eq_ignore_ascii_case(b"TYPE") {
        return parse_dec(&text[4..]).and_then(|v| u16::try_from(v).ok());
    }
    TYPES.iter().find(|t| t.name.as_bytes().eq_ignore_ascii_case(text)).map(|t| t.code)
}

/// Appends a type's mnemonic (or `TYPEnnn`).
pub fn type_to_text(code: u16, out: &mut String) {
    match info(code) {
        Some(t) => out.push_str(t.name),
        None => {
            out.push_str("TYPE");
            out.push_str(&code.to_string());
        }
    }
}

/// A type's mnemonic as an owned string (for messages).
pub fn type_name(code: u16) -> String {
    let mut s = String::new();
    type_to_text(code, &mut s);
    s
}

/// Parses a class mnemonic or `CLASSnnn`.
pub fn class_from_text(text: &[u8]) -> Option<u16> {
    if text.len() > 5 && text[..5].eq_ignore_ascii_case(b"CLASS") {
        return parse_dec(&text[5..]).and_then(|v| u16::try_from(v).ok());
    }
    match text.to_ascii_uppercase().as_slice() {
        b"IN" => Some(1),
        b"CH" | b"CHAOS" => Some(3),
        b"HS" | b"HESIOD" => Some(4),
        b"NONE" => Some(254),
        b"ANY" => Some(255),
        _ => None,
    }
}

/// Appends a class mnemonic (or `CLASSnnn`).
pub fn class_to_text(code: u16, out: &mut String) {
    match code {
        1 => out.push_str("IN"),
        3 => out.push_str("CH"),
        4 => out.push_str("HS"),
        254 => out.push_str("NONE"),
        255 => out.push_str("ANY"),
        _ => {
            out.push_str("CLASS");
            out.push_str(&code.to_string());
        }
    }
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

/// Error while reading RDATA: a message naming the offending token.
pub type RdataError = String;

/// Reads RDATA of `rtype` from `toks` into `out` (wire format). `origin` completes names.
pub fn parse_rdata(rtype: u16, toks: &[Tok<'_>], origin: &Name, out: &mut Vec<u8>) -> Result<(), RdataError> {
    out.clear();
    if let Some(first) = toks.first() {
        if !first.quoted && first.text == b"\\#" {
            return parse_generic(toks, out);
        }
    }
    let Some(fields) = info(rtype).and_then(|t| t.fields) else {
        return Err(format!(
            "type {} has no known text form here; use \\# syntax (RFC 3597)",
            type_name(rtype)
        ));
    };
    let mut r = Reader { toks, pos: 0, origin };
    for f in fields {
        r.field(*f, out)?;
    }
    if let Some(t) = toks.get(r.pos) {
        return Err(format!("extra input text '{}'", String::from_utf8_lossy(t.text)));
    }
    Ok(())
}

fn parse_generic(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let len_tok = toks.get(1).ok_or_else(|| "\\# without length".to_string())?;
    let len = parse_dec(len_tok.text)
        .filter(|&l| l <= 65535)
        .ok_or_else(|| format!("bad \\# length '{}'", String::from_utf8_lossy(len_tok.text)))?
        as usize;
    for t in &toks[2..] {
        decode_hex_into(t.text, out).ok_or_else(|| format!("bad hex '{}'", String::from_utf8_lossy(t.text)))?;
    }
    if out.len() != len {
        return Err(format!("\\# length {len} does not match {} bytes of data", out.len()));
    }
    Ok(())
}

/// Decodes hex digit pairs; fails on odd length or a non-hex digit.
pub fn decode_hex_into(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if t.len() % 2 != 0 {
        return None;
    }
    for p in t.chunks(2) {
        let h = (p[0] as char).to_digit(16)?;
        let l = (p[1] as char).to_digit(16)?;
        out.push((h * 16 + l) as u8);
    }
    Some(())
}

struct Reader<'a, 'b> {
    toks: &'b [Tok<'a>],
    pos: usize,
    origin: &'b Name,
}

impl<'a> Reader<'a, '_> {
    fn next(&mut self, what: &str) -> Result<Tok<'a>, RdataError> {
        let t = self.toks.get(self.pos).copied().ok_or_else(|| format!("unexpected end of input (expected {what})"))?;
        self.pos += 1;
        Ok(t)
    }

    fn field(&mut self, f: F, out: &mut Vec<u8>) -> Result<(), RdataError> {
        match f {
            U8 | U16 | U32 => {
                let t = self.next("a number")?;
                let max = match f {
                    U8 => 0xff,
                    U16 => 0xffff,
                    _ => 0xffff_ffff,
                };
                let v = parse_dec(t.text)
                    .filter(|&v| v <= max)
                    .ok_or_else(|| format!("bad number '{}'", lossy(t.text)))?;
                match f {
                    U8 => out.push(v as u8),
                    U16 => out.extend_from_slice(&(v as u16).to_be_bytes()),
                    _ => out.extend_from_slice(&(v as u32).to_be_bytes()),
                }
            }
            Period => {
                let t = self.next("a number")?;
                let v = parse_ttl(t.text).ok_or_else(|| format!("bad number '{}'", lossy(t.text)))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
            Dn(_) => {
                let t = self.next("a name")?;
                let mut buf = Vec::new();
                name::parse_into(t.text, Some(self.origin.wire()), &mut buf)
                    .map_err(|e| format!("bad name '{}': {e}", lossy(t.text)))?;
                out.extend_from_slice(&buf);
            }
            Ip4 => {
                let t = self.next("an IPv4 address")?;
                let a = parse_ipv4(t.text).ok_or_else(|| format!("bad IPv4 address '{}'", lossy(t.text)))?;
                out.extend_from_slice(&a);
            }
            Ip6 => {
                let t = self.next("an IPv6 address")?;
                let a: std::net::Ipv6Addr = std::str::from_utf8(t.text)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("bad IPv6 address '{}'", lossy(t.text)))?;
                out.extend_from_slice(&a.octets());
            }
            Str => {
                let t = self.next("a character-string")?;
                push_charstring(t.text, out)?;
            }
            Strs => {
                self.next("a character-string").map(|t| push_charstring(t.text, out))??;
                while let Some(t) = self.toks.get(self.pos) {
                    push_charstring(t.text, out)?;
                    self.pos += 1;
                }
            }
            B64 => {
                let mut joined = Vec::new();
                while let Some(t) = self.toks.get(self.pos) {
                    joined.extend_from_slice(t.text);
                    self.pos += 1;
                }
                decode_base64_into(&joined, out).ok_or_else(|| "bad base64 data".to_string())?;
            }
            Hex => {
                let mut joined = Vec::new();
                while let Some(t) = self.toks.get(self.pos) {
                    joined.extend_from_slice(t.text);
                    self.pos += 1;
                }
                decode_hex_into(&joined, out).ok_or_else(|| "bad hex data".to_string())?;
            }
        }
        Ok(())
    }
}

fn lossy(t: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(t)
}

/// Strict dotted-quad (BIND's inet_pton: exactly four decimal parts, each 0-255).
pub fn parse_ipv4(t: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut n = 0usize;
    for part in t.split(|&c| c == b'.') {
        if n == 4 || part.is_empty() || part.len() > 3 {
            return None;
        }
        let v = parse_dec(part)?;
        if v > 255 {
            return None;
        }
        out[n] = v as u8;
        n += 1;
    }
    (n == 4).then_some(out)
}

/// Appends one character-string (length byte + bytes), interpreting escapes.
pub fn push_charstring(text: &[u8], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let len_at = out.len();
    out.push(0);
    unescape_into(text, out).ok_or_else(|| format!("bad escape in '{}'", lossy(text)))?;
    let len = out.len() - len_at - 1;
    if len > 255 {
        return Err(format!("character-string too long ({len} bytes)"));
    }
    out[len_at] = len as u8;
    Ok(())
}

/// Interprets `\X` and `\DDD` escapes.
pub fn unescape_into(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
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
            let v = (ds[0] - b'0') as u32 * 100 + (ds[1] - b'0') as u32 * 10 + (ds[2] - b'0') as u32;
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

const B64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes base64 (padding required as BIND requires it).
pub fn decode_base64_into(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if t.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| B64_ALPHABET.iter().position(|&b| b == c).map(|p| p as u32);
    for chunk in t.chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 {
            return None;
        }
        let mut v = 0u32;
        for &c in &chunk[..4 - pad] {
            v = (v << 6) | val(c)?;
        }
        v <<= 6 * pad as u32;
        out.push((v >> 16) as u8);
        if pad < 2 {
            out.push((v >> 8) as u8);
        }
        if pad < 1 {
            out.push(v as u8);
        }
    }
    Some(())
}

/// Encodes base64 with padding.
pub fn encode_base64(data: &[u8], out: &mut String) {
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64_ALPHABET[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// Appends a character-string in BIND's quoted form.
pub fn write_charstring(s: &[u8], out: &mut String) {
    out.push('"');
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
    out.push('"');
}

/// Appends RDATA in the RFC 3597 generic form.
pub fn write_generic(rdata: &[u8], out: &mut String) {
    out.push_str("\\# ");
    out.push_str(&rdata.len().to_string());
    if !rdata.is_empty() {
        out.push(' ');
        for c in rdata {
            out.push_str(&format!("{c:02X}"));
        }
    }
}

/// Appends the presentation form of RDATA; falls back to `\# len hex` when it cannot.
pub fn write_rdata(rtype: u16, rdata: &[u8], out: &mut String) {
    let mark = out.len();
    if let Some(fields) = info(rtype).and_then(|t| t.fields) {
        if write_fields(fields, rdata, out).is_some() {
            return;
        }
        out.truncate(mark);
    }
    write_generic(rdata, out);
}

fn write_fields(fields: &[F], rd: &[u8], out: &mut String) -> Option<()> {
    let mut p = 0usize;
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match f {
            U8 => {
                out.push_str(&rd.get(p)?.to_string());
                p += 1;
            }
            U16 => {
                let v = u16::from_be_bytes(rd.get(p..p + 2)?.try_into().ok()?);
                out.push_str(&v.to_string());
                p += 2;
            }
            U32 | Period => {
                let v = u32::from_be_bytes(rd.get(p..p + 4)?.try_into().ok()?);
                out.push_str(&v.to_string());
                p += 4;
            }
            Dn(_) => {
                let l = name::wire_len(rd.get(p..)?)?;
                name::write_name(&rd[p..p + l], out);
                p += l;
            }
            Ip4 => {
                let a = rd.get(p..p + 4)?;
                out.push_str(&format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]));
                p += 4;
            }
            Ip6 => {
                let a: [u8; 16] = rd.get(p..p + 16)?.try_into().ok()?;
                out.push_str(&std::net::Ipv6Addr::from(a).to_string());
                p += 16;
            }
            Str => {
                let l = *rd.get(p)? as usize;
                write_charstring(rd.get(p + 1..p + 1 + l)?, out);
                p += 1 + l;
            }
            Strs => {
                let mut first = true;
                while p < rd.len() {
                    if !first {
                        out.push(' ');
                    }
                    first = false;
                    let l = *rd.get(p)? as usize;
                    write_charstring(rd.get(p + 1..p + 1 + l)?, out);
                    p += 1 + l;
                }
                if first {
                    return None;
                }
            }
            B64 => {
                encode_base64(&rd[p..], out);
                p = rd.len();
            }
            Hex => {
                for c in &rd[p..] {
                    out.push_str(&format!("{c:02X}"));
                }
                p = rd.len();
            }
        }
    }
    (p == rd.len()).then_some(())
}

/// Where the names sit inside RDATA of a type whose names the encoder may compress
/// (RFC 3597 section 4: only the types of RFC 1035). Returns `None` for types copied verbatim.
pub fn compressible_fields(rtype: u16) -> Option<&'static [F]> {
    match rtype {
        2..=9 | 12 | 14 | 15 => info(rtype).and_then(|t| t.fields),
        _ => None,
    }
}

/// The name in `rdata` that triggers additional-section processing (NS, MX, SRV targets).
pub fn additional_name(rtype: u16, rdata: &[u8]) -> Option<&[u8]> {
    let t = info(rtype)?;
    let idx = t.additional?;
    let fields = t.fields?;
    let mut p = 0usize;
    for (i, f) in fields.iter().enumerate() {
        let len = match f {
            U8 => 1,
            U16 => 2,
            U32 | Period => 4,
            Dn(_) => name::wire_len(rdata.get(p..)?)?,
            _ => return None,
        };
        if i == idx {
            return rdata.get(p..p + len);
        }
        p += len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok<'_>> {
        s.split_whitespace().map(|t| Tok { text: t.as_bytes(), quoted: false }).collect()
    }

    #[track_caller]
    fn rt(ty: &str, text: &str, want: &str) {
        let code = type_from_text(ty.as_bytes()).unwrap();
        let origin = Name::from_ascii("example.").unwrap();
        let mut wire = Vec::new();
        parse_rdata(code, &toks(text), &origin, &mut wire).unwrap();
        let mut s = String::new();
        write_rdata(code, &wire, &mut s);
        assert_eq!(s, want);
    }

    #[test]
    fn core_types_round_trip() {
        rt("A", "192.168.1.5", "192.168.1.5");
        rt("AAAA", "2001:db8::1", "2001:db8::1");
        rt("NS", "lhmaster", "lhmaster.example.");
        rt("MX", "10 mail", "10 mail.example.");
        rt("SOA", "ns root 1 1H 30M 1W 1D", "ns.example. root.example. 1 3600 1800 604800 86400");
        rt("SRV", "0 10 2181 node1", "0 10 2181 node1.example.");
        rt("TYPE999", "\\# 3 abcdef", "\\# 3 ABCDEF");
        rt("HINFO", "PC Linux", "\"PC\" \"Linux\"");
    }

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl(b"1W2D3H4M5S"), Some(604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5));
        assert_eq!(parse_ttl(b"1d"), Some(86400));
        assert_eq!(parse_ttl(b"1d2"), None);
        assert_eq!(parse_ttl(b"x"), None);
        assert_eq!(parse_ttl(b"4294967296"), None);
    }

    #[test]
    fn bad_rdata() {
        let origin = Name::root();
        let mut w = Vec::new();
        assert!(parse_rdata(A, &toks("1.2.3"), &origin, &mut w).unwrap_err().contains("'1.2.3'"));
        assert!(parse_rdata(A, &toks("1.2.3.256"), &origin, &mut w).is_err());
        assert!(parse_rdata(MX, &toks("10"), &origin, &mut w).unwrap_err().contains("end of input"));
        assert!(parse_rdata(A, &toks("1.2.3.4 5"), &origin, &mut w).unwrap_err().contains("extra"));
        assert!(parse_rdata(A, &toks("\\# 4 0102"), &origin, &mut w).is_err());
    }

    #[test]
    fn base64() {
        let mut v = Vec::new();
        decode_base64_into(b"aGVsbG8=", &mut v).unwrap();
        assert_eq!(v, b"hello");
        let mut s = String::new();
        encode_base64(&v, &mut s);
        assert_eq!(s, "aGVsbG8=");
    }
}
