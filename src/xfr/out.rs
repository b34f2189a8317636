//! Writing a transfer: which records (AXFR: SOA, every RRset, SOA; IXFR: the serial steps of
//! the zone's history, or the whole zone when the client's serial is not in it, or the single
//! SOA when the client is current), packed by `pack` into compressed messages of 16 KiB (a
//! record alone up to 64 KiB), each signed when the request was, and written a few at a time
//! so that other connections are served in between.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::pack::Packer;
use super::Request;
use crate::dns::rdata;
use crate::dns::serial::serial_le;
use crate::dns::tsig::Signer;
use crate::dns::wire::{hf, HEADER};
use crate::zone::history::Delta;
use crate::zone::{Node, RdataIter, Zone};

/// Largest DNS message over TCP.
const MAX_MSG: usize = 65535;
/// Size a transfer message is filled to; a record that does not fit goes into the next
/// message, one alone may take up to [`MAX_MSG`]. 16 KiB (as Knot): compression pointers
/// reach only the first 16 KiB of a message, so names later in a bigger one cannot be
/// targets (a zone with several records per name took 18% more bytes in 64 KiB messages),
/// and batched writes make the messages' count cheap.
const MSG_TARGET: usize = 16 * 1024;
/// Messages are written once this many bytes of them are ready (one system call for
/// several small messages).
const WRITE_BATCH: usize = 60 * 1024;
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

/// Every record of the zone, SOA first and last: a walk over the nodes by hand (nested
/// iterator adaptors cost a tenth of a transfer's time).
struct Full<'a> {
    nodes: &'a [Node],
    opening: Option<Rec<'a>>,
    closing: Option<Rec<'a>>,
    /// Next node and next RRset in it.
    node: usize,
    set: usize,
    /// The RRset being sent: its owner, type, TTL and the RDATA left.
    owner: &'a [u8],
    rtype: u16,
    ttl: u32,
    rdatas: Option<RdataIter<'a>>,
}

fn full<'a>(zone: &'a Zone, soa: Rec<'a>) -> Full<'a> {
    Full {
        nodes: &zone.nodes,
        opening: Some(soa),
        closing: Some(soa),
        node: 0,
        set: 0,
        owner: &[],
        rtype: 0,
        ttl: 0,
        rdatas: None,
    }
}

impl<'a> Iterator for Full<'a> {
    type Item = Rec<'a>;

    fn next(&mut self) -> Option<Rec<'a>> {
        if let Some(s) = self.opening.take() {
            return Some(s);
        }
        loop {
            if let Some(rd) = self.rdatas.as_mut().and_then(Iterator::next) {
                return Some(Rec {
                    owner: self.owner,
                    rtype: self.rtype,
                    ttl: self.ttl,
                    rdata: rd,
                });
            }
            let Some(n) = self.nodes.get(self.node) else {
                return self.closing.take();
            };
            let Some(s) = n.rrsets.get(self.set) else {
                self.node += 1;
                self.set = 0;
                self.rdatas = None;
                continue;
            };
            self.set += 1;
            if s.rtype == rdata::SOA && n.has(crate::zone::flag::APEX) {
                self.rdatas = None;
                continue;
            }
            self.owner = n.name.wire();
            self.rtype = s.rtype;
            self.ttl = s.ttl;
            self.rdatas = Some(s.rdatas());
        }
    }
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
    signer: Option<&mut Signer<'_>>,
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
    match plan {
        Plan::Full { .. } => send(out, req, zone, full(zone, soa), signer).await,
        Plan::Incremental { from, .. } => {
            let deltas = zone.history.since(from).unwrap_or(&[]);
            let recs = incremental(zone.origin.wire(), deltas, soa);
            send(out, req, zone, recs, signer).await
        }
        Plan::Current => send(out, req, zone, std::iter::once(soa), signer).await,
    }
}

/// Packs `recs` into messages and writes them.
async fn send<'z, W: AsyncWrite + Unpin>(
    out: &mut W,
    req: &Request<'_>,
    zone: &'z Zone,
    mut recs: impl Iterator<Item = Rec<'z>>,
    mut signer: Option<&mut Signer<'_>>,
) -> io::Result<()> {
    let class = zone.class;
    let reserve = signer.as_ref().map_or(0, |s| s.reserve());
    let mut pk = Packer::new(
        MSG_TARGET.saturating_sub(reserve),
        MAX_MSG.saturating_sub(reserve),
    );
    let flags = hf::QR | hf::AA | (req.flags & (0x7800 | hf::RD | hf::CD));
    let mut pending = recs.next();
    let mut first = true;
    let mut total = 0usize;
    loop {
        pk.begin();
        if first {
            // The question, in the first message only (RFC 5936 2.2.1 allows it to be empty
            // later; BIND, NSD and Knot accept both).
            pk.put_question(req.qname, &req.question[req.qname.len()..]);
        }
        let mut n: u16 = 0;
        while let Some(r) = pending {
            // A record that might not fit goes into the next message; one alone in a
            // message is written whatever its size, and checked below.
            if n == u16::MAX || (n > 0 && !pk.fits(r.owner, r.rdata)) {
                break;
            }
            pk.put_rr(r.owner, r.rtype, class, r.ttl, r.rdata);
            if pk.over() {
                return Err(too_big(&r));
            }
            n += 1;
            pending = recs.next();
        }
        pk.finish(
            req.id,
            flags,
            [first as u16, n, 0, 0],
            signer.as_deref_mut(),
        );
        total += n as usize;
        first = false;
        if pending.is_none() {
            write(out, pk.finished()).await?;
            break;
        }
        if pk.finished().len() >= WRITE_BATCH {
            write(out, pk.finished()).await?;
            pk.clear();
            // Let queries on other connections of this runtime thread run between writes.
            tokio::task::yield_now().await;
        }
    }
    tracing::debug!("transfer of {}: {total} records sent", zone.origin);
    Ok(())
}

fn too_big(r: &Rec<'_>) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the {} record of {} ({} bytes of RDATA) does not fit in one message",
            rdata::type_name(r.rtype),
            crate::dns::name::Name::from_wire_unchecked(r.owner),
            r.rdata.len()
        ),
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
    crate::dns::tsig::append_record(&mut m, &tsig_rr);
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
