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
}

impl XfrOptions {
    /// These options over `lower` (a layer of less precedence).
    pub fn over(self, lower: XfrOptions) -> XfrOptions {
        XfrOptions {
            allow_transfer: self.allow_transfer.or(lower.allow_transfer),
            keys: self.keys.or(lower.keys),
            also_notify: self.also_notify.or(lower.also_notify),
        }
    }

    pub fn resolve(self) -> XfrConfig {
        XfrConfig {
            allow_transfer: self.allow_transfer.unwrap_or_default(),
            keys: self.keys.unwrap_or_default(),
            also_notify: self.also_notify.unwrap_or_default(),
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
}

impl XfrConfig {
    /// May `ip` transfer without a key?
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.allow_transfer.iter().any(|p| p.contains(ip))
    }
}
