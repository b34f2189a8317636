//! Secondary zones (transfers in), first form: each `--secondary ZONE@ADDR:PORT` zone is
//! fetched by AXFR from its primaries (tried in order), checked as a zone file would be, and
//! written atomically (temp file in the same directory, fsync, rename, fsync of the directory)
//! as `ZONE.zone` in the zone directory. From there the reloader serves it like any zone file
//! -- so a restart serves it at once, before any primary contact. The SOA's refresh timer
//! drives the next SOA check, its retry timer the next try after a failure. Not yet: incoming
//! NOTIFY, IXFR in, TSIG, SERVFAIL after expire (an expired zone is only logged).

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name as HName, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

use crate::config::SecondaryZone;
use crate::dns::name::Name;
use crate::store::Store;

/// Bounds on the SOA timers we act on (seconds).
const MIN_TIMER: u32 = 1;
const MAX_TIMER: u32 = 86_400;
/// How long one SOA query or one transfer message may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
const MSG_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts one refresh task per secondary zone; each ends at `shutdown`.
pub fn spawn(
    zones: &[SecondaryZone],
    dir: PathBuf,
    store: Arc<Store>,
    shutdown: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    zones
        .iter()
        .map(|z| {
            let (z, dir, store, sd) = (z.clone(), dir.clone(), store.clone(), shutdown.clone());
            tokio::spawn(async move {
                tokio::select! {
                    _ = sd.cancelled() => {}
                    _ = refresh_loop(&z, &dir, &store) => {}
                }
            })
        })
        .collect()
}

/// SOA timers of a zone.
#[derive(Debug, Clone, Copy)]
struct Timers {
    serial: u32,
    refresh: u32,
    retry: u32,
    expire: u32,
}

async fn refresh_loop(z: &SecondaryZone, dir: &Path, store: &Store) {
    let mut last_ok = Instant::now();
    let mut timers: Option<Timers> = None;
    loop {
        let ours = store.snapshot().get(&z.origin).map(|zone| zone.serial);
        let mut ok = false;
        for &p in &z.primaries {
            match refresh_from(&z.origin, p, ours, dir).await {
                Ok(t) => {
                    timers = Some(t);
                    ok = true;
                    break;
                }
                Err(e) => tracing::warn!("failed to refresh zone {} from {p}: {e}", z.origin),
            }
        }
        if ok {
            last_ok = Instant::now();
        } else if let Some(t) = timers {
            if last_ok.elapsed() > Duration::from_secs(t.expire as u64) {
                tracing::error!(
                    "zone {}: no primary reached for longer than expire ({} s)",
                    z.origin,
                    t.expire
                );
            }
        }
        let wait = match (ok, timers) {
            (true, Some(t)) => t.refresh,
            (false, Some(t)) => t.retry,
            (_, None) => 5,
        };
        tokio::time::sleep(Duration::from_secs(wait.clamp(MIN_TIMER, MAX_TIMER) as u64)).await;
    }
}

/// Asks `primary` for the zone's SOA; transfers and persists the zone when its serial differs
/// from `ours`. Returns the primary's timers.
async fn refresh_from(
    origin: &Name,
    primary: SocketAddr,
    ours: Option<u32>,
    dir: &Path,
) -> io::Result<Timers> {
    let t = soa(origin, primary).await?;
    if ours == Some(t.serial) {
        return Ok(t);
    }
    let records = axfr(origin, primary).await?;
    let text = zone_text(&records);
    check(origin, &text)?;
    persist(dir, origin, &text)?;
    tracing::info!(
        "zone {origin}: transferred serial {} from {primary} ({} records)",
        t.serial,
        records.len()
    );
    Ok(t)
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn hname(origin: &Name) -> io::Result<HName> {
    HName::from_ascii(origin.to_string()).map_err(|e| bad(format!("bad zone name: {e}")))
}

fn timers_of(r: &Record) -> Option<Timers> {
    match &r.data {
        RData::SOA(s) => Some(Timers {
            serial: s.serial,
            refresh: s.refresh.max(0) as u32,
            retry: s.retry.max(0) as u32,
            expire: s.expire.max(0) as u32,
        }),
        _ => None,
    }
}

/// The primary's SOA timers (a UDP query).
async fn soa(origin: &Name, primary: SocketAddr) -> io::Result<Timers> {
    let local: SocketAddr = if primary.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = UdpSocket::bind(local).await?;
    let id = rand_id();
    let mut q = Message::new(id, MessageType::Query, OpCode::Query);
    q.add_query(Query::query(hname(origin)?, RecordType::SOA));
    let wire = q
        .to_vec()
        .map_err(|e| bad(format!("failed to build a SOA query: {e}")))?;
    sock.send_to(&wire, primary).await?;
    let mut buf = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + QUERY_TIMEOUT;
    loop {
        let (n, from) = tokio::time::timeout_at(deadline, sock.recv_from(&mut buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer to the SOA query"))??;
        let Ok(m) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        if from != primary || m.metadata.id != id {
            continue;
        }
        if m.metadata.response_code != ResponseCode::NoError {
            return Err(bad(format!(
                "SOA query answered {}",
                m.metadata.response_code
            )));
        }
        return m
            .answers
            .iter()
            .find_map(timers_of)
            .ok_or_else(|| bad("no SOA in the answer".into()));
    }
}

fn rand_id() -> u16 {
    use std::hash::{BuildHasher, RandomState};
    (RandomState::new().hash_one(Instant::now()) & 0xffff) as u16
}

/// The whole zone by AXFR over TCP, SOA first, the closing SOA left out.
async fn axfr(origin: &Name, primary: SocketAddr) -> io::Result<Vec<Record>> {
    let mut s = tokio::time::timeout(QUERY_TIMEOUT, TcpStream::connect(primary))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    let id = rand_id();
    let mut q = Message::new(id, MessageType::Query, OpCode::Query);
    q.add_query(Query::query(hname(origin)?, RecordType::AXFR));
    let wire = q
        .to_vec()
        .map_err(|e| bad(format!("failed to build an AXFR query: {e}")))?;
    let mut framed = (wire.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&wire);
    s.write_all(&framed).await?;
    let mut records: Vec<Record> = Vec::new();
    let mut buf = vec![0u8; 65535];
    loop {
        let mut len = [0u8; 2];
        let read = async {
            s.read_exact(&mut len).await?;
            let n = u16::from_be_bytes(len) as usize;
            s.read_exact(&mut buf[..n]).await?;
            Ok::<usize, io::Error>(n)
        };
        let n = tokio::time::timeout(MSG_TIMEOUT, read)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "transfer stalled"))??;
        let m = Message::from_vec(&buf[..n]).map_err(|e| bad(format!("broken message: {e}")))?;
        if m.metadata.id != id {
            return Err(bad("answer with another ID".into()));
        }
        if m.metadata.response_code != ResponseCode::NoError {
            return Err(bad(format!(
                "transfer answered {}",
                m.metadata.response_code
            )));
        }
        for r in m.answers {
            let is_soa = r.record_type() == RecordType::SOA;
            if records.is_empty() && !is_soa {
                return Err(bad("transfer does not start with the SOA".into()));
            }
            if is_soa && !records.is_empty() {
                return Ok(records);
            }
            records.push(r);
        }
    }
}

/// The records in zone-file form (absolute names).
fn zone_text(records: &[Record]) -> String {
    let mut t =
        String::from("; transferred by clusterdns (secondary); rewritten at each transfer\n");
    for r in records {
        t.push_str(&r.to_string());
        t.push('\n');
    }
    t
}

/// Refuses a transfer that does not pass the zone checks.
fn check(origin: &Name, text: &str) -> io::Result<()> {
    let parsed = crate::zonefile::parse_str(
        text.as_bytes(),
        Path::new("(transfer)"),
        &crate::zonefile::Options::new(origin.clone()),
    );
    crate::zone::build(origin, parsed, &mut Vec::new())
        .map(|_| ())
        .map_err(|e| {
            let first = e.errors.first().map(|d| d.to_string()).unwrap_or_default();
            bad(format!("transferred zone fails the zone checks: {first}"))
        })
}

/// Writes `text` as `dir/ORIGIN.zone` atomically: temp file, fsync, rename, fsync the dir.
fn persist(dir: &Path, origin: &Name, text: &str) -> io::Result<()> {
    let name = origin.to_string();
    let name = name.trim_end_matches('.');
    let path = dir.join(format!("{name}.zone"));
    let tmp = dir.join(format!(".{name}.zone.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(dir)?.sync_all()
}
