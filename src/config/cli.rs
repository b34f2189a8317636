//! Command-line interface: the raw arguments clap parses, turned into the options layer of the
//! configuration (`ServeOptions`) and the check settings. Nothing here is validated; that is
//! `config::ServeOptions::resolve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::layer::{read_layer, ConfigSource, LayerError};
use crate::config::{ConfigError, Prefix, RrlOptions, ServeOptions};
use crate::dns::name::Name;

#[derive(Debug, Parser)]
#[command(
    name = "clusterdns",
    version,
    about = "Authoritative DNS for the machines of a cluster, from BIND zone files"
)]
pub struct Cli {
    /// Log filter (error, warn, info, debug, trace, or a tracing directive) [default: the
    /// config file's `log`, else info]
    #[arg(long, global = true, env = "CLUSTERDNS_LOG")]
    pub log: Option<String>,
    /// Log line format: text (colour only on a terminal) or json (one object per line).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "CLUSTERDNS_LOG_FORMAT"
    )]
    pub log_format: crate::logging::LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve every NAME.zone file of a directory, authoritatively, over UDP and TCP.
    Serve(Box<ServeArgs>),
    /// Check zone files as the server would read them; print problems and a summary.
    Check(CheckCmd),
    /// Print the clusterdns TOML config equivalent to a BIND named.conf.
    ImportBind {
        /// The named.conf to read (relative includes: beside it, then the current directory).
        file: PathBuf,
    },
}

/// `serve` options. Defaults are applied when the layers are resolved (so that a later config
/// file can tell an option the user gave from one left out); help shows them.
#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// TOML config file (the command line overrides it).
    #[arg(long, value_name = "FILE", conflicts_with = "named_conf")]
    pub config: Option<PathBuf>,
    /// Serve as BIND would from this named.conf (zones, listen-on, allow-query, forwarders).
    #[arg(long, value_name = "FILE")]
    pub named_conf: Option<PathBuf>,
    /// Directory of zone files; each NAME.zone serves the zone NAME [default: zones]
    #[arg(long)]
    pub zones: Option<PathBuf>,
    /// Address to listen on, UDP and TCP (repeatable). Default: 0.0.0.0:53 and [::]:53.
    #[arg(long = "listen", value_name = "ADDR:PORT")]
    pub listen: Vec<SocketAddr>,
    /// UDP worker threads per listen address, and TCP event-loop threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Do not watch the zone directory for changes.
    #[arg(long)]
    pub no_watch: bool,
    /// Poll the zone directory every SECS seconds instead of using inotify.
    #[arg(long, value_name = "SECS")]
    pub poll_interval: Option<f64>,
    /// Bump the served SOA serial (YYYYMMDDnn) when a zone's content changes but its serial did not.
    #[arg(long)]
    pub auto_serial: bool,
    /// Synthesize PTR records in every reverse zone served from the A/AAAA records of the forward zones (a PTR in the reverse file wins).
    #[arg(long)]
    pub auto_ptr: bool,
    /// Debounce for file-change events, in milliseconds [default: 20]
    #[arg(long, value_name = "MS")]
    pub debounce_ms: Option<u64>,
    /// Most TCP connections served at once; when full, the idlest is closed for a newcomer (kept under the open-files limit) [default: 1024]
    #[arg(long)]
    pub tcp_clients: Option<usize>,
    /// Close a TCP connection idle for this many seconds [default: 10]
    #[arg(long)]
    pub tcp_idle_timeout: Option<u64>,
    /// Under concurrent TCP/DoT load, gather a loop's queries for up to this many microseconds
    /// before answering them together (fewer wake-ups per query; 0: answer at once) [default: 1000]
    #[arg(long, value_name = "US")]
    pub tcp_coalesce_us: Option<u64>,
    /// Started as root: become this user (and its group) once the sockets are bound.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Serve Prometheus metrics at http://ADDR:PORT/metrics.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<SocketAddr>,
    /// Log one line per query (client, qname, qtype, rcode, flags, size, microseconds).
    #[arg(long)]
    pub query_log: bool,
    /// Most TCP connections from one client address; a newer one closes its idlest [default: 64]
    #[arg(long)]
    pub tcp_clients_per_ip: Option<usize>,
    /// Serve DNS over TLS (RFC 7858) on this address, e.g. 0.0.0.0:853 (repeatable).
    #[arg(long, value_name = "ADDR:PORT", help_heading = "Encrypted DNS")]
    pub listen_tls: Vec<SocketAddr>,
    /// Serve DNS over HTTPS (RFC 8484, HTTP/2, /dns-query) on this address, e.g. 0.0.0.0:443 (repeatable).
    #[arg(long, value_name = "ADDR:PORT", help_heading = "Encrypted DNS")]
    pub listen_https: Vec<SocketAddr>,
    /// Certificate chain for DoT and DoH, PEM, leaf first (re-read on SIGHUP and when it changes).
    #[arg(long, value_name = "FILE", help_heading = "Encrypted DNS")]
    pub tls_cert: Option<PathBuf>,
    /// Private key of that certificate, PEM.
    #[arg(long, value_name = "FILE", help_heading = "Encrypted DNS")]
    pub tls_key: Option<PathBuf>,
    /// Turn on UDP response-rate limiting: answers per second per client prefix and name (BIND's responses-per-second)
    #[arg(
        long,
        value_name = "N",
        help_heading = "Response-rate limiting (off by default)"
    )]
    pub rrl_responses_per_second: Option<u32>,
    /// Error responses per second per client prefix [default: the responses rate]
    #[arg(
        long,
        value_name = "N",
        help_heading = "Response-rate limiting (off by default)"
    )]
    pub rrl_errors_per_second: Option<u32>,
    /// NXDOMAIN responses per second per client prefix [default: the responses rate]
    #[arg(
        long,
        value_name = "N",
        help_heading = "Response-rate limiting (off by default)"
    )]
    pub rrl_nxdomains_per_second: Option<u32>,
    /// Send every Nth limited response truncated (TC=1) so real clients retry over TCP; 0 drops all [default: 2]
    #[arg(
        long,
        value_name = "N",
        help_heading = "Response-rate limiting (off by default)"
    )]
    pub rrl_slip: Option<u32>,
    /// Seconds over which rates are averaged [default: 15]
    #[arg(
        long,
        value_name = "SECS",
        help_heading = "Response-rate limiting (off by default)"
    )]
    pub rrl_window: Option<u32>,
    /// IPv4 clients are grouped by this prefix length [default: 24]
    #[arg(
        long,
        value_name = "BITS",
        help_heading = "Response-rate limiting (off by default)"
    )]
    pub rrl_ipv4_prefix_length: Option<u8>,
    /// IPv6 clients are grouped by this prefix length [default: 56]
    #[arg(
        long,
        value_name = "BITS",
        help_heading = "Response-rate limiting (off by default)"
    )]
    pub rrl_ipv6_prefix_length: Option<u8>,
    /// Clients never rate-limited (repeatable), e.g. 10.0.0.0/8
    #[arg(
        long,
        value_name = "PREFIX",
        help_heading = "Response-rate limiting (off by default)"
    )]
    pub rrl_exempt: Vec<Prefix>,
    /// Clients that may AXFR/IXFR every zone (repeatable), e.g. 10.0.0.2 or 10.0.0.0/24 [default: none]
    #[arg(long, value_name = "PREFIX", help_heading = "Zone transfers")]
    pub allow_transfer: Vec<Prefix>,
    /// A TSIG key that may transfer every zone (repeatable), NAME:ALG:BASE64SECRET (hmac-sha256, hmac-sha1, hmac-sha512)
    #[arg(long, value_name = "KEY", help_heading = "Zone transfers")]
    pub tsig_key: Vec<crate::dns::tsig::TsigKey>,
    /// Send NOTIFY here when a zone's serial changes (repeatable), ADDR:PORT
    #[arg(long, value_name = "ADDR:PORT", help_heading = "Zone transfers")]
    pub also_notify: Vec<SocketAddr>,
    /// Be secondary for ZONE (repeatable): transferred from the primaries and kept as ZONE.zone in the zone directory, ZONE@ADDR:PORT[,ADDR:PORT]
    #[arg(long, value_name = "ZONE@ADDR:PORT", help_heading = "Zone transfers")]
    pub secondary: Vec<crate::config::SecondaryZone>,
    #[command(flatten)]
    pub limits: crate::config::LimitOptions,
    /// Identify this server to clients that ask (EDNS NSID, RFC 5001): text, or 0x and hex
    /// digits. Tells apart the servers of one cluster behind one address.
    #[arg(long, value_name = "TEXT")]
    pub nsid: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckCmd {
    /// Zone directories or zone files.
    #[arg(default_value = "zones")]
    pub paths: Vec<PathBuf>,
    /// Check this TOML config file and every zone it serves (instead of PATHS).
    #[arg(long, value_name = "FILE", conflicts_with = "named_conf")]
    pub config: Option<PathBuf>,
    /// Check this named.conf and every zone it serves (instead of PATHS).
    #[arg(long, value_name = "FILE")]
    pub named_conf: Option<PathBuf>,
    /// Origin of the zone (default: the file name without .zone).
    #[arg(long)]
    pub origin: Option<String>,
    /// Print the records in canonical form (as named-compilezone -s full -o -).
    #[arg(long)]
    pub print: bool,
    /// Lint the zones as a set: forward against reverse, PTR and NS targets, names per address.
    #[arg(long)]
    pub lint: bool,
    /// With --lint: compare serials and names with the server running at ADDR:PORT.
    #[arg(long, value_name = "ADDR:PORT", requires = "lint")]
    pub against: Option<SocketAddr>,
}

/// The config file named by `--config` or `--named-conf`, if any.
fn config_source(config: Option<PathBuf>, named_conf: Option<PathBuf>) -> Option<ConfigSource> {
    config
        .map(ConfigSource::Toml)
        .or(named_conf.map(ConfigSource::NamedConf))
}

impl ServeArgs {
    /// The options of the command line over those of the config file it names (if any),
    /// and the config file's warnings.
    pub fn load(self) -> Result<(ServeOptions, Vec<String>), LayerError> {
        let Some(src) = config_source(self.config.clone(), self.named_conf.clone()) else {
            return Ok((self.options(), Vec::new()));
        };
        let layer = read_layer(&src)?;
        let file = layer.options(&src);
        Ok((self.options().over(file), layer.notes))
    }

    /// The options the command line sets (flags it leaves off say nothing).
    pub fn options(self) -> ServeOptions {
        let xfr = crate::config::XfrOptions {
            allow_transfer: (!self.allow_transfer.is_empty()).then_some(self.allow_transfer),
            keys: (!self.tsig_key.is_empty()).then_some(self.tsig_key),
            also_notify: (!self.also_notify.is_empty()).then_some(self.also_notify),
            secondaries: (!self.secondary.is_empty()).then_some(self.secondary),
            zones: None,
        };
        ServeOptions {
            config: config_source(self.config, self.named_conf),
            allow_query: None,
            allow_recursion: None,
            minimal_responses: None,
            forward_to: None,
            log: None,
            xfr: xfr.clone(),
            xfr_flags: Some(xfr),
            nsid: self.nsid,
            zones: self.zones,
            listen: (!self.listen.is_empty()).then_some(self.listen),
            threads: self.threads,
            watch: self.no_watch.then_some(false),
            poll_interval: self.poll_interval,
            auto_serial: self.auto_serial.then_some(true),
            auto_ptr: self.auto_ptr.then_some(true),
            debounce_ms: self.debounce_ms,
            tcp_clients: self.tcp_clients,
            tcp_idle_timeout: self.tcp_idle_timeout,
            tcp_coalesce_us: self.tcp_coalesce_us,
            user: self.user,
            metrics: self.metrics,
            query_log: self.query_log.then_some(true),
            tcp_clients_per_ip: self.tcp_clients_per_ip,
            rrl: RrlOptions {
                responses_per_second: self.rrl_responses_per_second,
                errors_per_second: self.rrl_errors_per_second,
                nxdomains_per_second: self.rrl_nxdomains_per_second,
                slip: self.rrl_slip,
                window: self.rrl_window,
                ipv4_prefix_length: self.rrl_ipv4_prefix_length,
                ipv6_prefix_length: self.rrl_ipv6_prefix_length,
                exempt: (!self.rrl_exempt.is_empty()).then_some(self.rrl_exempt),
            },
            tls: crate::config::TlsOptions {
                listen_tls: (!self.listen_tls.is_empty()).then_some(self.listen_tls),
                listen_https: (!self.listen_https.is_empty()).then_some(self.listen_https),
                cert_file: self.tls_cert,
                key_file: self.tls_key,
            },
            limits: self.limits,
        }
    }
}

impl CheckCmd {
    /// The config file to check, if one was given (then the paths are ignored).
    pub fn config_source(&self) -> Option<ConfigSource> {
        config_source(self.config.clone(), self.named_conf.clone())
    }

    pub fn resolve(self) -> Result<crate::check::CheckArgs, ConfigError> {
        let origin = match self.origin {
            Some(o) => Some(
                Name::from_ascii(&o)
                    .map_err(|source| ConfigError::BadOrigin { origin: o, source })?,
            ),
            None => None,
        };
        Ok(crate::check::CheckArgs {
            paths: self.paths,
            origin,
            print: self.print,
            lint: self.lint.then_some(self.against),
        })
    }
}
