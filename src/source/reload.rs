//! Building and publishing zone sets from a zone directory: the first load, and every reload
//! after it. Only zones whose files changed (or were named by a file event, or every zone on a
//! forced rescan) are re-read; a zone that fails to load keeps serving its last good version; a
//! complete new `ZoneSet` is published in one swap, and only when some served content changed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::dns::name::Name;
use crate::dns::rdata;
use crate::query::answer;
use crate::source::loader::{self, LoadError};
use crate::store::{Store, ZoneSet};
use crate::zone::Zone;

/// A file whose mtime is this close to the moment it was stamped may be written again within
/// the same timestamp tick without its stamp changing; such a stamp is "racy" and the file is
/// re-read at the next look (as git does). Filesystems that keep whole seconds (mtime with no
/// nanoseconds) get a 2 s window; the others tick with the kernel's coarse clock (a few ms),
/// and a short window keeps a big zone from being re-read on every event near its last write.
const RACY: Duration = Duration::from_secs(2);
const RACY_FINE: Duration = Duration::from_millis(100);

/// What identifies a file's version without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    inode: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    /// Taken too close to the last write to vouch for the content (never equal to a fresh stamp).
    racy: bool,
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        dev: m.dev(),
        inode: m.ino(),
        size: m.len(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
        racy: false,
    })
}

/// A stamp taken at `taken`, marked racy when the file changed shortly before.
fn stamp_at(path: &Path, taken: SystemTime) -> Option<Stamp> {
    let mut s = stamp(path)?;
    let changed = SystemTime::UNIX_EPOCH
        + Duration::new(
            s.mtime.0.max(s.ctime.0).max(0) as u64,
            s.mtime.1.clamp(0, 999_999_999) as u32,
        );
    let window = if s.mtime.1 == 0 { RACY } else { RACY_FINE };
    s.racy = taken
        .duration_since(changed)
        .map_or(true, |age| age < window);
    Some(s)
}

/// How file events name a file: its parent directory made canonical, then its file name (so
/// `zones/a.zone`, `./zones/a.zone` and the absolute path agree, but a symlink stays itself).
pub fn watch_key(path: &Path) -> PathBuf {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return path.to_path_buf();
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    match std::fs::canonicalize(parent) {
        Ok(p) => p.join(name),
        Err(_) => path.to_path_buf(),
    }
}

/// One file a zone was read from.
#[derive(Debug, Clone)]
struct FileState {
    path: PathBuf,
    key: PathBuf,
    stamp: Option<Stamp>,
}

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
        }
    }
}

/// One zone's change in a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added {
        origin: Name,
        serial: u32,
        records: usize,
    },
    Updated {
        origin: Name,
        old_serial: u32,
        serial: u32,
        records: usize,
    },
    Removed {
        origin: Name,
    },
    /// The new version failed to load; the old one (if any) keeps serving.
    Failed {
        origin: Name,
        kept_serial: Option<u32>,
    },
}

/// What one reload did.
#[derive(Debug, Default)]
pub struct Report {
    pub changes: Vec<Change>,
    pub errors: Vec<LoadError>,
    /// From the start of the reload until the new set was published (or until the end).
    pub elapsed: std::time::Duration,
    /// Zones served after this reload.
    pub zones: usize,
    /// Records served after this reload, over every zone.
    pub records: usize,
    /// Zone files read (successfully or not).
    pub reread: usize,
    /// Zones whose files were rejected before and now read back unchanged from what is served.
    pub recovered: Vec<Name>,
    pub published: bool,
}

/// Options of the reloader.
#[derive(Debug, Clone, Default)]
pub struct ReloadOptions {
    /// Bump the served serial when content changed but the serial did not grow.
    pub auto_serial: bool,
}

/// Which files one reload must read.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Re-read every zone, whatever the stamps say (SIGHUP).
    pub force: bool,
    /// Files named by file events (as `watch_key`s): re-read the zones that use them even if
    /// their stamps look unchanged.
    pub dirty: BTreeSet<PathBuf>,
}

/// Owns the zone directory's state; the only writer of the store.
pub struct Reloader {
    dir: PathBuf,
    store: Arc<Store>,
    entries: BTreeMap<PathBuf, Entry>,
    opts: ReloadOptions,
}

impl Reloader {
    pub fn new(dir: PathBuf, store: Arc<Store>, opts: ReloadOptions) -> Reloader {
        Reloader {
            dir,
            store,
            entries: BTreeMap::new(),
            opts,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every file the zones were read from (zone files and their includes).
    pub fn watched_files(&self) -> Vec<PathBuf> {
        self.entries
            .values()
            .flat_map(|e| e.files.iter().map(|f| f.path.clone()))
            .collect()
    }

    /// The `watch_key` of every file the zones were read from.
    pub fn watch_keys(&self) -> BTreeSet<PathBuf> {
        self.entries
            .values()
            .flat_map(|e| e.files.iter().map(|f| f.key.clone()))
            .collect()
    }

    /// Rescans the directory; re-reads zones whose files' stamps changed; publishes if anything
    /// served changed.
    pub fn reload(&mut self) -> std::io::Result<Report> {
        self.reload_with(&Request::default())
    }

    /// Rescans the directory; re-reads the zones `req` asks for and those whose files' stamps
    /// changed; publishes a complete new set if anything served changed.
    pub fn reload_with(&mut self, req: &Request) -> std::io::Result<Report> {
        let t0 = Instant::now();
        let files = loader::zone_files(&self.dir)?;
        let listed: BTreeSet<&PathBuf> = files.iter().collect();
        let mut report = Report::default();
        let mut changed = false;
        // Removed files (or renamed away from *.zone): the rescan runs after the debounce, so a
        // file renamed over its original is never seen missing.
        let gone: Vec<PathBuf> = self
            .entries
            .keys()
            .filter(|p| !listed.contains(p))
            .cloned()
            .collect();
        for p in gone {
            changed |= self.withdraw(&p, &mut report);
        }
        // New or changed files, loaded in parallel (one thread per core at most).
        let todo: Vec<(PathBuf, Name)> = files
            .iter()
            .filter_map(|p| {
                let origin = loader::origin_from_path(p)?;
                let fresh = match self.entries.get(p) {
                    None => true,
                    Some(e) => {
                        req.force
                            || e.origin != origin
                            || e.files
                                .iter()
                                .any(|f| req.dirty.contains(&f.key) || stamp(&f.path) != f.stamp)
                    }
                };
                fresh.then(|| (p.clone(), origin))
            })
            .collect();
        report.reread = todo.len();
        let results = load_parallel(&todo);
        for ((path, origin), (read, result)) in todo.into_iter().zip(results) {
            changed |= self.apply(path, origin, read, result, &mut report);
        }
        let served = || self.entries.values().filter_map(|e| e.zone.as_ref());
        report.zones = served().count();
        report.records = served().map(|z| z.records).sum();
        if changed {
            let zones: Vec<Arc<Zone>> = served().cloned().collect();
            let old = self.store.publish(ZoneSet::new(zones));
            report.published = true;
            report.elapsed = t0.elapsed();
            retire(old);
        } else {
            report.elapsed = t0.elapsed();
        }
        Ok(report)
    }

    /// Forgets the zone file `path`; true if it was being served.
    fn withdraw(&mut self, path: &Path, report: &mut Report) -> bool {
        match self.entries.remove(path) {
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
        let prev = self.entries.get(&path).filter(|e| e.origin == origin);
        let old = prev.and_then(|e| e.zone.clone());
        let mut loaded = match result {
            Ok(l) => l,
            Err(e) => {
                if stamp(&path).is_none() {
                    // Deleted between the directory scan and the read: a removal, not an error.
                    return self.withdraw(&path, report);
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
                    path,
                    Entry {
                        origin,
                        files,
                        zone: old,
                        file_serial,
                        failed: true,
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
            answer::preencode(&mut loaded.zone);
            let zone = Arc::new(loaded.zone);
            report.changes.push(Change::Added {
                origin: origin.clone(),
                serial: zone.serial,
                records: zone.records,
            });
            self.entries
                .insert(path, Entry::serving(origin, files, zone, file_serial));
            return true;
        };
        let t = Instant::now();
        let same = same_content(&o, &loaded.zone);
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
                let bumped = next_serial(o.serial);
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
            if let Some(e) = self.entries.get_mut(&path) {
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
        let t = Instant::now();
        answer::preencode(&mut loaded.zone);
        tracing::debug!(
            "zone {origin}: pre-encoded in {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        let zone = Arc::new(loaded.zone);
        report.changes.push(Change::Updated {
            origin: origin.clone(),
            old_serial: o.serial,
            serial: zone.serial,
            records: zone.records,
        });
        self.entries
            .insert(path, Entry::serving(origin, files, zone, file_serial));
        true
    }
}

fn states(read: Vec<(PathBuf, Option<Stamp>)>) -> Vec<FileState> {
    read.into_iter()
        .map(|(path, stamp)| FileState {
            key: watch_key(&path),
            path,
            stamp,
        })
        .collect()
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

/// Whether two versions of a zone serve the same data, ignoring the SOA serial.
fn same_content(a: &Zone, b: &Zone) -> bool {
    a.class == b.class
        && a.records == b.records
        && a.nodes.len() == b.nodes.len()
        && a.nodes.iter().zip(&b.nodes).all(|(x, y)| {
            x.name.wire() == y.name.wire()
                && x.flags == y.flags
                && x.rrsets.len() == y.rrsets.len()
                && x.rrsets.iter().zip(y.rrsets.iter()).all(|(s, t)| {
                    s.rtype == t.rtype
                        && s.ttl == t.ttl
                        && s.count == t.count
                        && if s.rtype == rdata::SOA {
                            soa_without_serial(&s.rdata) == soa_without_serial(&t.rdata)
                        } else {
                            s.rdata == t.rdata
                        }
                })
        })
}

/// SOA RRset data (`rdlength | rdata`) with the serial cut out.
fn soa_without_serial(set: &[u8]) -> (&[u8], &[u8]) {
    match serial_offset(set) {
        Some(p) => (&set[..p], &set[p + 4..]),
        None => (set, &[]),
    }
}

/// Where the serial of the first SOA record starts in `rdlength | mname | rname | serial ...`.
fn serial_offset(set: &[u8]) -> Option<usize> {
    let mut p = 2;
    for _ in 0..2 {
        p += crate::dns::name::wire_len(set.get(p..)?)?;
    }
    (p + 4 <= set.len()).then_some(p)
}

type LoadResult = (
    Vec<(PathBuf, Option<Stamp>)>,
    Result<loader::Loaded, LoadError>,
);

fn load_one(path: &Path, origin: &Name) -> LoadResult {
    let taken = SystemTime::now();
    let t0 = Instant::now();
    let before = stamp_at(path, taken);
    let result = loader::load_zone(path, origin);
    tracing::debug!(
        "read {} in {:.1} ms",
        path.display(),
        t0.elapsed().as_secs_f64() * 1000.0
    );
    match result {
        Ok(l) => {
            let mut stamps: Vec<(PathBuf, Option<Stamp>)> = vec![(path.to_path_buf(), before)];
            // Includes are stamped after the read; one written meanwhile is racy, so re-read.
            for f in l.zone.files.iter().skip(1) {
                let s = stamp_at(f, taken);
                if !stamps.iter().any(|(p, _)| p == f) {
                    stamps.push((f.clone(), s));
                }
            }
            (stamps, Ok(l))
        }
        Err(e) => (vec![(path.to_path_buf(), before)], Err(e)),
    }
}

fn load_parallel(todo: &[(PathBuf, Name)]) -> Vec<LoadResult> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(todo.len())
        .max(1);
    if threads == 1 {
        return todo.iter().map(|(p, o)| load_one(p, o)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<LoadResult>> = (0..todo.len()).map(|_| None).collect();
    let results = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((p, o)) = todo.get(i) else { break };
                let r = load_one(p, o);
                // The lock is held only to store the result (no await, no I/O inside).
                if let Ok(mut g) = results.lock() {
                    g[i] = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .zip(todo)
        .map(|(r, (p, o))| r.unwrap_or_else(|| load_one(p, o)))
        .collect()
}

/// Logs what one reload did: each rejected zone and its errors (`path:line: message`) at error
/// level, then one line for the whole reload. Logs nothing when nothing changed or failed.
pub fn log_reload(r: &Report, trigger: &str) {
    log_errors(r);
    if r.changes.is_empty() && r.recovered.is_empty() {
        return;
    }
    log_summary(r, trigger);
}

/// Logs each zone that failed to load, then each of its errors as `path:line: message`.
pub fn log_errors(r: &Report) {
    for e in &r.errors {
        let kept = r.changes.iter().find_map(|c| match c {
            Change::Failed {
                origin,
                kept_serial,
            } if *origin == e.origin => Some(*kept_serial),
            _ => None,
        });
        match kept.flatten() {
            Some(s) => tracing::error!(
                "failed to load zone {} from {}; still serving serial {s}",
                e.origin,
                e.path.display()
            ),
            None => tracing::error!(
                "failed to load zone {} from {}; not served",
                e.origin,
                e.path.display()
            ),
        }
        for d in &e.errors {
            tracing::error!("{d}");
        }
        if e.suppressed > 0 {
            tracing::error!("{}: ... and {} more errors", e.path.display(), e.suppressed);
        }
    }
}

fn log_summary(r: &Report, trigger: &str) {
    let parts: Vec<String> = r
        .changes
        .iter()
        .map(|c| match c {
            Change::Added {
                origin,
                serial,
                records,
            } => format!("{origin} added, serial {serial}, {records} records"),
            Change::Updated {
                origin,
                old_serial,
                serial,
                records,
            } => format!("{origin} serial {old_serial} -> {serial}, {records} records"),
            Change::Removed { origin } => format!("{origin} removed"),
            Change::Failed {
                origin,
                kept_serial: Some(s),
            } => format!("{origin} rejected, still serving serial {s}"),
            Change::Failed {
                origin,
                kept_serial: None,
            } => format!("{origin} rejected, not served"),
        })
        .chain(
            r.recovered
                .iter()
                .map(|origin| format!("{origin} read back good, content as served (no change)")),
        )
        .collect();
    let changed = r
        .changes
        .iter()
        .filter(|c| !matches!(c, Change::Failed { .. }))
        .count();
    tracing::info!(
        "reload ({trigger}): {changed} zone(s) changed: {}; serving {} zone(s), {} records; {:.1} ms",
        parts.join(", "),
        r.zones,
        r.records,
        r.elapsed.as_secs_f64() * 1000.0
    );
}

/// RFC 1982 serial comparison: `a <= b`.
pub fn serial_le(a: u32, b: u32) -> bool {
    a == b || (b.wrapping_sub(a) as i32) > 0
}

/// The next date-based serial (`YYYYMMDDnn`) after `old`.
pub fn next_serial(old: u32) -> u32 {
    let today = today_serial_base();
    if serial_le(today, old) {
        old.wrapping_add(1)
    } else {
        today
    }
}

fn today_serial_base() -> u32 {
    let days = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86400)
        .unwrap_or(0) as i64;
    let (y, m, d) = civil_from_days(days);
    (y as u32) * 1_000_000 + m * 10_000 + d * 100
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Rewrites the serial of the zone's SOA.
fn set_serial(zone: &mut Zone, serial: u32) {
    let Some(set) = zone
        .nodes
        .first_mut()
        .and_then(|n| n.rrsets.iter_mut().find(|r| r.rtype == rdata::SOA))
    else {
        return;
    };
    let Some(p) = serial_offset(&set.rdata) else {
        return;
    };
    let mut v = set.rdata.to_vec();
    v[p..p + 4].copy_from_slice(&serial.to_be_bytes());
    set.rdata = v.into_boxed_slice();
    zone.serial = serial;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_arithmetic() {
        assert!(serial_le(1, 2));
        assert!(serial_le(2, 2));
        assert!(!serial_le(3, 2));
        assert!(serial_le(u32::MAX, 1));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20415), (2025, 11, 23));
        let t = today_serial_base();
        assert_eq!(next_serial(t + 5), t + 6);
        assert_eq!(next_serial(1), t);
    }

    #[track_caller]
    fn zone(text: &str) -> Zone {
        let origin = Name::from_ascii("lihui.hadoop").expect("origin");
        let parsed = crate::zonefile::parse_str(
            text.as_bytes(),
            Path::new("t.zone"),
            &crate::zonefile::Options::new(origin.clone()),
        );
        crate::zone::build(&origin, parsed, &mut Vec::new()).expect("zone builds")
    }

    const BASE: &str =
        "$TTL 1D\n@ IN SOA ns root ( 2024010101 1D 1H 1W 3H )\n@ IN NS ns\nns IN A 192.168.1.4\n";

    #[test]
    fn content_comparison_ignores_only_the_serial() {
        let a = zone(BASE);
        assert!(same_content(&a, &zone(BASE)));
        assert!(same_content(&a, &zone(&BASE.replace("2024010101", "7"))));
        assert!(!same_content(&a, &zone(&BASE.replace("3H )", "2H )"))));
        assert!(!same_content(&a, &zone(&BASE.replace("1.4", "1.5"))));
        assert!(!same_content(
            &a,
            &zone(&BASE.replace("$TTL 1D", "$TTL 2D"))
        ));
        assert!(!same_content(
            &a,
            &zone(&format!("{BASE}n1 IN A 10.0.0.1\n"))
        ));
    }

    #[test]
    fn serial_is_rewritten_in_place() {
        let mut z = zone(BASE);
        set_serial(&mut z, 2025112301);
        assert_eq!(z.serial, 2025112301);
        let soa = z.soa().expect("soa");
        let rd = soa.rdatas().next().expect("one soa");
        assert_eq!(crate::zone::soa_serial(rd), 2025112301);
        assert!(same_content(&z, &zone(BASE)));
    }

    #[test]
    fn reloader_rereads_only_what_changed() {
        let dir =
            std::env::temp_dir().join(format!("clusterdns-reload-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("lihui.hadoop.zone");
        std::fs::write(&path, BASE).expect("write");
        let store = Arc::new(Store::new(ZoneSet::default()));
        let mut r = Reloader::new(
            dir.clone(),
            store.clone(),
            ReloadOptions { auto_serial: true },
        );
        let rep = r.reload().expect("first load");
        assert_eq!(rep.zones, 1);
        assert!(rep.published);
        // A forced rescan re-reads, finds nothing new, publishes nothing.
        let force = Request {
            force: true,
            ..Request::default()
        };
        let rep = r.reload_with(&force).expect("rescan");
        assert_eq!(rep.reread, 1);
        assert!(rep.changes.is_empty() && !rep.published);
        // Changed content, same serial: bumped (--auto-serial).
        std::fs::write(&path, format!("{BASE}n1 IN A 10.0.0.1\n")).expect("write");
        let rep = r.reload_with(&force).expect("reload");
        assert!(rep.published);
        let served = store.snapshot().zones()[0].serial;
        assert_eq!(served, next_serial(2024010101));
        // Broken: the last good version stays.
        std::fs::write(&path, "$TTL 1D\n@ IN NS ns\n").expect("write");
        let rep = r.reload_with(&force).expect("reload");
        assert_eq!(rep.errors.len(), 1);
        assert!(!rep.published);
        assert_eq!(store.snapshot().zones()[0].serial, served);
        // Deleted: withdrawn.
        std::fs::remove_file(&path).expect("remove");
        let rep = r.reload().expect("reload");
        assert!(matches!(rep.changes[..], [Change::Removed { .. }]));
        assert!(store.snapshot().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
