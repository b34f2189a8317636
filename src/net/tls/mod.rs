//! DNS over TLS (RFC 7858, `dot`) and DNS over HTTPS (RFC 8484, HTTP/2, `/dns-query`, GET and
//! POST, `doh`) on our own listeners over tokio-rustls with hickory-server's TLS configuration,
//! both answered by our engine (`handler`) with its wire bytes as they are; one certificate
//! for both, reloaded on SIGHUP and when its files change (`certs`). hickory-server 0.26's
//! listeners are not used: its HTTPS one has no GET, its TLS one no connection limit and a
//! spinning accept when out of descriptors. Listeners are bound before the other sockets and
//! before privileges are dropped.

mod accept;
mod certs;
mod doh;
mod dot;
mod handler;

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use certs::CertError;

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
    #[error("failed to listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The bound DoT and DoH listeners and the loaded certificate.
pub struct TlsListeners {
    dot: Vec<StdTcpListener>,
    doh: Vec<StdTcpListener>,
    certs: Arc<certs::Certs>,
    timeout: Duration,
    /// DoT and DoH connections open at once, all listeners together (`--tcp-clients`), and
    /// from one address (`--tcp-clients-per-ip`); past either the idlest is closed.
    max_conns: usize,
    per_ip: usize,
}

/// Loads the certificate and binds the listeners of `cfg.tls` (none when it is off). Logs each
/// bound address ("serving DNS over TLS on ADDR").
pub fn bind_tls(cfg: &NetConfig) -> Result<Option<TlsListeners>, TlsError> {
    let Some(t) = &cfg.tls else {
        return Ok(None);
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
            out.push(l);
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
    Ok(Some(TlsListeners {
        dot,
        doh,
        certs,
        timeout: cfg.tcp_idle_timeout,
        max_conns,
        per_ip: cfg.tcp_clients_per_ip.min(max_conns),
    }))
}

/// Serves DoT and DoH until `shutdown`, reloading the certificate on SIGHUP and on change.
/// Must run inside the tokio runtime.
pub async fn serve_tls(
    l: TlsListeners,
    store: Arc<Store>,
    taps: &Taps,
    shutdown: CancellationToken,
    forward: Option<super::forward::Forwarder>,
) -> Result<(), TlsError> {
    let engine = Arc::new(handler::Engine::new(store, taps, forward));
    let resolver: Arc<dyn rustls::server::ResolvesServerCert> = l.certs.clone();
    let tokio_listener = |std: StdTcpListener| {
        let addr = std
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        tokio::net::TcpListener::from_std(std).map_err(|source| TlsError::Listen { addr, source })
    };
    // hickory-server's TLS configuration (TLS 1.2 and 1.3, the ALPN of each protocol, the
    // certificate asked of `certs` at each handshake, so a reload applies to new connections).
    let acceptor = |alpn: &[u8]| {
        hickory_server::server::default_tls_server_config(alpn, resolver.clone())
            .map(|c| tokio_rustls::TlsAcceptor::from(Arc::new(c)))
            .map_err(|source| TlsError::Listen {
                addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })
    };
    // One table for DoT and DoH, apart from TCP's (a TLS flood does not close TCP clients).
    let table = crate::net::conns::Table::new(l.max_conns, l.per_ip, l.timeout);
    let mut tasks = tokio::task::JoinSet::new();
    if !l.dot.is_empty() {
        let dot_acceptor = acceptor(b"dot")?;
        for std in l.dot {
            let listener = tokio_listener(std)?;
            tasks.spawn(dot::serve_dot(
                listener,
                dot_acceptor.clone(),
                engine.clone(),
                table.clone(),
                shutdown.clone(),
            ));
        }
    }
    if !l.doh.is_empty() {
        let doh_acceptor = acceptor(b"h2")?;
        for std in l.doh {
            let listener = tokio_listener(std)?;
            tasks.spawn(doh::serve_doh(
                listener,
                doh_acceptor.clone(),
                engine.clone(),
                DOH_PATH,
                table.clone(),
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
