//! DNS over TLS (RFC 7858) through hickory-server's TLS listener with our answer engine behind
//! its `RequestHandler` (`handler`), and DNS over HTTPS (RFC 8484, HTTP/2, `/dns-query`, GET
//! and POST) on our own small h2 listener (`doh`: hickory-server 0.26 has no GET); one
//! certificate for both, reloaded on SIGHUP and when its files change (`certs`). Listeners are
//! bound before the other sockets and before privileges are dropped.

mod certs;
mod doh;
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
    /// Most DoH connections open at once per listener (`--tcp-clients`); more are closed.
    max_conns: usize,
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
    Ok(Some(TlsListeners {
        dot: bind(&t.listen_tls, "tls")?,
        doh: bind(&t.listen_https, "https")?,
        certs,
        timeout: cfg.tcp_idle_timeout,
        max_conns: cfg.tcp_clients,
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
    let mut server = hickory_server::Server::new(handler::Shared(engine.clone()));
    let resolver: Arc<dyn rustls::server::ResolvesServerCert> = l.certs.clone();
    let tokio_listener = |std: StdTcpListener| {
        let addr = std
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        tokio::net::TcpListener::from_std(std).map_err(|source| TlsError::Listen { addr, source })
    };
    for std in l.dot {
        let addr = std
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let listener = tokio_listener(std)?;
        server
            .register_tls_listener(listener, l.timeout, resolver.clone())
            .map_err(|source| TlsError::Listen { addr, source })?;
    }
    let mut doh = tokio::task::JoinSet::new();
    if !l.doh.is_empty() {
        let config = hickory_server::server::default_tls_server_config(b"h2", resolver.clone())
            .map_err(|source| TlsError::Listen {
                addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        for std in l.doh {
            let listener = tokio_listener(std)?;
            doh.spawn(doh::serve_doh(
                listener,
                acceptor.clone(),
                engine.clone(),
                DOH_PATH,
                doh::Limits {
                    idle: l.timeout,
                    max_conns: l.max_conns,
                },
                shutdown.clone(),
            ));
        }
    }
    reload_certs(&l.certs, &shutdown).await;
    if let Err(e) = server.shutdown_gracefully().await {
        tracing::debug!("DoT listeners stopped: {e}");
    }
    while doh.join_next().await.is_some() {}
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
