//! DNS over TLS (RFC 7858): our own accept loop in front of tokio-rustls, with the TLS
//! configuration hickory-server builds (`default_tls_server_config`, ALPN `dot`), and the
//! engine's wire answers written as they are. Replaces hickory-server 0.26's TLS listener,
//! which has no connection limit and, once the process is out of descriptors, retries its
//! failing `accept` at once forever (a core at 100%, measured); here connections go through
//! `accept::accept_loop` (the encrypted transports' connection table, back-off on accept
//! errors), and one idle (or slow in its handshake) longer than the table allows is closed.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::accept::accept_loop;
use super::handler::Engine;
use crate::net::conns::{Conn, Table};
use crate::net::keepalive;
use crate::net::tcp::{frame_len, frame_need};
use crate::query::Transport;

/// Largest DNS message.
const MAX_MSG: usize = 65535;
/// Bytes read from a connection at a time (a larger message reads what it still needs).
const IN_BUF: usize = 4096;

/// Accepts DoT connections on `listener` until `shutdown`.
pub(super) async fn serve_dot(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    engine: Arc<Engine>,
    table: Arc<Table>,
    shutdown: CancellationToken,
) {
    accept_loop(listener, table, "DoT", shutdown, |tcp, peer, slot| {
        connection(tcp, peer, acceptor.clone(), engine.clone(), slot)
    })
    .await;
}

/// One connection: the TLS handshake, then every complete message answered in order (RFC 7766
/// pipelining), the answers of one read written together, until the client closes, sends an
/// empty message, or stays idle longer than the table allows (shorter when it is busy).
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    engine: Arc<Engine>,
    slot: Arc<Conn>,
) {
    let _ = tcp.set_nodelay(true);
    let handshake = tokio::time::timeout(slot.idle_timeout(), acceptor.accept(tcp)).await;
    let Ok(Ok(mut tls)) = handshake else {
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
            let ka = keepalive::units(slot.idle_timeout());
            if let Some(a) = engine.respond(msg, peer, Transport::Dot, Some(ka)).await {
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
            slot.touch();
            let sent = tokio::time::timeout(slot.idle_timeout(), async {
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
        match tokio::time::timeout(slot.idle_timeout(), tls.read(&mut inb[filled..])).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => filled += n,
        }
    }
}
