//! DNS over TLS (RFC 7858) and DNS over HTTPS (RFC 8484, HTTP/2, `/dns-query`, GET and POST,
//! `doh`) on our own listeners with hickory-server's TLS configuration: DoT sessions on the TCP
//! event loops (rustls there, `session` when handed to tokio), DoH over tokio-rustls answered
//! by our engine (`handler`) with its wire bytes as they are; one certificate for both,
//! reloaded on SIGHUP and when its files change (`certs`). hickory-server 0.26's
//! listeners are not used: its HTTPS one has no GET, its TLS one no connection limit and a
//! spinning accept when out of descriptors. Listeners are bound before the other sockets and
//! before privileges are dropped.

mod accept;
mod certs;
mod doh;
mod handler;
mod session;

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use certs::CertError;
pub(in crate::net) use session::Session;

use super::bind::{tcp_listener, BindError};
use crate::config::NetConfig;
use crate::metrics::Taps;
use crate::store::Store;

/// How often the certificate files are checked for changes.
const CERT_POLL: Duration = Duration::from_secs(2);
/// The HTTP path DoH is served at (RFC 8484's example, what clients default to).
const DOH_PATH: &str = "/dns-query";

/// Why DoT or DoH cannot start.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error("failed to make the TLS configuration: {0}")]
    Config(#[source] std::io::Error),
    #[error("failed to listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The bound DoH listeners (with their TLS configuration, ALPN `h2`) and the loaded
/// certificate, which `serve_tls` reloads for DoH and DoT alike.
pub struct TlsListeners {
    doh: Vec<(SocketAddr, StdTcpListener)>,
    doh_config: Option<Arc<rustls::ServerConfig>>,
    certs: Arc<certs::Certs>,
    /// One table for DoT and DoH connections, apart from TCP's (a TLS flood does not close
    /// TCP clients): open at once, all listeners together (`--tcp-clients`), and from one
    /// address (`--tcp-clients-per-ip`); past either the idlest is closed.
    table: Arc<crate::net::conns::Table>,
}

/// DoT's listeners and configuration (ALPN `dot`), served by the TCP event loops
/// (`net::serve`).
pub struct DotListeners {
    pub(in crate::net) listeners: Vec<(SocketAddr, StdTcpListener)>,
    pub(in crate::net) config: crate::net::tcp::DotConfig,
}

/// hickory-server's TLS configuration (TLS 1.2 and 1.3, the ALPN of the protocol, the
/// certificate asked of `certs` at each handshake, so a reload applies to new connections).
fn server_config(
    certs: &Arc<certs::Certs>,
    alpn: &[u8],
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let resolver: Arc<dyn rustls::server::ResolvesServerCert> = certs.clone();
    hickory_server::server::default_tls_server_config(alpn, resolver)
        .map(Arc::new)
        .map_err(TlsError::Config)
}

/// Loads the certificate, binds the listeners of `cfg.tls` and makes their TLS configurations
/// (nothing when it is off): DoH's for `serve_tls`, DoT's for the TCP loops. Logs each bound
/// address ("serving DNS over TLS on ADDR").
pub fn bind_tls(cfg: &NetConfig) -> Result<(Option<TlsListeners>, Option<DotListeners>), TlsError> {
    let Some(t) = &cfg.tls else {
        return Ok((None, None));
    };
    let certs = certs::Certs::open(&t.cert_file, &t.key_file)?;
    let bind = |addrs: &[SocketAddr], what: &'static str| {
        let mut out = Vec::new();
        for &addr in addrs {
            let l = tcp_listener(addr).map_err(|error| BindError {
                proto: what,
                addr,
                error,
            })?;
            let bound = l.local_addr().unwrap_or(addr);
            tracing::info!("serving DNS over {} on {bound}", what.to_uppercase());
            out.push((bound, l));
        }
        Ok::<_, TlsError>(out)
    };
    let (dot, doh) = (bind(&t.listen_tls, "tls")?, bind(&t.listen_https, "https")?);
    // The same share of descriptors as TCP's table (`net::start`): both full still fit.
    let max_conns = match super::limits::nofile() {
        Some(nofile) => {
            let fit =
                super::limits::fit_tcp_clients(cfg.tcp_clients, nofile, dot.len() + doh.len(), 2);
            if fit < cfg.tcp_clients {
                tracing::warn!(
                    "DoT/DoH connections limited to {fit} (--tcp-clients {}): the open-files limit is {nofile}, shared with TCP's connections (raise it with `ulimit -n` or LimitNOFILE=)",
                    cfg.tcp_clients
                );
            }
            fit
        }
        None => cfg.tcp_clients,
    };
    let per_ip = cfg.tcp_clients_per_ip.min(max_conns);
    let table = crate::net::conns::Table::new(max_conns, per_ip, cfg.tcp_idle_timeout);
    let dot = match dot.is_empty() {
        true => None,
        false => Some(DotListeners {
            listeners: dot,
            config: crate::net::tcp::DotConfig {
                config: server_config(&certs, b"dot")?,
                table: table.clone(),
            },
        }),
    };
    let doh_config = match doh.is_empty() {
        true => None,
        false => Some(server_config(&certs, b"h2")?),
    };
    let tls = TlsListeners {
        doh,
        doh_config,
        certs,
        table,
    };
    Ok((Some(tls), dot))
}

/// Serves DoH until `shutdown`, reloading the certificate (DoH's and DoT's) on SIGHUP and on
/// change. Must run inside the tokio runtime.
pub async fn serve_tls(
    l: TlsListeners,
    store: Arc<Store>,
    taps: &Taps,
    shutdown: CancellationToken,
    forward: Option<super::forward::Forwarder>,
) -> Result<(), TlsError> {
    let engine = Arc::new(handler::Engine::new(store, taps, forward));
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(config) = l.doh_config {
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        for (addr, std) in l.doh {
            let listener = tokio::net::TcpListener::from_std(std)
                .map_err(|source| TlsError::Listen { addr, source })?;
            tasks.spawn(doh::serve_doh(
                listener,
                acceptor.clone(),
                engine.clone(),
                DOH_PATH,
                l.table.clone(),
                shutdown.clone(),
            ));
        }
    }
    reload_certs(&l.certs, &shutdown).await;
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Until `shutdown`: re-reads the certificate on SIGHUP and when its files' times change.
/// A broken pair is logged and the one served so far stays.
async fn reload_certs(certs: &certs::Certs, shutdown: &CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(CERT_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stamp = certs.stamp();
    loop {
        let forced = tokio::select! {
            _ = shutdown.cancelled() => return,
            Some(()) = async { hup.as_mut()?.recv().await } => true,
            _ = tick.tick() => false,
        };
        let now = certs.stamp();
        if !forced && now == stamp {
            continue;
        }
        stamp = now;
        match certs.reload() {
            Ok(()) => tracing::info!(
                "reloaded the TLS certificate from {}",
                certs.cert_path().display()
            ),
            Err(e) => tracing::error!("{e}; still serving the previous certificate"),
        }
    }
}
