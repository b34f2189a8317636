//! One TCP event loop: a plain thread with its own level-triggered epoll set holding every
//! listener, TCP's and DoT's (EPOLLEXCLUSIVE: one loop is woken per new connection), its
//! connections and its `Wake`. Per wake-up, one zone snapshot: each readable connection gets
//! one `recv` (a DoT one's decrypted by its rustls session), and every complete frame in it is
//! answered in order (RFC 7766 pipelining) into one arena (a DoT connection's answers
//! encrypted there as one run of records); once every ready connection has been read, each
//! connection's answers go out with one `send`, back to back. A short write keeps the rest and
//! waits for EPOLLOUT without reading that connection meanwhile. A message that needs async
//! work hands the connection over to the tokio path (`handoff`, with its TLS session). Idle
//! timeouts, evictions and shutdown are checked every `SWEEP_MS`, on the epoll timeout; an
//! eviction or shutdown also wakes the loop at once. Under concurrent load a loop sleeps a
//! while before it collects the next batch (`gather`).

mod accept;
mod gather;
mod send;
mod tls;

use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Instant;

use super::epoll::{self, Epoll, Events, Wake, EXCLUSIVE, HUP_ERR, IN, OUT};
use super::handoff::{self, Handoff};
use super::{frame_len, frame_need, Answering, Listener, Shared, MAX_MSG};
use crate::metrics::Tap;
use crate::net::conns;
use crate::net::keepalive;
use crate::query::{self, acl::Access, RequestCtx, Route, Transport};
use crate::store::ZoneSet;
use tls::{decrypt, seal};

/// Bytes read from a connection per wake-up (more waits in the kernel and is reported again):
/// what bounds a batch's answers per connection. A larger frame in progress reads up to what
/// it still needs.
const IN_READ: usize = 4096;
/// Ready descriptors taken per `epoll_wait`.
const EVENTS: usize = 256;
/// How often idle connections, evictions and shutdown are looked for.
const SWEEP_MS: u64 = 100;
/// The longest wait with no connection open (shutdown also wakes the loop at once).
const IDLE_WAIT_MS: u64 = 1000;
/// Connections accepted per listener wake-up, at most.
const ACCEPT_BATCH: usize = 32;
/// The batch's answers are sent early once the arena holds this much.
const ARENA_FLUSH: usize = 1 << 20;
/// The arena's memory is released down to this after a larger batch.
const ARENA_KEEP: usize = 256 * 1024;
/// A connection's buffer of an incomplete frame is released down to this.
const PARTIAL_KEEP: usize = 16 * 1024;
/// How long accepts pause when the process is out of descriptors.
const FD_BACKOFF_MS: u64 = 100;

/// Epoll tokens: the kind in the top two bits; a connection's slot index in the low 32 and
/// the slot's generation (so a stale event for a reused slot is ignored) in between.
const KIND_CONN: u64 = 0;
const KIND_LISTEN: u64 = 1;
const KIND_WAKE: u64 = 2;
const GEN_MASK: u32 = (1 << 30) - 1;

fn conn_token(idx: usize, gen: u32) -> u64 {
    (KIND_CONN << 62) | (u64::from(gen & GEN_MASK) << 32) | idx as u64
}

/// (kind, generation, index) of a token.
fn untoken(t: u64) -> (u64, u32, usize) {
    (
        t >> 62,
        (t >> 32) as u32 & GEN_MASK,
        (t & 0xffff_ffff) as usize,
    )
}

/// One open connection of this loop.
struct Conn {
    sock: TcpStream,
    fd: RawFd,
    peer: SocketAddr,
    /// Its slot in the connection table.
    slot: Arc<conns::Conn>,
    /// The start of a frame not complete yet.
    partial: Vec<u8>,
    /// Answers the socket did not take yet (waiting for EPOLLOUT; nothing is read meanwhile).
    pending: Vec<u8>,
    /// Close once `pending` is sent (an empty message came).
    closing: bool,
    /// DoT: the TLS session (then `partial` holds plaintext and `pending` ciphertext).
    tls: Option<Box<rustls::ServerConnection>>,
}

struct Slot {
    gen: u32,
    conn: Option<Conn>,
}

/// One connection's answers of this batch, in `arena[start..end]`.
struct Write {
    idx: usize,
    gen: u32,
    start: usize,
    end: usize,
    close: bool,
}

/// What reading a connection came to.
enum Outcome {
    Keep,
    Close,
    /// Hand over to tokio: its answers so far start at `arena[start..]`, `inb` holds the
    /// message that needs it and everything after.
    Handoff {
        start: usize,
        inb: Vec<u8>,
    },
}

#[derive(PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

pub(super) struct Loop {
    shared: Arc<Shared>,
    listeners: Arc<[Listener]>,
    epoll: Epoll,
    wake: Arc<Wake>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    open: usize,
    rbuf: Vec<u8>,
    scratch: Vec<u8>,
    arena: Vec<u8>,
    writes: Vec<Write>,
    tap: Tap,
    /// DoT's (a shard of its own; `None` without DoT).
    dot_tap: Option<Tap>,
    /// Answers counted in this batch: TCP's, DoT's.
    answered: [usize; 2],
    /// A DoT handshake message was queued: send the batch so far at once (a burst of new
    /// sessions would otherwise each wait for all the others' handshakes).
    handshook: bool,
    now_ms: u64,
    next_sweep: u64,
    /// Listeners are out of the epoll set until then (out of descriptors).
    paused_until: Option<u64>,
    fd_warned: bool,
    gather: gather::Gather,
}

type SetupError = (Option<SocketAddr>, std::io::Error);

impl Loop {
    pub(super) fn new(shared: Arc<Shared>, listeners: Arc<[Listener]>) -> Result<Loop, SetupError> {
        let epoll = Epoll::new().map_err(|e| (None, e))?;
        let wake = Arc::new(Wake::new().map_err(|e| (None, e))?);
        epoll
            .add(wake.fd(), IN, KIND_WAKE << 62)
            .map_err(|e| (None, e))?;
        for (i, l) in listeners.iter().enumerate() {
            epoll
                .add(l.sock.as_raw_fd(), IN | EXCLUSIVE, listen_token(i))
                .map_err(|e| (Some(l.addr), e))?;
        }
        let tap = shared.taps.own_tap(crate::metrics::Proto::Tcp);
        let dot_tap = shared
            .dot
            .as_ref()
            .map(|_| shared.taps.own_tap(crate::metrics::Proto::Dot));
        let coalesce = shared.coalesce;
        Ok(Loop {
            shared,
            listeners,
            epoll,
            wake,
            slots: Vec::new(),
            free: Vec::new(),
            open: 0,
            rbuf: vec![0; MAX_MSG + 2],
            scratch: vec![0; MAX_MSG],
            arena: Vec::new(),
            writes: Vec::new(),
            tap,
            dot_tap,
            answered: [0; 2],
            handshook: false,
            now_ms: 0,
            next_sweep: 0,
            paused_until: None,
            fd_warned: false,
            gather: gather::Gather::new(coalesce),
        })
    }

    pub(super) fn waker(&self) -> Arc<Wake> {
        self.wake.clone()
    }

    /// Serves until shutdown, then closes this loop's connections.
    pub(super) fn run(mut self) {
        let mut events = Events::with_capacity(EVENTS);
        let mut last = 0;
        loop {
            let n = self.wait(&mut events, last);
            last = n;
            self.now_ms = self.shared.table.ms_at(Instant::now());
            if n > 0 && self.batch(&events) == Flow::Stop {
                break;
            }
            if self.now_ms >= self.next_sweep && self.sweep() == Flow::Stop {
                break;
            }
            if self.paused_until.is_some_and(|t| self.now_ms >= t) {
                self.resume_accepts();
            }
        }
        for idx in 0..self.slots.len() {
            self.close(idx);
        }
    }

    /// Waits for ready descriptors. After a batch of two or more, if nothing is ready yet, the
    /// loop first gathers: it sleeps outside `epoll_wait` for as long as `gather` says, so that
    /// queries arriving meanwhile wake nobody and are answered together. A busy loop never
    /// sleeps (something is always ready).
    fn wait(&mut self, events: &mut Events, last: usize) -> usize {
        if !self.gather.wanted(last) {
            return self.epoll.wait(events, self.timeout());
        }
        let n = self.epoll.wait(events, 0);
        if n > 0 {
            return n;
        }
        let slept = self.gather.sleep();
        std::thread::sleep(slept);
        self.tap.gathered(slept);
        let n = self.epoll.wait(events, 0);
        self.gather.gathered(n);
        match n {
            0 => self.epoll.wait(events, self.timeout()),
            n => n,
        }
    }

    /// Milliseconds until the next sweep or resumption of accepts.
    fn timeout(&self) -> i32 {
        let mut until = (self.open > 0).then_some(self.next_sweep);
        if let Some(p) = self.paused_until {
            until = Some(until.map_or(p, |u| u.min(p)));
        }
        let ms = until.map_or(IDLE_WAIT_MS, |t| t.saturating_sub(self.now_ms));
        ms.min(IDLE_WAIT_MS) as i32
    }

    /// Handles one `epoll_wait`'s ready descriptors, then sends the answers.
    fn batch(&mut self, events: &Events) -> Flow {
        let shared = self.shared.clone();
        let snap = shared.store.snapshot();
        let access = shared.store.access();
        self.tap.batch_start(&snap);
        if let Some(t) = &mut self.dot_tap {
            t.batch_start(&snap);
        }
        // The keepalive option's timeout (RFC 7828) for TCP's and DoT's connections.
        let ka = [
            keepalive::units(shared.table.idle_timeout()),
            shared
                .dot
                .as_ref()
                .map_or(0, |d| keepalive::units(d.table.idle_timeout())),
        ];
        let mut flow = Flow::Go;
        for i in 0..events.len() {
            let r = events.get(i);
            let (kind, gen, idx) = untoken(r.token);
            match kind {
                KIND_WAKE => {
                    self.wake.drain();
                    if shared.shutdown.is_cancelled() {
                        flow = Flow::Stop;
                        break;
                    }
                    self.close_evicted();
                }
                KIND_LISTEN => self.accept(idx),
                _ => {
                    let Some(c) = self.live(idx, gen) else {
                        continue;
                    };
                    if !c.pending.is_empty() {
                        if r.events & (OUT | HUP_ERR) != 0 {
                            self.on_writable(idx);
                        }
                        continue;
                    }
                    match self.on_readable(idx, &snap, &access, ka) {
                        Outcome::Keep => {}
                        Outcome::Close => self.close(idx),
                        Outcome::Handoff { start, inb } => {
                            let out = self.arena[start..].to_vec();
                            self.arena.truncate(start);
                            self.hand_off(idx, out, inb);
                        }
                    }
                }
            }
            if self.arena.len() >= ARENA_FLUSH || std::mem::take(&mut self.handshook) {
                self.flush();
            }
        }
        self.flush();
        let [tcp, dot] = std::mem::take(&mut self.answered);
        self.tap.batch_end(tcp);
        if let Some(t) = &mut self.dot_tap {
            t.batch_end(dot);
        }
        flow
    }

    /// The connection in slot `idx` if it is still the one generation `gen` named.
    fn live(&mut self, idx: usize, gen: u32) -> Option<&mut Conn> {
        let s = self.slots.get_mut(idx)?;
        if s.gen != gen {
            return None;
        }
        s.conn.as_mut()
    }

    /// One `recv` (for DoT, decrypted), then every complete frame answered into the arena
    /// (for DoT, encrypted there), queued for `flush`.
    fn on_readable(
        &mut self,
        idx: usize,
        snap: &Arc<ZoneSet>,
        access: &Access,
        ka: [u16; 2],
    ) -> Outcome {
        let Loop {
            shared,
            slots,
            rbuf,
            scratch,
            arena,
            writes,
            tap,
            dot_tap,
            answered,
            now_ms,
            handshook,
            ..
        } = self;
        let slot = &mut slots[idx];
        let Some(c) = slot.conn.as_mut() else {
            return Outcome::Keep;
        };
        let want = if c.tls.is_none() && !c.partial.is_empty() {
            let need = frame_need(&c.partial).saturating_sub(c.partial.len());
            need.clamp(IN_READ, rbuf.len())
        } else {
            IN_READ
        };
        let n = match epoll::recv(c.fd, &mut rbuf[..want]) {
            Ok(0) => return Outcome::Close,
            Ok(n) => n,
            Err(e) if epoll::again(&e) => return Outcome::Keep,
            Err(_) => return Outcome::Close,
        };
        let start = arena.len();
        // DoT: the plaintext goes to `partial`; a record rustls rejects gets its alert sent
        // and the connection closed; a close_notify closes it after what came before.
        let mut close = false;
        if let Some(tls) = c.tls.as_mut() {
            *handshook = tls.is_handshaking();
            match decrypt(tls, &rbuf[..n], &mut c.partial) {
                Ok(closed) => {
                    close = closed;
                    if *handshook && !tls.is_handshaking() {
                        c.slot.touch_at(*now_ms); // a completed handshake is activity
                    }
                }
                Err(()) => {
                    seal(tls, arena);
                    if arena.len() == start {
                        return Outcome::Close;
                    }
                    writes.push(Write {
                        idx,
                        gen: slot.gen,
                        start,
                        end: arena.len(),
                        close: true,
                    });
                    return Outcome::Keep;
                }
            }
        } else if !c.partial.is_empty() {
            c.partial.extend_from_slice(&rbuf[..n]);
        }
        // Whether the frames are in `partial` (always for DoT) or in what was just read.
        let from_partial = c.tls.is_some() || !c.partial.is_empty();
        let data: &[u8] = if from_partial { &c.partial } else { &rbuf[..n] };
        let (transport, proto) = match c.tls {
            None => (Transport::Tcp, 0),
            Some(_) => (Transport::Dot, 1),
        };
        let tap = match (proto, dot_tap.as_ref()) {
            (1, Some(t)) => t,
            _ => &*tap,
        };
        let ctx = RequestCtx {
            peer: c.peer,
            transport,
            access,
        };
        let answering = Answering {
            snap,
            store: &shared.store,
            tap,
            forward: shared.forward.is_some(),
            keepalive: Some(ka[proto]),
        };
        let store = &*shared.store;
        let mut pos = 0;
        while let Some(len) = frame_len(&data[pos..]) {
            if len == 0 {
                close = true; // an empty message is no DNS message: close
                break;
            }
            let msg = &data[pos + 2..pos + 2 + len];
            let slow = match query::route(msg, true) {
                Route::Query => false,
                Route::Update => store.updater().is_some(),
                Route::Notify => store.notify_in().is_some(),
                Route::Transfer => true,
            };
            let before = arena.len();
            let forwarded = if slow {
                Some(before)
            } else {
                answering.framed(&ctx, msg, scratch, arena)
            };
            if let Some(at) = forwarded {
                // The tokio path answers this one again (and forwards it).
                arena.truncate(at);
                let inb = data[pos..].to_vec();
                return Outcome::Handoff { start, inb };
            }
            answered[proto] += usize::from(arena.len() > before);
            pos += 2 + len;
        }
        if pos > 0 {
            // Activity is a complete message (or an answer sent), not any byte: a client that
            // trickles a message (or a TLS handshake) is idle and closed when the timeout ends.
            c.slot.touch_at(*now_ms);
        }
        if !close {
            // Keep the frame in progress.
            if from_partial {
                c.partial.drain(..pos);
                if c.partial.capacity() > PARTIAL_KEEP && c.partial.len() <= IN_READ {
                    c.partial.shrink_to(IN_READ);
                }
            } else if pos < n {
                c.partial.extend_from_slice(&rbuf[pos..n]);
            }
        }
        if let Some(tls) = c.tls.as_mut() {
            // The answers as one run of records, after any handshake message rustls has.
            let plain = &arena[start..];
            if !plain.is_empty() && std::io::Write::write_all(&mut tls.writer(), plain).is_err() {
                return Outcome::Close;
            }
            arena.truncate(start);
            seal(tls, arena);
        }
        if arena.len() > start {
            writes.push(Write {
                idx,
                gen: slot.gen,
                start,
                end: arena.len(),
                close,
            });
        } else if close {
            return Outcome::Close;
        }
        Outcome::Keep
    }

    /// Moves the connection to the tokio path, with its unsent answers and unread messages.
    fn hand_off(&mut self, idx: usize, out: Vec<u8>, inb: Vec<u8>) {
        let Some(c) = self.take(idx) else {
            return;
        };
        let _ = self.epoll.delete(c.fd);
        let s = &self.shared;
        let proto = match c.tls {
            None => crate::metrics::Proto::Tcp,
            Some(_) => crate::metrics::Proto::Dot,
        };
        let h = Handoff {
            stream: c.sock,
            tls: c.tls,
            peer: c.peer,
            conn: c.slot,
            out,
            inb,
        };
        let tap = s.taps.shared_tap(proto);
        let fut = handoff::serve(h, s.store.clone(), tap, s.forward.clone());
        s.handed.spawn_on(fut, &s.rt);
    }

    /// Closes the connections the table evicted.
    fn close_evicted(&mut self) {
        for idx in 0..self.slots.len() {
            if self.slots[idx]
                .conn
                .as_ref()
                .is_some_and(|c| c.slot.evicted())
            {
                self.close(idx);
            }
        }
    }

    /// Closes idle and evicted connections; stops on shutdown.
    fn sweep(&mut self) -> Flow {
        self.next_sweep = self.now_ms + SWEEP_MS;
        if self.shared.shutdown.is_cancelled() {
            return Flow::Stop;
        }
        if self.open == 0 {
            return Flow::Go;
        }
        for idx in 0..self.slots.len() {
            let stale = self.slots[idx].conn.as_ref().is_some_and(|c| {
                let idle = c.slot.idle_timeout().as_millis() as u64;
                c.slot.evicted() || self.now_ms.saturating_sub(c.slot.last_ms()) >= idle
            });
            if stale {
                self.close(idx);
            }
        }
        Flow::Go
    }

    /// Takes the connection out of slot `idx` (the slot's next user gets a new generation).
    fn take(&mut self, idx: usize) -> Option<Conn> {
        let slot = self.slots.get_mut(idx)?;
        let c = slot.conn.take()?;
        slot.gen = slot.gen.wrapping_add(1) & GEN_MASK;
        self.free.push(idx);
        self.open -= 1;
        Some(c)
    }

    /// Closes the connection in slot `idx` (closing the socket leaves the epoll set too).
    fn close(&mut self, idx: usize) {
        drop(self.take(idx));
    }
}

fn listen_token(i: usize) -> u64 {
    (KIND_LISTEN << 62) | i as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        assert_eq!(untoken(conn_token(5, 9)), (KIND_CONN, 9, 5));
        assert_eq!(
            untoken(conn_token(u32::MAX as usize, GEN_MASK)),
            (KIND_CONN, GEN_MASK, u32::MAX as usize)
        );
        assert_eq!(untoken(listen_token(3)), (KIND_LISTEN, 0, 3));
        assert_eq!(untoken(KIND_WAKE << 62).0, KIND_WAKE);
        assert_eq!(
            untoken(conn_token(1, GEN_MASK + 1)).1,
            0,
            "generations wrap inside their bits"
        );
    }
}
