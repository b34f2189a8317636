//! TCP (RFC 7766): accepting connections into the connection table (`conns`: per-address cap,
//! eviction of the idlest, shorter idle timeouts when busy), backing off when the process is
//! out of file descriptors, and serving length-prefixed queries on each connection until EOF,
//! idle timeout, a bad frame, eviction or shutdown.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::conns::{Conn, Table};
use crate::metrics::{Tap, Taps};
use crate::query::{self, RequestCtx, Transport};
use crate::source::updater::{is_update, Reply, UpdateJob};
use crate::store::Store;

/// How long the accept loop pauses when the process or system is out of file descriptors.
const FD_BACKOFF: Duration = Duration::from_millis(100);
/// Largest TCP message (a query, or the answer with its length prefix).
const MAX_MSG: usize = 65535;

thread_local! {
    /// Where responses are written before they are copied into the connection's own buffer
    /// (sized to the answer): one 64 KiB buffer per runtime thread instead of per connection.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0u8; MAX_MSG]);
}

/// Accepts connections until `shutdown`, then waits for the open ones to finish.
pub(super) async fn tcp_accept(
    listener: TcpListener,
    store: Arc<Store>,
    table: Arc<Table>,
    taps: Taps,
    shutdown: CancellationToken,
) {
    let mut conns = tokio::task::JoinSet::new();
    let mut fd_warned = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        if out_of_fds(&e) {
                            // The listener stays readable while connections wait: retrying at
                            // once would spin. Pause; closing connections frees descriptors.
                            if !fd_warned {
                                tracing::warn!("failed to accept a tcp connection: {e}; pausing accepts for {} ms at a time until descriptors are free", FD_BACKOFF.as_millis());
                                fd_warned = true;
                            }
                            tokio::select! {
                                _ = shutdown.cancelled() => break,
                                _ = tokio::time::sleep(FD_BACKOFF) => {}
                            }
                        }
                        continue;
                    }
                };
                if fd_warned {
                    tracing::info!("accepting tcp connections again");
                    fd_warned = false;
                }
                let (conn, evicted) = table.admit(peer, &shutdown);
                if let Some(ip) = evicted {
                    tracing::debug!("tcp connection from {peer}: closed the idlest connection (of {ip}) to make room");
                }
                let store = store.clone();
                let tap = taps.tap(false);
                conns.spawn(async move {
                    tcp_conn(stream, peer, &store, conn, tap).await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    while conns.join_next().await.is_some() {}
}

/// Is this accept error a lack of descriptors or memory (a condition that retrying at once
/// cannot fix)?
fn out_of_fds(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Serves length-prefixed queries on one connection until EOF, idle timeout, a bad frame,
/// eviction or shutdown (RFC 7766). Buffers grow with the largest message seen.
async fn tcp_conn(
    mut stream: TcpStream,
    peer: SocketAddr,
    store: &Store,
    conn: Arc<Conn>,
    mut tap: Tap,
) {
    let _ = stream.set_nodelay(true);
    let ctx = RequestCtx {
        peer,
        transport: Transport::Tcp,
        access: store.access(),
    };
    let mut msg: Vec<u8> = Vec::new();
    let mut out: Vec<u8> = Vec::new();
    loop {
        let mut lenbuf = [0u8; 2];
        let idle = conn.idle_timeout();
        let read_len = tokio::select! {
            _ = conn.stop.cancelled() => return,
            r = tokio::time::timeout(idle, stream.read_exact(&mut lenbuf)) => r,
        };
        if !matches!(read_len, Ok(Ok(_))) {
            return;
        }
        let len = u16::from_be_bytes(lenbuf) as usize;
        if len == 0 {
            return;
        }
        msg.resize(len, 0);
        let read = tokio::select! {
            _ = conn.stop.cancelled() => return,
            r = tokio::time::timeout(idle, stream.read_exact(&mut msg[..len])) => r,
        };
        if !matches!(read, Ok(Ok(_))) {
            return; // truncated frame or stalled peer: close this connection only
        }
        conn.touch();
        if crate::xfr::is_transfer(&msg[..len]) {
            // AXFR/IXFR: streamed in many messages by the transfer module.
            let sent = tokio::select! {
                _ = conn.stop.cancelled() => return,
                r = crate::xfr::serve(&mut stream, &msg[..len], peer, store) => r,
            };
            if sent.is_err() {
                return;
            }
            conn.touch();
            continue;
        }
        if let (Some(u), true) = (store.updater(), is_update(&msg[..len])) {
            // A dynamic update: answered by the reload task.
            let (tx, rx) = tokio::sync::oneshot::channel();
            u.hand_off(UpdateJob {
                packet: msg[..len].to_vec(),
                peer,
                reply: Reply::Tcp(tx),
            });
            let Ok(resp) = rx.await else { return };
            out.clear();
            out.extend_from_slice(&(resp.len() as u16).to_be_bytes());
            out.extend_from_slice(&resp);
        } else {
            let answered = SCRATCH.with(|s| {
                let mut s = s.borrow_mut();
                let snap = store.snapshot();
                tap.batch_start(&snap);
                let a = query::respond_ext(&snap, &msg[..len], &mut s[..], &ctx);
                if let Some(a) = a {
                    tap.packet(&ctx, &msg[..len], &s[..a.len], a);
                }
                tap.batch_end(a.is_some() as usize);
                let n = query::answer_signed(
                    &snap,
                    &msg[..len],
                    &mut s[..],
                    a?.len,
                    &ctx,
                    &store.xfr().keys,
                );
                out.clear();
                out.extend_from_slice(&(n as u16).to_be_bytes());
                out.extend_from_slice(&s[..n]);
                Some(())
            });
            if answered.is_none() {
                continue;
            }
        }
        let wrote = tokio::select! {
            _ = conn.stop.cancelled() => return,
            r = tokio::time::timeout(idle, stream.write_all(&out)) => r,
        };
        if !matches!(wrote, Ok(Ok(()))) {
            return;
        }
        conn.touch();
        if out.capacity() > 4096 {
            // A rare large answer: do not keep 64 KiB per connection for it.
            out = Vec::new();
        }
        if msg.capacity() > 4096 {
            msg = Vec::new();
        }
    }
}
