//! The encrypted transports' access to the answer engine: DoH requests answered as every
//! stream transport answers (`Engine::respond`: wire bytes in, wire bytes out, counted under
//! `doh`, forwarded as on UDP and TCP).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::metrics::{Proto, Tap, Taps};
use crate::net::forward::Forwarder;
use crate::net::tcp::{Answering, MAX_MSG};
use crate::query::{RequestCtx, Transport};
use crate::store::Store;

thread_local! {
    /// Where answers are written: one buffer per runtime thread.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0u8; MAX_MSG]);
    /// This runtime thread's DoH tap (made on first use from `Engine::taps`), so that
    /// answering never waits for another thread's answer.
    static TAP: RefCell<Option<Tap>> = const { RefCell::new(None) };
}

/// What a DoH request came to.
pub(super) enum Reply {
    /// Our answer.
    Ready(Vec<u8>),
    /// A name to forward.
    Forward(Forwarding),
}

/// A query to forward: the forwarder's answer to `query`, or `fallback` (our REFUSED made
/// SERVFAIL) when it has none.
pub(super) struct Forwarding {
    query: Vec<u8>,
    fallback: Vec<u8>,
    forwarder: Forwarder,
}

impl Forwarding {
    /// The answer to send, once the forwarder has answered or failed.
    pub(super) async fn answer(self) -> Vec<u8> {
        match self.forwarder.ask(&self.query).await {
            Some(r) if r.len() <= MAX_MSG => r,
            _ => self.fallback,
        }
    }
}

/// Answers DoH requests from the published zones.
pub(super) struct Engine {
    store: Arc<Store>,
    /// Where names outside our zones go for clients allowed to recurse (as on UDP and TCP).
    forward: Option<Forwarder>,
    /// Where each runtime thread's DoH tap comes from (`TAP`).
    taps: Taps,
}

impl Engine {
    pub(super) fn new(store: Arc<Store>, taps: &Taps, forward: Option<Forwarder>) -> Engine {
        Engine {
            store,
            forward,
            taps: taps.clone(),
        }
    }

    /// Our answer to the DoH request `raw` from `peer`, or, when the name is outside our zones
    /// and the client may recurse (RD set, `allow_recursion`), the forwarding to do, as on UDP
    /// and TCP. `None` when the packet deserves no answer. No keepalive option: it is about
    /// the TCP connection, which HTTP/2 manages.
    pub(super) fn respond(&self, raw: Vec<u8>, peer: SocketAddr) -> Option<Reply> {
        let (ours, forward) = self.answer(&raw, peer)?;
        Some(match self.forward.as_ref().filter(|_| forward) {
            None => Reply::Ready(ours),
            Some(f) => Reply::Forward(Forwarding {
                query: raw,
                fallback: ours,
                forwarder: f.clone(),
            }),
        })
    }

    /// Answers `raw` from `peer` as every stream transport does
    /// (`tcp::Answering::in_scratch`), with whether it is to be forwarded instead.
    fn answer(&self, raw: &[u8], peer: SocketAddr) -> Option<(Vec<u8>, bool)> {
        let access = self.store.access();
        let ctx = RequestCtx {
            peer,
            transport: Transport::Doh,
            access: &access,
        };
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let snap = self.store.snapshot();
            let forward = self.forward.is_some();
            let (len, forwarded) = TAP.with(|t| {
                let mut t = t.borrow_mut();
                let tap = t.get_or_insert_with(|| self.taps.own_tap(Proto::Doh));
                tap.batch_start(&snap);
                let answering = Answering {
                    snap: &snap,
                    store: &self.store,
                    tap,
                    forward,
                    keepalive: None,
                };
                let r = answering.in_scratch(&ctx, raw, &mut s[..]);
                tap.batch_end(usize::from(r.is_some_and(|(_, f)| !f)));
                r
            })?;
            Some((s[..len].to_vec(), forwarded))
        })
    }
}
