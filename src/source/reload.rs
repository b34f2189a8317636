//! Building and publishing zone sets from a zone directory: the first load, and every reload
//! after it. Only zones whose files changed (or were named by a file event, or every zone on a
//! forced rescan) are re-read; a zone that fails to load keeps serving its last good version; a
//! complete new `ZoneSet` is published in one swap, and only when some served content changed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::dns::name::Name;
use crate::dns::serial::{self, next_serial, serial_le, set_serial};
use crate::source::autoptr::Synth;
use crate::source::catalog::Catalog;
use crate::source::loader::{self, LoadError};
use crate::source::parallel::{dispatch, Done, ReadCtx, Waker};
use crate::source::report::{Change, Report};
use crate::source::stamp::{stamp, stamp_at, states, watch_key, FileState, Stamp};
use crate::store::{Store, ZoneSet};
use crate::zone::Zone;
use crate::zonefile::{Cancel, Limits};

/// What we know about one zone file.
struct Entry {
    origin: Name,
    /// The zone file first, then everything it includes, with the stamps seen at the last read.
    files: Vec<FileState>,
    /// The version being served (the last good one).
    zone: Option<Arc<Zone>>,
    /// The serial the file itself gave the served version (the served one may be bumped).
    file_serial: u32,
    /// The last read failed.
    failed: bool,
    /// When its file was first seen missing (withdrawn once the grace has passed).
    absent_since: Option<Instant>,
}

impl Entry {
    /// A zone file whose latest read is being served.
    fn serving(origin: Name, files: Vec<FileState>, zone: Arc<Zone>, file_serial: u32) -> Entry {
        Entry {
            origin,
            files,
            zone: Some(zone),
            file_serial,
            failed: false,
            absent_since: None,
        }
    }
}

/// Options of the reloader.
#[derive(Debug, Clone)]
pub struct ReloadOptions {
    /// Bump the served serial when content changed but the serial did not grow.
    pub auto_serial: bool,
    /// Today's first date-based serial (`YYYYMMDD00`), for `auto_serial`; tests pin the date.
    pub today: fn() -> u32,
    /// Synthesize PTRs in every reverse zone served (`--auto-ptr`).
    pub auto_ptr: bool,
    /// The bounds of every zone read.
    pub limits: Limits,
    /// How long a vanished zone file is waited for before its zone is withdrawn.
    pub withdraw_grace: Duration,
    /// Set at shutdown: reads in flight give up.
    pub cancel: Cancel,
}

impl Default for ReloadOptions {
    fn default() -> ReloadOptions {
        ReloadOptions {
            auto_serial: false,
            today: serial::today_base,
            auto_ptr: false,
            limits: Limits::default(),
            withdraw_grace: crate::config::DEFAULT_WITHDRAW_GRACE,
            cancel: Cancel::default(),
        }
    }
}

/// Which files one reload must read.
#[derive(Debug, Clone, Default)]
pub(super) struct Request {
    /// Re-read every zone, whatever the stamps say (SIGHUP).
    pub(super) force: bool,
    /// Files named by file events (as `watch_key`s): re-read the zones that use them even if
    /// their stamps look unchanged.
    pub(super) dirty: BTreeSet<PathBuf>,
    /// Files a writer still has open (as `watch_key`s): the zones that use them are left as
    /// they are until the writer closes them (never publish a half-written file).
    pub(super) hold: BTreeSet<PathBuf>,
    /// A poll (no close events): read a file changed in place only once its stamp held still
    /// since the last poll.
    pub(super) settle: bool,
}

impl Request {
    /// Adds what `other` asks for (a request that could not run, kept for the next one).
    pub(super) fn merge(&mut self, other: Request) {
        self.force |= other.force;
        self.dirty.extend(other.dirty);
    }
}

/// Told about every reload after the first and every dynamic update (see [`Reloader::observe`]).
pub type Observer = Box<dyn Fn(&Report) + Send>;

/// Owns the zone directory's state; the only writer of the store.
pub struct Reloader {
    dir: PathBuf,
    /// Which zones to serve from which files.
    catalog: Catalog,
    store: Arc<Store>,
    /// Keyed by zone file and origin (two zones may share a file, as `named.localhost`).
    entries: BTreeMap<(PathBuf, Name), Entry>,
    opts: ReloadOptions,
    /// Told about every reload (metrics).
    observer: Option<Observer>,
    /// PTRs synthesized into reverse zones before each publish.
    synth: Synth,
    /// The last reload met a transient error (a file it could not open): try again.
    retry: bool,
    /// The config file's access lists have been applied once (the first application completes
    /// the start's tables, with the zones' own lists: no news to log).
    access_applied: bool,
    /// Where reads deliver their results, and the zones being read.
    done_tx: std::sync::mpsc::Sender<Done>,
    done_rx: std::sync::mpsc::Receiver<Done>,
    inflight: BTreeSet<(PathBuf, Name)>,
    /// Zones a reload skipped because they were being read: their files may have changed
    /// after that read began, so when its result comes the zone is looked at again.
    skipped_inflight: BTreeSet<(PathBuf, Name)>,
    /// Set by the reload task: then a reload publishes what was read within `INLINE_WAIT`
    /// and a slower read delivers later; without it a reload waits for every read.
    waker: Option<Waker>,
    /// Files changed in place at the last poll, with the stamp then (see `Request::settle`).
    settling: BTreeMap<PathBuf, Stamp>,
}

/// How long a reload waits for its reads before it publishes what is done.
const INLINE_WAIT: Duration = Duration::from_millis(200);

impl Reloader {
    pub fn new(dir: PathBuf, store: Arc<Store>, opts: ReloadOptions) -> Reloader {
        Reloader::with_catalog(dir.clone(), Catalog::dir(dir), store, opts)
    }

    /// A reloader serving the zones `catalog` lists; `dir` is the directory watched.
    pub fn with_catalog(
        dir: PathBuf,
        catalog: Catalog,
        store: Arc<Store>,
        opts: ReloadOptions,
    ) -> Reloader {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        Reloader {
            dir,
            catalog,
            store,
            entries: BTreeMap::new(),
            opts,
            observer: None,
            synth: Synth::default(),
            retry: false,
            access_applied: false,
            done_tx,
            done_rx,
            inflight: BTreeSet::new(),
            skipped_inflight: BTreeSet::new(),
            waker: None,
            settling: BTreeMap::new(),
        }
    }

    /// Lets reloads publish what is read in time, and calls `w` when a slower read ends.
    pub(super) fn set_waker(&mut self, w: Waker) {
        self.waker = Some(w);
    }

    /// The last reload met an error that may pass (out of file descriptors): the caller
    /// should run another one after a pause, with the same request.
    pub(super) fn needs_retry(&self) -> bool {
        self.retry
    }

    /// When the next zone whose file vanished is due to be withdrawn.
    pub(super) fn next_withdraw(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter_map(|e| e.absent_since)
            .min()
            .map(|t| t + self.opts.withdraw_grace)
    }

    /// The flag that cancels reads in flight (shutdown).
    pub(super) fn cancel(&self) -> Cancel {
        self.opts.cancel.clone()
    }

    /// Calls `f` with the report of every later reload.
    pub fn observe(&mut self, f: Observer) {
        self.observer = Some(f);
    }

    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `watch_key` of every file the zones were read from.
    pub(super) fn watch_keys(&self) -> BTreeSet<PathBuf> {
        self.entries
            .values()
            .flat_map(|e| e.files.iter().map(|f| f.key.clone()))
            .chain(self.catalog.watched().iter().map(|p| watch_key(p)))
            .collect()
    }

    /// Rescans the directory; re-reads zones whose files' stamps changed; publishes if anything
    /// served changed.
    pub fn reload(&mut self) -> std::io::Result<Report> {
        self.reload_with(&Request::default())
    }

    /// Rescans the directory; re-reads the zones `req` asks for and those whose files' stamps
    /// changed; publishes a complete new set if anything served changed.
    pub(super) fn reload_with(&mut self, req: &Request) -> std::io::Result<Report> {
        let t0 = Instant::now();
        self.retry = false;
        let files = match self.catalog.list() {
            Ok(f) => f,
            Err(e) => {
                self.retry = true;
                return Err(e);
            }
        };
        if let Some(lists) = self.catalog.access() {
            let changed = crate::source::access::apply(&self.store, lists);
            let first = !std::mem::replace(&mut self.access_applied, true);
            if changed && !first {
                tracing::info!("access lists (allow_query, allow_recursion) changed: applied");
            }
        }
        if let Some(x) = self.catalog.take_xfr() {
            if self.store.set_xfr(x) {
                tracing::info!(
                    "transfer settings (allow_transfer, also_notify, keys) changed: applied"
                );
            }
        }
        let listed: BTreeSet<&(PathBuf, Name)> = files.iter().collect();
        let mut report = Report::default();
        let mut changed = false;
        // Removed files (or renamed away from *.zone): withdrawn once they stayed away for the
        // grace period (an editor replacing the file, `rm` + `cp`).
        let gone: Vec<(PathBuf, Name)> = self
            .entries
            .keys()
            .filter(|p| !listed.contains(p))
            .cloned()
            .collect();
        for p in gone {
            changed |= self.vanished(&p, t0, &mut report);
        }
        for k in &files {
            if let Some(e) = self.entries.get_mut(k) {
                if e.absent_since.take().is_some() {
                    tracing::info!("zone {}: {} is back", e.origin, k.0.display());
                }
            }
        }
        // New or changed files, loaded in parallel (one thread per core at most).
        let mut unsettled = BTreeMap::new();
        let mut skipped = Vec::new();
        let todo: Vec<(PathBuf, Name)> = files
            .iter()
            .filter_map(|(p, origin)| {
                let key = (p.clone(), origin.clone());
                if self.inflight.contains(&key) {
                    // Still being read: its result comes with a later reload, which then looks
                    // at the files again (an edit made during the read is not lost).
                    skipped.push(key);
                    return None;
                }
                let entry = self.entries.get(&key);
                if entry.is_some() && self.catalog.conflicted(origin) {
                    return None; // two files define it: keep the version served
                }
                let held = match entry {
                    None => req.hold.contains(&watch_key(p)),
                    Some(e) => e.files.iter().any(|f| req.hold.contains(&f.key)),
                };
                if held {
                    tracing::debug!("{}: still open for writing; left for later", p.display());
                    return None;
                }
                let fresh = match entry {
                    None => true,
                    Some(e) => {
                        if req.settle && !req.force {
                            // Polling (no close events): a file changed in place is read once
                            // its stamp held still for one poll; a file renamed over is whole.
                            for f in &e.files {
                                let now = stamp(&f.path);
                                let in_place = matches!((now, f.stamp), (Some(n), Some(o)) if n != o && n.same_file(&o));
                                if in_place && self.settling.get(&f.key) != now.as_ref() {
                                    unsettled.insert(f.key.clone(), now);
                                }
                            }
                            if e.files.iter().any(|f| unsettled.contains_key(&f.key)) {
                                return None;
                            }
                        }
                        req.force
                            || e.files
                                .iter()
                                .any(|f| req.dirty.contains(&f.key) || stamp(&f.path) != f.stamp)
                    }
                };
                fresh.then(|| (p.clone(), origin.clone()))
            })
            .collect();
        self.settling = unsettled
            .into_iter()
            .filter_map(|(k, s)| s.map(|s| (k, s)))
            .collect();
        report.reread = todo.len();
        let ctx = ReadCtx {
            limits: self.opts.limits.clone(),
            cancel: self.opts.cancel.clone(),
            hosts: Arc::new(self.catalog.hosts().clone()),
        };
        // Reads that ended since the last reload, then this reload's, for as long as we wait.
        let mut results: Vec<Done> = self.done_rx.try_iter().collect();
        let mut waiting: BTreeSet<(PathBuf, Name)> = todo.iter().cloned().collect();
        self.inflight.extend(todo.iter().cloned());
        let late = Arc::new(std::sync::atomic::AtomicBool::new(false));
        dispatch(todo, &ctx, &self.done_tx, self.waker.as_ref(), &late);
        let deadline = self.waker.is_some().then(|| Instant::now() + INLINE_WAIT);
        while !waiting.is_empty() {
            let d = match deadline {
                Some(t) => match self
                    .done_rx
                    .recv_timeout(t.saturating_duration_since(Instant::now()))
                {
                    Ok(d) => d,
                    Err(_) => break,
                },
                None => match self.done_rx.recv() {
                    Ok(d) => d,
                    Err(_) => break,
                },
            };
            waiting.remove(&d.0);
            results.push(d);
        }
        if !waiting.is_empty() {
            // From now on a read that ends calls the waker; what ended before is taken here.
            late.store(true, std::sync::atomic::Ordering::SeqCst);
            for d in self.done_rx.try_iter() {
                waiting.remove(&d.0);
                results.push(d);
            }
        }
        if !waiting.is_empty() {
            let names: Vec<String> = waiting.iter().map(|(_, o)| o.to_string()).collect();
            tracing::info!(
                "still reading {}; publishing the other zones now",
                names.join(", ")
            );
        }
        results.sort_by(|a, b| a.0.cmp(&b.0));
        self.skipped_inflight.extend(skipped);
        for ((path, origin), (read, result)) in results {
            let key = (path, origin);
            self.inflight.remove(&key);
            if self.skipped_inflight.remove(&key) {
                // A reload passed this zone by while it was read: look again soon (the stamps
                // this read recorded tell whether the files changed since it began).
                self.retry = true;
            }
            if !listed.contains(&key) {
                continue; // withdrawn while it was being read
            }
            let (path, origin) = key;
            changed |= self.apply(path, origin, read, result, &mut report);
        }
        let mut spec = self.catalog.auto_ptr().clone();
        spec.all_reverse = self.opts.auto_ptr;
        changed |= self.synth.set_spec(spec);
        let served = || self.entries.values().filter_map(|e| e.zone.as_ref());
        report.zones = served().count();
        report.records = served().map(|z| z.records).sum();
        if changed {
            let zones: Vec<Arc<Zone>> = served().cloned().collect();
            let zones = self.synth.apply(zones, (self.opts.today)());
            let old = self.store.publish(ZoneSet::new(zones.clone()));
            crate::source::report::add_derived(&mut report, &old, &zones);
            report.published = true;
            report.elapsed = t0.elapsed();
            retire(old);
        } else {
            report.elapsed = t0.elapsed();
        }
        if let Some(f) = &self.observer {
            f(&report);
        }
        Ok(report)
    }

    /// A zone whose file is no longer listed: withdrawn at once if the file is still there (the
    /// zone left the config file) or there is no grace, else once it stayed away for the grace
    /// period; true if what is served changed.
    fn vanished(&mut self, key: &(PathBuf, Name), now: Instant, report: &mut Report) -> bool {
        let grace = self.opts.withdraw_grace;
        let present = stamp(&key.0).is_some();
        let Some(e) = self.entries.get_mut(key) else {
            return false;
        };
        if present || grace.is_zero() || e.zone.is_none() {
            return self.withdraw(key, report);
        }
        match e.absent_since {
            None => {
                tracing::info!(
                    "zone {}: {} is gone; withdrawn in {:.1} s unless it comes back",
                    e.origin,
                    key.0.display(),
                    grace.as_secs_f64()
                );
                e.absent_since = Some(now);
                false
            }
            Some(t) if now.duration_since(t) >= grace => self.withdraw(key, report),
            Some(_) => false,
        }
    }

    /// Forgets the zone file `path`; true if it was being served.
    fn withdraw(&mut self, key: &(PathBuf, Name), report: &mut Report) -> bool {
        match self.entries.remove(key) {
            Some(e) if e.zone.is_some() => {
                report.changes.push(Change::Removed { origin: e.origin });
                true
            }
            _ => false,
        }
    }

    /// Takes in one zone file's new read; true if what is served changed.
    fn apply(
        &mut self,
        path: PathBuf,
        origin: Name,
        read: Vec<(PathBuf, Option<Stamp>)>,
        result: Result<loader::Loaded, LoadError>,
        report: &mut Report,
    ) -> bool {
        let key = (path.clone(), origin.clone());
        let prev = self.entries.get(&key);
        let old = prev.and_then(|e| e.zone.clone());
        let mut loaded = match result {
            Ok(l) => l,
            Err(e) => {
                if stamp(&path).is_none() {
                    // Deleted between the directory scan and the read: a removal, not an error.
                    return self.vanished(&key, Instant::now(), report);
                }
                if e.transient {
                    // Content unknown (out of file descriptors, cancelled): keep everything as
                    // it was, so the next look reads the file again, and ask for a retry.
                    tracing::warn!("{e}; will retry");
                    self.retry = true;
                    if let Some(p) = self.entries.get_mut(&key) {
                        for f in &mut p.files {
                            f.stamp = None;
                        }
                    }
                    return false;
                }
                report.changes.push(Change::Failed {
                    origin: origin.clone(),
                    kept_serial: old.as_ref().map(|z| z.serial),
                });
                report.errors.push(e);
                // Keep the last good version. Remember the new stamps (so an unchanged broken
                // file is not re-read at every look) and the files of the last good version too
                // (so fixing a broken include is noticed).
                let mut files = states(read);
                if let Some(p) = prev {
                    for f in &p.files {
                        if !files.iter().any(|g| g.key == f.key) {
                            files.push(FileState {
                                stamp: stamp_at(&f.path, SystemTime::now()),
                                ..f.clone()
                            });
                        }
                    }
                }
                let file_serial = prev.map_or(0, |p| p.file_serial);
                self.entries.insert(
                    key,
                    Entry {
                        origin,
                        files,
                        zone: old,
                        file_serial,
                        failed: true,
                        absent_since: None,
                    },
                );
                return false;
            }
        };
        for w in &loaded.warnings {
            tracing::warn!("{w}");
        }
        let files = states(read);
        let file_serial = loaded.zone.serial;
        let (Some(p), Some(o)) = (prev, old) else {
            // A zone seen for the first time (or seen good for the first time).
            let zone = ready(loaded.zone);
            report.changes.push(Change::Added {
                origin: origin.clone(),
                serial: zone.serial,
                records: zone.records,
            });
            self.entries
                .insert(key, Entry::serving(origin, files, zone, file_serial));
            return true;
        };
        let t = Instant::now();
        let same = crate::zone::same_except_serial(&o, &loaded.zone);
        tracing::debug!(
            "zone {origin}: compared in {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        let serve = if same && file_serial == p.file_serial {
            None // touched, re-saved unchanged, or a forced rescan: nothing to do
        } else if self.opts.auto_serial {
            if !serial_le(file_serial, o.serial) {
                Some(file_serial)
            } else if same {
                None // only the file's serial moved, and not past the served one
            } else {
                let bumped = next_serial(o.serial, (self.opts.today)());
                tracing::info!(
                    "zone {origin}: content changed but serial {file_serial} is not above the served {}; serving serial {bumped} (--auto-serial)",
                    o.serial
                );
                Some(bumped)
            }
        } else {
            if !same && serial_le(file_serial, o.serial) {
                tracing::warn!(
                    "zone {origin}: content changed but the SOA serial did not increase ({} -> {file_serial}); secondaries will not pick this up (bump it, or run with --auto-serial)",
                    o.serial
                );
            }
            Some(file_serial)
        };
        let Some(serial) = serve else {
            if let Some(e) = self.entries.get_mut(&key) {
                if e.failed {
                    report.recovered.push(origin);
                }
                e.files = files;
                e.file_serial = file_serial;
                e.failed = false;
            }
            return false;
        };
        if serial != loaded.zone.serial {
            set_serial(&mut loaded.zone, serial);
        }
        loaded.zone.history = crate::zone::History::next(&o, &loaded.zone);
        let zone = ready(loaded.zone);
        report.changes.push(Change::Updated {
            origin: origin.clone(),
            old_serial: o.serial,
            serial: zone.serial,
            records: zone.records,
        });
        self.entries
            .insert(key, Entry::serving(origin, files, zone, file_serial));
        true
    }
}

/// A zone made ready to serve, once its serial is final: the query side prepares what it
/// needs at load time (pre-encoded answers), then the zone is frozen.
fn ready(mut zone: Zone) -> Arc<Zone> {
    let t = Instant::now();
    crate::query::prepare(&mut zone);
    tracing::debug!(
        "zone {}: prepared for queries in {:.1} ms",
        zone.origin,
        t.elapsed().as_secs_f64() * 1000.0
    );
    Arc::new(zone)
}

/// Frees a zone set that was just replaced, here rather than on the query path: a query that
/// took its snapshot before the swap holds it for one batch, and whoever lets go last frees it
/// (a million-record zone takes tens of milliseconds to free).
fn retire(old: Arc<ZoneSet>) {
    let t0 = Instant::now();
    // Bounded wait (1 s) for readers that still hold the old snapshot.
    for _ in 0..1000 {
        if Arc::strong_count(&old) == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(old);
    crate::store::trim_memory();
    tracing::debug!(
        "old zone set freed in {:.1} ms",
        t0.elapsed().as_secs_f64() * 1000.0
    );
}

#[cfg(test)]
#[path = "reload_tests.rs"]
mod tests;

#[path = "reload_updates.rs"]
mod updates;
