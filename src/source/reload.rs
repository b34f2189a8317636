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
use crate::source::report::{Change, Report};
use crate::source::stamp::{stamp, stamp_at, states, watch_key, FileState, Stamp};
use crate::store::{Store, ZoneSet};
use crate::zone::Zone;

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

/// Options of the reloader.
#[derive(Debug, Clone)]
pub struct ReloadOptions {
    /// Bump the served serial when content changed but the serial did not grow.
    pub auto_serial: bool,
    /// Today's first date-based serial (`YYYYMMDD00`), for `auto_serial`; tests pin the date.
    pub today: fn() -> u32,
    /// Synthesize PTRs in every reverse zone served (`--auto-ptr`).
    pub auto_ptr: bool,
}

impl Default for ReloadOptions {
    fn default() -> ReloadOptions {
        ReloadOptions {
            auto_serial: false,
            today: serial::today_base,
            auto_ptr: false,
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
}

/// Told about every reload after the first (see [`Reloader::observe`]).
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
}

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
        Reloader {
            dir,
            catalog,
            store,
            entries: BTreeMap::new(),
            opts,
            observer: None,
            synth: Synth::default(),
        }
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
        let files = self.catalog.list()?;
        let listed: BTreeSet<&(PathBuf, Name)> = files.iter().collect();
        let mut report = Report::default();
        let mut changed = false;
        // Removed files (or renamed away from *.zone): the rescan runs after the debounce, so a
        // file renamed over its original is never seen missing.
        let gone: Vec<(PathBuf, Name)> = self
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
            .filter_map(|(p, origin)| {
                let fresh = match self.entries.get(&(p.clone(), origin.clone())) {
                    None => true,
                    Some(e) => {
                        req.force
                            || e.files
                                .iter()
                                .any(|f| req.dirty.contains(&f.key) || stamp(&f.path) != f.stamp)
                    }
                };
                fresh.then(|| (p.clone(), origin.clone()))
            })
            .collect();
        report.reread = todo.len();
        let results = crate::source::hosts::load(&todo, self.catalog.hosts());
        for ((path, origin), (read, result)) in todo.into_iter().zip(results) {
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
            let old = self.store.publish(ZoneSet::new(zones));
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
                    return self.withdraw(&key, report);
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

/// A served zone an update may change: its one file, the served version, and whether the
/// file on disk is still the one that version was read from.
pub(super) struct UpdateTarget {
    pub(super) path: PathBuf,
    pub(super) zone: Arc<Zone>,
    pub(super) unchanged_on_disk: bool,
}

impl Reloader {
    /// Runs one dynamic update (see `source::updater`); returns the answer.
    pub(super) fn update(&mut self, packet: &[u8], peer: std::net::SocketAddr) -> Vec<u8> {
        crate::source::updater::run(self, packet, peer)
    }

    fn entry_of(&self, origin: &Name) -> Option<(&(PathBuf, Name), &Entry)> {
        let o = origin.to_lowercase();
        self.entries
            .iter()
            .find(|(_, e)| e.zone.is_some() && e.origin.to_lowercase() == o)
    }

    /// True when the config gave some zone `allow_update` (at the last read): then UPDATE
    /// messages are handed to the reload task; otherwise they are answered NOTIMP.
    pub fn takes_updates(&self) -> bool {
        self.catalog.takes_updates()
    }

    /// True when zone `origin` is served.
    pub(super) fn serves(&self, origin: &Name) -> bool {
        self.entry_of(origin).is_some()
    }

    /// Who may update zone `origin` (`None`: updates are off for it).
    pub(super) fn allow_update(&self, origin: &Name) -> Option<crate::query::acl::Table> {
        self.entry_of(origin)?;
        self.catalog.allow_update(&origin.to_lowercase())
    }

    /// The TSIG keys known (config file and command line), and the names of those zone
    /// `origin`'s `allow_update` lists (`key:NAME`).
    pub(super) fn update_keys(&self, origin: &Name) -> (Vec<crate::dns::tsig::TsigKey>, Vec<Name>) {
        let allowed = self.catalog.allow_update_keys(&origin.to_lowercase());
        (self.store.xfr().keys.clone(), allowed)
    }

    /// The zone `origin`, if it is read from exactly one file (no includes, no hosts file).
    pub(super) fn update_target(&self, origin: &Name) -> Option<UpdateTarget> {
        let ((path, _), e) = self.entry_of(origin)?;
        let [f] = e.files.as_slice() else {
            return None;
        };
        if self.catalog.hosts().files.contains_key(&e.origin) {
            return None; // a hosts file is not ours to rewrite
        }
        let unchanged_on_disk = match (&f.stamp, stamp(path)) {
            (Some(a), Some(b)) => crate::source::stamp::same_version(a, &b),
            _ => false,
        };
        Some(UpdateTarget {
            path: path.clone(),
            zone: e.zone.clone()?,
            unchanged_on_disk,
        })
    }

    /// Serves `zone`, just written to `path`, as the zone's new version, and publishes. The
    /// file's new stamp is taken as read, so the write is not reloaded as an edit.
    pub(super) fn commit_update(&mut self, path: &Path, zone: Zone) {
        let key = (path.to_path_buf(), zone.origin.clone());
        let key = match self.entries.contains_key(&key) {
            true => key,
            false => match self.entry_of(&zone.origin) {
                Some((k, _)) => k.clone(),
                None => return,
            },
        };
        let serial = zone.serial;
        let zone = ready(zone);
        if let Some(e) = self.entries.get_mut(&key) {
            e.zone = Some(zone);
            e.file_serial = serial;
            if let Some(f) = e.files.first_mut() {
                f.stamp = stamp_at(path, SystemTime::now());
            }
        }
        let zones: Vec<Arc<Zone>> = self
            .entries
            .values()
            .filter_map(|e| e.zone.clone())
            .collect();
        let zones = self.synth.apply(zones, (self.opts.today)());
        retire(self.store.publish(ZoneSet::new(zones)));
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
mod tests {
    use super::*;

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

    /// The date the unit tests run on (fixed, so they cannot fail across UTC midnight).
    const TODAY: u32 = 2025112300;

    const BASE: &str =
        "$TTL 1D\n@ IN SOA ns root ( 2024010101 1D 1H 1W 3H )\n@ IN NS ns\nns IN A 192.168.1.4\n";

    #[test]
    fn content_comparison_ignores_only_the_serial() {
        let a = zone(BASE);
        assert!(crate::zone::same_except_serial(&a, &zone(BASE)));
        assert!(crate::zone::same_except_serial(
            &a,
            &zone(&BASE.replace("2024010101", "7"))
        ));
        assert!(!crate::zone::same_except_serial(
            &a,
            &zone(&BASE.replace("3H )", "2H )"))
        ));
        assert!(!crate::zone::same_except_serial(
            &a,
            &zone(&BASE.replace("1.4", "1.5"))
        ));
        assert!(!crate::zone::same_except_serial(
            &a,
            &zone(&BASE.replace("$TTL 1D", "$TTL 2D"))
        ));
        assert!(!crate::zone::same_except_serial(
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
        assert!(crate::zone::same_except_serial(&z, &zone(BASE)));
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
            ReloadOptions {
                auto_serial: true,
                today: || TODAY,
                auto_ptr: false,
            },
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
        assert_eq!(served, next_serial(2024010101, TODAY));
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
