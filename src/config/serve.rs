//! The settings of `serve`: every option as any layer may give it (`ServeOptions`, all
//! optional), the precedence between layers, the defaults, and the validation into the
//! resolved `ServeConfig` (one section per consumer).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::config::rrl::{RrlConfig, RrlOptions};
use crate::config::tls::{TlsConfig, TlsOptions};

/// Default cap on TCP connections from one client address.
const DEFAULT_TCP_CLIENTS_PER_IP: usize = 64;
/// How long a stream loop gathers queries under concurrent load (`docs/performance.md`).
const DEFAULT_TCP_COALESCE_US: u64 = 1000;
const MAX_TCP_COALESCE_US: u64 = 10_000;
use super::access;
use super::file::{MatchEntry, ServerAddr};
use super::layer::ConfigSource;
use crate::query::acl::{Access, Table};

/// Why the settings cannot be used. Options are named as on the command line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--threads must be at least 1")]
    NoThreads,
    #[error("--poll-interval must be a positive number of seconds")]
    BadPollInterval,
    #[error("--poll-interval has no effect with --no-watch: use one or the other")]
    PollWithoutWatch,
    #[error("--tcp-clients must be at least 1")]
    NoTcpClients,
    #[error("--tcp-idle-timeout must be at least 1 second")]
    NoTcpIdleTimeout,
    #[error("--user needs a user name")]
    EmptyUser,
    #[error("--tcp-clients-per-ip must be at least 1")]
    NoTcpClientsPerIp,
    #[error("--tcp-coalesce-us {0} is more than {MAX_TCP_COALESCE_US} (10 ms); answers would wait too long")]
    TcpCoalesceTooLong(u64),
    #[error(
        "RRL options need a rate: give --rrl-responses-per-second (or an errors/nxdomains rate)"
    )]
    RrlWithoutRate,
    #[error("{0}")]
    BadRrl(&'static str),
    #[error("--listen-tls and --listen-https need --tls-cert and --tls-key (PEM files)")]
    TlsWithoutCert,
    #[error("--tls-cert and --tls-key have no effect without --listen-tls or --listen-https")]
    TlsWithoutListener,
    #[error("{0} must be a positive number")]
    ZeroLimit(&'static str),
    #[error(transparent)]
    BadNsid(#[from] crate::query::nsid::NsidError),
    #[error("bad --origin {origin:?}")]
    BadOrigin {
        origin: String,
        source: crate::dns::name::NameError,
    },
}

/// Every `serve` setting as one layer gives it: `None` where the layer says nothing.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    pub zones: Option<PathBuf>,
    pub listen: Option<Vec<SocketAddr>>,
    pub threads: Option<usize>,
    pub watch: Option<bool>,
    pub poll_interval: Option<f64>,
    pub auto_serial: Option<bool>,
    /// Synthesize PTRs in every reverse zone served.
    pub auto_ptr: Option<bool>,
    pub debounce_ms: Option<u64>,
    pub tcp_clients: Option<usize>,
    pub tcp_idle_timeout: Option<u64>,
    pub tcp_coalesce_us: Option<u64>,
    pub user: Option<String>,
    pub metrics: Option<SocketAddr>,
    pub query_log: Option<bool>,
    pub tcp_clients_per_ip: Option<usize>,
    pub rrl: RrlOptions,
    /// DNS over TLS and HTTPS.
    pub tls: TlsOptions,
    /// Zone-read bounds and the withdraw grace.
    pub limits: super::LimitOptions,
    /// The config file zones are listed in (re-read at every reload).
    pub config: Option<ConfigSource>,
    /// Who may query; `None`: anyone.
    pub allow_query: Option<Vec<MatchEntry>>,
    /// Whose outside names are forwarded; `None`: localhost and localnets (BIND's default).
    pub allow_recursion: Option<Vec<MatchEntry>>,
    /// Which optional records positive answers carry; `None`: BIND's default.
    pub minimal_responses: Option<crate::query::Minimal>,
    /// Upstream resolvers for names outside our zones.
    pub forward_to: Option<Vec<ServerAddr>>,
    /// The log filter a config file sets (the command line's `--log` wins).
    pub log: Option<String>,
    /// Zone transfers out and NOTIFY.
    pub xfr: super::XfrOptions,
    /// The command line's own transfer flags (kept over every re-read of a config file).
    pub xfr_flags: Option<super::XfrOptions>,
    /// The server's identity for NSID (RFC 5001): text, or `0x` and hex.
    pub nsid: Option<String>,
}

/// How the zone directory is watched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Watch {
    /// File events (inotify).
    Events,
    /// Compare file stamps at this interval.
    Poll(Duration),
    /// Only SIGHUP reloads.
    Off,
}

/// Where zones come from and how they are kept current.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub zones: PathBuf,
    pub watch: Watch,
    pub auto_serial: bool,
    /// Synthesize PTRs in every reverse zone served (`--auto-ptr`).
    pub auto_ptr: bool,
    pub debounce: Duration,
    /// Zones listed in this config file.
    pub config: Option<ConfigSource>,
    /// Serve `zones` by file name (false when a config file lists the zones and names no
    /// `zones_dir`: then `zones` is only the directory watched).
    pub scan: bool,
    /// Bounds of every zone read.
    pub limits: crate::zonefile::Limits,
    /// How long a vanished zone file is waited for before its zone is withdrawn.
    pub withdraw_grace: Duration,
}

/// The sockets and their limits.
#[derive(Debug, Clone)]
pub struct NetConfig {
    pub listen: Vec<SocketAddr>,
    pub threads: usize,
    pub tcp_clients: usize,
    pub tcp_idle_timeout: Duration,
    /// How long a TCP/DoT loop gathers queries under concurrent load (zero: never).
    pub tcp_coalesce: Duration,
    /// Most TCP connections from one client address (its idlest is closed for a newer one).
    pub tcp_clients_per_ip: usize,
    /// Response-rate limiting on UDP; `None`: off.
    pub rrl: Option<RrlConfig>,
    /// DNS over TLS and HTTPS; `None`: off.
    pub tls: Option<TlsConfig>,
    /// Who may query, and whose outside names are forwarded.
    pub access: Access,
    /// Upstream resolvers for names outside our zones (none: outside names get REFUSED).
    pub forward_to: Vec<SocketAddr>,
}

/// How the process runs as a service: the user it becomes, metrics, the query log.
#[derive(Debug, Clone, Default)]
pub struct ServiceConfig {
    /// Become this user once the sockets are bound (`--user`).
    pub user: Option<String>,
    /// Serve Prometheus metrics at `/metrics` on this address.
    pub metrics: Option<SocketAddr>,
    /// Log one line per query.
    pub query_log: bool,
}

/// Validated settings for `serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub source: SourceConfig,
    pub net: NetConfig,
    pub service: ServiceConfig,
    pub xfr: super::XfrConfig,
    /// The command line's transfer flags alone (a reload re-applies them over the file).
    pub xfr_flags: super::XfrOptions,
}

impl ServeOptions {
    /// These options over `lower` (a layer of less precedence: the command line over a file).
    pub fn over(self, lower: ServeOptions) -> ServeOptions {
        ServeOptions {
            zones: self.zones.or(lower.zones),
            listen: self.listen.or(lower.listen),
            threads: self.threads.or(lower.threads),
            watch: self.watch.or(lower.watch),
            poll_interval: self.poll_interval.or(lower.poll_interval),
            auto_serial: self.auto_serial.or(lower.auto_serial),
            auto_ptr: self.auto_ptr.or(lower.auto_ptr),
            debounce_ms: self.debounce_ms.or(lower.debounce_ms),
            tcp_clients: self.tcp_clients.or(lower.tcp_clients),
            tcp_idle_timeout: self.tcp_idle_timeout.or(lower.tcp_idle_timeout),
            tcp_coalesce_us: self.tcp_coalesce_us.or(lower.tcp_coalesce_us),
            user: self.user.or(lower.user),
            xfr: self.xfr.over(lower.xfr),
            xfr_flags: self.xfr_flags.or(lower.xfr_flags),
            metrics: self.metrics.or(lower.metrics),
            query_log: self.query_log.or(lower.query_log),
            tcp_clients_per_ip: self.tcp_clients_per_ip.or(lower.tcp_clients_per_ip),
            rrl: self.rrl.over(lower.rrl),
            tls: self.tls.over(lower.tls),
            limits: self.limits.over(lower.limits),
            config: self.config.or(lower.config),
            allow_query: self.allow_query.or(lower.allow_query),
            allow_recursion: self.allow_recursion.or(lower.allow_recursion),
            minimal_responses: self.minimal_responses.or(lower.minimal_responses),
            forward_to: self.forward_to.or(lower.forward_to),
            log: self.log.or(lower.log),
            nsid: self.nsid.or(lower.nsid),
        }
    }

    /// Fills in the defaults and checks every setting.
    pub fn resolve(self) -> Result<ServeConfig, ConfigError> {
        let listen = match self.listen {
            Some(l) if !l.is_empty() => l,
            _ => vec![
                SocketAddr::from((Ipv4Addr::UNSPECIFIED, 53)),
                SocketAddr::from((Ipv6Addr::UNSPECIFIED, 53)),
            ],
        };
        let threads = match self.threads {
            Some(0) => return Err(ConfigError::NoThreads),
            Some(n) => n,
            None => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        };
        let watch = match (self.watch.unwrap_or(true), self.poll_interval) {
            (_, Some(s)) if !(s > 0.0 && s.is_finite()) => {
                return Err(ConfigError::BadPollInterval)
            }
            (false, Some(_)) => return Err(ConfigError::PollWithoutWatch),
            (false, None) => Watch::Off,
            (true, Some(s)) => Watch::Poll(Duration::from_secs_f64(s)),
            (true, None) => Watch::Events,
        };
        let tcp_clients = match self.tcp_clients.unwrap_or(1024) {
            0 => return Err(ConfigError::NoTcpClients),
            n => n,
        };
        let tcp_idle_timeout = match self.tcp_idle_timeout.unwrap_or(10) {
            0 => return Err(ConfigError::NoTcpIdleTimeout),
            s => Duration::from_secs(s),
        };
        let tcp_coalesce = match self.tcp_coalesce_us.unwrap_or(DEFAULT_TCP_COALESCE_US) {
            us if us > MAX_TCP_COALESCE_US => return Err(ConfigError::TcpCoalesceTooLong(us)),
            us => Duration::from_micros(us),
        };
        if self.user.as_deref() == Some("") {
            return Err(ConfigError::EmptyUser);
        }
        let tcp_clients_per_ip = match self.tcp_clients_per_ip {
            Some(0) => return Err(ConfigError::NoTcpClientsPerIp),
            Some(n) => n.min(tcp_clients),
            None => tcp_clients.min(DEFAULT_TCP_CLIENTS_PER_IP),
        };
        let rrl = self.rrl.resolve()?;
        let tls = self.tls.resolve()?;
        let (limits, withdraw_grace) = self.limits.resolve()?;
        let scan = self.zones.is_some() || self.config.is_none();
        let ifaces = access::interfaces();
        let access = Access {
            query: self
                .allow_query
                .as_deref()
                .map_or_else(Table::open, |l| access::table(l, &ifaces)),
            // Zones' own lists come with the config file's first read (`source::access`).
            zones: Default::default(),
            minimal: self.minimal_responses.unwrap_or_default(),
            recursion: self.allow_recursion.as_deref().map_or_else(
                || access::default_recursion(&ifaces),
                |l| access::table(l, &ifaces),
            ),
            nsid: self
                .nsid
                .as_deref()
                .map(crate::query::nsid::parse)
                .transpose()?,
        };
        let forward_to = self
            .forward_to
            .unwrap_or_default()
            .iter()
            .map(|s| SocketAddr::new(s.addr, s.port.unwrap_or(53)))
            .collect();
        Ok(ServeConfig {
            source: SourceConfig {
                scan,
                zones: self.zones.unwrap_or_else(|| match &self.config {
                    // Nothing served by file name: watch the config file's directory.
                    Some(c) => c
                        .path()
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .map_or_else(|| PathBuf::from("."), PathBuf::from),
                    None => PathBuf::from("zones"),
                }),
                watch,
                auto_serial: self.auto_serial.unwrap_or(false),
                auto_ptr: self.auto_ptr.unwrap_or(false),
                debounce: Duration::from_millis(self.debounce_ms.unwrap_or(20)),
                config: self.config,
                limits,
                withdraw_grace,
            },
            net: NetConfig {
                listen,
                threads,
                tcp_clients,
                tcp_idle_timeout,
                tcp_coalesce,
                access,
                forward_to,
                tcp_clients_per_ip,
                rrl,
                tls,
            },
            xfr: self.xfr.resolve(),
            xfr_flags: self.xfr_flags.unwrap_or_default(),
            service: ServiceConfig {
                user: self.user,
                metrics: self.metrics,
                query_log: self.query_log.unwrap_or(false),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_precedence() {
        let cfg = ServeOptions::default().resolve().expect("defaults resolve");
        assert_eq!(cfg.source.zones, PathBuf::from("zones"));
        assert_eq!(cfg.source.watch, Watch::Events);
        assert_eq!(cfg.net.listen.len(), 2);
        assert_eq!(cfg.net.tcp_idle_timeout, Duration::from_secs(10));
        assert_eq!(cfg.net.tcp_clients_per_ip, 64);
        assert_eq!(cfg.net.tcp_coalesce, Duration::from_micros(1000));
        assert!(cfg.net.rrl.is_none(), "RRL is off by default");
        let file = ServeOptions {
            zones: Some("a".into()),
            tcp_clients: Some(5),
            ..ServeOptions::default()
        };
        let cli = ServeOptions {
            zones: Some("b".into()),
            ..ServeOptions::default()
        };
        let cfg = cli.over(file).resolve().expect("resolves");
        assert_eq!(cfg.source.zones, PathBuf::from("b"));
        assert_eq!(cfg.net.tcp_clients, 5);
        assert_eq!(cfg.net.tcp_clients_per_ip, 5, "never above --tcp-clients");
    }

    #[test]
    fn options_that_would_be_ignored_are_errors() {
        let poll_off = ServeOptions {
            watch: Some(false),
            poll_interval: Some(1.0),
            ..ServeOptions::default()
        };
        assert!(matches!(
            poll_off.resolve(),
            Err(ConfigError::PollWithoutWatch)
        ));
        let idle0 = ServeOptions {
            tcp_idle_timeout: Some(0),
            ..ServeOptions::default()
        };
        assert!(matches!(
            idle0.resolve(),
            Err(ConfigError::NoTcpIdleTimeout)
        ));
        let per_ip0 = ServeOptions {
            tcp_clients_per_ip: Some(0),
            ..ServeOptions::default()
        };
        assert!(matches!(
            per_ip0.resolve(),
            Err(ConfigError::NoTcpClientsPerIp)
        ));
        let coalesce = |us| ServeOptions {
            tcp_coalesce_us: Some(us),
            ..ServeOptions::default()
        };
        assert!(matches!(
            coalesce(10_001).resolve(),
            Err(ConfigError::TcpCoalesceTooLong(10_001))
        ));
        let off = coalesce(0).resolve().expect("0 turns gathering off");
        assert!(off.net.tcp_coalesce.is_zero());
    }
}
