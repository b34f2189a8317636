//! TCP (RFC 7766): accepting connections up to the configured limit, and serving
//! length-prefixed queries on each until EOF, idle timeout, a bad frame or shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::query::{self, RequestCtx, Transport};
use crate::store::Store;

/// Accepts connections until `shutdown`, then waits for the open ones to finish.
pub(super) async fn tcp_accept(
    listener: TcpListener,
    store: Arc<Store>,
    slots: Arc<Semaphore>,
    idle: Duration,
    shutdown: CancellationToken,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    tracing::debug!("tcp connection from {peer} refused: too many connections");
                    drop(stream);
                    continue;
                };
                let store = store.clone();
                let shutdown = shutdown.clone();
                conns.spawn(async move {
                    let _permit = permit;
                    tcp_conn(stream, peer, &store, idle, shutdown).await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    while conns.join_next().await.is_some() {}
}

/// Serves length-prefixed queries on one connection until EOF, idle timeout, a bad frame or
/// shutdown (RFC 7766).
async fn tcp_conn(
    mut stream: TcpStream,
    peer: SocketAddr,
    store: &Store,
    idle: Duration,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let ctx = RequestCtx {
        peer,
        transport: Transport::Tcp,
        access: store.access(),
    };
    let mut out = vec![0u8; 2 + 65535];
    let mut msg = vec![0u8; 65535];
    loop {
        let mut lenbuf = [0u8; 2];
        let read_len = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = tokio::time::timeout(idle, stream.read_exact(&mut lenbuf)) => r,
        };
        if !matches!(read_len, Ok(Ok(_))) {
            return;
        }
        let len = u16::from_be_bytes(lenbuf) as usize;
        if len == 0 {
            return;
        }
        match tokio::time::timeout(idle, stream.read_exact(&mut msg[..len])).await {
            Ok(Ok(_)) => {}
            _ => return, // truncated frame or stalled peer: close this connection only
        }
        let n = {
            let snap = store.snapshot();
            query::respond(&snap, &msg[..len], &mut out[2..], &ctx)
        };
        let Some(n) = n else { continue };
        out[..2].copy_from_slice(&(n as u16).to_be_bytes());
        match tokio::time::timeout(idle, stream.write_all(&out[..2 + n])).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}
