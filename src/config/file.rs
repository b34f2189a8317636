//! The TOML config file (`--config FILE`): its schema (every `serve` option, `[[zone]]` and
//! `[[key]]` tables), strict parsing with `path:line` errors, and the address forms its
//! lists take.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{LimitOptions, RrlOptions};

/// The config file as written (raw: nothing checked beyond its syntax and forms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Directory of zone files served by file name (`NAME.zone` serves `NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones_dir: Option<PathBuf>,
    /// Addresses to listen on, UDP and TCP; empty means `0.0.0.0:53` and `[::]:53`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listen: Vec<SocketAddr>,
    /// UDP worker threads per listen address and TCP event-loop threads; `None` means one per core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// Watch the zone files for changes.
    #[serde(default = "default_watch", skip_serializing_if = "is_default_watch")]
    pub watch: bool,
    /// Poll every this many seconds instead of using inotify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval: Option<f64>,
    /// Bump the served SOA serial when a zone changes but its serial did not.
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_serial: bool,
    /// Debounce for file-change events, in milliseconds.
    #[serde(
        default = "default_debounce_ms",
        skip_serializing_if = "is_default_debounce_ms"
    )]
    pub debounce_ms: u64,
    /// Most TCP connections served at once.
    #[serde(
        default = "default_tcp_clients",
        skip_serializing_if = "is_default_tcp_clients"
    )]
    pub tcp_clients: usize,
    /// Close a TCP connection idle this many seconds.
    #[serde(
        default = "default_tcp_idle_timeout",
        skip_serializing_if = "is_default_tcp_idle_timeout"
    )]
    pub tcp_idle_timeout: u64,
    /// Under concurrent stream load, gather queries this many microseconds (`--tcp-coalesce-us`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_coalesce_us: Option<u64>,
    /// Who may query; `None` means anyone (BIND's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_query: Option<Vec<MatchEntry>>,
    /// Who may have outside names forwarded; `None` means localhost and localnets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_recursion: Option<Vec<MatchEntry>>,
    /// Which optional records positive answers carry (BIND's `minimal-responses`); `None`:
    /// `no-auth-recursive`, BIND 9.18's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimal_responses: Option<crate::query::Minimal>,
    /// Upstream resolvers for names outside our zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forward_to: Vec<ServerAddr>,
    /// DNS over TLS listeners (RFC 7858, port 853).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listen_tls: Vec<SocketAddr>,
    /// DNS over HTTPS listeners (RFC 8484, HTTP/2, `/dns-query`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listen_https: Vec<SocketAddr>,
    /// Certificate chain (PEM) for DoT and DoH, relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert_file: Option<PathBuf>,
    /// Its private key (PEM), relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key_file: Option<PathBuf>,
    /// The server's identity for NSID (RFC 5001): text, or `0x` and hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsid: Option<String>,
    /// Log filter (error, warn, info, debug, trace, or a tracing directive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// Most TCP connections from one client address (`--tcp-clients-per-ip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_clients_per_ip: Option<usize>,
    /// Started as root: become this user once the sockets are bound (`--user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Serve Prometheus metrics at `http://ADDR:PORT/metrics` (`--metrics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<SocketAddr>,
    /// One log line per query (`--query-log`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub query_log: bool,
    /// Response-rate limiting (`--rrl-*`), off unless a rate is set.
    #[serde(default, skip_serializing_if = "RrlOptions::is_empty")]
    pub rrl: RrlOptions,
    /// Bounds of every zone read and the withdraw grace (`--max-*`, `--withdraw-grace-ms`).
    #[serde(default, skip_serializing_if = "LimitOptions::is_empty")]
    pub limits: LimitOptions,
    /// Zones listed one by one.
    #[serde(default, rename = "zone", skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<ZoneConfig>,
    /// TSIG keys the lists may name (`key:NAME`).
    #[serde(default, rename = "key", skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyConfig>,
    /// Health-checked service names (`[[service]]`, see `config::service`).
    #[serde(default, rename = "service", skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<super::service::ServiceConfig>,
    /// SOA/NS of `auto_ptr` reverse zones declared without a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptr_template: Option<PtrTemplate>,
}

/// The `[ptr_template]` table: the SOA and NS of reverse zones that only hold synthesized
/// PTRs (`auto_ptr = true`, no `file`). Names must be absolute (end with a dot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtrTemplate {
    /// The SOA RDATA as in a zone file: `MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM`.
    pub soa: String,
    /// The NS targets.
    pub ns: Vec<String>,
    /// TTL of the SOA and NS records (zone-file form: `3600`, `1D`).
    #[serde(default = "default_template_ttl")]
    pub ttl: String,
}

fn default_template_ttl() -> String {
    "1D".to_string()
}

/// One `[[zone]]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// The zone's name (its origin).
    pub name: String,
    /// The zone file (a secondary's may be absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    #[serde(default, rename = "type", skip_serializing_if = "is_primary")]
    pub kind: ZoneType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_transfer: Option<Vec<MatchEntry>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_notify: Vec<ServerAddr>,
    /// Where a secondary transfers the zone from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primaries: Vec<ServerAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_update: Option<Vec<MatchEntry>>,
    /// A secondary's: who else may NOTIFY it, besides its primaries (addresses and `key:NAME`;
    /// BIND's `allow-notify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_notify: Option<Vec<MatchEntry>>,
    /// Who may query this zone (others get REFUSED for its names), in place of the global
    /// `allow_query` (BIND's zone `allow-query`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_query: Option<Vec<MatchEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyMode>,
    /// Answer PTR queries from the A/AAAA records of the forward zones served.
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_ptr: bool,
    /// An /etc/hosts-format file feeding this zone's A/AAAA records (see `source::hosts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts_file: Option<PathBuf>,
}

/// A zone's `type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneType {
    #[default]
    Primary,
    Secondary,
}

/// A zone's `notify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyMode {
    Yes,
    No,
    Explicit,
    PrimaryOnly,
}

/// One `[[key]]` table: a TSIG key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    pub name: String,
    /// `hmac-sha256` and the like.
    pub algorithm: String,
    /// The secret in base64.
    pub secret: String,
}

fn default_watch() -> bool {
    true
}
fn is_default_watch(v: &bool) -> bool {
    *v == default_watch()
}
fn default_debounce_ms() -> u64 {
    20
}
fn is_default_debounce_ms(v: &u64) -> bool {
    *v == default_debounce_ms()
}
fn default_tcp_clients() -> usize {
    1024
}
fn is_default_tcp_clients(v: &usize) -> bool {
    *v == default_tcp_clients()
}
fn default_tcp_idle_timeout() -> u64 {
    10
}
fn is_default_tcp_idle_timeout(v: &u64) -> bool {
    *v == default_tcp_idle_timeout()
}
fn is_false(v: &bool) -> bool {
    !*v
}
fn is_primary(v: &ZoneType) -> bool {
    *v == ZoneType::Primary
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            zones_dir: None,
            listen: Vec::new(),
            threads: None,
            watch: default_watch(),
            poll_interval: None,
            auto_serial: false,
            debounce_ms: default_debounce_ms(),
            tcp_clients: default_tcp_clients(),
            tcp_idle_timeout: default_tcp_idle_timeout(),
            tcp_coalesce_us: None,
            allow_query: None,
            allow_recursion: None,
            minimal_responses: None,
            forward_to: Vec::new(),
            listen_tls: Vec::new(),
            listen_https: Vec::new(),
            tls_cert_file: None,
            tls_key_file: None,
            nsid: None,
            log: None,
            tcp_clients_per_ip: None,
            user: None,
            metrics: None,
            query_log: false,
            rrl: RrlOptions::default(),
            limits: LimitOptions::default(),
            zones: Vec::new(),
            keys: Vec::new(),
            services: Vec::new(),
            ptr_template: None,
        }
    }
}

/// One element of an address list: `ADDR`, `ADDR/LEN`, `any`, `none`, `localhost`,
/// `localnets` or `key:NAME`, each optionally negated with a leading `!`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MatchEntry {
    pub negated: bool,
    pub kind: MatchKind,
}

/// What a [`MatchEntry`] matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchKind {
    Prefix(IpAddr, u8),
    Key(String),
    Any,
    None,
    Localhost,
    Localnets,
}

impl TryFrom<String> for MatchEntry {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let (negated, rest) = match text.trim().strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, text.trim()),
        };
        let kind = match rest {
            "any" => MatchKind::Any,
            "none" => MatchKind::None,
            "localhost" => MatchKind::Localhost,
            "localnets" => MatchKind::Localnets,
            _ => match rest.strip_prefix("key:") {
                Some(name) if !name.is_empty() => MatchKind::Key(name.to_string()),
                _ => {
                    let (addr, len) = parse_prefix(rest).ok_or_else(|| {
                        format!("invalid address match {text:?}: expected ADDR, ADDR/LEN, any, none, localhost, localnets or key:NAME")
                    })?;
                    MatchKind::Prefix(addr, len)
                }
            },
        };
        Ok(MatchEntry { negated, kind })
    }
}

impl fmt::Display for MatchEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("!")?;
        }
        match &self.kind {
            MatchKind::Prefix(addr, len) if *len == full_len(addr) => write!(f, "{addr}"),
            MatchKind::Prefix(addr, len) => write!(f, "{addr}/{len}"),
            MatchKind::Key(name) => write!(f, "key:{name}"),
            MatchKind::Any => f.write_str("any"),
            MatchKind::None => f.write_str("none"),
            MatchKind::Localhost => f.write_str("localhost"),
            MatchKind::Localnets => f.write_str("localnets"),
        }
    }
}

impl From<MatchEntry> for String {
    fn from(e: MatchEntry) -> String {
        e.to_string()
    }
}

fn full_len(addr: &IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

/// `ADDR` or `ADDR/LEN` with a length that fits the address.
fn parse_prefix(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a.parse::<IpAddr>().ok()?, l.parse::<u8>().ok()?),
        None => {
            let addr = text.parse::<IpAddr>().ok()?;
            (addr, full_len(&addr))
        }
    };
    (len <= full_len(&addr)).then_some((addr, len))
}

/// A server: `ADDR`, `ADDR:PORT` or `[V6]:PORT` (a bare IPv6 address has no port), with an
/// optional ` key NAME` for the TSIG key to sign with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServerAddr {
    pub addr: IpAddr,
    /// `None`: the default port (53).
    pub port: Option<u16>,
    pub key: Option<String>,
}

impl TryFrom<String> for ServerAddr {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let bad = || {
            format!("invalid server address {text:?}: expected ADDR, ADDR:PORT or [V6]:PORT, then optionally `key NAME`")
        };
        let mut words = text.split_whitespace();
        let addr_text = words.next().ok_or_else(bad)?;
        let key = match (words.next(), words.next(), words.next()) {
            (None, _, _) => None,
            (Some("key"), Some(name), None) => Some(name.to_string()),
            _ => return Err(bad()),
        };
        let (addr, port) = if let Ok(addr) = addr_text.parse::<IpAddr>() {
            (addr, None)
        } else {
            let sa = addr_text.parse::<SocketAddr>().map_err(|_| bad())?;
            (sa.ip(), Some(sa.port()))
        };
        Ok(ServerAddr { addr, port, key })
    }
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}", SocketAddr::new(self.addr, port))?,
            None => write!(f, "{}", self.addr)?,
        }
        if let Some(key) = &self.key {
            write!(f, " key {key}")?;
        }
        Ok(())
    }
}

impl From<ServerAddr> for String {
    fn from(s: ServerAddr) -> String {
        s.to_string()
    }
}

/// Why a config file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read config file {path:?}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Reads and parses the config file at `path`.
pub fn read_config_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_config(&text, path)
}

/// Parses `text` as the config file `path` (named in errors).
pub fn parse_config(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |span| {
            line_of(text, value_offset(text, span, e.message()))
        });
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            message: e.message().trim().to_string(),
        }
    })
}

/// Where in `span` the error lies: toml gives a whole array's span when one of its strings
/// is bad, so look there for the quoted value the message names.
fn value_offset(text: &str, span: std::ops::Range<usize>, message: &str) -> usize {
    let quoted = message.split('"').nth(1).filter(|v| !v.is_empty());
    let within = text.get(span.clone()).unwrap_or("");
    quoted
        .and_then(|v| within.find(&format!("\"{v}\"")))
        .map_or(span.start, |at| span.start + at)
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests;
