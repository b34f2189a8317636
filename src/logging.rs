//! Log setup: tracing to stderr, filtered by `--log` / `CLUSTERDNS_LOG`, as text or JSON lines
//! (`--log-format`); colour only when stderr is a terminal and `NO_COLOR` is unset, so files,
//! pipes and journald get plain lines.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line (timestamp, level, fields).
    Json,
}

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(filter: &str, format: LogFormat) {
    // hickory-server (DoT/DoH) logs two info lines per request: quiet unless asked for.
    let filter = match filter.contains("hickory") {
        true => filter.to_string(),
        false => format!("{filter},hickory_server=warn,hickory_net=warn"),
    };
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(colour).try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}
