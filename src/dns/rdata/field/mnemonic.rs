//! Field kinds that are numbers with names: DNSSEC algorithms, CERT types, KEY protocols and
//! flags, DS digest types, DSYNC schemes, RKEY flags, and the AMTRELAY/IPSECKEY relay type
//! and gateway.

use super::plain::{Dn, Ip4, Ip6, Uint};
use super::{shown, Field, Reader};
use crate::dns::rdata::text::{get_u16, parse_dec, push_u64};
use crate::dns::rdata::RdataError;

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

/// Reads a number up to `max` or a mnemonic from `table`.
fn num_or<T: Copy + Into<u64>>(
    r: &mut Reader<'_, '_>,
    table: &[(T, &str)],
    max: u64,
    what: &'static str,
) -> Result<u64, RdataError> {
    let t = r.next(what)?;
    if let Some(v) = parse_dec(t.text) {
        return if v <= max {
            Ok(v)
        } else {
            Err(RdataError::out_of_range(what, t.text))
        };
    }
    mnemonic(table, t.text)
        .map(Into::into)
        .ok_or_else(|| RdataError::unknown(what, t.text))
}

/// Prints a byte as its name from `table`, or as a number.
fn print_named_u8(
    table: &[(u8, &'static str)],
    rd: &[u8],
    p: usize,
    out: &mut String,
) -> Option<usize> {
    let v = *rd.get(p)?;
    match mnemonic_of(table, v) {
        Some(n) => out.push_str(n),
        None => push_u64(out, v as u64),
    }
    Some(p + 1)
}

/// A one-byte number with mnemonics read from `table` and printed as a number (KEY
/// protocol, DS digest type), or as its name when `named` (DSYNC scheme, CERT algorithm).
pub(crate) struct NamedU8 {
    pub table: &'static [(u8, &'static str)],
    pub what: &'static str,
    pub named: bool,
}

/// DNSSEC algorithm: number out, except in CERT.
pub(crate) const fn alg(named: bool) -> NamedU8 {
    NamedU8 {
        table: SECALGS,
        what: "algorithm",
        named,
    }
}

pub(crate) const PROTO: NamedU8 = NamedU8 {
    table: PROTOS,
    what: "protocol",
    named: false,
};

pub(crate) const DIGEST_TYPE: NamedU8 = NamedU8 {
    table: DIGESTS,
    what: "digest type",
    named: false,
};

pub(crate) const SCHEME: NamedU8 = NamedU8 {
    table: &[(1, "NOTIFY")],
    what: "scheme",
    named: true,
};

impl Field for NamedU8 {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        out.push(num_or(r, self.table, 255, self.what)? as u8);
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        if self.named {
            print_named_u8(self.table, rd, p, out)
        } else {
            Uint(1).print(rd, p, out)
        }
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(1)
    }
}

/// CERT type (u16), mnemonic in and out.
pub(crate) struct CertType;

impl Field for CertType {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let v = num_or(r, CERTTYPES, 0xffff, "certificate type")?;
        out.extend_from_slice(&(v as u16).to_be_bytes());
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let v = get_u16(rd, p)?;
        match mnemonic_of(CERTTYPES, v) {
            Some(n) => out.push_str(n),
            None => push_u64(out, v as u64),
        }
        Some(p + 2)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(2)
    }
}

/// RKEY flags: a u16 that must be zero.
pub(crate) struct RkeyFlags;

impl Field for RkeyFlags {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("flags")?;
        match parse_dec(t.text) {
            Some(0) => {
                out.extend_from_slice(&[0, 0]);
                Ok(())
            }
            Some(_) => {
                Err(format!("FORMERR near '{}' (RKEY flags must be 0)", shown(t.text)).into())
            }
            None => Err(RdataError::bad("number", t.text)),
        }
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        Uint(2).print(rd, p, out)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(2)
    }
}

/// KEY/DNSKEY flags (u16): a number or mnemonics joined by `|`.
pub(crate) struct KeyFlags;

impl Field for KeyFlags {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("key flags")?;
        let v = match parse_dec(t.text) {
            Some(v) if v <= 0xffff => v as u16,
            Some(_) => return Err(RdataError::out_of_range("key flags", t.text)),
            None => {
                let mut v = 0u16;
                for part in t.text.split(|&c| c == b'|') {
                    v |= mnemonic(KEYFLAGS, part)
                        .ok_or_else(|| RdataError::bad("key flags", t.text))?;
                }
                v
            }
        };
        out.extend_from_slice(&v.to_be_bytes());
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        Uint(2).print(rd, p, out)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(2)
    }
}

/// AMTRELAY discovery-optional bit and relay type, one byte, two numbers in text.
pub(crate) struct AmtType;

impl Field for AmtType {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let d = r.num(1, "discovery-optional bit")?;
        let ty = r.num(0x7f, "relay type")?;
        out.push((d as u8) << 7 | ty as u8);
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let v = *rd.get(p)?;
        push_u64(out, (v >> 7) as u64);
        out.push(' ');
        push_u64(out, (v & 0x7f) as u64);
        Some(p + 1)
    }

    fn wire_len(&self, _: &[u8], _: usize) -> Option<usize> {
        Some(1)
    }
}

/// IPSECKEY/AMTRELAY gateway whose form is given by the byte at offset `.0 & 0x7f`; with
/// `.0 & 0x80` only the low 7 bits of that byte count and "no gateway" may omit the `.`.
pub(crate) struct Gateway(pub u8);

impl Gateway {
    /// The gateway form: 0 none, 1 IPv4, 2 IPv6, 3 a name.
    fn kind(&self, rd: &[u8]) -> Option<u8> {
        let mask = if self.0 & 0x80 != 0 { 0x7f } else { 0xff };
        Some(*rd.get((self.0 & 0x7f) as usize)? & mask)
    }
}

impl Field for Gateway {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        match self.kind(out).unwrap_or(0) {
            0 => match r.next_opt() {
                Some(t) if t.text == b"." => Ok(()),
                Some(t) => Err(RdataError::syntax(t.text, " (expected '.')")),
                None => Err(RdataError::End("a gateway")),
            },
            1 => Ip4.read(r, out),
            2 => Ip6.read(r, out),
            3 => Dn.read(r, out),
            kind => Err(format!("bad gateway type {kind}").into()),
        }
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        match self.kind(rd)? {
            0 => {
                out.push('.');
                Some(p)
            }
            1 => Ip4.print(rd, p, out),
            2 => Ip6.print(rd, p, out),
            3 => Dn.print(rd, p, out),
            _ => None,
        }
    }
}
