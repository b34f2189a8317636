//! TSIG-signed ordinary queries (RFC 8945; the SOA checks of secondaries): the parser answers
//! every signed query NOTAUTH, and only such an answer comes here (one byte compared per
//! answer on the common path). With a known key and a good MAC the query is answered without
//! its TSIG and the answer signed; an unknown key gets BADKEY, a wrong MAC BADSIG (unsigned
//! NOTAUTH, never data), a time outside the fudge a signed BADTIME. Signed queries are rare
//! control traffic: this step may allocate.

use crate::dns::tsig::{self, TsigKey, Verified};
use crate::dns::wire::rcode;
use crate::query::{respond_ext, RequestCtx};
use crate::store::{Store, ZoneSet};

/// Rewrites the answer `out[..len]` to the signed query `packet` when it is the parser's
/// NOTAUTH for a TSIG: returns the new length (`len` unchanged otherwise). The keys are read
/// from `store` only then (never for a plain query).
#[inline]
pub fn answer_signed(
    set: &ZoneSet,
    packet: &[u8],
    out: &mut [u8],
    len: usize,
    ctx: &RequestCtx,
    store: &Store,
) -> usize {
    if len < 12 || out[3] & 0x0f != rcode::NOTAUTH {
        return len;
    }
    let cfg = store.xfr();
    if cfg.keys.is_empty() {
        return len;
    }
    slow(set, packet, out, len, ctx, &cfg.keys).unwrap_or(len)
}

#[cold]
fn slow(
    set: &ZoneSet,
    packet: &[u8],
    out: &mut [u8],
    len: usize,
    ctx: &RequestCtx,
    keys: &[TsigKey],
) -> Option<usize> {
    let now = tsig::now();
    match tsig::verify(packet, keys, now) {
        Verified::Unsigned | Verified::Malformed => None,
        Verified::Bad { response_tsig, .. } => {
            let mut resp = out[..len].to_vec();
            tsig::append_record(&mut resp, &response_tsig);
            put(out, &resp)
        }
        Verified::Valid(mut s) if s.error() != 0 => {
            let mut resp = out[..len].to_vec();
            s.sign(&mut resp, now);
            put(out, &resp)
        }
        Verified::Valid(mut s) => {
            let bare = tsig::without_tsig(packet)?;
            let a = respond_ext(set, &bare, out, ctx)?;
            let mut resp = out[..a.len].to_vec();
            s.sign(&mut resp, now);
            put(out, &resp)
        }
    }
}

fn put(out: &mut [u8], resp: &[u8]) -> Option<usize> {
    out.get_mut(..resp.len())?.copy_from_slice(resp);
    Some(resp.len())
}
