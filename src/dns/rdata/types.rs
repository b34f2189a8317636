//! The record type table (code, mnemonic, RDATA field layout, which field gets additional
//! processing) and the type and class mnemonics in both directions.

use super::field::F::{self, *};
use super::text::{parse_dec, push_u64};

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
pub const DNSKEY: u16 = 48;
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
static TYPES: &[TypeInfo] = &[
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
