//! The accept loop of the DoT and DoH listeners: every connection takes a slot in the
//! encrypted transports' connection table (`conns::Table`, as TCP's: a per-address cap, and
//! when full the connection idle longest is closed to make room, RFC 7766 section 6.2.3);
//! accept errors (out of descriptors) pause accepts instead of being retried at once; a
//! connection's task ends when it is evicted or at shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::net::conns::{Conn, Table};

/// How long accepts pause after an error (retrying at once would spin while it lasts).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts connections on `listener` until `shutdown`, each served by `serve` on its own task
/// with its slot (`Conn::touch` marks activity, `Conn::idle_timeout` is the wait allowed).
pub(super) async fn accept_loop<F, Fut>(
    listener: TcpListener,
    table: Arc<Table>,
    what: &'static str,
    shutdown: CancellationToken,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr, Arc<Conn>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut conns = tokio::task::JoinSet::new();
    let (mut failed, mut evictions) = (0u64, 0u64);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    failed += 1;
                    if failed.is_power_of_two() {
                        tracing::warn!("failed to accept a {what} connection: {e}; pausing accepts for {} ms ({failed} so far)", ACCEPT_BACKOFF.as_millis());
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            },
        };
        let (slot, evicted) = table.admit(peer, &shutdown, None);
        if let Some(ip) = evicted {
            evictions += 1;
            if evictions.is_power_of_two() {
                tracing::warn!("{what} connection from {peer}: closed the idlest connection (of {ip}) to make room (--tcp-clients, --tcp-clients-per-ip); {evictions} so far");
            }
        }
        let stop = slot.stop.clone();
        let fut = serve(tcp, peer, slot);
        conns.spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = fut => {}
            }
        });
    }
    conns.shutdown().await;
}
