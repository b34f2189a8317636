//! Field kinds holding binary data in a text encoding: base64 (keys, signatures), hex
//! (digests, fingerprints, salts), base32hex (NSEC3 hashes) and type bitmaps.

use super::{Field, Reader};
use crate::dns::rdata::codec::{
    decode_base32hex_into, decode_base64_into, decode_hex_into, each_bit, encode_base32hex,
    encode_base64, encode_base64_split, encode_bitmap, encode_hex, encode_nxt_bitmap, write_bitmap,
};
use crate::dns::rdata::text::{lossy, push_u64};
use crate::dns::rdata::types::{info, type_from_text};
use crate::dns::rdata::{parse_dec, RdataError};

/// Reads the remaining tokens as base64 into `out`; `required` when there must be some.
fn read_base64(
    r: &mut Reader<'_, '_>,
    out: &mut Vec<u8>,
    required: bool,
) -> Result<(), RdataError> {
    let mut joined = Vec::new();
    if r.rest(&mut joined) == 0 && required {
        return Err(RdataError::End("base64 data"));
    }
    decode_base64_into(&joined, out).ok_or_else(|| RdataError::bad("base64 data", &joined))
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum B64Form {
    /// At least one token, printed in 56-column chunks.
    Required,
    /// May be empty (KEY, SINK, IPSECKEY).
    Optional,
    /// Printed without splitting (HHIT, BRID).
    Flat,
}

/// Base64 up to the end of the RDATA.
pub(crate) struct Base64(pub B64Form);

impl Field for Base64 {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        read_base64(r, out, self.0 != B64Form::Optional)
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let data = rd.get(p..)?;
        match self.0 {
            B64Form::Required if data.is_empty() => return None,
            B64Form::Flat if data.is_empty() => return None,
            B64Form::Flat => encode_base64(data, out),
            _ => encode_base64_split(data, out),
        }
        Some(rd.len())
    }
}

/// KEY/DNSKEY public key: base64 to the end, absent when the flags say "no key".
pub(crate) struct KeyData;

impl Field for KeyData {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        // Flags are the first two bytes of KEY RDATA; "no key" leaves the key out.
        if out.len() >= 2 && u16::from_be_bytes([out[0], out[1]]) & 0xc000 == 0xc000 {
            return Ok(());
        }
        read_base64(r, out, true)
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        Base64(B64Form::Optional).print(rd, p, out)
    }
}

/// DOA data: base64 or `-` for none, printed unsplit.
pub(crate) struct DoaData;

impl Field for DoaData {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("DOA data")?;
        if t.quoted {
            return Err(format!(
                "unexpected token '\"{}\"' (DOA data is not quoted)",
                lossy(t.text)
            )
            .into());
        }
        if t.text == b"-" && r.pos == r.toks.len() {
            return Ok(());
        }
        r.pos -= 1;
        read_base64(r, out, false)
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        match rd.get(p..) {
            Some(d) if !d.is_empty() => encode_base64(d, out),
            _ => out.push('-'),
        }
        Some(rd.len())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HexForm {
    /// At least one token (TLSA data, EID, NIMLOC).
    Plain,
    /// DS digest, its length set by the digest type (byte 3).
    DsDigest,
    /// ZONEMD digest, its length set by the hash algorithm (byte 5), at least 12 bytes.
    ZoneDigest,
    /// SSHFP fingerprint, its length set by the type (byte 1); may be empty for unknown types.
    Fingerprint,
}

impl HexForm {
    /// Where the byte that sets the data's length sits, and the lengths its values require.
    fn length_rule(self) -> Option<(usize, &'static [(u8, usize)])> {
        match self {
            HexForm::Plain => None,
            // Digest types BIND knows: SHA-1, SHA-256, SHA-384.
            HexForm::DsDigest => Some((3, &[(1, 20), (2, 32), (4, 48)])),
            HexForm::ZoneDigest => Some((5, &[(1, 48), (2, 64)])),
            HexForm::Fingerprint => Some((1, &[(1, 20), (2, 32)])),
        }
    }

    /// The length the data must have given the fields before it: `Err` when the byte that
    /// decides is missing, `Ok(None)` when there is no rule or the value is not in it.
    fn want(self, rd: &[u8]) -> Result<Option<usize>, ()> {
        let Some((at, table)) = self.length_rule() else {
            return Ok(None);
        };
        let t = *rd.get(at).ok_or(())?;
        Ok(table.iter().find(|(k, _)| *k == t).map(|(_, l)| *l))
    }
}

/// Hex up to the end of the RDATA, printed in 56-column chunks.
pub(crate) struct HexData(pub HexForm);

impl Field for HexData {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let want = self.0.want(out).unwrap_or(None);
        let mut joined = Vec::new();
        let optional = self.0 == HexForm::Fingerprint && want.is_none();
        if r.rest(&mut joined) == 0 && !optional {
            return Err(RdataError::End("hex data"));
        }
        let at = out.len();
        decode_hex_into(&joined, out).ok_or_else(|| RdataError::bad("hex data", &joined))?;
        let got = out.len() - at;
        if let Some(want) = want.filter(|&w| w != got) {
            return Err(RdataError::DigestLength {
                got,
                want,
                short: got < want,
            });
        }
        if self.0 == HexForm::ZoneDigest && got < 12 {
            return Err(format!("digest is {got} bytes, shorter than 12").into());
        }
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let data = &rd[p.min(rd.len())..];
        let want = self.0.want(rd).ok()?;
        if want.is_some_and(|w| w != data.len())
            || (self.0 == HexForm::ZoneDigest && data.len() < 12)
            || (data.is_empty() && self.0 != HexForm::Fingerprint)
        {
            return None;
        }
        encode_hex(data, true, out);
        Some(rd.len())
    }
}

/// Hex with a length byte; `-` when empty (NSEC3 and NSEC3PARAM salt).
pub(crate) struct Salt;

impl Field for Salt {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a salt")?;
        let at = out.len();
        out.push(0);
        if t.text == b"-" {
            return Ok(());
        }
        decode_hex_into(t.text, out).ok_or_else(|| RdataError::bad("salt", t.text))?;
        let l = out.len() - at - 1;
        if l > 255 {
            return Err(format!("salt '{}' too long", lossy(t.text)).into());
        }
        out[at] = l as u8;
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let l = *rd.get(p)? as usize;
        let s = rd.get(p + 1..p + 1 + l)?;
        if s.is_empty() {
            out.push('-');
        } else {
            encode_hex(s, false, out);
        }
        Some(p + 1 + l)
    }
}

/// Base32hex with a length byte (NSEC3 next hashed owner name).
pub(crate) struct Base32;

impl Field for Base32 {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = r.next("a base32hex hash")?;
        if t.text.len() > 63 {
            return Err(RdataError::range(t.text, "longer than a label"));
        }
        let at = out.len();
        out.push(0);
        decode_base32hex_into(t.text, out).ok_or_else(|| RdataError::bad("base32hex", t.text))?;
        let l = out.len() - at - 1;
        // SHA-1 (hash algorithm 1) hashes are 20 bytes.
        if l == 0 || l > 255 || (out[0] == 1 && l != 20) {
            return Err(RdataError::range(t.text, "bad hash length"));
        }
        out[at] = l as u8;
        Ok(())
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let l = *rd.get(p)? as usize;
        encode_base32hex(rd.get(p + 1..p + 1 + l)?, out);
        Some(p + 1 + l)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum BitmapForm {
    /// NSEC-style windows, possibly empty (NSEC3, CSYNC).
    Nsec3,
    /// NSEC-style windows listing at least one type (NSEC).
    Nsec,
    /// NXT: one flat bitmap of types 1-127.
    Nxt,
}

/// A type bitmap up to the end of the RDATA.
pub(crate) struct Bitmap(pub BitmapForm);

impl Field for Bitmap {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let nxt = self.0 == BitmapForm::Nxt;
        let mut types = Vec::new();
        while let Some(t) = r.next_opt() {
            let v = match parse_dec(t.text) {
                Some(n) if nxt => n.min(65536) as u32,
                _ => type_from_text(t.text).ok_or_else(|| RdataError::unknown("type", t.text))?
                    as u32,
            };
            if nxt && (v == 0 || v > 127) {
                return Err(
                    format!("type '{}' cannot appear in an NXT bitmap", lossy(t.text)).into(),
                );
            }
            types.push(v as u16);
        }
        match self.0 {
            BitmapForm::Nsec if types.is_empty() => Err("FORMERR: empty type bitmap".into()),
            BitmapForm::Nxt => {
                encode_nxt_bitmap(&types, out);
                Ok(())
            }
            _ => {
                encode_bitmap(&mut types, out);
                Ok(())
            }
        }
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        let bits = rd.get(p..)?;
        match self.0 {
            BitmapForm::Nsec if bits.is_empty() => return None,
            BitmapForm::Nxt => {
                if bits.len() > 16 {
                    return None;
                }
                let mut first = true;
                each_bit(bits, 0, |t| {
                    if !first {
                        out.push(' ');
                    }
                    first = false;
                    // BIND prints types it has no name for as bare numbers here.
                    match info(t) {
                        Some(i) => out.push_str(i.name),
                        None => push_u64(out, t as u64),
                    }
                });
            }
            _ => write_bitmap(bits, out)?,
        }
        Some(rd.len())
    }
}
