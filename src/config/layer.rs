//! The config-file layer of `serve`: a TOML config (`--config`) or a named.conf
//! (`--named-conf`) read into a `FileConfig`, turned into the `ServeOptions` layer under the
//! command line, and into the zone list the reloader serves (re-read at every reload).

use std::path::{Path, PathBuf};

use super::file::{read_config_file, FileConfig, PtrTemplate, ZoneType};
use super::import::import;
use super::namedconf::read_named_conf_tracked;
use super::ServeOptions;
use crate::dns::name::Name;

/// Which config file the zones come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A clusterdns TOML config.
    Toml(PathBuf),
    /// A BIND named.conf.
    NamedConf(PathBuf),
}

impl ConfigSource {
    pub fn path(&self) -> &Path {
        match self {
            ConfigSource::Toml(p) | ConfigSource::NamedConf(p) => p,
        }
    }
}

/// A config file as read: the TOML form, what was skipped, and every file it was read from.
#[derive(Debug, Clone)]
pub struct Layer {
    pub config: FileConfig,
    /// Warnings (named.conf: skipped statements, each with `path:line`).
    pub notes: Vec<String>,
    /// The config file and every file it includes.
    pub files: Vec<PathBuf>,
    /// Where relative zone files and `zones_dir` point: the TOML file's directory, or (for a
    /// named.conf, whose zone files are already joined to `directory`) the current directory.
    pub base: PathBuf,
}

/// Why a config file cannot be used: the message names `path:line`; `files` are those read
/// (to keep watching them).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct LayerError {
    pub message: String,
    pub files: Vec<PathBuf>,
}

/// Reads the config file `src` names.
pub fn read_layer(src: &ConfigSource) -> Result<Layer, LayerError> {
    match src {
        ConfigSource::Toml(path) => {
            let config = read_config_file(path).map_err(|e| LayerError {
                message: e.to_string(),
                files: vec![path.clone()],
            })?;
            let base = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            let notes = xfr_notes(&config, &base, path);
            Ok(Layer {
                config,
                notes,
                files: vec![path.clone()],
                base,
            })
        }
        ConfigSource::NamedConf(path) => {
            let (files, conf) = read_named_conf_tracked(path);
            let conf = conf.map_err(|e| LayerError {
                message: e.to_string(),
                files: files.clone(),
            })?;
            let imported = import(&conf);
            let mut notes = imported.notes;
            if conf.options.recursion != Some(false) && conf.options.forwarders.is_empty() {
                notes.retain(|n| !n.starts_with("recursion is on but"));
                notes.push(NO_FORWARDERS.to_string());
            }
            notes.extend(xfr_notes(&imported.config, Path::new("."), path));
            Ok(Layer {
                config: imported.config,
                notes,
                files,
                base: PathBuf::from("."),
            })
        }
    }
}

/// The problems of the transfer settings (unknown keys, secondaries without primaries), as
/// start-up warnings naming the file.
fn xfr_notes(config: &FileConfig, base: &Path, path: &Path) -> Vec<String> {
    super::xfrzone::xfr_options(config, base)
        .1
        .into_iter()
        .map(|e| format!("{}: {e}", path.display()))
        .collect()
}

/// The start-up warning for a named.conf with recursion on and no forwarders.
pub const NO_FORWARDERS: &str = "BIND resolved outside names from the root servers; clusterdns only forwards: set forwarders, or the nodes will get REFUSED for outside names";

/// One zone a config file declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    pub origin: Name,
    /// The zone file, joined to the layer's base when relative.
    pub file: Option<PathBuf>,
    pub kind: ZoneType,
    /// PTRs synthesized from the forward zones' A/AAAA records.
    pub auto_ptr: bool,
    /// An /etc/hosts file feeding the zone, joined to the layer's base when relative.
    pub hosts_file: Option<PathBuf>,
    /// Who may send dynamic updates (`None`: nobody).
    pub allow_update: Option<Vec<super::file::MatchEntry>>,
}

/// The zones a config file declares, and the directory it serves by file name, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneList {
    pub zones: Vec<ZoneSpec>,
    pub dir: Option<PathBuf>,
    /// Problems with single zone statements (a bad name); the others are still served.
    pub errors: Vec<String>,
    /// The config files, for watching.
    pub files: Vec<PathBuf>,
    /// SOA/NS for `auto_ptr` zones without a file.
    pub ptr_template: Option<PtrTemplate>,
}

impl Layer {
    /// The zone list of this layer.
    pub fn zone_list(&self) -> ZoneList {
        let mut out = ZoneList {
            dir: self.config.zones_dir.as_ref().map(|d| self.base.join(d)),
            files: self.files.clone(),
            ptr_template: self.config.ptr_template.clone(),
            ..ZoneList::default()
        };
        for z in &self.config.zones {
            let origin = match super::xfrzone::origin_of(&z.name) {
                Ok(n) => n,
                Err(e) => {
                    out.errors.push(e);
                    continue;
                }
            };
            // A secondary zone is kept in its file, by default `ORIGIN.zone` in the zone dir.
            let file = match (&z.file, z.kind) {
                (Some(f), _) => Some(self.base.join(f)),
                (None, ZoneType::Secondary) => Some(super::xfrzone::default_secondary_file(
                    &self.config,
                    &self.base,
                    &origin,
                )),
                (None, ZoneType::Primary) => None,
            };
            out.zones.push(ZoneSpec {
                origin,
                file,
                kind: z.kind,
                auto_ptr: z.auto_ptr,
                hosts_file: z.hosts_file.as_ref().map(|f| self.base.join(f)),
                allow_update: z.allow_update.clone(),
            });
        }
        out
    }

    /// The `serve` options this file sets (the layer under the command line).
    pub fn options(&self, src: &ConfigSource) -> ServeOptions {
        let c = &self.config;
        ServeOptions {
            zones: c.zones_dir.as_ref().map(|d| self.base.join(d)),
            listen: (!c.listen.is_empty()).then(|| c.listen.clone()),
            threads: c.threads,
            watch: Some(c.watch),
            poll_interval: c.poll_interval,
            auto_serial: Some(c.auto_serial),
            debounce_ms: Some(c.debounce_ms),
            tcp_clients: Some(c.tcp_clients),
            tcp_idle_timeout: Some(c.tcp_idle_timeout),
            tcp_coalesce_us: c.tcp_coalesce_us,
            config: Some(src.clone()),
            allow_query: c.allow_query.clone(),
            allow_recursion: c.allow_recursion.clone(),
            minimal_responses: c.minimal_responses,
            forward_to: (!c.forward_to.is_empty()).then(|| c.forward_to.clone()),
            tcp_clients_per_ip: c.tcp_clients_per_ip,
            user: c.user.clone(),
            metrics: c.metrics,
            query_log: c.query_log.then_some(true),
            rrl: c.rrl.clone(),
            limits: c.limits.clone(),
            log: c.log.clone(),
            // Its problems are in `notes` (see `read_layer`).
            xfr: super::xfrzone::xfr_options(c, &self.base).0,
            xfr_flags: None,
            // Per zone in a config file (`[[zone]] auto_ptr = true`).
            auto_ptr: None,
            nsid: c.nsid.clone(),
            tls: crate::config::TlsOptions {
                listen_tls: (!c.listen_tls.is_empty()).then(|| c.listen_tls.clone()),
                listen_https: (!c.listen_https.is_empty()).then(|| c.listen_https.clone()),
                cert_file: c.tls_cert_file.as_ref().map(|f| self.base.join(f)),
                key_file: c.tls_key_file.as_ref().map(|f| self.base.join(f)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_zones_are_relative_to_the_file() {
        let dir = std::env::temp_dir().join(format!("clusterdns-layer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("c.toml");
        std::fs::write(
            &path,
            "zones_dir = \"z\"\n[[zone]]\nname = \"1.168.192.in-addr.arpa\"\nfile = \"rev.zone\"\n[[zone]]\nname = \"s.test\"\ntype = \"secondary\"\n",
        )
        .expect("write");
        let src = ConfigSource::Toml(path.clone());
        let layer = read_layer(&src).expect("reads");
        let list = layer.zone_list();
        assert_eq!(list.dir, Some(dir.join("z")));
        assert_eq!(list.zones.len(), 2);
        assert_eq!(list.zones[0].origin.to_string(), "1.168.192.in-addr.arpa.");
        assert_eq!(list.zones[0].file, Some(dir.join("rev.zone")));
        assert_eq!(list.zones[1].kind, ZoneType::Secondary);
        assert_eq!(list.files, vec![path.clone()]);
        std::fs::write(&path, "bogus = 1\n").expect("write");
        let e = read_layer(&src).expect_err("unknown key");
        assert!(e.message.contains("c.toml:1:"), "{}", e.message);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_contrib_example_parses() {
        let text = include_str!("../../contrib/clusterdns.toml");
        let cfg = super::super::file::parse_config(text, Path::new("contrib/clusterdns.toml"))
            .expect("contrib/clusterdns.toml parses");
        assert_eq!(cfg.zones.len(), 2);
        assert_eq!(cfg.forward_to.len(), 2);
    }
}
