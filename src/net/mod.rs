//! Sockets: binding (`bind`), the UDP workers (`udp`, one thread per socket) and TCP (`tcp`:
//! epoll loop threads, handing connections that need async work to tokio). `serve` runs them
//! all on the bound sockets until the one shutdown token is cancelled, then drains them.

mod bind;
mod conns;
pub mod forward;
mod keepalive;
mod limits;
mod rrl;
mod tcp;
mod tls;
mod udp;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use bind::{bind_all, BindError, Bound};
pub use limits::raise_nofile;
pub use tls::{bind_tls, serve_tls, DotListeners, TlsError, TlsListeners};

use crate::config::NetConfig;
use crate::metrics::Taps;
use crate::store::Store;

/// How long handed-over TCP connections (transfers, updates, forwards) may take to finish
/// after shutdown.
const TCP_DRAIN: Duration = Duration::from_secs(5);

/// Why the sockets could not be served.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("failed to start a UDP worker or TCP loop")]
    Worker(#[source] std::io::Error),
    #[error("failed to listen on tcp {addr}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Serves queries from `store` on `sockets` until `shutdown` is cancelled; then stops the TCP
/// loops (closing their connections), lets handed-over TCP connections finish (at most
/// `TCP_DRAIN`) and waits for the UDP workers. Must run inside the tokio runtime.
pub async fn serve(
    sockets: (Vec<Bound>, Option<DotListeners>),
    store: Arc<Store>,
    cfg: &NetConfig,
    taps: &Taps,
    shutdown: CancellationToken,
    forward: Option<forward::Forwarder>,
) -> Result<(), NetError> {
    let mut threads = Vec::new();
    let mut loops = Vec::new();
    let handed = TaskTracker::new();
    let started = start(
        sockets,
        &store,
        cfg,
        taps,
        &shutdown,
        (&mut threads, &mut loops, &handed),
        forward,
    );
    if started.is_err() {
        shutdown.cancel();
    } else {
        shutdown.cancelled().await;
    }
    for l in &loops {
        l.wake.wake();
    }
    for l in loops {
        let _ = l.thread.join();
    }
    handed.close();
    if tokio::time::timeout(TCP_DRAIN, handed.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            "TCP connections still open after {} s; closing them",
            TCP_DRAIN.as_secs()
        );
    }
    for t in threads {
        let _ = t.join();
    }
    started
}

/// Where `start` records what it started: UDP worker threads, TCP loops, and the tracker of
/// connections the loops hand over to tokio.
type Started<'a> = (
    &'a mut Vec<std::thread::JoinHandle<()>>,
    &'a mut Vec<tcp::LoopHandle>,
    &'a TaskTracker,
);

/// Starts a UDP worker per UDP socket and `cfg.threads` TCP loops watching every listener.
fn start(
    (sockets, dot): (Vec<Bound>, Option<DotListeners>),
    store: &Arc<Store>,
    cfg: &NetConfig,
    taps: &Taps,
    shutdown: &CancellationToken,
    (threads, loops, handed): Started,
    forward: Option<forward::Forwarder>,
) -> Result<(), NetError> {
    let nsockets: usize = sockets.iter().map(|b| b.udp.len() + 1).sum();
    // With DoT/DoH on, their connection table gets the same share (`tls::bind_tls`).
    let tables = if cfg.tls.is_some() { 2 } else { 1 };
    let tcp_clients = match limits::nofile() {
        Some(nofile) => {
            let fit = limits::fit_tcp_clients(cfg.tcp_clients, nofile, nsockets, tables);
            if fit < cfg.tcp_clients {
                tracing::warn!(
                    "--tcp-clients {} lowered to {fit}: the open-files limit is {nofile} and {} descriptors stay reserved for sockets, zone files and watches (raise it with `ulimit -n` or LimitNOFILE=)",
                    cfg.tcp_clients,
                    limits::FD_RESERVE + nsockets as u64
                );
            }
            fit
        }
        None => cfg.tcp_clients,
    };
    let table = conns::Table::new(
        tcp_clients,
        cfg.tcp_clients_per_ip.min(tcp_clients),
        cfg.tcp_idle_timeout,
    );
    if let Some(r) = &cfg.rrl {
        tracing::info!(
            "response-rate limiting on UDP: {} answers, {} errors, {} NXDOMAIN per second per /{} or /{} prefix, slip {}, window {} s, {} exempt prefixes",
            r.responses_per_second,
            r.errors_per_second,
            r.nxdomains_per_second,
            r.ipv4_prefix_length,
            r.ipv6_prefix_length,
            r.slip,
            r.window,
            r.exempt.len()
        );
    }
    let mut listeners = Vec::new();
    for b in sockets {
        for (i, sock) in b.udp.into_iter().enumerate() {
            let store = store.clone();
            let shutdown = shutdown.clone();
            let tap = taps.own_tap(crate::metrics::Proto::Udp);
            // Each worker has its own rate-limit table: no lock between workers.
            let rrl = cfg.rrl.as_ref().map(rrl::Rrl::new);
            let forward = forward.clone();
            let h = std::thread::Builder::new()
                .name(format!("udp-{}-{i}", b.addr))
                .spawn(move || udp::udp_worker(sock, &store, tap, rrl, &shutdown, forward))
                .map_err(NetError::Worker)?;
            threads.push(h);
        }
        listeners.push(tcp::Listener {
            addr: b.addr,
            sock: b.tcp,
            tls: false,
        });
    }
    let dot = dot.map(|d| {
        for (addr, sock) in d.listeners {
            listeners.push(tcp::Listener {
                addr,
                sock,
                tls: true,
            });
        }
        d.config
    });
    let shared = Arc::new(tcp::Shared {
        store: store.clone(),
        table,
        dot,
        taps: taps.clone(),
        shutdown: shutdown.clone(),
        forward,
        rt: tokio::runtime::Handle::current(),
        handed: handed.clone(),
        coalesce: cfg.tcp_coalesce,
    });
    let started = tcp::start(listeners, cfg.threads, shared).map_err(|(addr, e)| match addr {
        Some(addr) => NetError::Listen { addr, source: e },
        None => NetError::Worker(e),
    })?;
    loops.extend(started);
    Ok(())
}
