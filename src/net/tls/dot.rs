//! DNS over TLS (RFC 7858): our own accept loop in front of tokio-rustls, with the TLS
//! configuration hickory-server builds (`default_tls_server_config`, ALPN `dot`); each session
//! is served by TCP's tokio path, the same messages as TCP inside TLS. Replaces hickory-server
//! 0.26's TLS listener, which has no connection limit and, once the process is out of
//! descriptors, retries its failing `accept` at once forever (a core at 100%, measured); here
//! connections go through `accept::accept_loop` (the encrypted transports' connection table,
//! back-off on accept errors), and one idle (or slow in its handshake) longer than the table
//! allows is closed.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::accept::accept_loop;
use super::handler::Engine;
use crate::metrics::Proto;
use crate::net::conns::{Conn, Table};
use crate::net::tcp::{serve_stream, Stream};
use crate::query::Transport;

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

/// One connection: the TLS handshake, then the session served as a TCP connection is on the
/// tokio path (`tcp::serve_stream`: pipelined messages answered in order, TSIG, the EDNS
/// keepalive option, forwarding, UPDATE, NOTIFY and zone transfers over TLS, RFC 9103),
/// until the client closes, stays idle longer than the table allows, or is evicted.
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    engine: Arc<Engine>,
    slot: Arc<Conn>,
) {
    let _ = tcp.set_nodelay(true);
    let handshake = tokio::time::timeout(slot.idle_timeout(), acceptor.accept(tcp)).await;
    let Ok(Ok(tls)) = handshake else {
        return;
    };
    let (store, tap, forward) = engine.for_stream(Proto::Dot);
    let at = Stream {
        peer,
        conn: slot,
        transport: Transport::Dot,
    };
    serve_stream(tls, at, Vec::new(), Vec::new(), store, tap, forward).await;
}
