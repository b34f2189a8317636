//! Connections the event loop handed over, served on tokio: a message that needs async work
//! (a zone transfer streamed by `xfr::serve`, an UPDATE or NOTIFY answered by the task that
//! owns zone changes, a name forwarded upstream) is awaited in order with the other answers,
//! and the connection stays here until EOF, idle timeout, a bad frame, eviction or shutdown.
//! The idle timer and eviction wait are armed once per connection (`Watch`).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_util::sync::WaitForCancellationFuture;

use super::{frame_len, frame_need, keepalive, Answering, MAX_MSG};
use crate::metrics::Tap;
use crate::net::conns::Conn;
use crate::net::forward::Forwarder;
use crate::query::{self, RequestCtx, Route, Transport};
use crate::source::notify_in::NotifyJob;
use crate::source::updater::{Reply, UpdateJob};
use crate::store::Store;

thread_local! {
    /// Where responses are written before they are appended to the connection's batch of
    /// answers: one 64 KiB buffer per runtime thread instead of per connection.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0u8; MAX_MSG]);
}

/// A connection the event loop hands over.
pub(super) struct Handoff {
    /// The socket (non-blocking), no longer in the loop's epoll set.
    pub(super) stream: std::net::TcpStream,
    /// DoT: the TLS session on it (then `out` and `inb` are plaintext).
    pub(super) tls: Option<Box<rustls::ServerConnection>>,
    pub(super) peer: SocketAddr,
    /// Its slot in the connection table.
    pub(super) conn: Arc<Conn>,
    /// Answers to earlier messages, not sent yet: they go first.
    pub(super) out: Vec<u8>,
    /// Bytes read but not answered, from the message that needs this path on.
    pub(super) inb: Vec<u8>,
}

/// Serves a handed-over connection: first its pending answers, then its buffered messages,
/// then whatever it sends, until EOF, idle timeout, a bad frame, eviction or shutdown
/// (RFC 7766). Each wakeup reads whatever arrived with one `read`, answers every complete
/// frame in it (pipelined queries in order) and sends the batch of answers with one `write`.
pub(super) async fn serve(h: Handoff, store: Arc<Store>, tap: Tap, forward: Option<Forwarder>) {
    let Ok(stream) = TcpStream::from_std(h.stream) else {
        return;
    };
    let mut at = Stream {
        peer: h.peer,
        conn: h.conn,
        transport: Transport::Tcp,
    };
    match h.tls {
        None => serve_stream(stream, at, h.out, h.inb, store, tap, forward).await,
        Some(tls) => {
            at.transport = Transport::Dot;
            let session = crate::net::tls::Session::new(stream, tls);
            serve_stream(session, at, h.out, h.inb, store, tap, forward).await;
        }
    }
}

/// Which connection a stream is, for `serve_stream`.
struct Stream {
    peer: SocketAddr,
    /// Its slot in its connection table (activity, idle timeout, eviction).
    conn: Arc<Conn>,
    /// TCP, or DoT (the same messages inside TLS, RFC 7858).
    transport: Transport,
}

/// Serves DNS messages on a stream (a TCP socket, or a TLS session on one) as `serve`
/// describes, starting with the answers in `out` and the bytes in `buffered`.
async fn serve_stream<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    at: Stream,
    mut out: Vec<u8>,
    mut buffered: Vec<u8>,
    store: Arc<Store>,
    mut tap: Tap,
    forward: Option<Forwarder>,
) {
    let Stream {
        peer,
        conn,
        transport,
    } = at;
    let store = &*store;
    let forward = forward.as_ref();
    let mut filled = buffered.len();
    let need = frame_need(&buffered).max(filled + IN_BUF);
    buffered.resize(need, 0);
    let mut inb = buffered;
    let mut w = Watch::new(&conn);
    loop {
        // The access tables of this batch (a reload may replace them between batches).
        let access = store.access_full();
        let ctx = RequestCtx {
            peer,
            transport,
            access: &access,
        };
        let mut pos = 0;
        while let Some(len) = frame_len(&inb[pos..filled]) {
            if len == 0 {
                return; // an empty message is no DNS message: close
            }
            let msg = &inb[pos + 2..pos + 2 + len];
            let route = query::route(msg, true);
            let handoff = match route {
                Route::Update => store.updater().map(|u| {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    u.hand_off(UpdateJob {
                        packet: msg.to_vec(),
                        peer,
                        reply: Reply::Tcp(tx),
                    });
                    rx
                }),
                Route::Notify => store.notify_in().map(|n| {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    n.hand_off(NotifyJob {
                        packet: msg.to_vec(),
                        peer,
                        reply: Reply::Tcp(tx),
                    });
                    rx
                }),
                Route::Query | Route::Transfer => None,
            };
            if route == Route::Transfer {
                // AXFR/IXFR: the answers so far go first, then the transfer module streams
                // its messages on this connection.
                if !out.is_empty() {
                    if !w.write_all(&mut stream, &out).await {
                        return;
                    }
                    out.clear();
                }
                let sent = tokio::select! {
                    _ = conn.stop.cancelled() => return,
                    r = async {
                        crate::xfr::serve(&mut stream, msg, peer, store).await?;
                        stream.flush().await
                    } => r,
                };
                if sent.is_err() {
                    return;
                }
                w.touch();
            } else if let Some(rx) = handoff {
                // An update or a NOTIFY: answered by the task that owns zone changes, in
                // order with the other answers.
                let Ok(resp) = rx.await else { return };
                out.extend_from_slice(&(resp.len() as u16).to_be_bytes());
                out.extend_from_slice(&resp);
            } else if let Some(at) = answer_here(
                store,
                &ctx,
                &mut tap,
                msg,
                &mut out,
                &conn,
                forward.is_some(),
            ) {
                // An outside name to forward: awaited here, in order with the other answers;
                // other connections go on meanwhile. `out[at..]` is the SERVFAIL kept in case
                // the forwarder fails.
                let Some(f) = forward else { return };
                let resp = tokio::select! {
                    _ = conn.stop.cancelled() => return,
                    r = f.ask(msg) => r,
                };
                if let Some(r) = resp.filter(|r| r.len() <= MAX_MSG) {
                    out.truncate(at);
                    out.extend_from_slice(&(r.len() as u16).to_be_bytes());
                    out.extend_from_slice(&r);
                }
            }
            pos += 2 + len;
        }
        inb.copy_within(pos..filled, 0);
        filled -= pos;
        // Room for the frame in progress: its announced length, or at least IN_BUF.
        let need = frame_need(&inb[..filled]).max(IN_BUF);
        if need > inb.len() || (inb.len() > IN_BUF && need == IN_BUF) {
            inb.resize(need, 0);
            inb.shrink_to(need);
        }
        if pos > 0 {
            w.touch(); // a complete message: a trickled one is no activity
        }
        if !out.is_empty() {
            if !w.write_all(&mut stream, &out).await {
                return;
            }
            out.clear();
            if out.capacity() > OUT_KEEP {
                out = Vec::new(); // a rare large batch: do not keep its buffer per connection
            }
            w.touch();
        }
        let Some(n) = w.read(&mut stream, &mut inb[filled..]).await else {
            return;
        };
        filled += n;
    }
}

/// `Answering::framed` from the current snapshot, with this runtime thread's scratch buffer;
/// where the fallback SERVFAIL starts in `out` when the query is to be forwarded.
fn answer_here(
    store: &Store,
    ctx: &RequestCtx,
    tap: &mut Tap,
    msg: &[u8],
    out: &mut Vec<u8>,
    conn: &Conn,
    forward: bool,
) -> Option<usize> {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let snap = store.snapshot();
        tap.batch_start(&snap);
        let units = keepalive::units(conn.idle_timeout());
        let before = out.len();
        let answering = Answering {
            snap: &snap,
            store,
            tap,
            forward,
            keepalive: Some(units),
        };
        let fwd = answering.framed(ctx, msg, &mut s[..], out);
        tap.batch_end(usize::from(fwd.is_none() && out.len() > before));
        fwd
    })
}

/// What a connection waits on besides its socket: its eviction (or shutdown) and its idle
/// deadline. Both are registered once per connection; activity only records an `Instant`, and
/// when the timer fires it is set again from the last activity.
pub(super) struct Watch<'c> {
    conn: &'c Conn,
    stopped: Pin<Box<WaitForCancellationFuture<'c>>>,
    idle: Pin<Box<Sleep>>,
    active: Instant,
}

impl<'c> Watch<'c> {
    fn new(conn: &'c Conn) -> Watch<'c> {
        Watch {
            conn,
            stopped: Box::pin(conn.stop.cancelled()),
            idle: Box::pin(tokio::time::sleep(conn.idle_timeout())),
            active: Instant::now(),
        }
    }

    /// Marks the connection active now.
    pub(super) fn touch(&mut self) {
        self.active = Instant::now();
        self.conn.touch();
    }

    /// The idle timer fired: when there was activity since it was set, sets it again from the
    /// last activity and returns true; false when the connection has been idle too long.
    fn rearm(&mut self) -> bool {
        let deadline = self.active + self.conn.idle_timeout();
        if deadline <= Instant::now() {
            return false;
        }
        self.idle.as_mut().reset(deadline.into());
        true
    }

    /// One `read` into `buf`; `None` when the connection is to close (EOF, error, idle,
    /// evicted).
    async fn read<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        buf: &mut [u8],
    ) -> Option<usize> {
        match self.guard(stream.read(buf)).await {
            Some(Ok(n)) if n > 0 => Some(n),
            _ => None,
        }
    }

    /// Writes all of `bytes` and flushes them (a TLS session's last record); false when the
    /// connection is to close. A peer that stops reading its answers is idle too.
    pub(super) async fn write_all<S: AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        bytes: &[u8],
    ) -> bool {
        let mut written = 0;
        while written < bytes.len() {
            match self.guard(stream.write(&bytes[written..])).await {
                Some(Ok(n)) if n > 0 => written += n,
                _ => return false,
            }
        }
        matches!(self.guard(stream.flush()).await, Some(Ok(())))
    }

    /// `io` to its end, unless the connection is evicted (or shut down) or stays idle too long
    /// meanwhile (`None`).
    async fn guard<T>(&mut self, io: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::pin!(io);
        loop {
            tokio::select! {
                biased;
                _ = &mut self.stopped => return None,
                r = &mut io => return Some(r),
                _ = &mut self.idle => {
                    if !self.rearm() {
                        return None;
                    }
                }
            }
        }
    }
}

/// Initial (and usual) size of a connection's read buffer: many pipelined queries fit.
const IN_BUF: usize = 2048;
/// A connection's output buffer is released after a write larger than this.
const OUT_KEEP: usize = 16 * 1024;
