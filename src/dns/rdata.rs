//! Record types and RDATA: the per-type field-descriptor table used to read RDATA from
//! master-file tokens into wire format, to print it in BIND's canonical text form, and to tell
//! the encoder where compressible names sit.

use crate::dns::name::{self, Name};

mod custom;

/// One token of RDATA text as the lexer saw it (escapes not yet interpreted).
#[derive(Debug, Clone, Copy)]
pub struct Tok<'a> {
    pub text: &'a [u8],
    pub quoted: bool,
}

/// A field of an RDATA layout. The same descriptor drives reading (text to wire), printing
/// (wire to BIND's text) and validation of RDATA given as `\# len hex`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum F {
    U8,
    U16,
    U32,
    /// u32 written in master files with optional TTL units (SOA timers, RRSIG original TTL).
    Period,
    /// A domain name; `true` when it may be compressed on the wire (RFC 3597 section 4).
    Dn(bool),
    Ip4,
    Ip6,
    /// One character-string.
    Str,
    /// One or more character-strings up to the end of the RDATA.
    Strs,
    /// Zero or one character-string at the end (ISDN subaddress).
    OptStr,
    /// A character-string of at least 4 decimal digits (X25).
    Digits,
    /// One token without a length byte, to the end of the RDATA, printed quoted (CAA value,
    /// URI target).
    Text,
    /// Base64 up to the end of the RDATA, at least one token, printed in 56-column chunks.
    B64,
    /// Like `B64` but may be empty (KEY, SINK, IPSECKEY).
    B64Opt,
    /// Base64 to the end, printed without splitting (HHIT, BRID).
    B64Flat,
    /// Hex up to the end of the RDATA, at least one token, printed in 56-column chunks.
    Hex,
    /// Hex with a length byte; `-` when empty (NSEC3 and NSEC3PARAM salt).
    Salt,
    /// Base32hex with a length byte (NSEC3 next hashed owner name).
    B32,
    /// NSEC-style type bitmap up to the end of the RDATA, possibly empty (NSEC3, CSYNC).
    Bitmap,
    /// A type bitmap that must list at least one type (NSEC).
    NsecBitmap,
    /// NXT-style bitmap (types 1-127) up to the end of the RDATA.
    NxtBitmap,
    /// RRSIG signer name: at most as many labels as the labels field (third byte) says.
    Signer,
    /// RRSIG/SIG time: `YYYYMMDDHHMMSS` or seconds.
    Time,
    /// A record type mnemonic (u16).
    Type,
    /// DNSSEC algorithm (u8): mnemonic or number in, number out.
    Alg,
    /// DNSSEC algorithm (u8) printed as its mnemonic (CERT).
    AlgName,
    /// CERT type (u16), mnemonic in and out.
    CertType,
    /// KEY/DNSKEY flags (u16): number or mnemonics.
    KeyFlags,
    /// KEY/DNSKEY protocol (u8): number or mnemonic.
    Proto,
    /// DS digest type (u8): number or mnemonic.
    DigestType,
    /// DS digest: hex to the end, length checked against the digest type before it.
    Digest,
    /// SSHFP fingerprint: hex to the end (may be empty), length checked against the type.
    Fingerprint,
    /// RKEY flags: a u16 that must be zero.
    RkeyFlags,
    /// A string that must be quoted, no length byte, to the end (URI target).
    QText,
    /// ZONEMD digest: hex to the end, length checked against the hash algorithm before it.
    ZoneDigest,
    /// KEY/DNSKEY public key: base64 to the end, absent when the flags say "no key".
    KeyData,
    Eui48,
    Eui64,
    /// Four 16-bit hex groups (L64, NID).
    Locator64,
    /// `0x`-prefixed hex (NSAP).
    Nsap,
    /// CAA tag: a character-string of letters and digits, printed bare.
    Tag,
    /// DSYNC scheme (u8): `NOTIFY` or a number.
    Scheme,
    /// AMTRELAY discovery-optional bit and relay type, one byte.
    AmtType,
    /// IPSECKEY/AMTRELAY gateway whose form is given by the byte at offset `n & 0x7f`; with
    /// `n & 0x80` only the low 7 bits of that byte count and "no gateway" may omit the `.`.
    Gateway(u8),
    /// DOA data: base64 or `-` for none, printed unsplit.
    DoaData,
    /// Irregular layouts handled by a function of their own (whole RDATA).
    Loc,
    Apl,
    Wks,
    Svcb,
    A6,
    Hip,
    Atma,
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
        TypeInfo {
            code: $code,
            name: $name,
            fields: None,
            additional: None,
        }
    };
    ($code:expr, $name:expr, $fields:expr) => {
        TypeInfo {
            code: $code,
            name: $name,
            fields: Some($fields),
            additional: None,
        }
    };
    ($code:expr, $name:expr, $fields:expr, add $a:expr) => {
        TypeInfo {
            code: $code,
            name: $name,
            fields: Some($fields),
            additional: Some($a),
        }
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
pub const KEY: u16 = 25;
pub const NXT: u16 = 30;
pub const AAAA: u16 = 28;
pub const SRV: u16 = 33;
pub const DNAME: u16 = 39;
pub const OPT: u16 = 41;
pub const DS: u16 = 43;
pub const RRSIG: u16 = 46;
pub const NSEC: u16 = 47;
pub const NSEC3: u16 = 50;
pub const TKEY: u16 = 249;
pub const TSIG: u16 = 250;
pub const IXFR: u16 = 251;
pub const AXFR: u16 = 252;
pub const MAILB: u16 = 253;
pub const MAILA: u16 = 254;
pub const ANY: u16 = 255;

const DS_FIELDS: &[F] = &[U16, Alg, DigestType, Digest];
const KEY_FIELDS: &[F] = &[KeyFlags, Proto, Alg, KeyData];
const DNSKEY_FIELDS: &[F] = &[KeyFlags, Proto, Alg, B64];
const SIG_FIELDS: &[F] = &[Type, Alg, U8, Period, Time, Time, U16, Dn(false), B64];
const RRSIG_FIELDS: &[F] = &[Type, Alg, U8, Period, Time, Time, U16, Signer, B64];
const TLSA_FIELDS: &[F] = &[U8, U8, U8, Hex];

/// Every type BIND 9.18 knows by name. Types without a layout keep their RDATA opaque.
pub static TYPES: &[TypeInfo] = &[
    t!(1, "A", &[Ip4]),
    t!(2, "NS", &[Dn(true)], add 0),
    t!(3, "MD", &[Dn(true)]),
    t!(4, "MF", &[Dn(true)]),
    t!(5, "CNAME", &[Dn(true)]),
    t!(
        6,
        "SOA",
        &[Dn(true), Dn(true), U32, Period, Period, Period, Period]
    ),
    t!(7, "MB", &[Dn(true)]),
    t!(8, "MG", &[Dn(true)]),
    t!(9, "MR", &[Dn(true)]),
    t!(10, "NULL"),
    t!(11, "WKS", &[Wks]),
    t!(12, "PTR", &[Dn(true)]),
    t!(13, "HINFO", &[Str, Str]),
    t!(14, "MINFO", &[Dn(true), Dn(true)]),
    t!(15, "MX", &[U16, Dn(true)], add 1),
    t!(16, "TXT", &[Strs]),
    t!(17, "RP", &[Dn(false), Dn(false)]),
    t!(18, "AFSDB", &[U16, Dn(false)]),
    t!(19, "X25", &[Digits]),
    t!(20, "ISDN", &[Str, OptStr]),
    t!(21, "RT", &[U16, Dn(false)]),
    t!(22, "NSAP", &[Nsap]),
    t!(23, "NSAP-PTR", &[Dn(false)]),
    t!(24, "SIG", SIG_FIELDS),
    t!(25, "KEY", KEY_FIELDS),
    t!(26, "PX", &[U16, Dn(false), Dn(false)]),
    t!(27, "GPOS", &[Str, Str, Str]),
    t!(28, "AAAA", &[Ip6]),
    t!(29, "LOC", &[Loc]),
    t!(30, "NXT", &[Dn(false), NxtBitmap]),
    t!(31, "EID", &[Hex]),
    t!(32, "NIMLOC", &[Hex]),
    t!(33, "SRV", &[U16, U16, U16, Dn(false)], add 3),
    t!(34, "ATMA", &[Atma]),
    t!(35, "NAPTR", &[U16, U16, Str, Str, Str, Dn(false)]),
    t!(36, "KX", &[U16, Dn(false)]),
    t!(37, "CERT", &[CertType, U16, AlgName, B64]),
    t!(38, "A6", &[A6]),
    t!(39, "DNAME", &[Dn(false)]),
    t!(40, "SINK", &[U8, U8, U8, B64Opt]),
    t!(41, "OPT"),
    t!(42, "APL", &[Apl]),
    t!(43, "DS", DS_FIELDS),
    t!(44, "SSHFP", &[U8, U8, Fingerprint]),
    t!(45, "IPSECKEY", &[U8, U8, U8, Gateway(1), B64]),
    t!(46, "RRSIG", RRSIG_FIELDS),
    t!(47, "NSEC", &[Dn(false), NsecBitmap]),
    t!(48, "DNSKEY", DNSKEY_FIELDS),
    t!(49, "DHCID", &[B64]),
    t!(50, "NSEC3", &[U8, U8, U16, Salt, B32, Bitmap]),
    t!(51, "NSEC3PARAM", &[U8, U8, U16, Salt]),
    t!(52, "TLSA", TLSA_FIELDS),
    t!(53, "SMIMEA", TLSA_FIELDS),
    t!(55, "HIP", &[Hip]),
    t!(56, "NINFO", &[Strs]),
    t!(57, "RKEY", &[RkeyFlags, Proto, Alg, B64]),
    t!(58, "TALINK", &[Dn(false), Dn(false)]),
    t!(59, "CDS", DS_FIELDS),
    t!(60, "CDNSKEY", DNSKEY_FIELDS),
    t!(61, "OPENPGPKEY", &[B64]),
    t!(62, "CSYNC", &[U32, U16, Bitmap]),
    t!(63, "ZONEMD", &[U32, U8, U8, ZoneDigest]),
    t!(64, "SVCB", &[Svcb]),
    t!(65, "HTTPS", &[Svcb]),
    t!(66, "DSYNC", &[Type, Scheme, U16, Dn(false)]),
    t!(67, "HHIT", &[B64Flat]),
    t!(68, "BRID", &[B64Flat]),
    t!(99, "SPF", &[Strs]),
    t!(100, "UINFO"),
    t!(101, "UID"),
    t!(102, "GID"),
    t!(103, "UNSPEC"),
    t!(104, "NID", &[U16, Locator64]),
    t!(105, "L32", &[U16, Ip4]),
    t!(106, "L64", &[U16, Locator64]),
    t!(107, "LP", &[U16, Dn(false)]),
    t!(108, "EUI48", &[Eui48]),
    t!(109, "EUI64", &[Eui64]),
    t!(249, "TKEY"),
    t!(250, "TSIG"),
    t!(251, "IXFR"),
    t!(252, "AXFR"),
    t!(253, "MAILB"),
    t!(254, "MAILA"),
    t!(255, "ANY"),
    t!(256, "URI", &[U16, U16, QText]),
    t!(257, "CAA", &[U8, Tag, Text]),
    t!(258, "AVC", &[Strs]),
    t!(259, "DOA", &[U32, U32, U8, Str, DoaData]),
    t!(260, "AMTRELAY", &[U8, AmtType, Gateway(0x81)]),
    t!(261, "RESINFO", &[Strs]),
    t!(262, "WALLET", &[Strs]),
    t!(32768, "TA", DS_FIELDS),
    t!(32769, "DLV", DS_FIELDS),
];

/// Looks up a type by code.
pub fn info(code: u16) -> Option<&'static TypeInfo> {
    // The table is small and sorted by code: binary search.
    TYPES
        .binary_search_by_key(&code, |t| t.code)
        .ok()
        .map(|i| &TYPES[i])
}

/// True for the types BIND treats as meta types (never data in a zone): OPT, TKEY, TSIG, the
/// query types and the whole 128-255 range.
pub fn is_meta(code: u16) -> bool {
    code == 0 || code == OPT || (128..=255).contains(&code)
}

/// Parses a type mnemonic or `TYPEnnn`.
pub fn type_from_text(text: &[u8]) -> Option<u16> {
    if text.len() > 4 && text[..4].eq_ignore_ascii_case(b"TYPE") {
        return parse_dec(&text[4..]).and_then(|v| u16::try_from(v).ok());
    }
    // Fast path for the types nearly every zone is made of.
    match text {
        b"A" | b"a" => return Some(A),
        b"NS" | b"ns" => return Some(NS),
        b"AAAA" | b"aaaa" => return Some(AAAA),
        b"PTR" | b"ptr" => return Some(PTR),
        b"CNAME" | b"cname" => return Some(CNAME),
        b"MX" | b"mx" => return Some(MX),
        _ => {}
    }
    if text.len() > 10 || text.is_empty() {
        return None;
    }
    TYPES
        .iter()
        .find(|t| t.name.as_bytes().eq_ignore_ascii_case(text))
        .map(|t| t.code)
}

/// Appends a type's mnemonic (or `TYPEnnn`).
pub fn type_to_text(code: u16, out: &mut String) {
    match info(code) {
        Some(t) => out.push_str(t.name),
        None => {
            out.push_str("TYPE");
            push_u64(out, code as u64);
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
    if text.len() < 2 || text.len() > 10 {
        return None;
    }
    if text == b"IN" || text == b"in" {
        return Some(1);
    }
    if text.len() > 5 && text[..5].eq_ignore_ascii_case(b"CLASS") {
        return parse_dec(&text[5..]).and_then(|v| u16::try_from(v).ok());
    }
    if text.len() > 6 {
        return None;
    }
    let mut up = [0u8; 6];
    up[..text.len()].copy_from_slice(text);
    up.make_ascii_uppercase();
    match &up[..text.len()] {
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
            push_u64(out, code as u64);
        }
    }
}

/// Appends a decimal number without going through `format!`.
pub fn push_u64(out: &mut String, mut v: u64) {
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

/// RDATA of this size or more makes BIND fail with "ran out of space" (`DNS_RDATA_MAXLENGTH`).
pub const MAX_RDATA: usize = 65512;

/// Error while reading RDATA: a message naming the offending token.
pub type RdataError = String;

/// Reads RDATA of `rtype` from `toks` into `out` (wire format). `origin` completes names.
pub fn parse_rdata(
    rtype: u16,
    toks: &[Tok<'_>],
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<(), RdataError> {
    out.clear();
    if let Some(first) = toks.first() {
        // `\#` starts RFC 3597 data only when a length follows; otherwise it is text.
        if !first.quoted
            && first.text == b"\\#"
            && toks.get(1).is_some_and(|t| parse_dec(t.text).is_some())
        {
            parse_generic(toks, out)?;
            if let Some(fields) = info(rtype).and_then(|t| t.fields) {
                if !valid_wire(rtype, fields, out) {
                    return Err(format!("\\# data is not valid {} RDATA", type_name(rtype)));
                }
            }
            return Ok(());
        }
    }
    let Some(fields) = info(rtype).and_then(|t| t.fields) else {
        return Err(match toks.first() {
            Some(t) => format!(
                "type {} has no known text form; use \\# syntax (RFC 3597), not '{}'",
                type_name(rtype),
                lossy(t.text)
            ),
            None => "unexpected end of input (expected \\# and the RDATA length)".to_string(),
        });
    };
    let mut r = Reader {
        toks,
        pos: 0,
        origin,
    };
    for f in fields {
        r.field(*f, out)?;
    }
    if let Some(t) = toks.get(r.pos) {
        return Err(format!("extra input text '{}'", lossy(t.text)));
    }
    if out.len() >= MAX_RDATA {
        return Err(format!(
            "ran out of space (RDATA of {} bytes; BIND needs it under {MAX_RDATA})",
            out.len()
        ));
    }
    Ok(())
}

/// True when wire RDATA given as `\#` is well formed for its type (what BIND's fromwire checks).
fn valid_wire(rtype: u16, fields: &[F], rd: &[u8]) -> bool {
    let mut s = String::new();
    match rtype {
        // BIND copies these without looking inside when they come from the wire.
        42 | 260 => true,
        _ => write_fields(fields, rd, &mut s).is_some(),
    }
}

fn parse_generic(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let len_tok = toks
        .get(1)
        .ok_or_else(|| "unexpected end of input (expected the \\# length)".to_string())?;
    let len = parse_dec(len_tok.text)
        .filter(|&l| l <= 65535)
        .ok_or_else(|| format!("bad \\# length '{}'", lossy(len_tok.text)))? as usize;
    let mut pending: Option<u8> = None;
    for t in &toks[2..] {
        for &c in t.text {
            let v = hexval(c).ok_or_else(|| format!("bad hex '{}'", lossy(t.text)))?;
            match pending.take() {
                Some(h) => out.push(h << 4 | v),
                None => pending = Some(v),
            }
        }
        if out.len() > len {
            return Err(format!("\\# data longer than the length {len}"));
        }
    }
    if pending.is_some() {
        return Err("\\# data has an odd number of hex digits".to_string());
    }
    if out.len() != len {
        return Err(format!(
            "\\# length {len} does not match {} bytes of data",
            out.len()
        ));
    }
    Ok(())
}

#[inline]
fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex digit pairs; fails on odd length or a non-hex digit.
pub fn decode_hex_into(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if !t.len().is_multiple_of(2) {
        return None;
    }
    for p in t.chunks(2) {
        out.push(hexval(p[0])? << 4 | hexval(p[1])?);
    }
    Some(())
}

/// DNSSEC algorithm mnemonics (BIND's `dns_secalg` table).
const SECALGS: &[(u8, &str)] = &[
    (1, "RSAMD5"),
    (2, "DH"),
    (3, "DSA"),
    (4, "ECC"),
    (5, "RSASHA1"),
    (6, "NSEC3DSA"),
    (7, "NSEC3RSASHA1"),
    (8, "RSASHA256"),
    (10, "RSASHA512"),
    (12, "ECCGOST"),
    (13, "ECDSAP256SHA256"),
    (14, "ECDSAP384SHA384"),
    (15, "ED25519"),
    (16, "ED448"),
    (252, "INDIRECT"),
    (253, "PRIVATEDNS"),
    (254, "PRIVATEOID"),
];

const CERTTYPES: &[(u16, &str)] = &[
    (1, "PKIX"),
    (2, "SPKI"),
    (3, "PGP"),
    (4, "IPKIX"),
    (5, "ISPKI"),
    (6, "IPGP"),
    (7, "ACPKIX"),
    (8, "IACPKIX"),
    (253, "URI"),
    (254, "OID"),
];

const PROTOS: &[(u8, &str)] = &[
    (0, "NONE"),
    (1, "TLS"),
    (2, "EMAIL"),
    (3, "DNSSEC"),
    (4, "IPSEC"),
    (255, "ALL"),
];

const DIGESTS: &[(u8, &str)] = &[(1, "SHA-1"), (2, "SHA-256"), (3, "GOST"), (4, "SHA-384")];

const KEYFLAGS: &[(u16, &str)] = &[
    (0x0000, "AUTHCONF"),
    (0x4000, "NOCONF"),
    (0x8000, "NOAUTH"),
    (0xC000, "NOKEY"),
    (0x2000, "FLAG2"),
    (0x1000, "EXTEND"),
    (0x0800, "FLAG4"),
    (0x0400, "FLAG5"),
    (0x0000, "USER"),
    (0x0100, "ZONE"),
    (0x0200, "HOST"),
    (0x0300, "NTYP3"),
    (0x0080, "FLAG8"),
    (0x0040, "FLAG9"),
    (0x0020, "FLAG10"),
    (0x0010, "FLAG11"),
    (0x0001, "KSK"),
];

fn mnemonic<T: Copy>(table: &[(T, &str)], text: &[u8]) -> Option<T> {
    table
        .iter()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(text))
        .map(|(v, _)| *v)
}

fn mnemonic_of<T: Copy + PartialEq>(table: &[(T, &'static str)], v: T) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == v).map(|(_, n)| *n)
}

/// Digest length a DS digest type requires (`None` for types BIND does not know).
fn ds_digest_len(t: u8) -> Option<usize> {
    match t {
        1 => Some(20),
        2 => Some(32),
        4 => Some(48),
        _ => None,
    }
}

/// Fingerprint length an SSHFP fingerprint type requires.
fn sshfp_len(t: u8) -> Option<usize> {
    match t {
        1 => Some(20),
        2 => Some(32),
        _ => None,
    }
}

/// Digest length a ZONEMD hash algorithm requires.
fn zonemd_len(t: u8) -> Option<usize> {
    match t {
        1 => Some(48),
        2 => Some(64),
        _ => None,
    }
}

struct Reader<'a, 'b> {
    toks: &'b [Tok<'a>],
    pos: usize,
    origin: &'b Name,
}

impl<'a, 'b> Reader<'a, 'b> {
    fn next(&mut self, what: &str) -> Result<Tok<'a>, RdataError> {
        let t = self
            .toks
            .get(self.pos)
            .copied()
            .ok_or_else(|| format!("unexpected end of input (expected {what})"))?;
        self.pos += 1;
        Ok(t)
    }

    fn num(&mut self, max: u64, what: &str) -> Result<u64, RdataError> {
        let t = self.next(what)?;
        match parse_dec(t.text) {
            Some(v) if v <= max && !t.quoted => Ok(v),
            Some(_) if !t.quoted => Err(format!("{what} '{}' out of range", lossy(t.text))),
            _ => Err(format!("bad {what} '{}'", lossy(t.text))),
        }
    }

    /// Number or mnemonic from `table`.
    fn num_or<T: Copy + Into<u64>>(
        &mut self,
        table: &[(T, &str)],
        max: u64,
        what: &str,
    ) -> Result<u64, RdataError> {
        let t = self.next(what)?;
        if let Some(v) = parse_dec(t.text) {
            return if v <= max {
                Ok(v)
            } else {
                Err(format!("{what} '{}' out of range", lossy(t.text)))
            };
        }
        mnemonic(table, t.text)
            .map(Into::into)
            .ok_or_else(|| format!("unknown {what} '{}'", lossy(t.text)))
    }

    /// Concatenates the remaining tokens (base64/hex spread over several tokens).
    fn rest(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.toks.len() - self.pos;
        for t in &self.toks[self.pos..] {
            buf.extend_from_slice(t.text);
        }
        self.pos = self.toks.len();
        n
    }

    fn field(&mut self, f: F, out: &mut Vec<u8>) -> Result<(), RdataError> {
        match f {
            U8 => {
                let v = self.num(0xff, "number")?;
                out.push(v as u8);
            }
            U16 => {
                let v = self.num(0xffff, "number")?;
                out.extend_from_slice(&(v as u16).to_be_bytes());
            }
            U32 => {
                let v = self.num(0xffff_ffff, "number")?;
                out.extend_from_slice(&(v as u32).to_be_bytes());
            }
            Period => {
                let t = self.next("a number")?;
                let v =
                    parse_ttl(t.text).ok_or_else(|| format!("bad number '{}'", lossy(t.text)))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
            Dn(_) => {
                let t = self.next("a name")?;
                name::parse_append(t.text, Some(self.origin.wire()), out)
                    .map_err(|e| format!("bad name '{}': {e}", lossy(t.text)))?;
            }
            Signer => {
                let t = self.next("a name")?;
                let at = out.len();
                name::parse_append(t.text, Some(self.origin.wire()), out)
                    .map_err(|e| format!("bad name '{}': {e}", lossy(t.text)))?;
                if name::labels(&out[at..]).count() > out[3] as usize {
                    return Err(format!(
                        "'{}' out of range (more labels than the labels field)",
                        lossy(t.text)
                    ));
                }
            }
            Ip4 => {
                let t = self.next("an IPv4 address")?;
                let a = parse_ipv4(t.text)
                    .ok_or_else(|| format!("bad IPv4 address '{}'", lossy(t.text)))?;
                out.extend_from_slice(&a);
            }
            Ip6 => {
                let t = self.next("an IPv6 address")?;
                let a = parse_ipv6(t.text)
                    .ok_or_else(|| format!("bad IPv6 address '{}'", lossy(t.text)))?;
                out.extend_from_slice(&a);
            }
            Str => {
                let t = self.next("a character-string")?;
                push_charstring(t.text, out)?;
            }
            OptStr => {
                if let Some(t) = self.toks.get(self.pos) {
                    self.pos += 1;
                    push_charstring(t.text, out)?;
                }
            }
            Digits => {
                let t = self.next("a character-string")?;
                let at = out.len();
                push_charstring(t.text, out)?;
                let s = &out[at + 1..];
                if s.len() < 4 || !s.iter().all(u8::is_ascii_digit) {
                    return Err(format!(
                        "bad X25 address '{}' (at least 4 digits)",
                        lossy(t.text)
                    ));
                }
            }
            Strs => {
                let t = self.next("a character-string")?;
                push_charstring(t.text, out)?;
                while let Some(t) = self.toks.get(self.pos) {
                    push_charstring(t.text, out)?;
                    self.pos += 1;
                }
            }
            Text | QText => {
                let t = self.next("a string")?;
                if f == QText && !t.quoted {
                    return Err(format!(
                        "syntax error near '{}' (expected a quoted string)",
                        lossy(t.text)
                    ));
                }
                unescape_into(t.text, out)
                    .ok_or_else(|| format!("bad escape in '{}'", lossy(t.text)))?;
            }
            Tag => {
                let t = self.next("a tag")?;
                if t.quoted {
                    return Err(format!(
                        "unexpected token '\"{}\"' (the tag is not quoted)",
                        lossy(t.text)
                    ));
                }
                let at = out.len();
                push_charstring(t.text, out)?;
                let s = &out[at + 1..];
                if s.is_empty() || !s.iter().all(u8::is_ascii_alphanumeric) {
                    return Err(format!("bad CAA tag '{}'", lossy(t.text)));
                }
            }
            B64 | B64Opt | B64Flat => {
                let mut joined = Vec::new();
                if self.rest(&mut joined) == 0 && f != B64Opt {
                    return Err("unexpected end of input (expected base64 data)".to_string());
                }
                decode_base64_into(&joined, out)
                    .ok_or_else(|| format!("bad base64 data '{}'", lossy(&joined)))?;
            }
            KeyData => {
                // Flags are the first two bytes of KEY RDATA; "no key" leaves the key out.
                let flags = u16::from_be_bytes([out[0], out[1]]);
                if flags & 0xc000 == 0xc000 {
                    return Ok(());
                }
                let mut joined = Vec::new();
                if self.rest(&mut joined) == 0 {
                    return Err("unexpected end of input (expected base64 data)".to_string());
                }
                decode_base64_into(&joined, out)
                    .ok_or_else(|| format!("bad base64 data '{}'", lossy(&joined)))?;
            }
            Hex | Digest | ZoneDigest | Fingerprint => {
                let want = match f {
                    Digest => ds_digest_len(out[3]),
                    ZoneDigest => zonemd_len(out[5]),
                    Fingerprint => sshfp_len(out[1]),
                    _ => None,
                };
                let mut joined = Vec::new();
                let optional = f == Fingerprint && want.is_none();
                if self.rest(&mut joined) == 0 && !optional {
                    return Err("unexpected end of input (expected hex data)".to_string());
                }
                let at = out.len();
                decode_hex_into(&joined, out)
                    .ok_or_else(|| format!("bad hex data '{}'", lossy(&joined)))?;
                let got = out.len() - at;
                if let Some(w) = want {
                    if got < w {
                        return Err(format!(
                            "unexpected end of input (digest is {got} bytes, expected {w})"
                        ));
                    }
                    if got > w {
                        return Err(format!(
                            "extra input data (digest is {got} bytes, expected {w})"
                        ));
                    }
                }
                if f == ZoneDigest && got < 12 {
                    return Err(format!("digest is {got} bytes, shorter than 12"));
                }
            }
            Salt => {
                let t = self.next("a salt")?;
                if t.text == b"-" {
                    out.push(0);
                } else {
                    let at = out.len();
                    out.push(0);
                    decode_hex_into(t.text, out)
                        .ok_or_else(|| format!("bad salt '{}'", lossy(t.text)))?;
                    let l = out.len() - at - 1;
                    if l > 255 {
                        return Err(format!("salt '{}' too long", lossy(t.text)));
                    }
                    out[at] = l as u8;
                }
            }
            B32 => {
                let t = self.next("a base32hex hash")?;
                if t.text.len() > 63 {
                    return Err(format!(
                        "'{}' out of range (longer than a label)",
                        lossy(t.text)
                    ));
                }
                let at = out.len();
                out.push(0);
                decode_base32hex_into(t.text, out)
                    .ok_or_else(|| format!("bad base32hex '{}'", lossy(t.text)))?;
                let l = out.len() - at - 1;
                // SHA-1 (hash algorithm 1) hashes are 20 bytes.
                if l == 0 || l > 255 || (out[0] == 1 && l != 20) {
                    return Err(format!(
                        "'{}' out of range (bad hash length)",
                        lossy(t.text)
                    ));
                }
                out[at] = l as u8;
            }
            Bitmap | NsecBitmap | NxtBitmap => {
                let mut types = Vec::new();
                while let Some(t) = self.toks.get(self.pos) {
                    let v = match parse_dec(t.text) {
                        Some(n) if f == NxtBitmap => n.min(65536) as u32,
                        _ => type_from_text(t.text)
                            .ok_or_else(|| format!("unknown type '{}'", lossy(t.text)))?
                            as u32,
                    };
                    if f == NxtBitmap && (v == 0 || v > 127) {
                        return Err(format!(
                            "type '{}' cannot appear in an NXT bitmap",
                            lossy(t.text)
                        ));
                    }
                    types.push(v as u16);
                    self.pos += 1;
                }
                if types.is_empty() && f == NsecBitmap {
                    return Err("FORMERR: empty type bitmap".to_string());
                }
                if f != NxtBitmap {
                    encode_bitmap(&mut types, out);
                } else {
                    encode_nxt_bitmap(&types, out);
                }
            }
            Time => {
                let t = self.next("a time")?;
                let v =
                    parse_time(t.text).ok_or_else(|| format!("bad time '{}'", lossy(t.text)))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
            Type => {
                let t = self.next("a type")?;
                let v = type_from_text(t.text)
                    .ok_or_else(|| format!("unknown type '{}'", lossy(t.text)))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
            Alg | AlgName => {
                let v = self.num_or(SECALGS, 255, "algorithm")?;
                out.push(v as u8);
            }
            CertType => {
                let v = self.num_or(CERTTYPES, 0xffff, "certificate type")?;
                out.extend_from_slice(&(v as u16).to_be_bytes());
            }
            Proto => {
                let v = self.num_or(PROTOS, 255, "protocol")?;
                out.push(v as u8);
            }
            DigestType => {
                let v = self.num_or(DIGESTS, 255, "digest type")?;
                out.push(v as u8);
            }
            Scheme => {
                let v = self.num_or(&[(1u8, "NOTIFY")], 255, "scheme")?;
                out.push(v as u8);
            }
            RkeyFlags => {
                let t = self.next("flags")?;
                match parse_dec(t.text) {
                    Some(0) => out.extend_from_slice(&[0, 0]),
                    Some(_) => {
                        return Err(format!(
                            "FORMERR near '{}' (RKEY flags must be 0)",
                            lossy(t.text)
                        ))
                    }
                    None => return Err(format!("bad number '{}'", lossy(t.text))),
                }
            }
            KeyFlags => {
                let t = self.next("key flags")?;
                let v = match parse_dec(t.text) {
                    Some(v) if v <= 0xffff => v as u16,
                    Some(_) => return Err(format!("key flags '{}' out of range", lossy(t.text))),
                    None => {
                        let mut v = 0u16;
                        for part in t.text.split(|&c| c == b'|') {
                            v |= mnemonic(KEYFLAGS, part)
                                .ok_or_else(|| format!("bad key flags '{}'", lossy(t.text)))?;
                        }
                        v
                    }
                };
                out.extend_from_slice(&v.to_be_bytes());
            }
            Eui48 | Eui64 => {
                let t = self.next("an EUI address")?;
                let n = if f == Eui48 { 6 } else { 8 };
                parse_eui(t.text, n, out)
                    .ok_or_else(|| format!("bad EUI address '{}'", lossy(t.text)))?;
            }
            Locator64 => {
                let t = self.next("a locator")?;
                parse_locator64(t.text, out)
                    .ok_or_else(|| format!("bad locator '{}'", lossy(t.text)))?;
            }
            Nsap => {
                let t = self.next("an NSAP address")?;
                parse_nsap(t.text, out)
                    .ok_or_else(|| format!("bad NSAP address '{}'", lossy(t.text)))?;
            }
            AmtType => {
                let d = self.num(1, "discovery-optional bit")?;
                let ty = self.num(0x7f, "relay type")?;
                out.push((d as u8) << 7 | ty as u8);
            }
            Gateway(at) => {
                let mask = if at & 0x80 != 0 { 0x7f } else { 0xff };
                let kind = out[(at & 0x7f) as usize] & mask;
                match kind {
                    0 => match self.toks.get(self.pos) {
                        Some(t) if t.text == b"." => self.pos += 1,
                        Some(t) => {
                            return Err(format!(
                                "syntax error near '{}' (expected '.')",
                                lossy(t.text)
                            ))
                        }
                        None => {
                            return Err("unexpected end of input (expected a gateway)".to_string())
                        }
                    },
                    1 => self.field(Ip4, out)?,
                    2 => self.field(Ip6, out)?,
                    3 => self.field(Dn(false), out)?,
                    _ => return Err(format!("bad gateway type {kind}")),
                }
            }
            DoaData => {
                let t = self.next("DOA data")?;
                if t.quoted {
                    return Err(format!(
                        "unexpected token '\"{}\"' (DOA data is not quoted)",
                        lossy(t.text)
                    ));
                }
                if t.text == b"-" && self.pos == self.toks.len() {
                    return Ok(());
                }
                self.pos -= 1;
                let mut joined = Vec::new();
                self.rest(&mut joined);
                decode_base64_into(&joined, out)
                    .ok_or_else(|| format!("bad base64 data '{}'", lossy(&joined)))?;
            }
            Loc => custom::parse_loc(self.take_all(), out)?,
            Apl => custom::parse_apl(self.take_all(), out)?,
            Wks => custom::parse_wks(self.take_all(), out)?,
            Svcb => {
                let origin = self.origin;
                custom::parse_svcb(self.take_all(), origin, out)?
            }
            A6 => {
                let origin = self.origin;
                custom::parse_a6(self.take_all(), origin, out)?
            }
            Hip => {
                let origin = self.origin;
                custom::parse_hip(self.take_all(), origin, out)?
            }
            Atma => custom::parse_atma(self.take_all(), out)?,
        }
        Ok(())
    }

    fn take_all(&mut self) -> &'b [Tok<'a>] {
        let s = &self.toks[self.pos..];
        self.pos = self.toks.len();
        s
    }
}

fn lossy(t: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(t)
}

/// Strict dotted-quad (BIND's inet_pton: exactly four decimal parts, each 0-255).
pub fn parse_ipv4(t: &[u8]) -> Option<[u8; 4]> {
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
pub fn parse_ipv6(t: &[u8]) -> Option<[u8; 16]> {
    let s = std::str::from_utf8(t).ok()?;
    // Rust's parser accepts the same forms as inet_pton except leading zeros in an embedded
    // IPv4 part, which both reject.
    let a: std::net::Ipv6Addr = s.parse().ok()?;
    Some(a.octets())
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

const B64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64val(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a' + 26) as u32),
        b'0'..=b'9' => Some((c - b'0' + 52) as u32),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes base64 (padding required as BIND requires it).
pub fn decode_base64_into(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if !t.len().is_multiple_of(4) {
        return None;
    }
    let n = t.len() / 4;
    for (k, chunk) in t.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && k + 1 != n) {
            return None;
        }
        let mut v = 0u32;
        for &c in &chunk[..4 - pad] {
            v = (v << 6) | b64val(c)?;
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
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
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

/// Base64 split into 56-character words, as BIND prints key and signature material.
fn encode_base64_split(data: &[u8], out: &mut String) {
    for (i, chunk) in data.chunks(42).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        encode_base64(chunk, out);
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Uppercase hex, split into 56-character words when `split`.
fn encode_hex(data: &[u8], split: bool, out: &mut String) {
    for (i, c) in data.iter().enumerate() {
        if split && i > 0 && i % 28 == 0 {
            out.push(' ');
        }
        out.push(HEX_UPPER[(c >> 4) as usize] as char);
        out.push(HEX_UPPER[(c & 15) as usize] as char);
    }
}

const B32HEX: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";

/// Decodes unpadded base32hex, case-insensitive.
pub fn decode_base32hex_into(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
    // NSEC3 hashes are written without padding; BIND rejects `=`.
    // Only whole groups of bits that a real encoder would produce.
    if matches!(t.len() % 8, 1 | 3 | 6) {
        return None;
    }
    let mut acc: u64 = 0;
    let mut bits = 0;
    for &c in t {
        let v = match c.to_ascii_uppercase() {
            d @ b'0'..=b'9' => d - b'0',
            d @ b'A'..=b'V' => d - b'A' + 10,
            _ => return None,
        };
        acc = acc << 5 | v as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // Leftover bits must be zero.
    if acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(())
}

fn encode_base32hex(data: &[u8], out: &mut String) {
    let mut acc: u64 = 0;
    let mut bits = 0;
    for &b in data {
        acc = acc << 8 | b as u64;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32HEX[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32HEX[((acc << (5 - bits)) & 31) as usize] as char);
    }
}

/// Builds an NSEC type bitmap (RFC 4034 4.1.2) from `types` (sorted and deduplicated here).
fn encode_bitmap(types: &mut Vec<u16>, out: &mut Vec<u8>) {
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

fn encode_nxt_bitmap(types: &[u16], out: &mut Vec<u8>) {
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

/// Prints the types of an NSEC bitmap; `None` when malformed.
fn write_bitmap(mut rd: &[u8], out: &mut String) -> Option<()> {
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
        for (j, &b) in bits.iter().enumerate() {
            for k in 0..8 {
                if b & (0x80 >> k) != 0 {
                    if !first {
                        out.push(' ');
                    }
                    first = false;
                    type_to_text((window as u16) << 8 | (j * 8 + k) as u16, out);
                }
            }
        }
        rd = &rd[2 + len..];
    }
    Some(())
}

/// Parses an RRSIG time: 14 digits `YYYYMMDDHHMMSS` (reduced modulo 2^32) or up to 10 digits
/// of seconds.
pub fn parse_time(t: &[u8]) -> Option<u32> {
    if t.len() <= 10 {
        return parse_dec(t).and_then(|v| u32::try_from(v).ok());
    }
    if t.len() != 14 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |a: usize, b: usize| parse_dec(&t[a..b]).unwrap_or(0) as i64;
    let (y, mo, d, h, mi, s) = (n(0, 4), n(4, 6), n(6, 8), n(8, 10), n(10, 12), n(12, 14));
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86400 + h * 3600 + mi * 60 + s;
    Some(secs as u64 as u32)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Prints a 32-bit time as `YYYYMMDDHHMMSS` in the epoch closest to now (BIND's rule).
fn write_time(v: u32, out: &mut String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // The instant congruent to `v` modulo 2^32 that lies within 2^31 seconds of now.
    let mut t = v as i64;
    while t >= now + 0x8000_0000 {
        t -= 1 << 32;
    }
    while t < now - 0x8000_0000 {
        t += 1 << 32;
    }
    let (y, mo, d) = civil_from_days(t.div_euclid(86400));
    let r = t.rem_euclid(86400);
    out.push_str(&format!(
        "{y:04}{mo:02}{d:02}{:02}{:02}{:02}",
        r / 3600,
        r / 60 % 60,
        r % 60
    ));
}

/// EUI-48/EUI-64 as BIND 9.18 reads them (`sscanf("%2x-%2x-...")`): one or two hex digits
/// per group, anything after the last group ignored.
fn parse_eui(t: &[u8], n: usize, out: &mut Vec<u8>) -> Option<()> {
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

fn parse_locator64(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
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

fn parse_nsap(t: &[u8], out: &mut Vec<u8>) -> Option<()> {
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
pub fn write_charstring(s: &[u8], out: &mut String) {
    out.push('"');
    write_text_escaped(s, out);
    out.push('"');
}

/// Escapes bytes as BIND does inside a quoted string.
fn write_text_escaped(s: &[u8], out: &mut String) {
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

/// Appends RDATA in the RFC 3597 generic form.
pub fn write_generic(rdata: &[u8], out: &mut String) {
    out.push_str("\\# ");
    push_u64(out, rdata.len() as u64);
    if !rdata.is_empty() {
        out.push(' ');
        encode_hex(rdata, true, out);
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

fn get_u16(rd: &[u8], p: usize) -> Option<u16> {
    Some(u16::from_be_bytes(rd.get(p..p + 2)?.try_into().ok()?))
}

fn get_u32(rd: &[u8], p: usize) -> Option<u32> {
    Some(u32::from_be_bytes(rd.get(p..p + 4)?.try_into().ok()?))
}

fn write_ip6(a: &[u8], out: &mut String) -> Option<()> {
    let a: [u8; 16] = a.try_into().ok()?;
    out.push_str(&custom::ipv6_text(&a));
    Some(())
}

fn write_fields(fields: &[F], rd: &[u8], out: &mut String) -> Option<()> {
    let mut p = 0usize;
    for (i, f) in fields.iter().enumerate() {
        let mark = out.len();
        if i > 0 {
            out.push(' ');
        }
        let body = out.len();
        match *f {
            U8 => {
                push_u64(out, *rd.get(p)? as u64);
                p += 1;
            }
            U16 => {
                push_u64(out, get_u16(rd, p)? as u64);
                p += 2;
            }
            U32 | Period => {
                push_u64(out, get_u32(rd, p)? as u64);
                p += 4;
            }
            Dn(_) | Signer => {
                let l = name::wire_len(rd.get(p..)?)?;
                name::write_name(&rd[p..p + l], out);
                p += l;
            }
            Ip4 => {
                let a = rd.get(p..p + 4)?;
                for (k, b) in a.iter().enumerate() {
                    if k > 0 {
                        out.push('.');
                    }
                    push_u64(out, *b as u64);
                }
                p += 4;
            }
            Ip6 => {
                write_ip6(rd.get(p..p + 16)?, out)?;
                p += 16;
            }
            Str | Digits | Tag => {
                let l = *rd.get(p)? as usize;
                let s = rd.get(p + 1..p + 1 + l)?;
                if *f == Tag {
                    if s.is_empty() {
                        return None;
                    }
                    write_text_escaped(s, out);
                } else {
                    write_charstring(s, out);
                }
                p += 1 + l;
            }
            OptStr => {
                if p < rd.len() {
                    let l = *rd.get(p)? as usize;
                    write_charstring(rd.get(p + 1..p + 1 + l)?, out);
                    p += 1 + l;
                }
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
            Text | QText => {
                write_charstring(&rd[p..], out);
                p = rd.len();
            }
            B64 | B64Opt | KeyData => {
                if *f == B64 && p >= rd.len() {
                    return None;
                }
                encode_base64_split(rd.get(p..)?, out);
                p = rd.len();
            }
            B64Flat => {
                if p >= rd.len() {
                    return None;
                }
                encode_base64(&rd[p..], out);
                p = rd.len();
            }
            DoaData => {
                if p >= rd.len() {
                    out.push('-');
                } else {
                    encode_base64(&rd[p..], out);
                }
                p = rd.len();
            }
            Hex | Digest | ZoneDigest | Fingerprint => {
                let data = &rd[p.min(rd.len())..];
                let want = match *f {
                    Digest => ds_digest_len(*rd.get(3)?),
                    ZoneDigest => zonemd_len(*rd.get(5)?),
                    Fingerprint => sshfp_len(*rd.get(1)?),
                    _ => None,
                };
                if want.is_some_and(|w| w != data.len())
                    || (*f == ZoneDigest && data.len() < 12)
                    || (data.is_empty() && *f != Fingerprint)
                {
                    return None;
                }
                encode_hex(data, true, out);
                p = rd.len();
            }
            Salt => {
                let l = *rd.get(p)? as usize;
                let s = rd.get(p + 1..p + 1 + l)?;
                if s.is_empty() {
                    out.push('-');
                } else {
                    encode_hex(s, false, out);
                }
                p += 1 + l;
            }
            B32 => {
                let l = *rd.get(p)? as usize;
                encode_base32hex(rd.get(p + 1..p + 1 + l)?, out);
                p += 1 + l;
            }
            Bitmap | NsecBitmap => {
                if *f == NsecBitmap && p >= rd.len() {
                    return None;
                }
                write_bitmap(rd.get(p..)?, out)?;
                p = rd.len();
            }
            NxtBitmap => {
                let bits = rd.get(p..)?;
                if bits.len() > 16 {
                    return None;
                }
                let mut first = true;
                for (j, &b) in bits.iter().enumerate() {
                    for k in 0..8 {
                        if b & (0x80 >> k) != 0 {
                            if !first {
                                out.push(' ');
                            }
                            first = false;
                            // BIND prints types it has no name for as bare numbers here.
                            let t = (j * 8 + k) as u16;
                            match info(t) {
                                Some(i) => out.push_str(i.name),
                                None => push_u64(out, t as u64),
                            }
                        }
                    }
                }
                p = rd.len();
            }
            Time => {
                write_time(get_u32(rd, p)?, out);
                p += 4;
            }
            Type => {
                type_to_text(get_u16(rd, p)?, out);
                p += 2;
            }
            Alg | Proto | DigestType => {
                push_u64(out, *rd.get(p)? as u64);
                p += 1;
            }
            Scheme => {
                let v = *rd.get(p)?;
                match v {
                    1 => out.push_str("NOTIFY"),
                    _ => push_u64(out, v as u64),
                }
                p += 1;
            }
            AlgName => {
                let v = *rd.get(p)?;
                match mnemonic_of(SECALGS, v) {
                    Some(n) => out.push_str(n),
                    None => push_u64(out, v as u64),
                }
                p += 1;
            }
            CertType => {
                let v = get_u16(rd, p)?;
                match mnemonic_of(CERTTYPES, v) {
                    Some(n) => out.push_str(n),
                    None => push_u64(out, v as u64),
                }
                p += 2;
            }
            KeyFlags | RkeyFlags => {
                push_u64(out, get_u16(rd, p)? as u64);
                p += 2;
            }
            Eui48 | Eui64 => {
                let n = if *f == Eui48 { 6 } else { 8 };
                let a = rd.get(p..p + n)?;
                for (k, b) in a.iter().enumerate() {
                    if k > 0 {
                        out.push('-');
                    }
                    out.push_str(&format!("{b:02x}"));
                }
                p += n;
            }
            Locator64 => {
                for k in 0..4 {
                    if k > 0 {
                        out.push(':');
                    }
                    out.push_str(&format!("{:x}", get_u16(rd, p + 2 * k)?));
                }
                p += 8;
            }
            Nsap => {
                if p >= rd.len() {
                    return None;
                }
                out.push_str("0x");
                for b in &rd[p..] {
                    out.push_str(&format!("{b:02x}"));
                }
                p = rd.len();
            }
            AmtType => {
                let v = *rd.get(p)?;
                push_u64(out, (v >> 7) as u64);
                out.push(' ');
                push_u64(out, (v & 0x7f) as u64);
                p += 1;
            }
            Gateway(at) => {
                let kind =
                    *rd.get((at & 0x7f) as usize)? & if at & 0x80 != 0 { 0x7f } else { 0xff };
                match kind {
                    0 => out.push('.'),
                    1 => {
                        let a = rd.get(p..p + 4)?;
                        out.push_str(&format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]));
                        p += 4;
                    }
                    2 => {
                        write_ip6(rd.get(p..p + 16)?, out)?;
                        p += 16;
                    }
                    3 => {
                        let l = name::wire_len(rd.get(p..)?)?;
                        name::write_name(&rd[p..p + l], out);
                        p += l;
                    }
                    _ => return None,
                }
            }
            Loc => p += custom::write_loc(rd.get(p..)?, out)?,
            Apl => p += custom::write_apl(rd.get(p..)?, out)?,
            Wks => p += custom::write_wks(rd.get(p..)?, out)?,
            Svcb => p += custom::write_svcb(rd.get(p..)?, out)?,
            A6 => p += custom::write_a6(rd.get(p..)?, out)?,
            Hip => p += custom::write_hip(rd.get(p..)?, out)?,
            Atma => p += custom::write_atma(rd.get(p..)?, out)?,
        }
        if out.len() == body {
            out.truncate(mark);
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
        s.split_whitespace()
            .map(|t| Tok {
                text: t.as_bytes(),
                quoted: false,
            })
            .collect()
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
        rt(
            "SOA",
            "ns root 1 1H 30M 1W 1D",
            "ns.example. root.example. 1 3600 1800 604800 86400",
        );
        rt("SRV", "0 10 2181 node1", "0 10 2181 node1.example.");
        rt("TYPE999", "\\# 3 abcdef", "\\# 3 ABCDEF");
        rt("HINFO", "PC Linux", "\"PC\" \"Linux\"");
    }

    #[test]
    fn ttl_units() {
        assert_eq!(
            parse_ttl(b"1W2D3H4M5S"),
            Some(604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5)
        );
        assert_eq!(parse_ttl(b"1d"), Some(86400));
        assert_eq!(parse_ttl(b"1d2"), None);
        assert_eq!(parse_ttl(b"x"), None);
        assert_eq!(parse_ttl(b"4294967296"), None);
    }

    #[test]
    fn bad_rdata() {
        let origin = Name::root();
        let mut w = Vec::new();
        assert!(parse_rdata(A, &toks("1.2.3"), &origin, &mut w)
            .unwrap_err()
            .contains("'1.2.3'"));
        assert!(parse_rdata(A, &toks("1.2.3.256"), &origin, &mut w).is_err());
        assert!(parse_rdata(MX, &toks("10"), &origin, &mut w)
            .unwrap_err()
            .contains("end of input"));
        assert!(parse_rdata(A, &toks("1.2.3.4 5"), &origin, &mut w)
            .unwrap_err()
            .contains("extra"));
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

/// Every type's text form read and printed back in BIND's canonical form, and the errors
/// that name the offending token.
#[cfg(test)]
mod type_table_tests {
    use super::*;

    /// Splits like the master-file lexer: blanks separate tokens, `"..."` is one quoted token.
    fn lex(s: &str) -> Vec<Tok<'_>> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b' ' {
                i += 1;
            } else if b[i] == b'"' {
                let start = i + 1;
                i = start;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.push(Tok {
                    text: &b[start..i.min(b.len())],
                    quoted: true,
                });
                i += 1;
            } else {
                let start = i;
                while i < b.len() && b[i] != b' ' && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.push(Tok {
                    text: &b[start..i.min(b.len())],
                    quoted: false,
                });
            }
        }
        out
    }

    fn read(ty: &str, text: &str) -> Result<String, String> {
        let code = type_from_text(ty.as_bytes()).ok_or("no such type")?;
        let origin = Name::from_ascii("example.").unwrap();
        let mut wire = Vec::new();
        parse_rdata(code, &lex(text), &origin, &mut wire)?;
        let mut s = String::new();
        write_rdata(code, &wire, &mut s);
        Ok(s)
    }

    #[track_caller]
    fn rt(ty: &str, text: &str, want: &str) {
        match read(ty, text) {
            Ok(got) => assert_eq!(got, want, "{ty} {text}"),
            Err(e) => panic!("{ty} {text}: {e}"),
        }
    }

    #[track_caller]
    fn bad(ty: &str, text: &str, want: &str) {
        match read(ty, text) {
            Ok(got) => panic!("{ty} {text}: accepted as {got}"),
            Err(e) => assert_eq!(e, want, "{ty} {text}"),
        }
    }

    #[test]
    fn names_strings_and_numbers() {
        rt("NS", "ns", "ns.example.");
        rt(
            "SOA",
            "ns h 1 1h 1m 1w 1d",
            "ns.example. h.example. 1 3600 60 604800 86400",
        );
        rt(
            "TXT",
            "\"a b\" c \"\\\"\\\\\\255\"",
            "\"a b\" \"c\" \"\\\"\\\\\\255\"",
        );
        rt("HINFO", "\"PC\" Linux", "\"PC\" \"Linux\"");
        rt(
            "NAPTR",
            "10 20 \"s\" \"SIP+D2U\" \"\" _sip._udp",
            "10 20 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.",
        );
        rt("ISDN", "\"isdn\"", "\"isdn\"");
        rt("ISDN", "isdn sub", "\"isdn\" \"sub\"");
        rt("X25", "311061700956", "\"311061700956\"");
        rt(
            "GPOS",
            "-22.6882 116.8652 250.0",
            "\"-22.6882\" \"116.8652\" \"250.0\"",
        );
        rt("RP", "mbox txt", "mbox.example. txt.example.");
        rt("PX", "10 a b.", "10 a.example. b.");
        rt("URI", "10 1 \"ftp://a/b\"", "10 1 \"ftp://a/b\"");
        rt(
            "CAA",
            "0 issue \"ca.example; x\"",
            "0 issue \"ca.example; x\"",
        );
        rt("CAA", "128 tbs \"\"", "128 tbs \"\"");
        rt("L32", "10 1.2.3.4", "10 1.2.3.4");
        rt("L64", "10 2001:db8:0:1", "10 2001:db8:0:1");
        rt("NID", "10 0014:4fff:ff20:ee64", "10 14:4fff:ff20:ee64");
        rt("EUI48", "00-00-5e-00-53-2A", "00-00-5e-00-53-2a");
        rt(
            "EUI64",
            "00-00-5e-ef-10-00-00-2a",
            "00-00-5e-ef-10-00-00-2a",
        );
        rt("NSAP", "0x47.0005.80.005a00", "0x47000580005a00");
        rt("ATMA", "+61.2.0000.0000", "+61200000000");
        rt("ATMA", "0.0", "00");
        rt("DSYNC", "CDS NOTIFY 5359 ns", "CDS NOTIFY 5359 ns.example.");
        rt("TYPE999", "\\# 3 abcdef", "\\# 3 ABCDEF");
        bad("A", "1.2.3", "bad IPv4 address '1.2.3'");
        bad("A", "01.2.3.4", "bad IPv4 address '01.2.3.4'");
        bad("MX", "65536 a", "number '65536' out of range");
        bad(
            "URI",
            "0 0 a",
            "syntax error near 'a' (expected a quoted string)",
        );
        bad(
            "CAA",
            "0 \"a\" b",
            "unexpected token '\"a\"' (the tag is not quoted)",
        );
        bad("X25", "123", "bad X25 address '123' (at least 4 digits)");
        bad("ATMA", "0..0", "syntax error near '0..0'");
        bad(
            "TXT",
            "",
            "unexpected end of input (expected a character-string)",
        );
    }

    #[test]
    fn dnssec_types() {
        rt(
            "DS",
            "30795 RSASHA1 SHA-1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9",
            "30795 5 1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9",
        );
        rt(
            "DS",
            "1 8 2 36FB69A752615831B47EA6EF9EA4619D0FB08ABDA69EA3ED200F4C02FF4921D4",
            "1 8 2 36FB69A752615831B47EA6EF9EA4619D0FB08ABDA69EA3ED200F4C02 FF4921D4",
        );
        rt("DNSKEY", "257 3 13 AAAA BBBB", "257 3 13 AAAABBBB");
        rt("KEY", "NOKEY|ZONE 3 1", "49408 3 1");
        rt(
            "RRSIG",
            "A 13 2 300 20300101000000 1700000000 1 example. AAAA",
            "A 13 2 300 20300101000000 20231114221320 1 example. AAAA",
        );
        rt(
            "NSEC",
            "next A TYPE1000 RRSIG NSEC",
            "next.example. A RRSIG NSEC TYPE1000",
        );
        rt(
            "NSEC3",
            "1 1 10 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG",
            "1 1 10 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG",
        );
        rt("NSEC3", "2 0 0 AABB 2t7b4g4v", "2 0 0 AABB 2T7B4G4V");
        bad(
            "NSEC3",
            "1 0 0 AABB 2t7b4g4v",
            "'2t7b4g4v' out of range (bad hash length)",
        );
        bad(
            "RRSIG",
            "A 8 0 300 20300101000000 20200101000000 1 example. AAAA",
            "'example.' out of range (more labels than the labels field)",
        );
        rt("NSEC3PARAM", "1 0 10 -", "1 0 10 -");
        rt("CERT", "PKIX 1 RSASHA1 AAAA", "PKIX 1 RSASHA1 AAAA");
        rt(
            "CERT",
            "65534 65535 254 AAAA",
            "65534 65535 PRIVATEOID AAAA",
        );
        rt(
            "SSHFP",
            "1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac",
            "1 1 DD465C09CFA51FB45020CC83316FFF21B9EC74AC",
        );
        rt("SSHFP", "0 0", "0 0");
        rt("TLSA", "3 1 1 0011", "3 1 1 0011");
        rt("CSYNC", "66 3 A NS AAAA", "66 3 A NS AAAA");
        rt("NXT", "a NS SOA 127", "a.example. NS SOA 127");
        rt(
            "IPSECKEY",
            "10 1 2 192.0.2.38 AQNR",
            "10 1 2 192.0.2.38 AQNR",
        );
        rt("IPSECKEY", "10 3 2 gw AQNR", "10 3 2 gw.example. AQNR");
        rt("AMTRELAY", "10 1 3 relay", "10 1 3 relay.example.");
        rt("AMTRELAY", "0 0 0 .", "0 0 0 .");
        rt(
            "HIP",
            "2 200100107B1A74DF365639CC39F1D578 AwEAAQ== rvs",
            "2 200100107B1A74DF365639CC39F1D578 AwEAAQ== rvs.example.",
        );
        rt("DOA", "0 1 2 \"\" -", "0 1 2 \"\" -");
        rt("ZONEMD", "1 1 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", "1 1 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABB CCDDEEFF00112233445566778899AABBCCDDEEFF0011223344556677 8899AABBCCDDEEFF");
        bad(
            "DS",
            "1 8 1 00",
            "unexpected end of input (digest is 1 bytes, expected 20)",
        );
        bad("NSEC3", "1 0 0 - 00======", "bad base32hex '00======'");
        bad("NSEC", "next", "FORMERR: empty type bitmap");
        bad(
            "RRSIG",
            "A 13 2 300 20301301000000 1 1 example. AAAA",
            "bad time '20301301000000'",
        );
        bad(
            "RKEY",
            "1 0 0 aaaa",
            "FORMERR near '1' (RKEY flags must be 0)",
        );
        bad(
            "DOA",
            "0 0 1 \"t\" \"Zm9v\"",
            "unexpected token '\"Zm9v\"' (DOA data is not quoted)",
        );
    }

    #[test]
    fn irregular_types() {
        rt(
            "LOC",
            "42 21 54 N 71 06 18 W -24m 30m",
            "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m",
        );
        rt(
            "LOC",
            "0 S 0 W 0",
            "0 0 0.000 N 0 0 0.000 E 0.00m 1m 10000m 10m",
        );
        rt(
            "LOC",
            "1 2 3.5 S 4 5 6.25 E 7.5 0.5 1 9000000",
            "1 2 3.500 S 4 5 6.250 E 7.50m 0.50m 1m 9000000m",
        );
        rt(
            "APL",
            "1:192.168.32.0/21 !1:192.168.38.0/28 2:2001:db8::/32",
            "1:192.168.32.0/21 !1:192.168.38.0/28 2:2001:db8::/32",
        );
        rt("APL", "", "");
        rt("WKS", "10.0.0.1 tcp smtp 0 80 1", "10.0.0.1 6 0 1 25 80");
        rt(
            "A6",
            "64 ::ffff:ffff:ffff:ffff foo",
            "64 ::ffff:ffff:ffff:ffff foo.example.",
        );
        rt("A6", "0 2001:db8::1", "0 2001:db8::1");
        rt("AAAA", "::ffff:1.2.3.4", "::ffff:1.2.3.4");
        rt("AAAA", "::1.2.3.4", "::1.2.3.4");
        rt(
            "SVCB",
            "1 . alpn=h3,h2 port=8443 ipv4hint=1.2.3.4,5.6.7.8",
            "1 . alpn=\"h3,h2\" port=8443 ipv4hint=1.2.3.4,5.6.7.8",
        );
        rt(
            "SVCB",
            "1 svc mandatory=port,alpn alpn=\"h2\" port=1",
            "1 svc.example. mandatory=alpn,port alpn=\"h2\" port=1",
        );
        rt(
            "HTTPS",
            "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
            "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
        );
        rt(
            "HTTPS",
            "1 . dohpath=/q{?dns} key667=\"x y\" ech=AA==",
            "1 . ech=AA== key7=\"/q{?dns}\" key667=\"x y\"",
        );
        rt("SVCB", "0 target", "0 target.example.");
        bad("LOC", "91 N 0 E 0", "'91' out of range");
        bad("LOC", "0 North 0 E 0", "'North' is not a valid direction");
        bad("APL", "1:0.0.0.0/33", "'1:0.0.0.0/33' out of range");
        bad("WKS", "127.1 6", "bad dotted quad '127.1'");
        bad(
            "SVCB",
            "1 . alpn=h2 alpn=h3",
            "duplicate SvcParamKey 'alpn'",
        );
        bad("SVCB", "1 . mandatory=port", "a mandatory key is missing");
        bad(
            "SVCB",
            "1 . no-default-alpn",
            "no-default-alpn without alpn",
        );
        bad(
            "SVCB",
            "1 . dohpath=/nodns",
            "bad SvcParam 'dohpath=/nodns'",
        );
        bad("SVCB", "1 . key012=x", "bad SvcParamKey 'key012=x'");
    }
}
