//! The reloader's side of dynamic updates (RFC 2136, see `source::updater`): which served zone
//! an update may change, who may send it, and publishing the updated zone like a reload.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;

/// A served zone an update may change: its one file, the served version, and whether the
/// file on disk is still the one that version was read from.
pub(in crate::source) struct UpdateTarget {
    pub(in crate::source) path: PathBuf,
    pub(in crate::source) zone: Arc<Zone>,
    pub(in crate::source) unchanged_on_disk: bool,
}

impl Reloader {
    /// Runs one dynamic update (see `source::updater`); returns the answer.
    pub(in crate::source) fn update(
        &mut self,
        packet: &[u8],
        peer: std::net::SocketAddr,
    ) -> Vec<u8> {
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
    pub(in crate::source) fn serves(&self, origin: &Name) -> bool {
        self.entry_of(origin).is_some()
    }

    /// Who may update zone `origin` (`None`: updates are off for it).
    pub(in crate::source) fn allow_update(
        &self,
        origin: &Name,
    ) -> Option<crate::query::acl::Table> {
        self.entry_of(origin)?;
        self.catalog.allow_update(&origin.to_lowercase())
    }

    /// The TSIG keys known (config file and command line), and the names of those zone
    /// `origin`'s `allow_update` lists (`key:NAME`).
    pub(in crate::source) fn update_keys(
        &self,
        origin: &Name,
    ) -> (Vec<crate::dns::tsig::TsigKey>, Vec<Name>) {
        let allowed = self.catalog.allow_update_keys(&origin.to_lowercase());
        (self.store.xfr().keys.clone(), allowed)
    }

    /// The zone `origin`, if it is read from exactly one file (no includes, no hosts file).
    pub(in crate::source) fn update_target(&self, origin: &Name) -> Option<UpdateTarget> {
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
    pub(in crate::source) fn commit_update(&mut self, path: &Path, mut zone: Zone) {
        let key = (path.to_path_buf(), zone.origin.clone());
        let key = match self.entries.contains_key(&key) {
            true => key,
            false => match self.entry_of(&zone.origin) {
                Some((k, _)) => k.clone(),
                None => return,
            },
        };
        let serial = zone.serial;
        let mut report = Report {
            published: true,
            update: true,
            ..Report::default()
        };
        if let Some(old) = self.entries.get(&key).and_then(|e| e.zone.as_ref()) {
            // The step is kept for IXFR, as a reload's is.
            zone.history = crate::zone::History::next(old, &zone);
            if old.serial != serial {
                report.changes.push(Change::Updated {
                    origin: zone.origin.clone(),
                    old_serial: old.serial,
                    serial,
                    records: zone.records,
                });
            }
        }
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
        let old = self.store.publish(ZoneSet::new(zones.clone()));
        crate::source::report::add_derived(&mut report, &old, &zones);
        retire(old);
        // NOTIFY the secondaries of the zone (and of reverse zones that followed it).
        if let Some(f) = &self.observer {
            f(&report);
        }
    }
}
