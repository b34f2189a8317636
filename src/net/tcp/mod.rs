//! TCP (RFC 7766): plain-thread event loops (`evloop`, raw epoll: `epoll`) accept connections
//! into the connection table and answer queries synchronously from one zone snapshot per
//! batch; a connection whose next message needs async work (a zone transfer, UPDATE, NOTIFY,
//! a forwarded name) is handed over to the tokio path (`handoff`) with the bytes it has
//! buffered. Shared here: cutting frames, answering one query into a batch of answers (with
//! the EDNS keepalive option), the SERVFAIL for a failed forward, starting the loops.

pub(crate) mod epoll;
mod evloop;
mod handoff;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub(crate) use epoll::Wake;

use super::conns::Table;
use super::forward::Forwarder;
use super::keepalive;
use crate::metrics::{Tap, Taps};
use crate::query::{self, RequestCtx};
use crate::store::{Store, ZoneSet};

/// Largest TCP message (a query, or the answer with its length prefix).
const MAX_MSG: usize = 65535;

/// What every TCP loop (and the connections it hands over) shares.
pub(super) struct Shared {
    pub(super) store: Arc<Store>,
    pub(super) table: Arc<Table>,
    pub(super) taps: Taps,
    pub(super) shutdown: CancellationToken,
    pub(super) forward: Option<Forwarder>,
    /// The runtime handed-over connections run on.
    pub(super) rt: tokio::runtime::Handle,
    /// The handed-over connections, waited for (a while) at shutdown.
    pub(super) handed: TaskTracker,
    /// Set TCP_NODELAY on accepted connections.
    pub(super) nodelay: bool,
}

/// A running TCP event loop: its thread and what wakes it.
pub(super) struct LoopHandle {
    pub(super) thread: JoinHandle<()>,
    pub(super) wake: Arc<Wake>,
}

/// Starts `threads` event loops, each watching every listener.
pub(super) fn start(
    listeners: Vec<(SocketAddr, TcpListener)>,
    threads: usize,
    shared: Arc<Shared>,
) -> Result<Vec<LoopHandle>, (Option<SocketAddr>, io::Error)> {
    let listeners: Arc<[(SocketAddr, TcpListener)]> = listeners.into();
    let mut out = Vec::new();
    for i in 0..threads.max(1) {
        let lp = evloop::Loop::new(shared.clone(), listeners.clone())?;
        let wake = lp.waker();
        let thread = std::thread::Builder::new()
            .name(format!("tcp-{i}"))
            .spawn(move || lp.run())
            .map_err(|e| (None, e))?;
        out.push(LoopHandle { thread, wake });
    }
    Ok(out)
}

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

/// Is this accept error a lack of descriptors or memory (a condition that retrying at once
/// cannot fix)?
fn out_of_fds(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Answers one query from `snap` into `out` with its length prefix (nothing when it deserves
/// no answer), counting it in `tap`; `scratch` (at least `MAX_MSG` bytes) is where the answer
/// is built. Adds the keepalive option (RFC 7828, `keepalive` in 100 ms units) when the query
/// asked for it. Returns true, writing nothing, when the query is to be forwarded (`forward`
/// is on, our answer would be REFUSED and `query::forwardable` agrees).
#[allow(clippy::too_many_arguments)] // two call sites, each argument a different resource
fn answer(
    snap: &Arc<ZoneSet>,
    store: &Store,
    ctx: &RequestCtx,
    tap: &Tap,
    msg: &[u8],
    scratch: &mut [u8],
    out: &mut Vec<u8>,
    keepalive: u16,
    forward: bool,
) -> bool {
    let room = scratch.len().min(MAX_MSG);
    let Some(mut a) =
        query::respond_ext(snap, msg, &mut scratch[..room - keepalive::REPLY_LEN], ctx)
    else {
        return false;
    };
    if forward && query::forward_instead(snap, msg, &scratch[..a.len], ctx, store) {
        return true;
    }
    // A TSIG-signed query with a key we know: answered and signed instead of NOTAUTH.
    a.len = query::answer_signed(snap, msg, &mut scratch[..room], a.len, ctx, store);
    if a.keepalive {
        a.len = keepalive::append(&mut scratch[..room], a.len, keepalive);
    }
    tap.packet(ctx, msg, &scratch[..a.len], a);
    out.extend_from_slice(&(a.len as u16).to_be_bytes());
    out.extend_from_slice(&scratch[..a.len]);
    false
}

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
    out[at + 3] = (out[at + 3] & 0x10) | 0x80 | crate::dns::wire::rcode::SERVFAIL; // CD kept, RA
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

    #[test]
    fn servfail_keeps_the_question_only() {
        // id 0x1234, RD, one question `a.` A, one additional record (dropped).
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1];
        q.extend_from_slice(&[1, b'a', 0, 0, 1, 0, 1]);
        q.extend_from_slice(&[0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]);
        let mut out = Vec::new();
        servfail(&q, &mut out);
        assert_eq!(&out[..2], &[0, 19], "length prefix: header and question");
        assert_eq!(&out[2..4], &[0x12, 0x34]);
        assert_eq!(out[4] & 0x80, 0x80, "QR");
        assert_eq!(out[5] & 0x0f, 2, "SERVFAIL");
        assert_eq!(&out[6..14], &[0, 1, 0, 0, 0, 0, 0, 0]);
        let mut none = Vec::new();
        servfail(&[1, 2, 3], &mut none);
        assert!(none.is_empty(), "not a query: nothing");
    }
}
