//! Zone transfers out (AXFR, RFC 5936; IXFR, RFC 1995) on the TCP side, and NOTIFY out
//! (RFC 1996). `serve` answers one transfer request on a TCP connection: the request is
//! parsed, judged (allow_transfer prefixes or a TSIG key, RFC 8945), and the zone streamed in
//! messages of up to 64 KiB (`out`). The UDP workers never transfer: they answer REFUSED.

pub mod notify;
mod out;
mod pack;
#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncWrite;

use crate::dns::rdata;
use crate::dns::tsig::{self, Verified};
use crate::dns::wire::{hf, rcode, skip_name, HEADER};
use crate::store::Store;
use crate::zone::Zone;

/// A transfer request, parsed.
#[derive(Debug, Clone, Copy)]
struct Request<'a> {
    id: u16,
    flags: u16,
    /// The question name (wire, client's case).
    qname: &'a [u8],
    qtype: u16,
    qclass: u16,
    /// The question section as received (name, type, class).
    question: &'a [u8],
    /// IXFR: the serial of the client's SOA (authority section).
    client_serial: Option<u32>,
}

fn u16_at(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]))
}

/// Is `msg` a transfer request (a QUERY for AXFR or IXFR) that [`serve`] must answer? Cheap:
/// the TCP loop asks it of every message.
pub fn is_transfer(msg: &[u8]) -> bool {
    let Some(flags) = u16_at(msg, 2) else {
        return false;
    };
    if flags & hf::QR != 0 || (flags >> 11) & 0xf != 0 || u16_at(msg, 4) != Some(1) {
        return false;
    }
    let Some(n) = skip_name(msg, HEADER) else {
        return false;
    };
    matches!(u16_at(msg, n), Some(rdata::AXFR | rdata::IXFR))
}

/// Parses a transfer request; `None` when it is not one [`is_transfer`] accepts or is
/// malformed (FORMERR).
fn parse(msg: &[u8]) -> Option<Request<'_>> {
    let id = u16_at(msg, 0)?;
    let flags = u16_at(msg, 2)?;
    // The question name is never compressed (nothing precedes it).
    let n = HEADER + crate::dns::name::wire_len(msg.get(HEADER..)?)?;
    let qtype = u16_at(msg, n)?;
    let qclass = u16_at(msg, n + 2)?;
    let question = msg.get(HEADER..n + 4)?;
    let mut client_serial = None;
    if qtype == rdata::IXFR {
        // RFC 1995: the authority section holds the client's SOA.
        if u16_at(msg, 8)? < 1 {
            return None;
        }
        let at = skip_name(msg, n + 4)?;
        if u16_at(msg, at)? != rdata::SOA {
            return None;
        }
        let rd = at + 10;
        let after_mname = skip_name(msg, rd)?;
        let after_rname = skip_name(msg, after_mname)?;
        let s = msg.get(after_rname..after_rname + 4)?;
        client_serial = Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
    }
    Some(Request {
        id,
        flags,
        qname: &msg[HEADER..n],
        qtype,
        qclass,
        question,
        client_serial,
    })
}

/// Answers the transfer request `msg` from `peer` on `out`: the zone in one or more
/// length-prefixed messages, or one error message (FORMERR, REFUSED, NOTAUTH with a TSIG
/// error). Errors are write failures: the caller closes the connection.
pub async fn serve<W: AsyncWrite + Unpin>(
    out: &mut W,
    msg: &[u8],
    peer: SocketAddr,
    store: &Store,
) -> io::Result<()> {
    let cfg = store.xfr();
    let verified = tsig::verify(msg, &cfg.keys, tsig::now());
    let Some(req) = parse(msg) else {
        let id = u16_at(msg, 0).unwrap_or(0);
        let flags = u16_at(msg, 2).unwrap_or(0);
        return out::error(out, id, flags, None, rcode::FORMERR, None).await;
    };
    let mut signer = match verified {
        // Judged against the zone's allow_transfer once the zone is known.
        Verified::Unsigned => None,
        Verified::Malformed => {
            return out::error(
                out,
                req.id,
                req.flags,
                Some(req.question),
                rcode::FORMERR,
                None,
            )
            .await
        }
        Verified::Bad {
            error,
            response_tsig,
        } => {
            tracing::info!(
                "refused {} to {peer}: TSIG error {error}",
                type_name(req.qtype)
            );
            return out::error_tsig(out, &req, response_tsig).await;
        }
        Verified::Valid(s) => {
            if s.error() != 0 {
                tracing::info!(
                    "refused {} to {peer}: TSIG time out of fudge (BADTIME)",
                    type_name(req.qtype)
                );
                let mut s = s;
                return out::error(
                    out,
                    req.id,
                    req.flags,
                    Some(req.question),
                    rcode::NOTAUTH,
                    Some(&mut s),
                )
                .await;
            }
            Some(s)
        }
    };
    let snap = store.snapshot();
    let zone: Option<Arc<Zone>> = snap
        .find_index(req.qname)
        .map(|i| snap.zones()[i as usize].clone())
        .filter(|z| z.origin.wire().eq_ignore_ascii_case(req.qname));
    // The zone's own allow_transfer wins over the global one; a zone with no settings of its
    // own (or unknown) is judged by the global list (REFUSED outside it).
    let key = signer.as_ref().map(|s| s.key_name().clone());
    let qname = crate::dns::name::Name::from_wire_unchecked(req.qname);
    let judged = cfg.allows_transfer(&qname, peer.ip(), key.as_ref());
    if !judged {
        tracing::info!(
            "refused {} of {} to {peer}: not in allow-transfer",
            type_name(req.qtype),
            qname
        );
        return out::error(
            out,
            req.id,
            req.flags,
            Some(req.question),
            rcode::REFUSED,
            signer.as_mut(),
        )
        .await;
    }
    let Some(zone) = zone.filter(|z| req.qclass == z.class || req.qclass == 255) else {
        return out::error(
            out,
            req.id,
            req.flags,
            Some(req.question),
            rcode::NOTAUTH,
            signer.as_mut(),
        )
        .await;
    };
    if snap.is_servfail(zone.origin.wire()) {
        // An expired secondary zone is not handed on (RFC 1035: it is not answered).
        return out::error(
            out,
            req.id,
            req.flags,
            Some(req.question),
            rcode::SERVFAIL,
            signer.as_mut(),
        )
        .await;
    }
    let kind = out::plan(&zone, req.qtype, req.client_serial);
    tracing::info!(
        "{} of {} (serial {}) to {peer}: {}",
        type_name(req.qtype),
        zone.origin,
        zone.serial,
        kind.describe()
    );
    let incremental = matches!(kind, out::Plan::Incremental { .. } | out::Plan::Current);
    out::stream(out, &req, &zone, kind, signer.as_mut()).await?;
    store.xfr_stats().transfer_out(incremental);
    Ok(())
}

fn type_name(t: u16) -> &'static str {
    if t == rdata::IXFR {
        "IXFR"
    } else {
        "AXFR"
    }
}
