//! Writing a transfer: which records (AXFR: SOA, every RRset, SOA; IXFR: the serial steps of
//! the zone's history, or the whole zone when the client's serial is not in it, or the single
//! SOA when the client is current), packed into messages of up to 64 KiB with name
//! compression, each signed when the request was, and written one at a time so that other
//! connections are served in between.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::Request;
use crate::dns::rdata;
use crate::dns::serial::serial_le;
use crate::dns::tsig::Signer;
use crate::dns::wire::{hf, Owner, Writer, HEADER};
use crate::zone::history::Delta;
use crate::zone::Zone;

/// Largest DNS message over TCP.
const MAX_MSG: usize = 65535;
/// How long one message may take to write before the transfer is abandoned.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a transfer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// The whole zone (AXFR, or IXFR falling back to it).
    Full { fallback: bool },
    /// IXFR: the steps from the client's serial, this many deltas.
    Incremental { from: u32, steps: usize },
    /// IXFR from a client that is current (or ahead): the SOA only.
    Current,
}

impl Plan {
    pub(super) fn describe(&self) -> String {
        match self {
            Plan::Full { fallback: false } => "full zone".into(),
            Plan::Full { fallback: true } => "client serial not in history: full zone".into(),
            Plan::Incremental { from, steps } => format!("{steps} change(s) from serial {from}"),
            Plan::Current => "client is current: SOA only".into(),
        }
    }
}

/// Chooses what to send for a request of `qtype` (with the client's serial for IXFR).
pub(super) fn plan(zone: &Zone, qtype: u16, client: Option<u32>) -> Plan {
    let Some(c) = client.filter(|_| qtype == rdata::IXFR) else {
        return Plan::Full { fallback: false };
    };
    if serial_le(zone.serial, c) {
        return Plan::Current;
    }
    match zone.history.since(c) {
        Some(d) => Plan::Incremental {
            from: c,
            steps: d.len(),
        },
        None => Plan::Full { fallback: true },
    }
}

/// One record to write (borrowed from the zone or its history).
#[derive(Clone, Copy)]
struct Rec<'a> {
    owner: &'a [u8],
    rtype: u16,
    ttl: u32,
    rdata: &'a [u8],
}

fn soa_rec(zone: &Zone) -> Option<Rec<'_>> {
    let s = zone.soa()?;
    Some(Rec {
        owner: zone.origin.wire(),
        rtype: rdata::SOA,
        ttl: s.ttl,
        rdata: s.rdatas().next()?,
    })
}

/// Every record of the zone, SOA first and last.
fn full<'a>(zone: &'a Zone, soa: Rec<'a>) -> impl Iterator<Item = Rec<'a>> + 'a {
    let body = zone.nodes.iter().flat_map(|n| {
        n.rrsets
            .iter()
            .filter(move |s| !(s.rtype == rdata::SOA && n.has(crate::zone::flag::APEX)))
            .flat_map(move |s| {
                s.rdatas().map(move |rd| Rec {
                    owner: n.name.wire(),
                    rtype: s.rtype,
                    ttl: s.ttl,
                    rdata: rd,
                })
            })
    });
    std::iter::once(soa).chain(body).chain(std::iter::once(soa))
}

/// The IXFR body: current SOA, then per step the old SOA, removals, new SOA, additions; then
/// the current SOA again.
fn incremental<'a>(
    origin: &'a [u8],
    deltas: &'a [std::sync::Arc<Delta>],
    soa: Rec<'a>,
) -> impl Iterator<Item = Rec<'a>> + 'a {
    let rr = |r: &'a crate::zone::Rr| Rec {
        owner: r.owner.wire(),
        rtype: r.rtype,
        ttl: r.ttl,
        rdata: &r.rdata,
    };
    let steps = deltas.iter().flat_map(move |d| {
        let old = Rec {
            owner: origin,
            rtype: rdata::SOA,
            ttl: d.old_soa.0,
            rdata: &d.old_soa.1,
        };
        let new = Rec {
            owner: origin,
            rtype: rdata::SOA,
            ttl: d.new_soa.0,
            rdata: &d.new_soa.1,
        };
        std::iter::once(old)
            .chain(d.removed.iter().map(rr))
            .chain(std::iter::once(new))
            .chain(d.added.iter().map(rr))
    });
    std::iter::once(soa)
        .chain(steps)
        .chain(std::iter::once(soa))
}

/// Streams the transfer `plan` of `zone` as answers to `req`.
pub(super) async fn stream<W: AsyncWrite + Unpin>(
    out: &mut W,
    req: &Request<'_>,
    zone: &Zone,
    plan: Plan,
    mut signer: Option<&mut Signer<'_>>,
) -> io::Result<()> {
    let Some(soa) = soa_rec(zone) else {
        return error(
            out,
            req.id,
            req.flags,
            Some(req.question),
            crate::dns::wire::rcode::SERVFAIL,
            signer,
        )
        .await;
    };
    let class = zone.class;
    let mut recs: Box<dyn Iterator<Item = Rec<'_>> + Send + '_> = match plan {
        Plan::Full { .. } => Box::new(full(zone, soa)),
        Plan::Incremental { from, .. } => {
            let deltas = zone.history.since(from).unwrap_or(&[]);
            Box::new(incremental(zone.origin.wire(), deltas, soa))
        }
        Plan::Current => Box::new(std::iter::once(soa)),
    };
    let reserve = signer.as_ref().map_or(0, |s| s.reserve());
    let mut buf = vec![0u8; MAX_MSG];
    let mut msg: Vec<u8> = Vec::with_capacity(MAX_MSG + 2);
    let mut pending = recs.next();
    let mut first = true;
    let mut total = 0usize;
    loop {
        let mut w = Writer::new(&mut buf, MAX_MSG - reserve);
        let _ = w.put(&[0; HEADER]);
        if first {
            // The question, in the first message only (RFC 5936 2.2.1 allows it to be empty
            // later; BIND, NSD and Knot accept both).
            w.put_name(req.qname, true).map_err(|_| too_big())?;
            w.put(&req.question[req.qname.len()..])
                .map_err(|_| too_big())?;
        }
        let mut n: u16 = 0;
        while let Some(r) = pending {
            let mark = w.len;
            if w.put_rr(Owner::Name(r.owner), r.rtype, class, r.ttl, r.rdata)
                .is_err()
                || n == u16::MAX
            {
                w.truncate(mark);
                break;
            }
            n += 1;
            pending = recs.next();
        }
        if n == 0 && pending.is_some() {
            return Err(too_big());
        }
        let len = w.len;
        let flags = hf::QR | hf::AA | (req.flags & (0x7800 | hf::RD | hf::CD));
        write_header(&mut buf, req.id, flags, [first as u16, n, 0, 0]);
        msg.clear();
        msg.extend_from_slice(&[0, 0]);
        msg.extend_from_slice(&buf[..len]);
        if let Some(s) = signer.as_deref_mut() {
            let mut body = msg.split_off(2);
            s.sign(&mut body, crate::dns::tsig::now());
            msg.extend_from_slice(&body);
        }
        let m = (msg.len() - 2) as u16;
        msg[..2].copy_from_slice(&m.to_be_bytes());
        write(out, &msg).await?;
        total += n as usize;
        first = false;
        if pending.is_none() {
            break;
        }
        // Let queries on other connections of this runtime thread run between messages.
        tokio::task::yield_now().await;
    }
    tracing::debug!("transfer of {}: {total} records sent", zone.origin);
    Ok(())
}

fn too_big() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "a record does not fit in one message",
    )
}

fn write_header(out: &mut [u8], id: u16, flags: u16, counts: [u16; 4]) {
    out[0..2].copy_from_slice(&id.to_be_bytes());
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    for (i, c) in counts.iter().enumerate() {
        out[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
    }
}

async fn write<W: AsyncWrite + Unpin>(out: &mut W, framed: &[u8]) -> io::Result<()> {
    match tokio::time::timeout(WRITE_TIMEOUT, out.write_all(framed)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "transfer write timed out",
        )),
    }
}

/// One answer without records: `rc`, the question echoed when it parsed, signed when a
/// signer is given.
pub(super) async fn error<W: AsyncWrite + Unpin>(
    out: &mut W,
    id: u16,
    qflags: u16,
    question: Option<&[u8]>,
    rc: u8,
    signer: Option<&mut Signer<'_>>,
) -> io::Result<()> {
    let mut m = error_msg(id, qflags, question, rc);
    if let Some(s) = signer {
        s.sign(&mut m, crate::dns::tsig::now());
    }
    write(out, &framed(m)).await
}

/// NOTAUTH with the (unsigned) TSIG record that carries BADKEY or BADSIG.
pub(super) async fn error_tsig<W: AsyncWrite + Unpin>(
    out: &mut W,
    req: &Request<'_>,
    tsig_rr: Vec<u8>,
) -> io::Result<()> {
    let mut m = error_msg(
        req.id,
        req.flags,
        Some(req.question),
        crate::dns::wire::rcode::NOTAUTH,
    );
    m.extend_from_slice(&tsig_rr);
    m[11] = 1;
    write(out, &framed(m)).await
}

fn error_msg(id: u16, qflags: u16, question: Option<&[u8]>, rc: u8) -> Vec<u8> {
    let mut m = vec![0u8; HEADER];
    let flags = hf::QR | (qflags & (0x7800 | hf::RD | hf::CD)) | rc as u16;
    write_header(&mut m, id, flags, [question.is_some() as u16, 0, 0, 0]);
    if let Some(q) = question {
        m.extend_from_slice(q);
    }
    m
}

fn framed(m: Vec<u8>) -> Vec<u8> {
    let mut f = Vec::with_capacity(m.len() + 2);
    f.extend_from_slice(&(m.len() as u16).to_be_bytes());
    f.extend_from_slice(&m);
    f
}
