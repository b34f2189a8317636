//! Our answer engine for the encrypted transports (`Engine::answer`: wire bytes in, wire bytes
//! out, counted under `dot`/`doh`), and behind hickory-server's `RequestHandler` for DoT: the
//! request's wire bytes go to `query::respond_ext` as they came, and the wire answer is parsed
//! into hickory's records for its `ResponseHandler` (its API takes records, not bytes: that
//! parse and hickory's re-encoding are the conversion cost of this path).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;

use hickory_server::net::runtime::Time;
use hickory_server::proto::op::ResponseCode;
use hickory_server::proto::op::{Header, HeaderCounts, Message, MessageType, Metadata, OpCode};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

use crate::metrics::{Proto, Tap, Taps};
use crate::net::forward::Forwarder;
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
    /// the forwarder cannot take it. `None` when the packet deserves no answer.
    pub(super) async fn respond(
        &self,
        raw: &[u8],
        peer: SocketAddr,
        transport: Transport,
    ) -> Option<Vec<u8>> {
        let (mut ours, forward) = self.answer(raw, peer, transport, |a, f| (a.to_vec(), f))?;
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
                let a = query::respond_ext(&snap, raw, &mut s[..], &ctx);
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

/// The engine as hickory-server holds it (shared with the DoH listeners).
pub(super) struct Shared(pub(super) Arc<Engine>);

#[async_trait::async_trait]
impl RequestHandler for Shared {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        // Only the DoT listener is hickory's (DoH is `doh.rs`).
        let transport = Transport::Dot;
        let builder = MessageResponseBuilder::new(&request.queries, None);
        let msg = self
            .0
            .respond(request.as_slice(), request.src(), transport)
            .await
            .and_then(|a| Message::from_vec(&a).ok()); // readable: we or an upstream wrote it
        let Some(msg) = msg else {
            // Nothing we would answer (hickory already drops responses): say so rather than
            // leave an HTTP stream or a DoT client waiting.
            let mut meta = Metadata::new(request.metadata.id, MessageType::Response, OpCode::Query);
            meta.response_code = ResponseCode::FormErr;
            let resp = builder.build_no_records(meta);
            return send(&mut response_handle, resp, meta).await;
        };
        let mut builder = builder;
        if let Some(e) = &msg.edns {
            builder.edns(e);
        }
        let resp = builder.build(
            msg.metadata,
            msg.answers.iter(),
            msg.authorities.iter(),
            std::iter::empty(),
            msg.additionals.iter(),
        );
        send(&mut response_handle, resp, msg.metadata).await
    }
}

/// Sends `resp`; on a failure (the client went away) reports `meta` with no records.
async fn send<'a, R: ResponseHandler>(
    handle: &mut R,
    resp: hickory_server::zone_handler::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a hickory_server::proto::rr::Record> + Send + 'a,
        impl Iterator<Item = &'a hickory_server::proto::rr::Record> + Send + 'a,
        impl Iterator<Item = &'a hickory_server::proto::rr::Record> + Send + 'a,
        impl Iterator<Item = &'a hickory_server::proto::rr::Record> + Send + 'a,
    >,
    meta: Metadata,
) -> ResponseInfo {
    match handle.send_response(resp).await {
        Ok(info) => info,
        Err(e) => {
            tracing::debug!("failed to send an encrypted DNS response: {e}");
            ResponseInfo::from(Header {
                metadata: meta,
                counts: HeaderCounts::default(),
            })
        }
    }
}
