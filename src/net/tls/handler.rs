//! Our answer engine for the encrypted transports (`Engine::respond`: wire bytes in, wire
//! bytes out, counted under `dot`/`doh`, forwarded as on UDP and TCP): the request's bytes go
//! to `query::respond_ext` as they came and the answer's bytes go out unchanged.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::metrics::{Proto, Tap, Taps};
use crate::net::forward::Forwarder;
use crate::net::keepalive;
use crate::query::{self, RequestCtx, Transport};
use crate::store::Store;

/// Largest DNS message on a stream transport.
const MAX_MSG: usize = 65535;

thread_local! {
    /// Where answers are written before they are parsed: one buffer per runtime thread.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0u8; MAX_MSG]);
    /// This runtime thread's DoT and DoH taps (made on first use from `Engine::taps`), so
    /// that answering never waits for another thread's answer.
    static TAPS: RefCell<Option<[Tap; 2]>> = const { RefCell::new(None) };
}

/// Answers DoT and DoH requests from the published zones.
pub(super) struct Engine {
    store: Arc<Store>,
    /// Where names outside our zones go for clients allowed to recurse (as on UDP and TCP).
    forward: Option<Forwarder>,
    /// Where each runtime thread's DoT and DoH taps come from (`TAPS`).
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

    /// Our answer to `raw` from `peer`, or the forwarder's when the name is outside our zones
    /// and the client may recurse (RD set, `allow_recursion`), as on UDP and TCP; SERVFAIL when
    /// the forwarder cannot take it. `None` when the packet deserves no answer. With
    /// `keepalive` (DoT: the idle timeout in 100 ms units), a query carrying the EDNS
    /// keepalive option gets it back with that timeout (RFC 7828, RFC 7858 section 3.4), as on
    /// TCP; DoH passes `None` (the option is about the TCP connection, which HTTP/2 manages).
    pub(super) async fn respond(
        &self,
        raw: &[u8],
        peer: SocketAddr,
        transport: Transport,
        keepalive: Option<u16>,
    ) -> Option<Vec<u8>> {
        let (mut ours, forward) =
            self.answer(raw, peer, transport, keepalive, |a, f| (a.to_vec(), f))?;
        let Some(f) = self.forward.as_ref().filter(|_| forward) else {
            return Some(ours);
        };
        match f.ask(raw).await {
            Some(r) if r.len() <= MAX_MSG => Some(r),
            _ => {
                query::refused_to_servfail(&mut ours);
                Some(ours)
            }
        }
    }

    /// Answers `raw` from `peer` with our engine and hands the wire answer to `take`, with
    /// whether it is to be forwarded instead (REFUSED, forwarding on, `query::forwardable`);
    /// `None` when the packet deserves no answer.
    fn answer<R>(
        &self,
        raw: &[u8],
        peer: SocketAddr,
        transport: Transport,
        keepalive: Option<u16>,
        take: impl FnOnce(&[u8], bool) -> R,
    ) -> Option<R> {
        let access = self.store.access();
        let ctx = RequestCtx {
            peer,
            transport,
            access: &access,
        };
        let which = usize::from(transport == Transport::Doh);
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let snap = self.store.snapshot();
            let a = TAPS.with(|t| {
                let mut t = t.borrow_mut();
                let taps = t.get_or_insert_with(|| {
                    [self.taps.own_tap(Proto::Dot), self.taps.own_tap(Proto::Doh)]
                });
                let tap = &mut taps[which];
                tap.batch_start(&snap);
                let room = s.len() - keepalive::REPLY_LEN;
                let mut a = query::respond_ext(&snap, raw, &mut s[..room], &ctx);
                if let (Some(a), Some(units)) = (a.as_mut(), keepalive) {
                    if a.keepalive {
                        a.len = keepalive::append(&mut s[..], a.len, units);
                    }
                }
                if let Some(a) = a {
                    tap.packet(&ctx, raw, &s[..a.len], a);
                }
                tap.batch_end(a.is_some() as usize);
                a
            });
            let len = a?.len;
            let forward = self.forward.is_some()
                && query::forward_instead(&snap, raw, &s[..len], &ctx, &self.store);
            Some(take(&s[..len], forward))
        })
    }
}
