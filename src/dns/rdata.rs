//! Record types and RDATA: the type table, reading RDATA from master-file tokens into wire
//! format and printing it in BIND's canonical text form, both driven by each type's list of
//! field kinds, and where the encoder finds compressible names.
//!
//! `types` holds the table, `field` the field kinds (one `impl` each), `custom` the layouts
//! too irregular for fields, `codec` and `text` the encodings they share.

mod codec;
mod custom;
mod error;
mod field;
#[cfg(test)]
mod tests;
mod text;
mod types;

pub use error::RdataError;
pub(crate) use error::MAX_RDATA;
pub use field::F;
pub(crate) use text::push_u64;
pub use text::{parse_dec, parse_ttl};
pub use types::{
    class_from_text, class_to_text, info, is_meta, type_from_text, type_name, type_to_text,
    TypeInfo, A, AAAA, ANY, AXFR, CNAME, DNAME, DNSKEY, DS, IXFR, KEY, MAILA, MAILB, MX, NS, NSEC,
    NSEC3, NXT, OPT, PTR, RRSIG, SOA, SRV, TKEY, TSIG, TXT,
};

use crate::dns::name::Name;
use codec::{encode_hex, hexval};
use field::Reader;
use text::lossy;

/// One token of RDATA text as the lexer saw it (escapes not yet interpreted).
#[derive(Debug, Clone, Copy)]
pub struct Tok<'a> {
    pub text: &'a [u8],
    pub quoted: bool,
}

/// Reads RDATA of `rtype` from `toks` into `out` (wire format). `origin` completes names.
/// Inlined into the zone-file reader, which calls it once per record.
#[inline]
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
                    return Err(RdataError::BadGeneric(type_name(rtype)));
                }
            }
            return Ok(());
        }
    }
    let Some(fields) = info(rtype).and_then(|t| t.fields) else {
        return Err(match toks.first() {
            Some(t) => RdataError::NoTextForm {
                rtype: type_name(rtype),
                text: lossy(t.text).into_owned(),
            },
            None => RdataError::End("\\# and the RDATA length"),
        });
    };
    let mut r = Reader::new(toks, origin);
    for f in fields {
        f.read(&mut r, out)?;
    }
    if let Some(t) = toks.get(r.pos) {
        return Err(RdataError::extra(t.text));
    }
    if out.len() >= MAX_RDATA {
        return Err(RdataError::TooLong(out.len()));
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

/// Reads `\# length hex...` (RFC 3597).
fn parse_generic(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let len_tok = toks.get(1).ok_or(RdataError::End("the \\# length"))?;
    let len = parse_dec(len_tok.text)
        .filter(|&l| l <= 65535)
        .ok_or_else(|| RdataError::bad("\\# length", len_tok.text))? as usize;
    let mut pending: Option<u8> = None;
    for t in &toks[2..] {
        for &c in t.text {
            let v = hexval(c).ok_or_else(|| RdataError::bad("hex", t.text))?;
            match pending.take() {
                Some(h) => out.push(h << 4 | v),
                None => pending = Some(v),
            }
        }
        if out.len() > len {
            return Err(format!("\\# data longer than the length {len}").into());
        }
    }
    if pending.is_some() {
        return Err("\\# data has an odd number of hex digits".into());
    }
    if out.len() != len {
        return Err(format!(
            "\\# length {len} does not match {} bytes of data",
            out.len()
        )
        .into());
    }
    Ok(())
}

/// Appends RDATA in the RFC 3597 generic form.
pub(crate) fn write_generic(rdata: &[u8], out: &mut String) {
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

/// Prints `rd` field by field, separated by spaces (a field that prints nothing takes no
/// space); `None` unless the fields use up the RDATA exactly.
fn write_fields(fields: &[F], rd: &[u8], out: &mut String) -> Option<()> {
    let mut p = 0usize;
    for (i, f) in fields.iter().enumerate() {
        let mark = out.len();
        if i > 0 {
            out.push(' ');
        }
        let body = out.len();
        p = f.print(rd, p, out)?;
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
    let mut p = 0usize;
    for (i, f) in t.fields?.iter().enumerate() {
        let len = f.wire_len(rdata, p)?;
        if i == idx {
            return rdata.get(p..p + len);
        }
        p += len;
    }
    None
}
