//! Secondary zones (transfers in): each zone we are secondary for (`--secondary`, TOML
//! `type = "secondary"`, named.conf `type slave|secondary`) has one refresh task. It asks its
//! primaries (in order) for the SOA, transfers the zone when the serial differs (IXFR from the
//! version it holds, AXFR otherwise; `source::xfrin`), checks it as a zone file would be, and
//! writes it atomically (temp file in the same directory, fsync, rename, fsync of the
//! directory) to the zone's file. From there the reloader serves it like any zone file -- so a
//! restart serves it at once, before any primary contact, and takes that copy as the base of
//! its next IXFR. The SOA's refresh timer drives the
//! next check, its retry timer the next try after a failure, and a NOTIFY from a primary (or
//! signed with its key) wakes the task at once. A zone never transferred, or not refreshed for
//! longer than its `expire`, answers SERVFAIL (RFC 1035) until a transfer succeeds.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::rr::Record;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::config::{SecondaryZone, XfrConfig};
use crate::dns::name::Name;
use crate::dns::tsig::{self, Verified};
use crate::dns::wire::rcode;
use crate::metrics::xfr::{RefreshState, XfrStats};
use crate::source::notify_in::{self, NotifyJob};
use crate::source::xfrin::{self, Timers};
use crate::store::Store;

/// Bounds on the SOA timers we act on (seconds).
const MIN_TIMER: u32 = 1;
const MAX_TIMER: u32 = 86_400;
/// How long a transferred version may take to be loaded by the reloader.
const LOAD_WAIT: Duration = Duration::from_secs(10);

/// Starts the task that runs one refresh task per secondary zone and (with `notify_rx`)
/// answers incoming NOTIFYs, until `shutdown`. The zones are those of the store's transfer
/// settings (`Store::xfr`): when a reload of the config file adds, removes or re-points a
/// secondary zone, its task is started, stopped or restarted (as BIND's `rndc reconfig`).
/// Zones without a file of their own are kept as `ORIGIN.zone` in `dir`.
pub fn spawn(
    dir: PathBuf,
    store: Arc<Store>,
    notify_rx: Option<mpsc::Receiver<NotifyJob>>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(supervise(dir, store, notify_rx, shutdown))
}

/// One secondary zone's running task.
struct Running {
    zone: SecondaryZone,
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

async fn supervise(
    dir: PathBuf,
    store: Arc<Store>,
    mut notify_rx: Option<mpsc::Receiver<NotifyJob>>,
    shutdown: CancellationToken,
) {
    let mut running: HashMap<Name, Running> = HashMap::new();
    loop {
        // Register for a change before reading the settings, so none is missed.
        let changed = store.xfr_changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        reconcile(&mut running, &dir, &store, &shutdown);
        loop {
            let job = tokio::select! {
                _ = shutdown.cancelled() => {
                    for r in running.values() {
                        r.task.abort();
                    }
                    return;
                }
                _ = changed.as_mut() => break,
                j = async { notify_rx.as_mut()?.recv().await }, if notify_rx.is_some() => j,
            };
            let Some(job) = job else {
                notify_rx = None;
                continue;
            };
            store.xfr_stats().notify_received();
            answer_notify(job, &store.xfr(), |o| {
                running.get(o).map(|r| r.wake.clone())
            });
        }
    }
}

/// Starts the tasks of secondary zones new in the store's settings, restarts those whose
/// settings changed, stops those no longer listed (their SERVFAIL mark is lifted; the
/// reloader withdraws a zone the config file no longer lists).
fn reconcile(
    running: &mut HashMap<Name, Running>,
    dir: &Path,
    store: &Arc<Store>,
    shutdown: &CancellationToken,
) {
    let cfg = store.xfr();
    let want: HashMap<Name, &SecondaryZone> = cfg
        .secondaries
        .iter()
        .map(|z| (z.origin.to_lowercase(), z))
        .collect();
    running.retain(|origin, r| {
        let keep = want.get(origin).is_some_and(|z| **z == r.zone);
        if !keep {
            r.task.abort();
            store.set_servfail(&r.zone.origin, false);
            if !want.contains_key(origin) {
                tracing::info!("zone {origin}: no longer secondary; its refresh task stopped");
            }
        }
        keep
    });
    for (origin, z) in want {
        if running.contains_key(&origin) {
            continue;
        }
        let wake = Arc::new(Notify::new());
        let file = z.file_in(dir);
        let (zc, st, sd, w) = (z.clone(), store.clone(), shutdown.clone(), wake.clone());
        let task = tokio::spawn(async move {
            tokio::select! {
                _ = sd.cancelled() => {}
                _ = refresh_loop(&zc, &file, &st, &w) => {}
            }
        });
        running.insert(
            origin,
            Running {
                zone: z.clone(),
                wake,
                task,
            },
        );
    }
}

/// Answers one incoming NOTIFY: accepted (NOERROR, AA) for a zone we are secondary for when it
/// comes from the address of one of its primaries (it only makes us ask the primary, with
/// the primary's key when it has one) or is signed with a key its primaries name, or when
/// the zone's `allow_notify` allows its address or key; the zone's task is then woken at
/// once. Otherwise REFUSED (NOTAUTH for a zone we do not transfer). `wake` is the task of a
/// zone (by its lowercased origin).
fn answer_notify(job: NotifyJob, cfg: &XfrConfig, wake: impl Fn(&Name) -> Option<Arc<Notify>>) {
    let p = &job.packet;
    let verified = tsig::verify(p, &cfg.keys, tsig::now());
    let origin = notify_in::question(p)
        .and_then(|q| crate::dns::name::wire_len(q).map(|n| &q[..n]))
        .map(Name::from_wire_unchecked)
        .map(|n| n.to_lowercase());
    let zone = origin.as_ref().and_then(|o| cfg.secondary(o));
    let (rc, mut signer) = match verified {
        Verified::Malformed => (rcode::FORMERR, None),
        Verified::Bad {
            error,
            response_tsig,
        } => {
            tracing::info!("NOTIFY from {}: TSIG error {error}", job.peer);
            let mut resp = notify_in::answer(p, rcode::NOTAUTH, None);
            tsig::append_record(&mut resp, &response_tsig);
            job.reply.send(resp);
            return;
        }
        Verified::Valid(s) if s.error() != 0 => (rcode::NOTAUTH, Some(s)),
        Verified::Valid(s) => {
            let key = s.key_name().to_lowercase();
            let by_key = zone.is_some_and(|z| {
                z.primaries.iter().any(|pr| pr.key.as_ref() == Some(&key))
                    || z.allow_notify
                        .as_ref()
                        .is_some_and(|a| a.allows(job.peer.ip(), Some(&key)))
            });
            (
                if by_key {
                    rcode::NOERROR
                } else {
                    rcode::REFUSED
                },
                Some(s),
            )
        }
        Verified::Unsigned => {
            let ip = job.peer.ip();
            let from_primary = zone.is_some_and(|z| {
                z.primaries.iter().any(|pr| pr.addr.ip() == ip)
                    || z.allow_notify.as_ref().is_some_and(|a| a.allows(ip, None))
            });
            (
                if from_primary {
                    rcode::NOERROR
                } else {
                    rcode::REFUSED
                },
                None,
            )
        }
    };
    let rc = if zone.is_none() && rc != rcode::FORMERR {
        rcode::NOTAUTH
    } else {
        rc
    };
    let name = origin
        .as_ref()
        .map_or_else(|| "?".to_string(), |o| o.to_string());
    if rc == rcode::NOERROR {
        tracing::info!("NOTIFY of {name} from {}: refreshing now", job.peer);
        if let Some(w) = origin.as_ref().and_then(wake) {
            w.notify_one();
        }
    } else {
        tracing::info!("NOTIFY of {name} from {} refused (rcode {rc})", job.peer);
    }
    job.reply.send(notify_in::answer(p, rc, signer.as_mut()));
}

/// The records of zone `origin` as served now (read from disk at start), SOA first, as
/// hickory-proto records (what transfers in are applied to); `None` when it is not served or a
/// record does not convert.
fn served_records(store: &Store, origin: &Name) -> Option<Vec<Record>> {
    use crate::dns::client::record as convert;
    let snap = store.snapshot();
    let zone = snap.get(origin)?;
    let soa = zone.soa()?;
    let mut out = vec![convert(
        zone.origin.wire(),
        crate::dns::rdata::SOA,
        soa.ttl,
        soa.rdatas().next()?,
    )?];
    for n in &zone.nodes {
        let apex = n.has(crate::zone::flag::APEX);
        for set in &n.rrsets {
            if apex && set.rtype == crate::dns::rdata::SOA {
                continue;
            }
            for rd in set.rdatas() {
                out.push(convert(n.name.wire(), set.rtype, set.ttl, rd)?);
            }
        }
    }
    Some(out)
}

/// The timers of the zone `origin` as served now (read from disk at start), if any.
fn served_timers(store: &Store, origin: &Name) -> Option<Timers> {
    let snap = store.snapshot();
    let zone = snap.get(origin)?;
    let soa = zone.soa()?;
    let rd = soa.rdatas().next()?;
    Timers::of_rdata(rd)
}

async fn refresh_loop(z: &SecondaryZone, file: &Path, store: &Store, wake: &Notify) {
    let origin = &z.origin;
    // The served copy (from disk) counts as fresh at start; without one, SERVFAIL.
    let mut last_ok = Instant::now();
    let mut timers = served_timers(store, origin);
    if timers.is_none() {
        store.set_servfail(origin, true);
    }
    // The records of the version we hold (the IXFR base): at start the copy served from
    // disk, which is the last version transferred; then each transfer's.
    let mut held: Option<Vec<Record>> = served_records(store, origin);
    if let Some(h) = &held {
        tracing::debug!(
            "zone {origin}: {} records from disk as the IXFR base",
            h.len()
        );
    }
    let mut expired = false;
    loop {
        let mut ok = false;
        // The keys as the settings have them now (a reload may have changed a secret).
        let cfg = store.xfr();
        for p in &z.primaries {
            let key = p.key.as_ref().and_then(|k| cfg.key(k));
            if p.key.is_some() && key.is_none() {
                tracing::warn!("zone {origin}: primary {} names an unknown key", p.addr);
                continue;
            }
            let ours = held
                .as_deref()
                .and_then(xfrin::timers)
                .or_else(|| served_timers(store, origin))
                .map(|t| t.serial);
            let stats = store.xfr_stats();
            match refresh_from(origin, p.addr, key, ours, held.as_deref(), file, stats).await {
                Ok((t, got)) => {
                    timers = Some(t);
                    if let Some(records) = got {
                        held = Some(records);
                        wait_loaded(store, origin, t.serial).await;
                    }
                    ok = true;
                    break;
                }
                Err(e) => tracing::warn!("failed to refresh zone {origin} from {}: {e}", p.addr),
            }
        }
        if ok {
            last_ok = Instant::now();
            if expired || store.snapshot().get(origin).is_some() {
                store.set_servfail(origin, false);
                expired = false;
            }
        } else if let Some(t) = timers {
            if !expired && last_ok.elapsed() > Duration::from_secs(t.expire as u64) {
                tracing::error!(
                    "zone {origin}: no primary reached for longer than expire ({} s): SERVFAIL until a refresh succeeds",
                    t.expire
                );
                store.set_servfail(origin, true);
                expired = true;
            }
        }
        let state = match (ok, expired, timers) {
            (true, _, _) => RefreshState::Ok,
            (false, true, _) => RefreshState::Expired,
            (false, false, None) => RefreshState::Waiting,
            (false, false, Some(_)) => RefreshState::Retrying,
        };
        let expires_at = timers.map_or(0, |t| {
            let left = Duration::from_secs(t.expire as u64).saturating_sub(last_ok.elapsed());
            tsig::now() + left.as_secs()
        });
        store.xfr_stats().zone_state(origin, state, expires_at);
        let wait = match (ok, timers) {
            (true, Some(t)) => t.refresh,
            (false, Some(t)) => t.retry,
            (_, None) => 5,
        };
        let mut wait = Duration::from_secs(wait.clamp(MIN_TIMER, MAX_TIMER) as u64);
        if let (Some(t), false) = (timers, expired) {
            // Wake by the expire time too (a refresh timer above expire must not hide it).
            let left = Duration::from_secs(t.expire as u64).saturating_sub(last_ok.elapsed());
            wait = wait.min(left + Duration::from_millis(10));
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
        }
    }
}

/// Waits (bounded) until the reloader serves `origin` at `serial`.
async fn wait_loaded(store: &Store, origin: &Name, serial: u32) {
    let t0 = Instant::now();
    while t0.elapsed() < LOAD_WAIT {
        if store.snapshot().get(origin).map(|z| z.serial) == Some(serial) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tracing::warn!("zone {origin}: serial {serial} written but not loaded yet (is watching off?)");
}

/// Asks `primary` for the zone's SOA; transfers and persists the zone when its serial differs
/// from `ours`. Returns the primary's timers and, after a transfer, the zone's records.
async fn refresh_from(
    origin: &Name,
    primary: std::net::SocketAddr,
    key: Option<&tsig::TsigKey>,
    ours: Option<u32>,
    held: Option<&[Record]>,
    file: &Path,
    stats: &XfrStats,
) -> io::Result<(Timers, Option<Vec<Record>>)> {
    let t = xfrin::soa(origin, primary, key).await?;
    if ours == Some(t.serial) {
        return Ok((t, None));
    }
    let got = async {
        let got = xfrin::transfer(origin, primary, key, held).await?;
        let text = zone_text(&got.records);
        check(origin, &text)?;
        super::write_durably(file, text.as_bytes())?;
        Ok::<_, io::Error>(got)
    }
    .await
    .inspect_err(|_| stats.transfer_in(None))?;
    stats.transfer_in(Some(got.how == "IXFR"));
    let t = xfrin::timers(&got.records).unwrap_or(t);
    tracing::info!(
        "zone {origin}: transferred serial {} from {primary} by {} ({} records)",
        t.serial,
        got.how,
        got.records.len()
    );
    Ok((t, Some(got.records)))
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
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

#[cfg(test)]
mod tests;
