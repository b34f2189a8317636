//! Which zones to serve, from which files: the `NAME.zone` files of a directory (origin from
//! the file name), and/or the zones a config file lists (a TOML `[[zone]]` or a named.conf
//! `zone` statement), re-read at every reload. A config file that fails to read keeps the
//! last good list (the error is logged with `path:line`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::config::file::ZoneType;
use crate::config::layer::{read_layer, ConfigSource};
use crate::dns::name::Name;
use crate::source::autoptr::AutoPtrSpec;
use crate::source::hosts::HostsSpec;
use crate::source::loader;

/// The zones to serve: the directory scanned by file name, the config file listing zones.
pub struct Catalog {
    dir: Option<PathBuf>,
    config: Option<ConfigSource>,
    /// The zones the config file listed at its last good read (primaries with files).
    listed: Vec<(PathBuf, Name)>,
    /// The config file and its includes, and every zone file it names (present or not).
    watched: Vec<PathBuf>,
    /// Zone files already reported missing (reported again once they came and went).
    missing: BTreeSet<PathBuf>,
    /// Secondary zones already reported as not served.
    secondaries: BTreeSet<Name>,
    /// The last config error reported (not repeated while it stays the same).
    last_error: Option<String>,
    /// Which zones get synthesized PTRs (from the config's last good read).
    auto_ptr: AutoPtrSpec,
    /// The hosts files feeding zones (from the config's last good read).
    hosts: HostsSpec,
    /// Who may update which zone (`allow_update`), by lower-case origin.
    allow_update: std::collections::BTreeMap<Name, crate::query::acl::Table>,
    /// Origins (lower case) that two or more files of the directory define, with the files:
    /// an error, and the zone keeps the version served until one file is gone.
    conflicts: BTreeMap<Name, Vec<PathBuf>>,
    /// The file each origin (lower case) of the directory was last listed from.
    chosen: BTreeMap<Name, PathBuf>,
    /// The keys (`key:NAME`, lower case) each zone's `allow_update` names.
    allow_update_keys: std::collections::BTreeMap<Name, Vec<Name>>,
    /// The config file's access lists at its last good read (`None`: no config file read).
    access: Option<crate::source::access::AccessLists>,
    /// The config file's transfer settings from its last good read, until the reloader takes
    /// them (`take_xfr`).
    xfr: Option<crate::config::XfrOptions>,
}

impl Catalog {
    /// Zones of the `NAME.zone` files of `dir` only.
    pub fn dir(dir: PathBuf) -> Catalog {
        Catalog::new(Some(dir), None)
    }

    /// `dir` scanned by file name (if any) and the zones `config` lists (if any).
    pub fn new(dir: Option<PathBuf>, config: Option<ConfigSource>) -> Catalog {
        Catalog {
            dir,
            config,
            listed: Vec::new(),
            watched: Vec::new(),
            missing: BTreeSet::new(),
            secondaries: BTreeSet::new(),
            last_error: None,
            auto_ptr: AutoPtrSpec::default(),
            hosts: HostsSpec::default(),
            allow_update: Default::default(),
            conflicts: BTreeMap::new(),
            chosen: BTreeMap::new(),
            allow_update_keys: Default::default(),
            access: None,
            xfr: None,
        }
    }

    /// The transfer settings of the config file when it was read since the last call.
    pub fn take_xfr(&mut self) -> Option<crate::config::XfrOptions> {
        self.xfr.take()
    }

    /// The access lists of the config file's last good read; `None` without a config file.
    pub fn access(&self) -> Option<&crate::source::access::AccessLists> {
        self.access.as_ref()
    }

    /// Is `origin` defined by two files of the directory (then its zone must not be re-read)?
    pub(super) fn conflicted(&self, origin: &Name) -> bool {
        self.conflicts.contains_key(&origin.to_lowercase())
    }

    /// True when some zone has `allow_update`.
    pub fn takes_updates(&self) -> bool {
        !self.allow_update.is_empty()
    }

    /// Who may send dynamic updates to zone `origin` (lower case); `None`: nobody.
    pub fn allow_update(&self, origin: &Name) -> Option<crate::query::acl::Table> {
        self.allow_update.get(origin).cloned()
    }

    /// The key names zone `origin`'s (lower case) `allow_update` lists.
    pub fn allow_update_keys(&self, origin: &Name) -> Vec<Name> {
        self.allow_update_keys
            .get(origin)
            .cloned()
            .unwrap_or_default()
    }

    /// The hosts files the config file names, by zone.
    pub fn hosts(&self) -> &HostsSpec {
        &self.hosts
    }

    /// The `auto_ptr` zones the config file lists (and those without a file).
    pub fn auto_ptr(&self) -> &AutoPtrSpec {
        &self.auto_ptr
    }

    /// Files to watch besides those the zones were read from: the config files and the zone
    /// files they name.
    pub fn watched(&self) -> &[PathBuf] {
        &self.watched
    }

    /// Every zone to serve now, as (file, origin), sorted. A config file that cannot be read
    /// keeps the last good list; the directory's read error is returned.
    pub fn list(&mut self) -> std::io::Result<Vec<(PathBuf, Name)>> {
        if let Some(src) = self.config.clone() {
            self.read_config(&src);
        }
        let mut out = self.listed.clone();
        if let Some(dir) = self.dir.clone() {
            self.scan_dir(&dir, &mut out)?;
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Adds the zones of the directory's `NAME.zone` files to `out` (zones the config file
    /// lists win). Two files for one origin (`LIHUI.hadoop.zone`, `lihui.hadoop..zone` next to
    /// `lihui.hadoop.zone`) are an error naming both; the zone stays listed with the file it
    /// was served from, and is not re-read until the conflict is resolved.
    fn scan_dir(
        &mut self,
        dir: &std::path::Path,
        out: &mut Vec<(PathBuf, Name)>,
    ) -> std::io::Result<()> {
        let mut by_origin: BTreeMap<Name, Vec<(PathBuf, Name)>> = BTreeMap::new();
        let configured: BTreeSet<Name> = out.iter().map(|(_, o)| o.to_lowercase()).collect();
        for p in loader::zone_files(dir)? {
            if let Some(origin) = loader::origin_from_path(&p) {
                let key = origin.to_lowercase();
                if !configured.contains(&key) {
                    by_origin.entry(key).or_default().push((p, origin));
                }
            }
        }
        let mut conflicts = BTreeMap::new();
        let mut chosen = BTreeMap::new();
        for (key, mut files) in by_origin {
            if files.len() == 1 {
                if let Some(f) = files.pop() {
                    chosen.insert(key, f.0.clone());
                    out.push(f);
                }
                continue;
            }
            let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
            if self.conflicts.get(&key) != Some(&paths) {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                tracing::error!(
                    "zone {key}: defined by {} files: {}; keeping the version served until only one is left",
                    names.len(),
                    names.join(" and ")
                );
            }
            if let Some(prev) = self.chosen.get(&key) {
                if let Some(f) = files.into_iter().find(|(p, _)| p == prev) {
                    chosen.insert(key.clone(), prev.clone());
                    out.push(f);
                }
            }
            conflicts.insert(key, paths);
        }
        for key in self.conflicts.keys() {
            if !conflicts.contains_key(key) {
                tracing::info!("zone {key}: only one file defines it again");
            }
        }
        self.conflicts = conflicts;
        self.chosen = chosen;
        Ok(())
    }

    /// Re-reads the config file's zone list.
    fn read_config(&mut self, src: &ConfigSource) {
        let layer = match read_layer(src) {
            Ok(l) => l,
            Err(e) => {
                if self.last_error.as_deref() != Some(e.message.as_str()) {
                    tracing::error!(
                        "failed to read {}; keeping the zones served: {}",
                        src.path().display(),
                        e.message
                    );
                    self.last_error = Some(e.message.clone());
                }
                for f in e.files {
                    if !self.watched.contains(&f) {
                        self.watched.push(f);
                    }
                }
                return;
            }
        };
        if self.last_error.take().is_some() {
            tracing::info!("{} reads again", src.path().display());
        }
        self.xfr = Some(crate::config::xfrzone::xfr_options(&layer.config, &layer.base).0);
        self.access = Some(crate::source::access::AccessLists {
            allow_query: layer.config.allow_query.clone(),
            zone_query: layer
                .config
                .zones
                .iter()
                .filter_map(|z| Some((z.name.clone(), z.allow_query.clone()?)))
                .collect(),
            allow_recursion: layer.config.allow_recursion.clone(),
            minimal_responses: layer.config.minimal_responses,
            forward_to: layer.config.forward_to.clone(),
        });
        let list = layer.zone_list();
        for e in &list.errors {
            tracing::warn!("{}: {e}", src.path().display());
        }
        let mut watched = list.files.clone();
        let mut listed = Vec::new();
        let mut missing = BTreeSet::new();
        let mut auto_ptr = AutoPtrSpec {
            template: list.ptr_template.clone(),
            ..AutoPtrSpec::default()
        };
        let mut hosts = HostsSpec {
            template: list.ptr_template.clone(),
            ..HostsSpec::default()
        };
        let mut allow_update = std::collections::BTreeMap::new();
        let mut allow_update_keys = std::collections::BTreeMap::new();
        let ifaces = crate::config::access::interfaces();
        for z in list.zones {
            if z.kind == ZoneType::Secondary {
                // Served from its file once a transfer wrote it (`source::secondary`).
                if let Some(file) = z.file {
                    watched.push(file.clone());
                    if file.is_file() {
                        listed.push((file, z.origin));
                    } else if self.secondaries.insert(z.origin.clone()) {
                        tracing::info!(
                            "zone {}: secondary, no copy on disk yet: SERVFAIL until the first transfer",
                            z.origin
                        );
                    }
                }
                continue;
            }
            if z.auto_ptr {
                auto_ptr.zones.insert(z.origin.clone());
            }
            if let Some(l) = &z.allow_update {
                let table = crate::config::access::table(l, &ifaces);
                allow_update.insert(z.origin.to_lowercase(), table);
                let keys = crate::config::xfrzone::key_names(l);
                allow_update_keys.insert(z.origin.to_lowercase(), keys);
            }
            if let Some(h) = &z.hosts_file {
                hosts.files.insert(z.origin.clone(), h.clone());
                watched.push(h.clone());
            }
            // A zone fed only by a hosts file is listed under that file.
            let Some(file) = z.file.or(z.hosts_file) else {
                if z.auto_ptr {
                    auto_ptr.fileless.push(z.origin);
                    continue;
                }
                tracing::warn!("zone {}: no file: not served", z.origin);
                continue;
            };
            watched.push(file.clone());
            if !file.is_file() {
                if !self.missing.contains(&file) {
                    tracing::warn!(
                        "zone {}: file {} not found: zone not loaded",
                        z.origin,
                        file.display()
                    );
                }
                missing.insert(file);
                continue;
            }
            listed.push((file, z.origin));
        }
        self.missing = missing;
        self.auto_ptr = auto_ptr;
        self.hosts = hosts;
        self.allow_update = allow_update;
        self.allow_update_keys = allow_update_keys;
        self.listed = listed;
        self.watched = watched;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_files_for_one_origin_keep_the_first_choice() {
        let dir = std::env::temp_dir().join(format!("clusterdns-conflict-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("lihui.hadoop.zone"), "").expect("write");
        let mut c = Catalog::dir(dir.clone());
        let origin = Name::from_ascii("lihui.hadoop.").expect("name");
        assert_eq!(
            c.list().expect("lists"),
            [(dir.join("lihui.hadoop.zone"), origin.clone())]
        );
        for stray in ["LIHUI.hadoop.zone", "lihui.hadoop..zone"] {
            std::fs::write(dir.join(stray), "").expect("write");
            assert_eq!(
                c.list().expect("lists"),
                [(dir.join("lihui.hadoop.zone"), origin.clone())],
                "{stray}"
            );
            assert!(c.conflicted(&origin));
            std::fs::remove_file(dir.join(stray)).expect("rm");
            c.list().expect("lists");
            assert!(!c.conflicted(&origin));
        }
        // Never served: neither file is chosen.
        let mut fresh = Catalog::dir(dir.clone());
        std::fs::write(dir.join("LIHUI.hadoop.zone"), "").expect("write");
        assert!(fresh.list().expect("lists").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn named_conf_zones_with_shared_files_and_a_broken_edit() {
        let dir = std::env::temp_dir().join(format!("clusterdns-catalog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("named.localhost"), "").expect("write");
        let conf = dir.join("named.conf");
        let text = format!(
            "options {{ directory \"{d}\"; }};\nzone \"localhost\" IN {{ type master; file \"named.localhost\"; }};\nzone \"localhost.localdomain\" IN {{ type master; file \"named.localhost\"; }};\nzone \"gone.test\" {{ type master; file \"nope\"; }};\nzone \"s.test\" {{ type slave; masters {{ 127.0.0.9; }}; file \"s\"; }};\n",
            d = dir.display()
        );
        std::fs::write(&conf, &text).expect("write");
        let mut c = Catalog::new(None, Some(ConfigSource::NamedConf(conf.clone())));
        let names =
            |l: &[(PathBuf, Name)]| l.iter().map(|(_, o)| o.to_string()).collect::<Vec<_>>();
        let l = c.list().expect("lists");
        assert_eq!(names(&l), ["localhost.", "localhost.localdomain."]);
        assert!(c.watched().contains(&dir.join("nope")));
        assert!(c.watched().contains(&conf));
        // Broken: the last good list stays.
        std::fs::write(&conf, text.replace("type master;", "type master")).expect("write");
        assert_eq!(
            names(&c.list().expect("lists")),
            ["localhost.", "localhost.localdomain."]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
