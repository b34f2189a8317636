//! DNS over HTTPS (RFC 8484) on HTTP/2: `GET /dns-query?dns=BASE64URL` and `POST /dns-query`
//! with an `application/dns-message` body, answered by our engine with the wire bytes passed
//! straight through. Our own small listener (tokio-rustls and h2, as hickory-server uses):
//! hickory-server 0.26's HTTPS listener answers every GET with an error and needs a
//! Content-Type on GETs, which RFC 8484 clients (kdig +https-get, curl) do not send.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{header, Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::accept::accept_loop;
use super::handler::{Engine, Forwarding, Reply};
use crate::net::conns::{Conn, Table};
use crate::net::tcp::MAX_MSG;

/// The media type of DNS messages (RFC 8484 section 6).
const DNS_MESSAGE: &str = "application/dns-message";
/// A request and where its response goes.
type Asked = (Request<RecvStream>, SendResponse<Bytes>);

/// Requests one connection may have in flight (what we advertise in SETTINGS; BIND: 100).
const MAX_STREAMS: u32 = 100;

/// Accepts DoH connections on `listener` until `shutdown`.
pub(super) async fn serve_doh(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    engine: Arc<Engine>,
    path: &'static str,
    table: Arc<Table>,
    shutdown: CancellationToken,
) {
    accept_loop(listener, table, "DoH", shutdown, |tcp, peer, slot| {
        connection(tcp, peer, acceptor.clone(), engine.clone(), path, slot)
    })
    .await;
}

/// One connection: the TLS and HTTP/2 handshakes, then its requests answered in the order
/// asked until the client closes or stays idle longer than the table allows (shorter when it
/// is busy).
async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    engine: Arc<Engine>,
    path: &'static str,
    slot: Arc<Conn>,
) {
    let timeout = slot.idle_timeout();
    let _ = tcp.set_nodelay(true);
    let Ok(Ok(tls)) = tokio::time::timeout(timeout, acceptor.accept(tcp)).await else {
        return;
    };
    let handshake = h2::server::Builder::new()
        .max_concurrent_streams(MAX_STREAMS)
        .handshake(tls);
    let Ok(Ok(mut h2)) = tokio::time::timeout(timeout, handshake).await else {
        return;
    };
    // Requests are answered one at a time in the order asked (some clients -- dnsperf -- lose
    // answers that overtake earlier ones), while the connection keeps being driven: a POST
    // body that arrives after its headers is read only while the connection is polled, so
    // waiting for it without polling would stall the request until its timeout. A name to
    // forward is not waited for in line: its request goes on in `forwards` and is answered
    // when the upstream answers, so a slow upstream holds up no other request of the
    // connection (HTTP/2 streams are independent; a client that multiplexes expects that).
    let mut queue: VecDeque<Asked> = VecDeque::new();
    let mut current: Option<Pin<Box<dyn Future<Output = Option<Forward>> + Send + '_>>> = None;
    let mut forwards = tokio::task::JoinSet::new();
    // The client sent GOAWAY or closed its side: answer what it asked, then stop.
    let mut closing = false;
    // An answer was finished: the connection is polled once (writing its frames) before the
    // next request is answered, so that each answer's HEADERS and DATA go out before the next
    // one's (h2 would otherwise send the queued HEADERS first, which dnsperf cannot follow).
    let mut flush = false;
    loop {
        if std::mem::take(&mut flush) {
            if let Poll::Ready(r) = std::future::poll_fn(|cx| Poll::Ready(h2.poll_accept(cx))).await
            {
                if !take(Next::of(r), &mut queue, &mut closing, &slot, peer) {
                    break;
                }
            }
        }
        if current.is_none() {
            if let Some((req, respond)) = queue.pop_front() {
                let answer = request(req, respond, &engine, peer, path);
                current = Some(Box::pin(async move {
                    tokio::time::timeout(timeout, answer).await.ok().flatten()
                }));
            } else if closing && forwards.is_empty() {
                break;
            }
        }
        // Idle only when nothing is being answered.
        let busy = current.is_some() || !forwards.is_empty();
        let wait = if busy { timeout } else { slot.idle_timeout() };
        let next = async {
            if closing {
                // Only drive the connection (the answers in progress send through it).
                let _ = std::future::poll_fn(|cx| h2.poll_closed(cx)).await;
                return Next::Gone;
            }
            match tokio::time::timeout(wait, h2.accept()).await {
                Ok(r) => Next::of(r),
                Err(_) if busy => Next::StillBusy,
                Err(_) => Next::Gone, // idle
            }
        };
        let done = async {
            match current.as_mut() {
                Some(c) => c.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            f = done => {
                current = None;
                flush = true;
                slot.touch();
                if let Some(Forward(forwarding, respond)) = f {
                    forwards.spawn(async move {
                        if let Ok(answer) = tokio::time::timeout(timeout, forwarding.answer()).await {
                            send_answer(respond, answer);
                        }
                    });
                }
            }
            Some(_) = forwards.join_next(), if !forwards.is_empty() => {
                flush = true;
                slot.touch();
            }
            n = next => {
                if !take(n, &mut queue, &mut closing, &slot, peer) {
                    break;
                }
            }
        }
    }
}

/// Takes in what driving the connection came to: a request joins the queue, the end of
/// requests marks the connection closing. False when the connection is done.
fn take(
    n: Next,
    queue: &mut VecDeque<Asked>,
    closing: &mut bool,
    slot: &Conn,
    peer: SocketAddr,
) -> bool {
    match n {
        Next::Request(r) => {
            slot.touch();
            queue.push_back(*r);
        }
        Next::StreamError(e) => tracing::debug!("doh {peer}: {e}"),
        Next::Closing => *closing = true,
        Next::StillBusy => {}
        Next::Gone => return false,
    }
    true
}

/// What driving a DoH connection came to.
enum Next {
    Request(Box<Asked>),
    StreamError(h2::Error),
    /// No more requests will come; those asked are still to be answered.
    Closing,
    /// Nothing new within the wait, but an answer is in progress.
    StillBusy,
    /// Closed, failed, or idle.
    Gone,
}

impl Next {
    /// What `h2`'s next request (or its end) means for the connection.
    fn of(r: Option<Result<Asked, h2::Error>>) -> Next {
        match r {
            Some(Ok(r)) => Next::Request(Box::new(r)),
            // An error of one stream (a reset, a malformed request) is that stream's: the
            // connection and the other requests on it go on.
            Some(Err(e)) if !(e.is_io() || e.is_go_away()) => Next::StreamError(e),
            Some(Err(_)) => Next::Gone,
            None => Next::Closing,
        }
    }
}

/// A request whose name is forwarded, and where its answer goes.
struct Forward(Forwarding, SendResponse<Bytes>);

/// Answers one HTTP request; a name to forward is returned instead, to be answered when the
/// forwarder has answered.
async fn request(
    req: Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    engine: &Engine,
    peer: SocketAddr,
    path: &str,
) -> Option<Forward> {
    let status = match read_query(req, path).await {
        Ok(query) => match engine.respond(query, peer) {
            Some(Reply::Ready(answer)) => {
                send_answer(respond, answer);
                return None;
            }
            Some(Reply::Forward(f)) => return Some(Forward(f, respond)),
            None => StatusCode::BAD_REQUEST,
        },
        Err(status) => status,
    };
    if let Ok(r) = Response::builder().status(status).body(()) {
        let _ = respond.send_response(r, true);
    }
    None
}

/// Sends a DNS answer as the response to its request.
fn send_answer(mut respond: SendResponse<Bytes>, answer: Vec<u8>) {
    let answer = Bytes::from(answer);
    let r = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, DNS_MESSAGE)
        .header(header::CONTENT_LENGTH, answer.len())
        // RFC 8484 section 5.1: a freshness lifetime at most the smallest TTL; 0 is always that.
        .header(header::CACHE_CONTROL, "max-age=0")
        .body(());
    let Ok(r) = r else { return };
    if let Ok(mut body) = respond.send_response(r, false) {
        let _ = body.send_data(answer, true);
    }
}

/// The DNS query a request carries, or the HTTP status that refuses it.
async fn read_query(req: Request<RecvStream>, path: &str) -> Result<Vec<u8>, StatusCode> {
    if req.uri().path() != path {
        return Err(StatusCode::NOT_FOUND);
    }
    match *req.method() {
        Method::GET => {
            let dns = req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("dns="))
                .ok_or(StatusCode::BAD_REQUEST)?;
            decode_b64url(dns).ok_or(StatusCode::BAD_REQUEST)
        }
        Method::POST => {
            let ctype = req.headers().get(header::CONTENT_TYPE);
            if ctype.and_then(|v| v.to_str().ok()) != Some(DNS_MESSAGE) {
                return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
            }
            let mut body = req.into_body();
            let mut q = Vec::new();
            while let Some(chunk) = body.data().await {
                let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
                let _ = body.flow_control().release_capacity(chunk.len());
                if q.len() + chunk.len() > MAX_MSG {
                    return Err(StatusCode::PAYLOAD_TOO_LARGE);
                }
                q.extend_from_slice(&chunk);
            }
            Ok(q)
        }
        _ => Err(StatusCode::METHOD_NOT_ALLOWED),
    }
}

/// base64url as RFC 8484 writes it (no padding; padding tolerated).
fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    if s.len() > MAX_MSG * 4 / 3 + 4 {
        return None;
    }
    data_encoding::BASE64URL_NOPAD.decode(s.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_with_or_without_padding() {
        // RFC 8484 section 4.1.1's example query for www.example.com A.
        let q = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
        let d = decode_b64url(q).expect("decodes");
        assert_eq!(d.len(), 33);
        assert_eq!(&d[12..16], b"\x03www");
        assert_eq!(decode_b64url("AAE="), Some(vec![0, 1]));
        assert_eq!(decode_b64url("AA+/"), None, "plain base64 is not base64url");
    }
}
