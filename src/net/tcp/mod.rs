//! TCP (RFC 7766) and DoT (RFC 7858): plain-thread event loops (`evloop`, raw epoll: `epoll`)
//! accept connections into their connection table and answer queries synchronously from one
//! zone snapshot per batch, DoT's through a rustls session on the same loop; a connection whose
//! next message needs async work (a zone transfer, UPDATE, NOTIFY, a forwarded name) is handed
//! over to the tokio path (`handoff`, `serve_stream`) with the bytes it has buffered (and its
//! TLS session). Shared here: cutting frames, answering one query into a batch of answers
//! (with the EDNS keepalive option), starting the loops.

pub(crate) mod epoll;
mod evloop;
mod handoff;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub(crate) use epoll::Wake;

/// Largest message on a stream transport (what a 16-bit length prefix allows).
pub(in crate::net) const MAX_MSG: usize = 65535;

use super::conns::Table;
use super::forward::Forwarder;
use super::keepalive;
use crate::metrics::{Tap, Taps};
use crate::query::{self, RequestCtx};
use crate::store::{Store, ZoneSet};

/// A listening socket the loops accept on.
pub(super) struct Listener {
    pub(super) addr: SocketAddr,
    pub(super) sock: TcpListener,
    /// DoT: connections start with a TLS handshake (`Shared::dot`).
    pub(super) tls: bool,
}

/// What the loops need for DoT.
pub(in crate::net) struct DotConfig {
    /// hickory-server's TLS configuration with ALPN `dot`; its certificate resolver is asked
    /// at each handshake, so a reloaded certificate applies to new connections.
    pub(in crate::net) config: Arc<rustls::ServerConfig>,
    /// The encrypted transports' connection table (shared with DoH).
    pub(in crate::net) table: Arc<Table>,
}

/// What every TCP loop (and the connections it hands over) shares.
pub(super) struct Shared {
    pub(super) store: Arc<Store>,
    pub(super) table: Arc<Table>,
    /// DoT on the loops' `tls` listeners, if on.
    pub(super) dot: Option<DotConfig>,
    pub(super) taps: Taps,
    pub(super) shutdown: CancellationToken,
    pub(super) forward: Option<Forwarder>,
    /// The runtime handed-over connections run on.
    pub(super) rt: tokio::runtime::Handle,
    /// The handed-over connections, waited for (a while) at shutdown.
    pub(super) handed: TaskTracker,
    /// How long a loop gathers queries under concurrent load (`Loop::wait`); zero: never.
    pub(super) coalesce: Duration,
}

/// A running TCP event loop: its thread and what wakes it.
pub(super) struct LoopHandle {
    pub(super) thread: JoinHandle<()>,
    pub(super) wake: Arc<Wake>,
}

/// Starts `threads` event loops, each watching every listener.
pub(super) fn start(
    listeners: Vec<Listener>,
    threads: usize,
    shared: Arc<Shared>,
) -> Result<Vec<LoopHandle>, (Option<SocketAddr>, io::Error)> {
    let listeners: Arc<[Listener]> = listeners.into();
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
pub(super) fn frame_len(buf: &[u8]) -> Option<usize> {
    let len = u16::from_be_bytes([*buf.first()?, *buf.get(1)?]) as usize;
    (buf.len() >= 2 + len).then_some(len)
}

/// Bytes the (incomplete) frame at the start of `buf` needs in all.
pub(super) fn frame_need(buf: &[u8]) -> usize {
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

/// What answering a stream message takes besides the message, its request context and the
/// buffers: the snapshot, the store (TSIG keys, forwarding's judgement), the metrics tap,
/// whether outside names may be forwarded, and the keepalive option's value (RFC 7828, 100 ms
/// units; `None`: never added, as on DoH).
pub(in crate::net) struct Answering<'a> {
    pub(in crate::net) snap: &'a Arc<ZoneSet>,
    pub(in crate::net) store: &'a Store,
    pub(in crate::net) tap: &'a Tap,
    pub(in crate::net) forward: bool,
    pub(in crate::net) keepalive: Option<u16>,
}

impl Answering<'_> {
    /// Answers one query into `out` with its length prefix (nothing when it deserves no
    /// answer), through `in_scratch`. When the query is to be forwarded instead, returns where
    /// in `out` the answer to send if forwarding fails begins (the caller drops it when the
    /// forwarder answers).
    fn framed(
        &self,
        ctx: &RequestCtx,
        msg: &[u8],
        scratch: &mut [u8],
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        let (len, forwarded) = self.in_scratch(ctx, msg, scratch)?;
        let at = out.len();
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&scratch[..len]);
        forwarded.then_some(at)
    }

    /// One message answered into `scratch` (at least `MAX_MSG` bytes) as every stream
    /// transport answers it (TCP, DoT, DoH): a TSIG-signed query with a key we know answered
    /// and signed instead of NOTAUTH, the keepalive option added when the query asked and one
    /// is given, counted in the tap. Returns the answer's length and whether the query is to be
    /// forwarded instead (forwarding is on, our answer would be REFUSED and
    /// `query::forwardable` agrees): then `scratch[..len]` is our REFUSED made SERVFAIL, the
    /// answer every transport sends when forwarding fails, and it is not counted. `None`: no
    /// answer.
    pub(in crate::net) fn in_scratch(
        &self,
        ctx: &RequestCtx,
        msg: &[u8],
        scratch: &mut [u8],
    ) -> Option<(usize, bool)> {
        let (snap, store) = (self.snap, self.store);
        let room = scratch.len().min(MAX_MSG);
        let mut a =
            query::respond_ext(snap, msg, &mut scratch[..room - keepalive::REPLY_LEN], ctx)?;
        if self.forward && query::forward_instead(snap, msg, &scratch[..a.len], ctx, store) {
            query::refused_to_servfail(&mut scratch[..a.len]);
            return Some((a.len, true));
        }
        a.len = query::answer_signed(snap, msg, &mut scratch[..room], a.len, ctx, store);
        if let (true, Some(units)) = (a.keepalive, self.keepalive) {
            a.len = keepalive::append(&mut scratch[..room], a.len, units);
        }
        self.tap.packet(ctx, msg, &scratch[..a.len], a);
        Some((a.len, false))
    }
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
    fn a_query_to_forward_leaves_our_refused_made_servfail_as_its_fallback() {
        use crate::dns::name::Name;
        use crate::query::acl::{Access, Table};
        use crate::query::Transport;
        let origin = Name::from_ascii("example.test").expect("origin");
        let text = "$TTL 1H\n@ IN SOA ns1 host ( 1 1D 1H 1W 3H )\n@ IN NS ns1\nns1 IN A 10.0.0.1\n";
        let parsed = crate::zonefile::parse_str(
            text.as_bytes(),
            std::path::Path::new("t.zone"),
            &crate::zonefile::Options::new(origin.clone()),
        );
        let zone = crate::zone::build(&origin, parsed, &mut Vec::new()).expect("zone builds");
        let access = Access {
            recursion: Table::open(),
            ..Access::default()
        };
        let store = Store::with_access(ZoneSet::new(vec![Arc::new(zone)]), access);
        store.set_forward_to(vec![SocketAddr::from(([127, 0, 0, 1], 9))]);
        let snap = store.snapshot();
        let acc = store.access_full();
        let ctx = RequestCtx {
            peer: SocketAddr::from(([127, 0, 0, 1], 5353)),
            transport: Transport::Tcp,
            access: &acc,
        };
        let tap = crate::metrics::Taps::default().shared_tap(crate::metrics::Proto::Tcp);
        let query = |name: &[u8]| {
            // id 0x4242, RD, CD; one question NAME A; an OPT record (EDNS, 1232 bytes).
            let mut q = vec![0x42, 0x42, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 1];
            q.extend_from_slice(name);
            q.extend_from_slice(&[0, 1, 0, 1]);
            q.extend_from_slice(&[0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]);
            q
        };
        let mut scratch = vec![0u8; MAX_MSG];
        // `out` starts with one byte already there; what `framed` returns and writes.
        let mut ask = |msg: &[u8], forward: bool| {
            let mut out = vec![0xaa];
            let a = Answering {
                snap: &snap,
                store: &store,
                tap: &tap,
                forward,
                keepalive: Some(0),
            };
            let r = a.framed(&ctx, msg, &mut scratch, &mut out);
            (r, out)
        };
        let outside = query(b"\x05other\x04test\x00");
        let (at, out) = ask(&outside, true);
        assert_eq!(
            at,
            Some(1),
            "to be forwarded, the fallback after what was there"
        );
        let m = &out[3..];
        assert_eq!(usize::from(u16::from_be_bytes([out[1], out[2]])), m.len());
        assert_eq!(&m[..2], &[0x42, 0x42], "ID");
        assert_eq!(m[2] & 0x81, 0x81, "QR, RD echoed");
        assert_eq!(m[3], 0x80 | 0x10 | 2, "RA, CD kept, SERVFAIL");
        assert_eq!(
            &m[4..12],
            &[0, 1, 0, 0, 0, 0, 0, 1],
            "the question and our OPT"
        );
        // A name of ours: answered here, nothing to forward.
        let (r, out) = ask(&query(b"\x03ns1\x07example\x04test\x00"), true);
        assert_eq!(r, None);
        assert_eq!(out[6] & 0x0f, 0, "NOERROR from the zone");
        // Forwarding off: our REFUSED.
        let (r, out) = ask(&outside, false);
        assert_eq!(r, None);
        assert_eq!(out[6] & 0x0f, 5, "REFUSED when not forwarding");
    }
}
