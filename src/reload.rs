//! Building and publishing zone sets from a zone directory: the first load, and every reload
//! after it. Only files whose fingerprint changed are re-read; a zone that fails to load keeps
//! serving its last good version; a complete new `ZoneSet` is published in one swap.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::answer;
use crate::loader::{self, LoadError};
use crate::name::Name;
use crate::rdata;
use crate::store::{Store, ZoneSet};
use crate::zone::Zone;

/// What identifies a file's version without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    mtime: Option<SystemTime>,
    size: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        mtime: m.modified().ok(),
        size: m.len(),
        inode: m.ino(),
    })
}

/// What we know about one zone file.
struct Entry {
    origin: Name,
    /// The zone file and everything it includes, with the stamps seen at the last attempt.
    stamps: Vec<(PathBuf, Option<Stamp>)>,
    /// The version being served (the last good one).
    zone: Option<Arc<Zone>>,
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
    pub elapsed: std::time::Duration,
    pub zones: usize,
    pub published: bool,
}

/// Options of the reloader.
#[derive(Debug, Clone, Default)]
pub struct ReloadOptions {
    /// Bump the served serial when content changed but the serial did not grow.
    pub auto_serial: bool,
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

    /// Every file the served zones were read from (zone files and their includes).
    pub fn watched_files(&self) -> Vec<PathBuf> {
        self.entries
            .values()
            .flat_map(|e| e.stamps.iter().map(|(p, _)| p.clone()))
            .collect()
    }

    /// Rescans the directory; re-reads zones whose files changed; publishes if anything did.
    pub fn reload(&mut self) -> std::io::Result<Report> {
        let t0 = Instant::now();
        let files = loader::zone_files(&self.dir)?;
        let mut report = Report::default();
        let mut changed = false;
        // Removed files (or renamed away from *.zone).
        let gone: Vec<PathBuf> = self
            .entries
            .keys()
            .filter(|p| !files.contains(p))
            .cloned()
            .collect();
        for p in gone {
            if let Some(e) = self.entries.remove(&p) {
                if e.zone.is_some() {
                    report.changes.push(Change::Removed { origin: e.origin });
                    changed = true;
                }
            }
        }
        // New or changed files, loaded in parallel (one thread per core at most).
        let todo: Vec<(PathBuf, Name)> = files
            .iter()
            .filter_map(|p| {
                let origin = loader::origin_from_path(p)?;
                let fresh = match self.entries.get(p) {
                    None => true,
                    Some(e) => e.origin != origin || e.stamps.iter().any(|(f, s)| stamp(f) != *s),
                };
                fresh.then(|| (p.clone(), origin))
            })
            .collect();
        let results = load_parallel(&todo);
        for ((path, origin), (stamps, result)) in todo.into_iter().zip(results) {
            let old = self.entries.get(&path).and_then(|e| e.zone.clone());
            match result {
                Ok(mut zone) => {
                    let serial = zone.serial;
                    if let Some(o) = &old {
                        if serial_le(serial, o.serial) {
                            if self.opts.auto_serial {
                                let bumped = next_serial(o.serial);
                                set_serial(&mut zone, bumped);
                                tracing::info!(zone = %origin, "serial {} did not increase; serving serial {} (--auto-serial)", serial, bumped);
                            } else {
                                tracing::warn!(
                                    zone = %origin,
                                    "content changed but the SOA serial did not increase ({} -> {}); secondaries will not pick this up",
                                    o.serial,
                                    serial
                                );
                            }
                        }
                    }
                    answer::preencode(&mut zone);
                    let zone = Arc::new(zone);
                    report.changes.push(match &old {
                        Some(o) => Change::Updated {
                            origin: origin.clone(),
                            old_serial: o.serial,
                            serial: zone.serial,
                            records: zone.records,
                        },
                        None => Change::Added {
                            origin: origin.clone(),
                            serial: zone.serial,
                            records: zone.records,
                        },
                    });
                    self.entries.insert(
                        path,
                        Entry {
                            origin,
                            stamps,
                            zone: Some(zone),
                        },
                    );
                    changed = true;
                }
                Err(e) => {
                    report.changes.push(Change::Failed {
                        origin: origin.clone(),
                        kept_serial: old.as_ref().map(|z| z.serial),
                    });
                    report.errors.push(e);
                    // Keep the last good version; remember the stamps so we retry on the next change.
                    self.entries.insert(
                        path,
                        Entry {
                            origin,
                            stamps,
                            zone: old,
                        },
                    );
                }
            }
        }
        if changed {
            let zones: Vec<Arc<Zone>> = self
                .entries
                .values()
                .filter_map(|e| e.zone.clone())
                .collect();
            report.zones = zones.len();
            let old = self.store.publish(ZoneSet::new(zones));
            // The old set is freed here unless a reader still holds a snapshot.
            drop(old);
            report.published = true;
        } else {
            report.zones = self.entries.values().filter(|e| e.zone.is_some()).count();
        }
        report.elapsed = t0.elapsed();
        Ok(report)
    }
}

type LoadResult = (Vec<(PathBuf, Option<Stamp>)>, Result<Zone, LoadError>);

fn load_one(path: &Path, origin: &Name) -> LoadResult {
    let before = stamp(path);
    match loader::load_zone(path, origin) {
        Ok(l) => {
            for w in &l.warnings {
                tracing::warn!("{w}");
            }
            let mut stamps: Vec<(PathBuf, Option<Stamp>)> = Vec::new();
            for (i, f) in l.zone.files.iter().enumerate() {
                let s = if i == 0 { before } else { stamp(f) };
                stamps.push((f.clone(), s));
            }
            if stamps.is_empty() {
                stamps.push((path.to_path_buf(), before));
            }
            (stamps, Ok(l.zone))
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
    if let Some(set) = zone
        .nodes
        .first_mut()
        .and_then(|n| n.rrsets.iter_mut().find(|r| r.rtype == rdata::SOA))
    {
        let mut v = set.rdata.to_vec();
        // Layout: rdlength(2) | mname | rname | serial ...
        let mut p = 2;
        for _ in 0..2 {
            p += crate::name::wire_len(&v[p.min(v.len())..]).unwrap_or(0);
        }
        if let Some(s) = v.get_mut(p..p + 4) {
            s.copy_from_slice(&serial.to_be_bytes());
            set.rdata = v.into_boxed_slice();
            zone.serial = serial;
        }
    }
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
}
