//! The RDATA layouts too irregular for the field table (LOC, APL, WKS, SVCB/HTTPS, A6, HIP,
//! ATMA): one reader and one printer each, matching BIND 9.18's text forms, plugged into the
//! field table as one [`Custom`] kind per layout.

use super::codec::{decode_base64_into, decode_hex_into, encode_base64, encode_hex};
use super::text::{
    get_u16, get_u32, lossy, parse_dec, parse_ipv4, parse_ipv6, push_u64, unescape_into,
};
use super::{RdataError, Tok};
use crate::dns::name::{self, Name};

use super::field::{Field, Reader};

mod a6_hip_atma;
mod apl_wks;
mod loc;
mod svcb;

/// Reads a whole layout from its tokens; the name completes relative names.
type ReadFn = fn(&[Tok<'_>], &Name, &mut Vec<u8>) -> Result<(), RdataError>;

/// A layout read and printed by functions of its own, from the field on to the end.
pub(crate) struct Custom {
    read: ReadFn,
    /// Prints and returns how many bytes it used.
    print: fn(&[u8], &mut String) -> Option<usize>,
}

impl Field for Custom {
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let origin = r.origin;
        (self.read)(r.take_all(), origin, out)
    }

    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
        Some(p + (self.print)(rd.get(p..)?, out)?)
    }
}

pub(crate) const LOC: Custom = Custom {
    read: |t, _, out| loc::parse_loc(t, out),
    print: loc::write_loc,
};
pub(crate) const APL: Custom = Custom {
    read: |t, _, out| apl_wks::parse_apl(t, out),
    print: apl_wks::write_apl,
};
pub(crate) const WKS: Custom = Custom {
    read: |t, _, out| apl_wks::parse_wks(t, out),
    print: apl_wks::write_wks,
};
pub(crate) const SVCB: Custom = Custom {
    read: svcb::parse_svcb,
    print: svcb::write_svcb,
};
pub(crate) const A6: Custom = Custom {
    read: a6_hip_atma::parse_a6,
    print: a6_hip_atma::write_a6,
};
pub(crate) const HIP: Custom = Custom {
    read: a6_hip_atma::parse_hip,
    print: a6_hip_atma::write_hip,
};
pub(crate) const ATMA: Custom = Custom {
    read: |t, _, out| a6_hip_atma::parse_atma(t, out),
    print: a6_hip_atma::write_atma,
};

/// IPv6 presentation form as ISC's `inet_ntop` prints it (embedded IPv4 for `::a.b.c.d` and
/// `::ffff:a.b.c.d`).
pub(crate) fn ipv6_text(a: &[u8; 16]) -> String {
    let mut w = [0u16; 8];
    for i in 0..8 {
        w[i] = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    }
    // Longest run of zero words (length >= 2), first on ties.
    let (mut best, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let s = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - s > best_len {
                best = s;
                best_len = i - s;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut out = String::with_capacity(40);
    let mut i = 0;
    while i < 8 {
        if i == best {
            out.push(':');
            i += best_len;
            if i == 8 {
                out.push(':');
            }
            continue;
        }
        if i > 0 {
            out.push(':');
        }
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            out.push_str(&format!("{}.{}.{}.{}", a[12], a[13], a[14], a[15]));
            break;
        }
        out.push_str(&format!("{:x}", w[i]));
        i += 1;
    }
    out
}

fn text<'a>(toks: &'a [Tok<'a>], i: usize) -> Option<&'a [u8]> {
    toks.get(i).map(|t| t.text)
}

fn syntax(t: &[u8]) -> RdataError {
    RdataError::syntax(t, "")
}

fn range(t: &[u8]) -> RdataError {
    RdataError::RangeOf(lossy(t).into_owned())
}

/// The first token as a decimal number up to `max`; `what` names it when it is missing.
fn leading_number(toks: &[Tok<'_>], what: &'static str, max: u64) -> Result<u64, RdataError> {
    let t = toks.first().ok_or(RdataError::End(what))?;
    let v = parse_dec(t.text).ok_or_else(|| RdataError::bad("number", t.text))?;
    if v > max {
        return Err(range(t.text));
    }
    Ok(v)
}
