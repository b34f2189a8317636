//! Our answer engine for the encrypted transports (`Engine::answer`: wire bytes in, wire bytes
//! out, counted under `dot`/`doh`), and behind hickory-server's `RequestHandler` for DoT: the
//! request's wire bytes go to `query::respond_ext` as they came, and the wire answer is parsed
//! into hickory's records for its `ResponseHandler` (its API takes records, not bytes: that
//! parse and hickory's re-encoding are the conversion cost of this path).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_server::net::runtime::Time;
use hickory_server::proto::op::ResponseCode;
use hickory_server::proto::op::{Header, HeaderCounts, Message, MessageType, Metadata, OpCode};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

use crate::metrics::{Proto, Tap, Taps};
use crate::query::{self, RequestCtx, Transport};
use crate::store::Store;

/// Largest DNS message on a stream transport.
const MAX_MSG: usize = 65535;

thread_local! {
    /// Where answers are written before they are parsed: one buffer per runtime thread.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0u8; MAX_MSG]);
}

/// Answers DoT and DoH requests from the published zones.
pub(super) struct Engine {
    store: Arc<Store>,
    /// The taps of DoT and DoH. Locked only while one answer is counted, never across an await.
    dot: Mutex<Tap>,
    doh: Mutex<Tap>,
}

impl Engine {
    pub(super) fn new(store: Arc<Store>, taps: &Taps) -> Engine {
        Engine {
            store,
            dot: Mutex::new(taps.tap_for(Proto::Dot)),
            doh: Mutex::new(taps.tap_for(Proto::Doh)),
        }
    }

    /// Answers `raw` from `peer` with our engine and hands the wire answer to `take`; `None`
    /// when the packet deserves no answer.
    pub(super) fn answer<R>(
        &self,
        raw: &[u8],
        peer: SocketAddr,
        transport: Transport,
        take: impl FnOnce(&[u8]) -> R,
    ) -> Option<R> {
        let access = self.store.access();
        let ctx = RequestCtx {
            peer,
            transport,
            access: &access,
        };
        let tap = match transport {
            Transport::Doh => &self.doh,
            _ => &self.dot,
        };
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let snap = self.store.snapshot();
            let mut tap = tap.lock().unwrap_or_else(|p| p.into_inner());
            tap.batch_start(&snap);
            let a = query::respond_ext(&snap, raw, &mut s[..], &ctx);
            if let Some(a) = a {
                tap.packet(&ctx, raw, &s[..a.len], a);
            }
            tap.batch_end(a.is_some() as usize);
            drop(tap);
            Some(take(&s[..a?.len]))
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
            .answer(request.as_slice(), request.src(), transport, |a| {
                Message::from_vec(a).ok() // always readable: we wrote it
            });
        let Some(msg) = msg.flatten() else {
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
