//! The service: binds every listen address for UDP and TCP, runs the UDP workers (one thread
//! per core on `SO_REUSEPORT` sockets, `recvmmsg`/`sendmmsg` batches) and TCP on tokio, the
//! zone watcher and signal handling, and drains everything on SIGINT/SIGTERM.

use std::io;
use std::net::{SocketAddr, TcpListener as StdTcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use crate::config::cli::ServeConfig;
use crate::query::answer::{self, Transport};
use crate::source::reload::{self, Change, Reloader};
use crate::store::{Store, ZoneSet};

/// Packets per `recvmmsg` batch.
const BATCH: usize = 32;
/// Largest UDP query read (anything longer is dropped).
const UDP_IN: usize = 4096;
/// How often blocked workers look at the shutdown flag.
const WAKE: Duration = Duration::from_millis(200);

/// Runs `clusterdns serve` until SIGINT or SIGTERM.
pub fn serve(cfg: ServeConfig) -> anyhow::Result<()> {
    let store = Arc::new(Store::new(ZoneSet::default()));
    let mut reloader = Reloader::new(
        cfg.zones.clone(),
        store.clone(),
        reload::ReloadOptions {
            auto_serial: cfg.auto_serial,
        },
    );
    let report = reloader.reload().map_err(|e| {
        anyhow::anyhow!("failed to read zone directory {}: {e}", cfg.zones.display())
    })?;
    log_first_load(&report);
    crate::store::trim_memory();
    if report.zones == 0 {
        anyhow::bail!(
            "no zone can be served from {}: {}",
            cfg.zones.display(),
            if report.errors.is_empty() {
                "it holds no NAME.zone files".to_string()
            } else {
                "every zone file has errors (see above)".to_string()
            }
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("clusterdns-tcp")
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("failed to start the runtime: {e}"))?;
    {
        // Take over SIGHUP before saying "listening": from then on a SIGHUP means "rescan",
        // never the default "terminate" (tokio keeps the handler installed once registered).
        let _rt = rt.enter();
        let _ = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    }
    let sockets = bind_all(&cfg)?;
    rt.block_on(run(cfg, store, reloader, sockets))
}

/// Sockets bound for one listen address.
struct Bound {
    udp: Vec<UdpSocket>,
    tcp: StdTcpListener,
    addr: SocketAddr,
}

fn bind_all(cfg: &ServeConfig) -> anyhow::Result<Vec<Bound>> {
    let mut out = Vec::new();
    for &want in &cfg.listen {
        // Bind the first UDP socket (resolving port 0), then the rest and TCP on that port.
        // A port the kernel picks gets one socket shared by the workers, without SO_REUSEPORT:
        // otherwise a client that sets SO_REUSEPORT (dig does) could be handed the same port.
        let ephemeral = want.port() == 0;
        let first = udp_socket(want, !ephemeral).map_err(|e| bind_error("udp", want, e))?;
        let addr = first.local_addr().map_err(|e| bind_error("udp", want, e))?;
        let mut udp = vec![first];
        for _ in 1..cfg.threads {
            let s = if ephemeral {
                udp[0].try_clone().map_err(|e| bind_error("udp", addr, e))?
            } else {
                udp_socket(addr, true).map_err(|e| bind_error("udp", addr, e))?
            };
            udp.push(s);
        }
        let tcp = tcp_listener(addr).map_err(|e| bind_error("tcp", addr, e))?;
        tracing::info!("listening on {addr} (udp, {} threads; tcp)", cfg.threads);
        out.push(Bound { udp, tcp, addr });
    }
    Ok(out)
}

fn bind_error(proto: &str, addr: SocketAddr, e: io::Error) -> anyhow::Error {
    let hint = match e.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "port {} needs root or CAP_NET_BIND_SERVICE (e.g. `setcap cap_net_bind_service=+ep $(which clusterdns)`); to try it out, use --listen 127.0.0.1:5353",
            addr.port()
        ),
        io::ErrorKind::AddrInUse => format!(
            "{addr} is already in use by another server (named, nsd, systemd-resolved?); stop it or choose another --listen"
        ),
        io::ErrorKind::AddrNotAvailable => format!("{} is not an address of this machine", addr.ip()),
        _ => String::new(),
    };
    if hint.is_empty() {
        anyhow::anyhow!("failed to bind {proto} {addr}: {e}")
    } else {
        anyhow::anyhow!("failed to bind {proto} {addr}: {e}: {hint}")
    }
}

fn udp_socket(addr: SocketAddr, reuse_port: bool) -> io::Result<UdpSocket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_port(reuse_port)?;
    s.set_read_timeout(Some(WAKE))?;
    // Room for bursts: 4 MiB each way (the kernel caps it at rmem_max / wmem_max).
    let _ = s.set_recv_buffer_size(4 << 20);
    let _ = s.set_send_buffer_size(4 << 20);
    s.bind(&addr.into())?;
    Ok(s.into())
}

fn tcp_listener(addr: SocketAddr) -> io::Result<StdTcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

async fn run(
    cfg: ServeConfig,
    store: Arc<Store>,
    reloader: Reloader,
    sockets: Vec<Bound>,
) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut threads = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    let tcp_slots = Arc::new(Semaphore::new(cfg.tcp_clients));
    for b in sockets {
        for (i, sock) in b.udp.into_iter().enumerate() {
            let store = store.clone();
            let stop = stop.clone();
            let name = format!("udp-{}-{i}", b.addr);
            let h = std::thread::Builder::new()
                .name(name)
                .spawn(move || udp_worker(sock, &store, &stop))
                .map_err(|e| anyhow::anyhow!("failed to start a UDP worker: {e}"))?;
            threads.push(h);
        }
        let listener = TcpListener::from_std(b.tcp)
            .map_err(|e| anyhow::anyhow!("failed to listen on tcp {}: {e}", b.addr))?;
        tasks.spawn(tcp_accept(
            listener,
            store.clone(),
            tcp_slots.clone(),
            cfg.tcp_idle_timeout,
            shutdown_rx.clone(),
        ));
    }
    let watcher = crate::source::watch::spawn(reloader, &cfg, shutdown_rx.clone())?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    stop.store(true, Ordering::Relaxed);
    let _ = shutdown_tx.send(true);
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        tracing::warn!("TCP connections still open after 5 s; closing them");
    }
    if let Some(w) = watcher {
        let _ = tokio::time::timeout(Duration::from_secs(2), w).await;
    }
    for t in threads {
        let _ = t.join();
    }
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers we can only run until killed.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// Logs the first load: every error (`path:line: message`), then one line per zone served.
/// Reloads are logged by [`reload::log_reload`].
pub fn log_first_load(r: &reload::Report) {
    reload::log_errors(r);
    for c in &r.changes {
        if let Change::Added {
            origin,
            serial,
            records,
        } = c
        {
            tracing::info!("zone {origin} loaded: serial {serial}, {records} records");
        }
    }
}

// ------------------------------------------------------------------------------------------
// UDP

/// One worker: receive a batch, answer each from one snapshot, send the batch.
fn udp_worker(sock: UdpSocket, store: &Store, stop: &AtomicBool) {
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    let mut inbufs = vec![[0u8; UDP_IN]; BATCH];
    let mut outbufs = vec![[0u8; answer::MAX_UDP + 512]; BATCH];
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
    let opts = answer::Options::default();
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
    while !stop.load(Ordering::Relaxed) {
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
            dirty = 0;
            continue; // timeout (to look at the stop flag) or a transient error
        }
        let n = n as usize;
        dirty = n;
        let snap = store.snapshot();
        let mut nout = 0usize;
        for i in 0..n {
            let len = msgs_in[i].msg_len as usize;
            if msgs_in[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                continue;
            }
            let Some(rlen) = answer::respond(
                &snap,
                &inbufs[i][..len],
                &mut outbufs[nout],
                Transport::Udp,
                opts,
            ) else {
                continue;
            };
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

// ------------------------------------------------------------------------------------------
// TCP

async fn tcp_accept(
    listener: TcpListener,
    store: Arc<Store>,
    slots: Arc<Semaphore>,
    idle: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    tracing::debug!("tcp connection from {peer} refused: too many connections");
                    drop(stream);
                    continue;
                };
                let store = store.clone();
                let shutdown = shutdown.clone();
                conns.spawn(async move {
                    let _permit = permit;
                    tcp_conn(stream, &store, idle, shutdown).await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    while conns.join_next().await.is_some() {}
}

/// Serves length-prefixed queries on one connection until EOF, idle timeout, a bad frame or
/// shutdown (RFC 7766).
async fn tcp_conn(
    mut stream: TcpStream,
    store: &Store,
    idle: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let mut out = vec![0u8; 2 + 65535];
    let mut msg = vec![0u8; 65535];
    let opts = answer::Options::default();
    loop {
        let mut lenbuf = [0u8; 2];
        let read_len = tokio::select! {
            _ = shutdown.changed() => return,
            r = tokio::time::timeout(idle, stream.read_exact(&mut lenbuf)) => r,
        };
        if !matches!(read_len, Ok(Ok(_))) {
            return;
        }
        let len = u16::from_be_bytes(lenbuf) as usize;
        if len == 0 {
            return;
        }
        match tokio::time::timeout(idle, stream.read_exact(&mut msg[..len])).await {
            Ok(Ok(_)) => {}
            _ => return, // truncated frame or stalled peer: close this connection only
        }
        let n = {
            let snap = store.snapshot();
            answer::respond(&snap, &msg[..len], &mut out[2..], Transport::Tcp, opts)
        };
        let Some(n) = n else { continue };
        out[..2].copy_from_slice(&(n as u16).to_be_bytes());
        match tokio::time::timeout(idle, stream.write_all(&out[..2 + n])).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}
