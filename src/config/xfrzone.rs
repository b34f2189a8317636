//! Per-zone transfer settings from a config file (TOML `[[zone]]`/`[[key]]`, or a named.conf
//! read into that form): `allow_transfer` (prefixes and `key:NAME`), `also_notify`, `notify`,
//! the TSIG keys, and the secondary zones with their primaries. They become the config file's
//! `XfrOptions` layer; per zone they win over the global command-line flags.
//!
//! `notify`: only the listed `also_notify` addresses are notified by default; `notify = "yes"`
//! (named.conf `notify yes;`) adds the addresses of the zone's NS records. This differs from
//! BIND on purpose: the example zones' NS addresses are real private addresses that nothing
//! may send to from a test or a developer's machine.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use super::file::{FileConfig, MatchEntry, MatchKind, NotifyMode, ServerAddr, ZoneType};
use super::xfr::{NotifyTarget, Primary, SecondaryZone, XfrOptions};
use crate::dns::name::Name;
use crate::dns::tsig::TsigKey;
use crate::query::acl::Table;

/// The transfer settings of one zone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneXfr {
    /// Who may transfer it; `None`: the global `--allow-transfer` (and any known key).
    pub allow_transfer: Option<TransferAcl>,
    /// Where its NOTIFYs go (each signed with its key, if it names one); empty: the global
    /// `--also-notify`.
    pub also_notify: Vec<NotifyTarget>,
    /// Also notify the addresses of its NS records (`notify = "yes"`).
    pub notify_ns: bool,
    /// `notify = "no"`: never notify.
    pub notify_off: bool,
}

/// A zone's `allow_transfer`: address prefixes (first match decides) and key names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferAcl {
    table: Table,
    /// Lower-case names of the keys that may transfer.
    keys: Vec<Name>,
}

impl TransferAcl {
    pub fn new(list: &[MatchEntry]) -> TransferAcl {
        let ifaces = super::access::interfaces();
        let keys = key_names(list);
        TransferAcl {
            table: super::access::table(list, &ifaces),
            keys,
        }
    }

    /// May `ip`, signed with the verified key `key` (if any), transfer?
    pub fn allows(&self, ip: IpAddr, key: Option<&Name>) -> bool {
        if let Some(k) = key {
            if self
                .keys
                .iter()
                .any(|n| n.wire().eq_ignore_ascii_case(k.wire()))
            {
                return true;
            }
        }
        self.table.allows(ip)
    }
}

/// The (lower-case) names of the keys `list` allows (`key:NAME`, not negated).
pub fn key_names(list: &[MatchEntry]) -> Vec<Name> {
    list.iter()
        .filter(|e| !e.negated)
        .filter_map(|e| match &e.kind {
            MatchKind::Key(k) => key_name(k).ok(),
            _ => None,
        })
        .collect()
}

fn key_name(text: &str) -> Result<Name, String> {
    Name::from_ascii(text.trim_end_matches('.'))
        .map(|n| n.to_lowercase())
        .map_err(|e| format!("bad key name {text:?}: {e}"))
}

fn socket(s: &ServerAddr) -> SocketAddr {
    SocketAddr::new(s.addr, s.port.unwrap_or(53))
}

/// The address of `server` (`what` of zone `zone`) and the name of the key it names, which
/// must be one of `keys` (else an error in `errors`).
fn keyed(
    server: &ServerAddr,
    what: &str,
    zone: &str,
    keys: &[TsigKey],
    errors: &mut Vec<String>,
) -> (SocketAddr, Option<Name>) {
    let key = match server.key.as_deref().map(key_name).transpose() {
        Ok(k) => k,
        Err(e) => {
            errors.push(format!("zone {zone}: {e}"));
            None
        }
    };
    if let Some(k) = &key {
        if !keys.iter().any(|t| t.name.wire() == k.wire()) {
            errors.push(format!("zone {zone}: {what} {server} names unknown key"));
        }
    }
    (socket(server), key)
}

/// The origin of a `[[zone]]` name (`.` is the root); the error says which zone.
pub(crate) fn origin_of(name: &str) -> Result<Name, String> {
    if name == "." {
        return Ok(Name::root());
    }
    Name::from_ascii(name.trim_end_matches('.'))
        .map_err(|e| format!("zone {name:?}: bad name: {e}"))
}

/// Where secondary zone `origin` is kept when its `[[zone]]` names no file: `ORIGIN.zone` in
/// the zone directory (`zones_dir`, else the config file's directory).
pub(super) fn default_secondary_file(cfg: &FileConfig, base: &Path, origin: &Name) -> PathBuf {
    let dir = cfg
        .zones_dir
        .as_ref()
        .map_or_else(|| base.to_path_buf(), |d| base.join(d));
    super::xfr::zone_file_in(&dir, origin)
}

/// The transfer layer of config file `cfg` (relative files joined to `base`), and the
/// problems found (each names the zone or key).
pub fn xfr_options(cfg: &FileConfig, base: &Path) -> (XfrOptions, Vec<String>) {
    let mut errors = Vec::new();
    let mut keys = Vec::new();
    for k in &cfg.keys {
        match format!("{}:{}:{}", k.name, k.algorithm, k.secret).parse::<TsigKey>() {
            Ok(key) => keys.push(key),
            Err(e) => errors.push(format!("key {:?}: {e}", k.name)),
        }
    }
    let mut zones = BTreeMap::new();
    let mut secondaries = Vec::new();
    for z in &cfg.zones {
        let origin = match origin_of(&z.name) {
            Ok(o) => o.to_lowercase(),
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for (what, list) in [
            ("allow_transfer", &z.allow_transfer),
            ("allow_notify", &z.allow_notify),
        ] {
            for e in list.iter().flatten() {
                if let MatchKind::Key(k) = &e.kind {
                    let known = key_name(k)
                        .is_ok_and(|n| keys.iter().any(|t: &TsigKey| t.name.wire() == n.wire()));
                    if !known {
                        errors.push(format!("zone {}: {what} names unknown key {k:?}", z.name));
                    }
                }
            }
        }
        let also_notify = z
            .also_notify
            .iter()
            .map(|t| {
                let (addr, key) = keyed(t, "also_notify", &z.name, &keys, &mut errors);
                NotifyTarget { addr, key }
            })
            .collect();
        let zx = ZoneXfr {
            allow_transfer: z.allow_transfer.as_deref().map(TransferAcl::new),
            also_notify,
            notify_ns: z.notify == Some(NotifyMode::Yes),
            notify_off: z.notify == Some(NotifyMode::No),
        };
        if zx != ZoneXfr::default() {
            zones.insert(origin.clone(), zx);
        }
        if z.kind == ZoneType::Secondary {
            if z.primaries.is_empty() {
                errors.push(format!("zone {}: secondary without primaries", z.name));
                continue;
            }
            let primaries = z
                .primaries
                .iter()
                .map(|p| {
                    let (addr, key) = keyed(p, "primary", &z.name, &keys, &mut errors);
                    Primary { addr, key }
                })
                .collect();
            let file = z.file.as_ref().map_or_else(
                || default_secondary_file(cfg, base, &origin),
                |f| base.join(f),
            );
            secondaries.push(SecondaryZone {
                origin,
                primaries,
                file: Some(file),
                allow_notify: z.allow_notify.as_deref().map(TransferAcl::new),
            });
        }
    }
    let opts = XfrOptions {
        keys: (!keys.is_empty()).then_some(keys),
        secondaries: (!secondaries.is_empty()).then_some(secondaries),
        zones: (!zones.is_empty()).then_some(zones),
        ..XfrOptions::default()
    };
    (opts, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FileConfig {
        super::super::file::parse_config(text, Path::new("t.toml")).expect("parses")
    }

    pub(super) fn target(addr: &str, key: Option<&str>) -> NotifyTarget {
        NotifyTarget {
            addr: addr.parse().expect("addr"),
            key: key.map(|k| Name::from_ascii(k).expect("key name")),
        }
    }

    #[test]
    fn also_notify_naming_an_unknown_key_is_an_error() {
        let cfg = parse(
            "[[zone]]\nname = \"a.test\"\nfile = \"a\"\nalso_notify = [\"127.0.0.1:5301 key nope\"]\n",
        );
        let (_, errors) = xfr_options(&cfg, Path::new("/etc/c"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("unknown key"), "{errors:?}");
    }

    #[test]
    fn per_zone_settings_win_over_the_globals() {
        let cfg = parse(
            "zones_dir = \"z\"\n\
             [[key]]\nname = \"Xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"c2VjcmV0\"\n\
             [[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow_transfer = [\"10.0.0.0/8\", \"key:xfr\"]\nalso_notify = [\"127.0.0.1:5301\", \"127.0.0.1:5302 key xfr\"]\n\
             [[zone]]\nname = \"b.test\"\nfile = \"b\"\nnotify = \"no\"\n\
             [[zone]]\nname = \"s.test\"\ntype = \"secondary\"\nprimaries = [\"127.0.0.1:5300 key xfr\", \"::1\"]\n",
        );
        let (opts, errors) = xfr_options(&cfg, Path::new("/etc/c"));
        assert!(errors.is_empty(), "{errors:?}");
        let global = XfrOptions {
            allow_transfer: Some(vec!["127.0.0.1".parse().expect("prefix")]),
            also_notify: Some(vec!["127.0.0.1:9".parse().expect("addr")]),
            ..XfrOptions::default()
        };
        let c = global.over(opts).resolve();
        let a = Name::from_ascii("A.test").expect("name");
        let b = Name::from_ascii("b.test").expect("name");
        let other = Name::from_ascii("c.test").expect("name");
        let lo: IpAddr = "127.0.0.1".parse().expect("ip");
        let ten: IpAddr = "10.1.1.1".parse().expect("ip");
        let key = Name::from_ascii("xfr").expect("name");
        assert!(!c.allows_transfer(&a, lo, None), "the zone's list wins");
        assert!(c.allows_transfer(&a, ten, None));
        assert!(c.allows_transfer(&a, lo, Some(&key)));
        assert!(!c.allows_transfer(&a, lo, Some(&other)));
        assert!(c.allows_transfer(&other, lo, None), "global list");
        assert!(!c.allows_transfer(&other, ten, None));
        assert_eq!(
            c.notify_targets(&a),
            [
                target("127.0.0.1:5301", None),
                target("127.0.0.1:5302", Some("xfr"))
            ]
        );
        assert!(c.notify_targets(&b).is_empty());
        assert_eq!(c.notify_targets(&other), [target("127.0.0.1:9", None)]);
        assert!(!c.notify_ns(&a));
        let s = c
            .secondary(&Name::from_ascii("S.test").expect("n"))
            .expect("secondary");
        assert_eq!(
            s.primaries[0].key.as_ref().map(|k| k.to_string()),
            Some("xfr.".into())
        );
        assert_eq!(s.primaries[1].addr.port(), 53);
        assert_eq!(s.file.as_deref(), Some(Path::new("/etc/c/z/s.test.zone")));
        assert!(c.key(&key).is_some());
    }

    #[test]
    fn unknown_keys_and_missing_primaries_are_reported() {
        let cfg = parse(
            "[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow_transfer = [\"key:nope\"]\nnotify = \"yes\"\n\
             [[zone]]\nname = \"s.test\"\ntype = \"secondary\"\n",
        );
        let (opts, errors) = xfr_options(&cfg, Path::new("."));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("unknown key"), "{errors:?}");
        assert!(errors[1].contains("without primaries"), "{errors:?}");
        let c = opts.resolve();
        assert!(c.notify_ns(&Name::from_ascii("a.test").expect("n")));
        assert!(c.notifies());
    }
}

#[cfg(test)]
mod named_conf_tests {
    use super::*;

    #[test]
    fn a_named_conf_secondary_with_a_keyed_primary() {
        let dir = std::env::temp_dir().join(format!("clusterdns-xfrzone-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let conf = dir.join("named.conf");
        std::fs::write(
            &conf,
            format!(
                "key \"xfr\" {{ algorithm hmac-sha256; secret \"c2VjcmV0\"; }};\n\
                 options {{ directory \"{d}\"; }};\n\
                 zone \"p.test\" {{ type master; file \"p\"; allow-transfer {{ key xfr; 10.0.0.0/8; }}; also-notify {{ 127.0.0.1 port 5301; }}; notify yes; }};\n\
                 zone \"s.test\" {{ type slave; masters port 5300 {{ 127.0.0.1 key xfr; 127.0.0.2; }}; file \"s.db\"; }};\n",
                d = dir.display()
            ),
        )
        .expect("write");
        let conf = super::super::namedconf::read_named_conf(&conf).expect("reads");
        let imported = super::super::import::import(&conf);
        let (opts, errors) = xfr_options(&imported.config, Path::new("."));
        assert!(errors.is_empty(), "{errors:?}");
        let c = opts.resolve();
        let p = Name::from_ascii("p.test").expect("n");
        let key = Name::from_ascii("xfr").expect("n");
        let lo: IpAddr = "127.0.0.1".parse().expect("ip");
        assert!(c.allows_transfer(&p, lo, Some(&key)));
        assert!(!c.allows_transfer(&p, lo, None));
        assert!(c.allows_transfer(&p, "10.2.3.4".parse().expect("ip"), None));
        assert_eq!(
            c.notify_targets(&p),
            [super::tests::target("127.0.0.1:5301", None)]
        );
        assert!(c.notify_ns(&p), "an explicit notify yes");
        let s = c
            .secondary(&Name::from_ascii("s.test").expect("n"))
            .expect("secondary");
        assert_eq!(s.primaries.len(), 2);
        assert_eq!(s.primaries[0].addr, "127.0.0.1:5300".parse().expect("a"));
        assert_eq!(s.primaries[0].key, Some(key));
        assert_eq!(s.primaries[1].key, None);
        assert_eq!(s.file.as_deref(), Some(dir.join("s.db").as_path()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
