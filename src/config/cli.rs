//! Command-line interface: the raw arguments clap parses, and their validation into the
//! settings the server runs on.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::dns::name::Name;

#[derive(Debug, Parser)]
#[command(
    name = "clusterdns",
    version,
    about = "Authoritative DNS for the machines of a cluster, from BIND zone files"
)]
pub struct Cli {
    /// Log filter (error, warn, info, debug, trace, or a tracing directive).
    #[arg(long, global = true, default_value = "info", env = "CLUSTERDNS_LOG")]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve every NAME.zone file of a directory, authoritatively, over UDP and TCP.
    Serve(ServeArgs),
    /// Check zone files as the server would read them; print problems and a summary.
    Check(CheckCmd),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Directory of zone files; each NAME.zone serves the zone NAME.
    #[arg(long, default_value = "zones")]
    pub zones: PathBuf,
    /// Address to listen on, UDP and TCP (repeatable). Default: 0.0.0.0:53 and [::]:53.
    #[arg(long = "listen", value_name = "ADDR:PORT")]
    pub listen: Vec<SocketAddr>,
    /// UDP worker threads (default: one per core).
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
    /// Debounce for file-change events, in milliseconds.
    #[arg(long, default_value_t = 20, value_name = "MS")]
    pub debounce_ms: u64,
    /// Most TCP connections served at once.
    #[arg(long, default_value_t = 1024)]
    pub tcp_clients: usize,
    /// Close a TCP connection idle for this many seconds.
    #[arg(long, default_value_t = 10)]
    pub tcp_idle_timeout: u64,
}

#[derive(Debug, clap::Args)]
pub struct CheckCmd {
    /// Zone directories or zone files.
    #[arg(default_value = "zones")]
    pub paths: Vec<PathBuf>,
    /// Origin of the zone (default: the file name without .zone).
    #[arg(long)]
    pub origin: Option<String>,
    /// Print the records in canonical form (as named-compilezone -s full -o -).
    #[arg(long)]
    pub print: bool,
}

/// Validated settings for `serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub zones: PathBuf,
    pub listen: Vec<SocketAddr>,
    pub threads: usize,
    pub watch: bool,
    pub poll_interval: Option<Duration>,
    pub auto_serial: bool,
    pub debounce: Duration,
    pub tcp_clients: usize,
    pub tcp_idle_timeout: Duration,
}

impl ServeArgs {
    pub fn resolve(self) -> anyhow::Result<ServeConfig> {
        let listen = if self.listen.is_empty() {
            vec!["0.0.0.0:53".parse()?, "[::]:53".parse()?]
        } else {
            self.listen
        };
        let threads = match self.threads {
            Some(0) => anyhow::bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        };
        let poll_interval = match self.poll_interval {
            Some(s) if !(s > 0.0 && s.is_finite()) => {
                anyhow::bail!("--poll-interval must be a positive number of seconds")
            }
            Some(s) => Some(Duration::from_secs_f64(s)),
            None => None,
        };
        if self.tcp_clients == 0 {
            anyhow::bail!("--tcp-clients must be at least 1");
        }
        Ok(ServeConfig {
            zones: self.zones,
            listen,
            threads,
            watch: !self.no_watch,
            poll_interval,
            auto_serial: self.auto_serial,
            debounce: Duration::from_millis(self.debounce_ms),
            tcp_clients: self.tcp_clients,
            tcp_idle_timeout: Duration::from_secs(self.tcp_idle_timeout.max(1)),
        })
    }
}

impl CheckCmd {
    pub fn resolve(self) -> anyhow::Result<crate::check::CheckArgs> {
        let origin = match self.origin {
            Some(o) => {
                Some(Name::from_ascii(&o).map_err(|e| anyhow::anyhow!("bad --origin {o:?}: {e}"))?)
            }
            None => None,
        };
        Ok(crate::check::CheckArgs {
            paths: self.paths,
            origin,
            print: self.print,
        })
    }
}
