//! The UDP workers: one thread per socket, receiving a batch with `recvmmsg`, answering each
//! packet from one snapshot of the zone set (never packets from ports only reflection attacks
//! use), passing each response through the worker's rate limiter when RRL is on, and sending
//! the batch with `sendmmsg`. Nothing is allocated or locked per packet.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::rrl::{Action, Rrl};
use crate::metrics::Tap;
use crate::net::forward::Forwarder;
use crate::query::{self, RequestCtx, Route, Transport};
use crate::source::notify_in::NotifyJob;
use crate::source::updater::{Reply, UpdateJob};
use crate::store::Store;

/// Packets per `recvmmsg` batch.
const BATCH: usize = 32;
/// Largest UDP query read (anything longer is dropped).
const UDP_IN: usize = 4096;
/// Busy workers look at the shutdown token once every this many batches (idle ones whenever
/// `recvmmsg` times out); the token takes a lock, so not once per batch.
const CHECK_EVERY: u32 = 64;

/// Source ports that get no UDP answer (as BIND): 0 cannot be replied to, and echo (7),
/// daytime (13), quote (17), chargen (19) and time (37) answer anything, so a reply to them is
/// a spoofed reflection loop.
fn reflection_port(port: u16) -> bool {
    matches!(port, 0 | 7 | 13 | 17 | 19 | 37)
}

/// One worker: receive a batch, answer each from one snapshot, send the batch; until
/// `shutdown` is cancelled.
pub(super) fn udp_worker(
    sock: UdpSocket,
    store: &Store,
    mut tap: Tap,
    mut rrl: Option<Rrl>,
    shutdown: &CancellationToken,
    forward: Option<Forwarder>,
) {
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    // The forwarding task answers on a clone of this socket.
    let forward = forward.and_then(|f| match sock.try_clone() {
        Ok(s) => Some((f, Arc::new(s))),
        Err(e) => {
            tracing::warn!("failed to share a UDP socket with the forwarder: {e}");
            None
        }
    });
    // Dynamic updates are answered on a clone of this socket too.
    // (And NOTIFY, when we are a secondary.)
    let update_sock = (store.updater().is_some() || store.notify_in().is_some())
        .then(|| sock.try_clone().ok())
        .flatten()
        .map(Arc::new);
    let mut inbufs = vec![[0u8; UDP_IN]; BATCH];
    let mut outbufs = vec![[0u8; query::MAX_UDP + 512]; BATCH];
    // SAFETY: zeroed sockaddr_storage, iovec and mmsghdr are valid initial values.
    let mut addrs: Vec<libc::sockaddr_storage> = vec![unsafe { std::mem::zeroed() }; BATCH];
    let mut iov_in: Vec<libc::iovec> = vec![
        libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0
        };
        BATCH
    ];
    let mut iov_out: Vec<libc::iovec> = vec![
        libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0
        };
        BATCH
    ];
    let mut msgs_in: Vec<libc::mmsghdr> = vec![unsafe { std::mem::zeroed() }; BATCH];
    let mut msgs_out: Vec<libc::mmsghdr> = vec![unsafe { std::mem::zeroed() }; BATCH];
    for i in 0..BATCH {
        iov_in[i] = libc::iovec {
            iov_base: inbufs[i].as_mut_ptr().cast(),
            iov_len: UDP_IN,
        };
        msgs_in[i].msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
        msgs_in[i].msg_hdr.msg_iov = &mut iov_in[i];
        msgs_in[i].msg_hdr.msg_iovlen = 1;
    }
    // Headers the last call filled in (the kernel rewrites their lengths and flags).
    let mut dirty = BATCH;
    let mut batches = 0u32;
    let epoch = std::time::Instant::now();
    loop {
        batches = batches.wrapping_add(1);
        if batches.is_multiple_of(CHECK_EVERY) && shutdown.is_cancelled() {
            return;
        }
        for m in &mut msgs_in[..dirty] {
            m.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as u32;
            m.msg_hdr.msg_flags = 0;
            m.msg_len = 0;
        }
        // SAFETY: every mmsghdr points at live buffers owned by this frame, sized as declared.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                msgs_in.as_mut_ptr(),
                BATCH as u32,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n <= 0 {
            // A timeout (to look for shutdown) or a transient error.
            if shutdown.is_cancelled() {
                return;
            }
            dirty = 0;
            continue;
        }
        let n = n as usize;
        dirty = n;
        let snap = store.snapshot();
        let access = store.access();
        tap.batch_start(&snap);
        // The rate limiter's clock: seconds since the worker started, read once per batch.
        let now = if rrl.is_some() {
            epoch.elapsed().as_secs() as u32
        } else {
            0
        };
        let mut nout = 0usize;
        for i in 0..n {
            let len = msgs_in[i].msg_len as usize;
            if msgs_in[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                continue;
            }
            let ctx = RequestCtx {
                peer: peer(&addrs[i], msgs_in[i].msg_hdr.msg_namelen),
                transport: Transport::Udp,
                access: &access,
            };
            if reflection_port(ctx.peer.port()) {
                continue;
            }
            let q = &inbufs[i][..len];
            // Updates and NOTIFYs (rare) are copied to the tasks that own zone changes and
            // answered from there; without such a task they are answered below (NOTIMP).
            let handed = match (query::route(q, false), &update_sock) {
                (Route::Update, Some(s)) => store.updater().map(|u| {
                    u.hand_off(UpdateJob {
                        packet: q.to_vec(),
                        peer: ctx.peer,
                        reply: Reply::Udp(s.clone(), ctx.peer),
                    })
                }),
                (Route::Notify, Some(s)) => store.notify_in().map(|n| {
                    n.hand_off(NotifyJob {
                        packet: q.to_vec(),
                        peer: ctx.peer,
                        reply: Reply::Udp(s.clone(), ctx.peer),
                    })
                }),
                _ => None,
            };
            if handed.is_some() {
                continue;
            }
            let Some(a) = query::respond_ext(&snap, q, &mut outbufs[nout], &ctx) else {
                continue;
            };
            // A TSIG-signed query (rare) is verified and its answer signed.
            let mut rlen = query::answer_signed(&snap, q, &mut outbufs[nout], a.len, &ctx, store);
            if let Some((f, s)) = &forward {
                let out = &mut outbufs[nout][..rlen];
                let q = &inbufs[i][..len];
                if query::forward_instead(&snap, q, out, &ctx, store) {
                    if f.hand_off(q, ctx.peer, s) {
                        continue;
                    }
                    query::refused_to_servfail(out);
                }
            }
            if let Some(r) = rrl.as_mut() {
                match r.judge(ctx.peer.ip(), &mut outbufs[nout][..rlen], now, a.cookie_ok) {
                    Action::Send => {}
                    Action::Drop => continue,
                    Action::Slip(l) => rlen = l,
                }
            }
            tap.packet(&ctx, q, &outbufs[nout][..rlen], a);
            iov_out[nout] = libc::iovec {
                iov_base: outbufs[nout].as_mut_ptr().cast(),
                iov_len: rlen,
            };
            msgs_out[nout].msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            msgs_out[nout].msg_hdr.msg_namelen = msgs_in[i].msg_hdr.msg_namelen;
            msgs_out[nout].msg_hdr.msg_iov = &mut iov_out[nout];
            msgs_out[nout].msg_hdr.msg_iovlen = 1;
            nout += 1;
        }
        drop(snap);
        tap.batch_end(nout);
        let mut sent = 0usize;
        while sent < nout {
            // SAFETY: as above; msgs_out[sent..nout] were filled in this iteration.
            let r = unsafe {
                libc::sendmmsg(fd, msgs_out[sent..].as_mut_ptr(), (nout - sent) as u32, 0)
            };
            if r <= 0 {
                // Skip the packet that failed (e.g. unreachable peer) and carry on.
                sent += 1;
            } else {
                sent += r as usize;
            }
        }
    }
}

/// The sender's address, as the kernel wrote it (unspecified if it is not IPv4 or IPv6).
fn peer(ss: &libc::sockaddr_storage, len: libc::socklen_t) -> SocketAddr {
    // SAFETY: `ss` was filled in by recvmmsg, which wrote `len` bytes of a socket address.
    let sa = unsafe { socket2::SockAddr::new(*ss, len) };
    sa.as_socket()
        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
}
