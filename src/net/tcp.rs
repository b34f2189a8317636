//! TCP (RFC 7766): accepting connections into the connection table (`conns`: per-address cap,
//! eviction of the idlest, shorter idle timeouts when busy), backing off when the process is
//! out of file descriptors, and serving length-prefixed queries on each connection until EOF,
//! idle timeout, a bad frame, eviction or shutdown: pipelined queries answered in batches (one
//! read, one write), the idle timer and eviction wait armed once per connection (`Watch`), the
//! EDNS keepalive option answered (`keepalive`).

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;
use tokio_util::sync::WaitForCancellationFuture;

use super::conns::{Conn, Table};
use super::forward::Forwarder;
use super::keepalive;
use crate::metrics::{Tap, Taps};
use crate::query::{self, RequestCtx, Route, Transport};
use crate::source::notify_in::NotifyJob;
use crate::source::updater::{Reply, UpdateJob};
use crate::store::Store;

/// How long the accept loop pauses when the process or system is out of file descriptors.
const FD_BACKOFF: Duration = Duration::from_millis(100);
/// Largest TCP message (a query, or the answer with its length prefix).
const MAX_MSG: usize = 65535;

thread_local! {
    /// Where responses are written before they are appended to the connection's batch of
    /// answers: one 64 KiB buffer per runtime thread instead of per connection.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0u8; MAX_MSG]);
}

/// Accepts connections until `shutdown`, then waits for the open ones to finish.
pub(super) async fn tcp_accept(
    listener: TcpListener,
    store: Arc<Store>,
    table: Arc<Table>,
    taps: Taps,
    shutdown: CancellationToken,
    forward: Option<Forwarder>,
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
                let forward = forward.clone();
                conns.spawn(async move {
                    tcp_conn(stream, peer, &store, conn, tap, forward.as_ref()).await;
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
/// eviction or shutdown (RFC 7766). Each wakeup reads whatever arrived with one `read`,
/// answers every complete frame in it (pipelined queries in order) and sends the batch of
/// answers with one `write`.
async fn tcp_conn(
    mut stream: TcpStream,
    peer: SocketAddr,
    store: &Store,
    conn: Arc<Conn>,
    mut tap: Tap,
    forward: Option<&Forwarder>,
) {
    let _ = stream.set_nodelay(true);
    let mut inb: Vec<u8> = vec![0; IN_BUF];
    let mut filled = 0;
    let mut out: Vec<u8> = Vec::new();
    let mut w = Watch::new(&conn);
    loop {
        let Some(n) = w.read(&mut stream, &mut inb[filled..]).await else {
            return;
        };
        filled += n;
        // The access tables of this batch (a reload may replace them between batches).
        let access = store.access_full();
        let ctx = RequestCtx {
            peer,
            transport: Transport::Tcp,
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
                    r = crate::xfr::serve(&mut stream, msg, peer, store) => r,
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
            } else if answer(
                store,
                &ctx,
                &mut tap,
                msg,
                &mut out,
                conn.idle_timeout(),
                forward,
            ) {
                // An outside name to forward: awaited here, in order with the other answers;
                // other connections go on meanwhile.
                let Some(f) = forward else { return };
                let resp = tokio::select! {
                    _ = conn.stop.cancelled() => return,
                    r = f.ask(msg) => r,
                };
                match resp {
                    Some(r) if r.len() <= MAX_MSG => {
                        out.extend_from_slice(&(r.len() as u16).to_be_bytes());
                        out.extend_from_slice(&r);
                    }
                    _ => servfail(msg, &mut out),
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
        w.touch();
        if out.is_empty() {
            continue;
        }
        if !w.write_all(&mut stream, &out).await {
            return;
        }
        out.clear();
        if out.capacity() > OUT_KEEP {
            out = Vec::new(); // a rare large batch: do not keep its buffer per connection
        }
        w.touch();
    }
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
    async fn read(&mut self, stream: &mut TcpStream, buf: &mut [u8]) -> Option<usize> {
        loop {
            tokio::select! {
                biased;
                _ = &mut self.stopped => return None,
                r = stream.read(buf) => return match r {
                    Ok(0) | Err(_) => None,
                    Ok(n) => Some(n),
                },
                _ = &mut self.idle => {
                    if !self.rearm() {
                        return None;
                    }
                }
            }
        }
    }

    /// Writes all of `bytes`; false when the connection is to close. A peer that stops
    /// reading its answers is idle too.
    pub(super) async fn write_all(&mut self, stream: &mut TcpStream, bytes: &[u8]) -> bool {
        let mut written = 0;
        while written < bytes.len() {
            tokio::select! {
                biased;
                _ = &mut self.stopped => return false,
                r = stream.write(&bytes[written..]) => match r {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => written += n,
                },
                _ = &mut self.idle => {
                    if !self.rearm() {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Initial (and usual) size of a connection's read buffer: many pipelined queries fit.
const IN_BUF: usize = 2048;
/// A connection's output buffer is released after a write larger than this.
const OUT_KEEP: usize = 16 * 1024;

/// The length of the first frame in `buf` when it has arrived completely.
#[inline]
fn frame_len(buf: &[u8]) -> Option<usize> {
    let len = u16::from_be_bytes([*buf.first()?, *buf.get(1)?]) as usize;
    (buf.len() >= 2 + len).then_some(len)
}

/// Bytes the (incomplete) frame at the start of `buf` needs in all.
fn frame_need(buf: &[u8]) -> usize {
    match buf {
        [a, b, ..] => 2 + u16::from_be_bytes([*a, *b]) as usize,
        _ => 2,
    }
}

/// Answers one query into `out` with its length prefix (nothing when it deserves no answer),
/// counting it in `tap`. Adds the keepalive option (RFC 7828) when the query asked for it.
/// Returns true, writing nothing, when the query is to be forwarded (there is a `forward`er,
/// our answer would be REFUSED and `query::forwardable` agrees).
#[allow(clippy::too_many_arguments)] // one call site
fn answer(
    store: &Store,
    ctx: &RequestCtx,
    tap: &mut Tap,
    msg: &[u8],
    out: &mut Vec<u8>,
    idle: Duration,
    forward: Option<&Forwarder>,
) -> bool {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let snap = store.snapshot();
        tap.batch_start(&snap);
        let Some(mut a) =
            query::respond_ext(&snap, msg, &mut s[..MAX_MSG - keepalive::REPLY_LEN], ctx)
        else {
            tap.batch_end(0);
            return false;
        };
        if forward.is_some()
            && store.forwarding()
            && a.len > 3
            && s[3] & 0x0f == REFUSED
            && query::forwardable(&snap, msg, ctx)
        {
            tap.batch_end(0);
            return true;
        }
        // A TSIG-signed query with a key we know: answered and signed instead of NOTAUTH.
        a.len = query::answer_signed(&snap, msg, &mut s[..], a.len, ctx, &store.xfr().keys);
        if keepalive::asks(msg) {
            a.len = keepalive::append(&mut s[..], a.len, keepalive::units(idle));
        }
        tap.packet(ctx, msg, &s[..a.len], a);
        tap.batch_end(1);
        out.extend_from_slice(&(a.len as u16).to_be_bytes());
        out.extend_from_slice(&s[..a.len]);
        false
    })
}

/// RCODE REFUSED, in the low bits of the fourth header byte.
const REFUSED: u8 = 5;

/// A SERVFAIL for `msg` (a forwarded query the forwarder could not answer) into `out`: its
/// header and question with QR set and no other sections; nothing if it is not a query.
fn servfail(msg: &[u8], out: &mut Vec<u8>) {
    let Ok(q) = crate::dns::wire::parse_query(msg) else {
        return;
    };
    let len = q.question.len();
    if len < 12 {
        return;
    }
    out.extend_from_slice(&(len as u16).to_be_bytes());
    let at = out.len();
    out.extend_from_slice(q.question);
    out[at + 2] |= 0x80; // QR
    out[at + 3] = (out[at + 3] & 0x10) | 0x80 | 2; // CD kept, RA, SERVFAIL
    out[at + 4..at + 12].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_cut_only_when_complete() {
        assert_eq!(frame_len(&[]), None);
        assert_eq!(frame_len(&[0]), None);
        assert_eq!(frame_len(&[0, 3, 1, 2]), None);
        assert_eq!(frame_len(&[0, 3, 1, 2, 3, 0, 1]), Some(3));
        assert_eq!(frame_len(&[0, 0]), Some(0));
        assert_eq!(frame_need(&[1]), 2);
        assert_eq!(frame_need(&[1, 0, 9]), 258);
    }
}
