//! DNS over TLS (RFC 7858): our own accept loop in front of tokio-rustls, with the TLS
//! configuration hickory-server builds (`default_tls_server_config`, ALPN `dot`), and the
//! engine's wire answers written as they are. Replaces hickory-server 0.26's TLS listener,
//! which has no connection limit and, once the process is out of descriptors, retries its
//! failing `accept` at once forever (a core at 100%, measured); here a listener holds at most
//! `--tcp-clients` connections, backs off on accept errors, and closes a connection that
//! stays idle (or slow in its handshake) longer than the TCP idle timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::doh::Limits;
use super::handler::Engine;
use crate::net::tcp::{frame_len, frame_need};
use crate::query::Transport;

/// Largest DNS message.
const MAX_MSG: usize = 65535;
/// Bytes read from a connection at a time (a larger message reads what it still needs).
const IN_BUF: usize = 4096;
/// How long accepts pause after an error (out of descriptors: retrying at once would spin).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts DoT connections on `listener` until `shutdown`.
pub(super) async fn serve_dot(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    engine: Arc<Engine>,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let mut conns = tokio::task::JoinSet::new();
    let (mut refused, mut failed) = (0u64, 0u64);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    failed += 1;
                    if failed.is_power_of_two() {
                        tracing::warn!("failed to accept a DoT connection: {e}; pausing accepts for {} ms ({failed} so far)", ACCEPT_BACKOFF.as_millis());
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            },
        };
        while conns.try_join_next().is_some() {}
        if conns.len() >= limits.max_conns {
            drop(tcp);
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    "DoT connection from {peer} closed: {} connections open (--tcp-clients); {refused} closed so far",
                    limits.max_conns
                );
            }
            continue;
        }
        let (acceptor, engine, shutdown) = (acceptor.clone(), engine.clone(), shutdown.clone());
        let idle = limits.idle;
        conns.spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = connection(tcp, peer, acceptor, engine, idle) => {}
            }
        });
    }
    conns.shutdown().await;
}

/// One connection: the TLS handshake, then every complete message answered in order (RFC 7766
/// pipelining), the answers of one read written together, until the client closes, sends an
/// empty message, or stays idle `idle`.
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    engine: Arc<Engine>,
    idle: Duration,
) {
    let _ = tcp.set_nodelay(true);
    let Ok(Ok(mut tls)) = tokio::time::timeout(idle, acceptor.accept(tcp)).await else {
        return;
    };
    let mut inb = vec![0u8; IN_BUF];
    let mut filled = 0;
    let mut out = Vec::new();
    loop {
        let mut pos = 0;
        while let Some(len) = frame_len(&inb[pos..filled]) {
            if len == 0 {
                return; // an empty message is no DNS message: close
            }
            let msg = &inb[pos + 2..pos + 2 + len];
            if let Some(a) = engine.respond(msg, peer, Transport::Dot).await {
                if a.len() <= MAX_MSG {
                    out.extend_from_slice(&(a.len() as u16).to_be_bytes());
                    out.extend_from_slice(&a);
                }
            }
            pos += 2 + len;
        }
        inb.copy_within(pos..filled, 0);
        filled -= pos;
        if !out.is_empty() {
            let sent = tokio::time::timeout(idle, async {
                tls.write_all(&out).await?;
                tls.flush().await
            })
            .await;
            if !matches!(sent, Ok(Ok(()))) {
                return;
            }
            out.clear();
            if out.capacity() > 4 * IN_BUF {
                out = Vec::new();
            }
        }
        // Room for the message in progress.
        let need = frame_need(&inb[..filled]).max(IN_BUF);
        if need > inb.len() || (inb.len() > IN_BUF && need == IN_BUF) {
            inb.resize(need, 0);
            inb.shrink_to(need);
        }
        match tokio::time::timeout(idle, tls.read(&mut inb[filled..])).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => filled += n,
        }
    }
}
