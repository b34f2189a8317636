//! Forwarding names outside our zones (BIND's `forwarders`): a UDP worker hands a forwardable
//! query (a copy, the peer, the socket) to a bounded channel and goes on; a tokio task
//! resolves it through the configured upstreams with hickory's caching resolver and sends the
//! answer on the same socket. TCP connections hand their forwardable queries over the same way
//! (`Forwarder::ask`) and await the answer in the connection task, unlimited by UDP's size.
//! The upstreams are the store's (`Store::forward_to`, replaced by a reload that reads a changed
//! `forward_to`): a changed list gets a new resolver. Never on the authoritative fast path; a full channel drops the hand-off and the worker
//! answers SERVFAIL, never blocking.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::TokioResolver;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// Queries waiting for the forwarding task; more are answered SERVFAIL.
const QUEUE: usize = 1024;
/// Queries being resolved at once.
const IN_FLIGHT: usize = 256;

/// One query handed over by a UDP worker or a TCP connection.
struct Job {
    packet: Vec<u8>,
    reply: Reply,
}

/// Where a forwarded answer goes.
enum Reply {
    /// Sent to `peer` on the worker's socket, truncated to the client's UDP size.
    Udp(Arc<UdpSocket>, SocketAddr),
    /// Handed back to the TCP connection that asked, whole.
    Stream(oneshot::Sender<Vec<u8>>),
}

/// The UDP workers' end of the forwarding channel.
#[derive(Clone)]
pub struct Forwarder {
    tx: mpsc::Sender<Job>,
}

impl Forwarder {
    /// Hands `packet` from `peer` over; false if the queue is full (answer SERVFAIL).
    pub(super) fn hand_off(&self, packet: &[u8], peer: SocketAddr, sock: &Arc<UdpSocket>) -> bool {
        self.tx
            .try_send(Job {
                packet: packet.to_vec(),
                reply: Reply::Udp(sock.clone(), peer),
            })
            .is_ok()
    }

    /// Forwards `packet` (from a stream transport) and waits for the answer; `None` if the
    /// queue is full or the packet cannot be read (answer SERVFAIL or close).
    pub(super) async fn ask(&self, packet: &[u8]) -> Option<Vec<u8>> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .try_send(Job {
                packet: packet.to_vec(),
                reply: Reply::Stream(tx),
            })
            .ok()?;
        rx.await.ok()
    }
}

/// Why a resolver for the upstreams cannot be built.
#[derive(Debug, thiserror::Error)]
#[error("failed to start the forwarding resolver: {0}")]
pub struct ForwardError(#[from] NetError);

/// Starts the forwarding task (inside the runtime) for the store's upstreams (`forward_to`,
/// which a reload may change); it ends with `shutdown`.
pub fn spawn(store: Arc<Store>, shutdown: CancellationToken) -> Forwarder {
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(run(rx, store, shutdown));
    Forwarder { tx }
}

/// A caching resolver asking `upstreams` (UDP, then TCP for truncated answers).
fn resolver(upstreams: &[SocketAddr]) -> Result<TokioResolver, ForwardError> {
    let servers = upstreams
        .iter()
        .map(|u| {
            let mut udp = ConnectionConfig::udp();
            udp.port = u.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = u.port();
            NameServerConfig::new(u.ip(), true, vec![udp, tcp])
        })
        .collect();
    let mut opts = ResolverOpts::default();
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ndots = 0;
    Ok(TokioResolver::builder_with_config(
        ResolverConfig::from_name_servers(servers),
        TokioRuntimeProvider::default(),
    )
    .with_options(opts)
    .build()?)
}

async fn run(mut rx: mpsc::Receiver<Job>, store: Arc<Store>, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    // The upstream list the resolver was built for (a new list: a new resolver, new cache).
    let mut upstreams: Arc<Vec<SocketAddr>> = Arc::new(Vec::new());
    let mut current: Option<TokioResolver> = None;
    loop {
        let job = tokio::select! {
            _ = shutdown.cancelled() => return,
            job = rx.recv() => match job { Some(j) => j, None => return },
        };
        let now = store.forward_to();
        if !Arc::ptr_eq(&now, &upstreams) {
            current = match resolver(&now) {
                Ok(r) if !now.is_empty() => Some(r),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!("{e}");
                    None
                }
            };
            upstreams = now;
        }
        let Some(resolver) = current.clone() else {
            // No upstreams (removed by a reload since the query was handed over): dropped;
            // the client retries and is refused.
            continue;
        };
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        tokio::spawn(async move {
            let stream = matches!(job.reply, Reply::Stream(_));
            if let Some(answer) = resolve(&resolver, &job.packet, stream).await {
                match job.reply {
                    // A blocking socket; UDP sends do not wait for the peer.
                    Reply::Udp(sock, peer) => {
                        let _ = sock.send_to(&answer, peer);
                    }
                    Reply::Stream(tx) => {
                        let _ = tx.send(answer);
                    }
                }
            }
            drop(permit);
        });
    }
}

/// The answer to one forwarded query, or `None` if it is not a query we can read. Over a
/// `stream` the answer may take a whole TCP message; over UDP it is truncated to fit.
async fn resolve(resolver: &TokioResolver, packet: &[u8], stream: bool) -> Option<Vec<u8>> {
    let req = Message::from_vec(packet).ok()?;
    let query = req.queries.first()?.clone();
    let mut resp = Message::new(req.metadata.id, MessageType::Response, OpCode::Query);
    resp.metadata.recursion_desired = req.metadata.recursion_desired;
    resp.metadata.recursion_available = true;
    resp.metadata.checking_disabled = req.metadata.checking_disabled;
    let mut limit = match &req.edns {
        Some(e) => {
            let mut ours = Edns::new();
            ours.set_max_payload(crate::query::MAX_UDP as u16);
            resp.set_edns(ours);
            (e.max_payload() as usize).clamp(512, crate::query::MAX_UDP)
        }
        None => 512,
    };
    if stream {
        limit = u16::MAX as usize;
    }
    resp.add_query(query.clone());
    match resolver
        .lookup(query.name().clone(), query.query_type())
        .await
    {
        Ok(lookup) => {
            resp.add_answers(lookup.answers().iter().cloned());
        }
        Err(e) if e.is_no_records_found() => {
            resp.metadata.response_code = if e.is_nx_domain() {
                ResponseCode::NXDomain
            } else {
                ResponseCode::NoError
            };
            if let Some(soa) = e.into_soa() {
                resp.add_authority(soa.into_record_of_rdata());
            }
        }
        Err(e) => {
            tracing::debug!("forwarding {} {}: {e}", query.name(), query.query_type());
            resp.metadata.response_code = ResponseCode::ServFail;
        }
    }
    let wire = resp.to_vec().ok()?;
    if wire.len() <= limit {
        return Some(wire);
    }
    // Too big for the client's buffer: truncated, the client retries over TCP.
    resp.answers.clear();
    resp.authorities.clear();
    resp.metadata.truncation = true;
    resp.to_vec().ok()
}
