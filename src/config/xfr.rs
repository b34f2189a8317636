//! Zone-transfer settings (issue 12): who may transfer (`--allow-transfer PREFIX`), the TSIG
//! keys (`--tsig-key NAME:ALG:BASE64`) and where NOTIFYs go (`--also-notify ADDR:PORT`), as a
//! layer gives them (`XfrOptions`) and resolved (`XfrConfig`). The global flags apply to every
//! zone that has no setting of its own in the config file (`config::xfrzone`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::Prefix;
use crate::dns::tsig::TsigKey;

/// The transfer options one layer gives (`None`: says nothing).
#[derive(Debug, Clone, Default)]
pub struct XfrOptions {
    pub allow_transfer: Option<Vec<Prefix>>,
    pub keys: Option<Vec<TsigKey>>,
    pub also_notify: Option<Vec<SocketAddr>>,
    pub secondaries: Option<Vec<SecondaryZone>>,
    /// Per-zone settings of the config file, by lower-case origin.
    pub zones: Option<BTreeMap<crate::dns::name::Name, super::xfrzone::ZoneXfr>>,
}

/// A zone we are secondary for: `ZONE@ADDR:PORT[,ADDR:PORT...]` (primaries tried in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryZone {
    pub origin: crate::dns::name::Name,
    pub primaries: Vec<Primary>,
    /// Where the transferred zone is kept; `None`: `ORIGIN.zone` in the zone directory.
    pub file: Option<PathBuf>,
    /// Who else may NOTIFY it (addresses and keys), besides its primaries (`allow_notify`).
    pub allow_notify: Option<super::xfrzone::TransferAcl>,
}

/// One primary of a secondary zone: its address and the TSIG key to sign with, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Primary {
    pub addr: SocketAddr,
    /// Lower-case key name (one of `XfrConfig::keys`).
    pub key: Option<crate::dns::name::Name>,
}

impl std::str::FromStr for SecondaryZone {
    type Err = String;
    fn from_str(s: &str) -> Result<SecondaryZone, String> {
        let (z, p) = s
            .split_once('@')
            .ok_or_else(|| format!("bad secondary zone {s:?}: expected ZONE@ADDR:PORT"))?;
        let origin = crate::dns::name::Name::from_ascii(z)
            .map_err(|e| format!("bad zone name {z:?}: {e}"))?
            .to_lowercase();
        let primaries = p
            .split(',')
            .map(|a| {
                a.parse()
                    .map(|addr| Primary { addr, key: None })
                    .map_err(|e| format!("bad primary {a:?}: {e}"))
            })
            .collect::<Result<Vec<Primary>, String>>()?;
        Ok(SecondaryZone {
            origin,
            primaries,
            file: None,
            allow_notify: None,
        })
    }
}

impl XfrOptions {
    /// These options over `lower` (a layer of less precedence).
    pub fn over(self, lower: XfrOptions) -> XfrOptions {
        XfrOptions {
            allow_transfer: self.allow_transfer.or(lower.allow_transfer),
            // Keys and secondary zones add up: the command line's and the config file's.
            keys: union(self.keys, lower.keys),
            also_notify: self.also_notify.or(lower.also_notify),
            secondaries: union(self.secondaries, lower.secondaries),
            zones: self.zones.or(lower.zones),
        }
    }

    pub fn resolve(self) -> XfrConfig {
        XfrConfig {
            allow_transfer: self.allow_transfer.unwrap_or_default(),
            keys: self.keys.unwrap_or_default(),
            also_notify: self.also_notify.unwrap_or_default(),
            secondaries: {
                // A zone named by both layers: the command line's entry (first) wins.
                let mut seen = std::collections::BTreeSet::new();
                let mut s = self.secondaries.unwrap_or_default();
                s.retain(|z| seen.insert(z.origin.to_lowercase()));
                s
            },
            zones: self.zones.unwrap_or_default(),
        }
    }
}

fn union<T>(a: Option<Vec<T>>, b: Option<Vec<T>>) -> Option<Vec<T>> {
    match (a, b) {
        (Some(mut a), Some(b)) => {
            a.extend(b);
            Some(a)
        }
        (a, b) => a.or(b),
    }
}

/// Where one NOTIFY goes (`ADDR[:PORT] [key NAME]`), and the key that signs it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NotifyTarget {
    pub addr: SocketAddr,
    pub key: Option<crate::dns::name::Name>,
}

impl SecondaryZone {
    /// Where the zone is kept: its own `file`, else `ORIGIN.zone` in `dir`.
    pub fn file_in(&self, dir: &std::path::Path) -> PathBuf {
        self.file
            .clone()
            .unwrap_or_else(|| zone_file_in(dir, &self.origin))
    }
}

/// `ORIGIN.zone` in `dir`: the file a zone is read from by its name, and where a secondary
/// zone with no file of its own is kept.
pub fn zone_file_in(dir: &std::path::Path, origin: &crate::dns::name::Name) -> PathBuf {
    let name = origin.to_string();
    dir.join(format!("{}.zone", name.trim_end_matches('.')))
}

/// Resolved transfer settings. Default: nobody may transfer, no keys, no NOTIFY.
#[derive(Debug, Clone, Default)]
pub struct XfrConfig {
    /// Clients that may AXFR/IXFR without a key.
    pub allow_transfer: Vec<Prefix>,
    /// Keys that sign transfers (any of them is allowed to transfer any zone).
    pub keys: Vec<TsigKey>,
    /// Where NOTIFYs go after a zone's serial changes.
    pub also_notify: Vec<SocketAddr>,
    /// Zones transferred in from primaries (`source::secondary`).
    pub secondaries: Vec<SecondaryZone>,
    /// Per-zone settings (config file), by lower-case origin: they win over the globals.
    pub zones: BTreeMap<crate::dns::name::Name, super::xfrzone::ZoneXfr>,
}

impl XfrConfig {
    /// May `ip` transfer without a key (the global `--allow-transfer`)?
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.allow_transfer.iter().any(|p| p.contains(ip))
    }

    /// May `ip`, signed with the (verified) key `key`, transfer zone `origin`? The zone's own
    /// `allow_transfer` when it has one; else the global list, or any known key.
    pub fn allows_transfer(
        &self,
        origin: &crate::dns::name::Name,
        ip: std::net::IpAddr,
        key: Option<&crate::dns::name::Name>,
    ) -> bool {
        match self
            .zones
            .get(&origin.to_lowercase())
            .and_then(|z| z.allow_transfer.as_ref())
        {
            Some(acl) => acl.allows(ip, key),
            None => key.is_some() || self.allows(ip),
        }
    }

    /// Where NOTIFYs for zone `origin` go: its own `also_notify` when it lists any, else the
    /// global `--also-notify` (unsigned); nowhere with `notify = "no"`.
    pub fn notify_targets(&self, origin: &crate::dns::name::Name) -> Vec<NotifyTarget> {
        match self.zones.get(&origin.to_lowercase()) {
            Some(z) if z.notify_off => Vec::new(),
            Some(z) if !z.also_notify.is_empty() => z.also_notify.clone(),
            _ => self
                .also_notify
                .iter()
                .map(|&addr| NotifyTarget { addr, key: None })
                .collect(),
        }
    }

    /// True when some zone may send NOTIFYs (a target list or NS notify).
    pub fn notifies(&self) -> bool {
        !self.also_notify.is_empty()
            || self
                .zones
                .values()
                .any(|z| !z.notify_off && (!z.also_notify.is_empty() || z.notify_ns))
    }

    /// Does zone `origin` notify the addresses of its NS records (`notify = "yes"`)?
    pub fn notify_ns(&self, origin: &crate::dns::name::Name) -> bool {
        self.zones
            .get(&origin.to_lowercase())
            .is_some_and(|z| z.notify_ns && !z.notify_off)
    }

    /// The secondary zone `origin`, if we are secondary for it.
    pub fn secondary(&self, origin: &crate::dns::name::Name) -> Option<&SecondaryZone> {
        self.secondaries
            .iter()
            .find(|s| s.origin.wire().eq_ignore_ascii_case(origin.wire()))
    }

    /// The key named `name`.
    pub fn key(&self, name: &crate::dns::name::Name) -> Option<&TsigKey> {
        self.keys
            .iter()
            .find(|k| k.name.wire().eq_ignore_ascii_case(name.wire()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secondary_zones_parse() {
        let z: SecondaryZone = "Sec.Test@127.0.0.1:5300,[::1]:53".parse().expect("parses");
        assert_eq!(z.origin.to_string(), "sec.test.");
        assert_eq!(z.primaries.len(), 2);
        assert_eq!(z.primaries[1].addr.port(), 53);
        assert!("sec.test".parse::<SecondaryZone>().is_err());
        assert!("sec.test@nowhere".parse::<SecondaryZone>().is_err());
    }

    #[test]
    fn nobody_may_transfer_by_default() {
        let c = XfrOptions::default().resolve();
        assert!(!c.allows("127.0.0.1".parse().expect("ip")));
        let c = XfrOptions {
            allow_transfer: Some(vec!["10.0.0.0/8".parse().expect("prefix")]),
            ..XfrOptions::default()
        }
        .over(XfrOptions::default())
        .resolve();
        assert!(c.allows("10.1.2.3".parse().expect("ip")));
        assert!(!c.allows("11.1.2.3".parse().expect("ip")));
    }
}
