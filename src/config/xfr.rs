//! Zone-transfer settings (issue 12): who may transfer (`--allow-transfer PREFIX`), the TSIG
//! keys (`--tsig-key NAME:ALG:BASE64`) and where NOTIFYs go (`--also-notify ADDR:PORT`), as a
//! layer gives them (`XfrOptions`) and resolved (`XfrConfig`). They apply to every zone until
//! the per-zone form from the config file is wired in.

use std::net::SocketAddr;

use super::Prefix;
use crate::dns::tsig::TsigKey;

/// The transfer options one layer gives (`None`: says nothing).
#[derive(Debug, Clone, Default)]
pub struct XfrOptions {
    pub allow_transfer: Option<Vec<Prefix>>,
    pub keys: Option<Vec<TsigKey>>,
    pub also_notify: Option<Vec<SocketAddr>>,
    pub secondaries: Option<Vec<SecondaryZone>>,
}

/// A zone we are secondary for: `ZONE@ADDR:PORT[,ADDR:PORT...]` (primaries tried in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryZone {
    pub origin: crate::dns::name::Name,
    pub primaries: Vec<SocketAddr>,
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
            .map(|a| a.parse().map_err(|e| format!("bad primary {a:?}: {e}")))
            .collect::<Result<Vec<SocketAddr>, String>>()?;
        Ok(SecondaryZone { origin, primaries })
    }
}

impl XfrOptions {
    /// These options over `lower` (a layer of less precedence).
    pub fn over(self, lower: XfrOptions) -> XfrOptions {
        XfrOptions {
            allow_transfer: self.allow_transfer.or(lower.allow_transfer),
            keys: self.keys.or(lower.keys),
            also_notify: self.also_notify.or(lower.also_notify),
            secondaries: self.secondaries.or(lower.secondaries),
        }
    }

    pub fn resolve(self) -> XfrConfig {
        XfrConfig {
            allow_transfer: self.allow_transfer.unwrap_or_default(),
            keys: self.keys.unwrap_or_default(),
            also_notify: self.also_notify.unwrap_or_default(),
            secondaries: self.secondaries.unwrap_or_default(),
        }
    }
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
}

impl XfrConfig {
    /// May `ip` transfer without a key?
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.allow_transfer.iter().any(|p| p.contains(ip))
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
        assert_eq!(z.primaries[1].port(), 53);
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
