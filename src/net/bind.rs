//! Binding every listen address for UDP (one socket per worker, `SO_REUSEPORT`) and TCP, with
//! errors that say what to do about them.

use std::io;
use std::net::{SocketAddr, TcpListener as StdTcpListener, UdpSocket};

use socket2::{Domain, Protocol, Socket, Type};

use crate::config::NetConfig;

/// How often blocked UDP workers wake up to look for shutdown.
pub(super) const WAKE: std::time::Duration = std::time::Duration::from_millis(200);

/// A socket that could not be bound; the message carries a hint for the usual causes.
#[derive(Debug, thiserror::Error)]
#[error("failed to bind {proto} {addr}: {error}{}", hint(*.addr, .error))]
pub struct BindError {
    pub proto: &'static str,
    pub addr: SocketAddr,
    pub error: io::Error,
}

/// What to do about a bind error (empty when there is no advice).
fn hint(addr: SocketAddr, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => format!(
            ": port {} needs root or CAP_NET_BIND_SERVICE (e.g. `setcap cap_net_bind_service=+ep $(which clusterdns)`); to try it out, use --listen 127.0.0.1:5353",
            addr.port()
        ),
        io::ErrorKind::AddrInUse => format!(
            ": {addr} is already in use by another server (named, nsd, systemd-resolved?); stop it or choose another --listen"
        ),
        io::ErrorKind::AddrNotAvailable => format!(": {} is not an address of this machine", addr.ip()),
        _ => String::new(),
    }
}

/// Sockets bound for one listen address.
pub struct Bound {
    pub(super) udp: Vec<UdpSocket>,
    pub(super) tcp: StdTcpListener,
    pub(super) addr: SocketAddr,
}

/// Binds every listen address: `cfg.threads` UDP sockets and one TCP listener each. Logs each
/// bound address (tests bind port 0 and read which port they got).
pub fn bind_all(cfg: &NetConfig) -> Result<Vec<Bound>, BindError> {
    let mut out = Vec::new();
    for &want in &cfg.listen {
        let b = if want.port() == 0 {
            bind_ephemeral(want, cfg.threads)?
        } else {
            bind_one(want, cfg.threads)?
        };
        tracing::info!(
            "listening on {} (udp, {} threads; tcp)",
            b.addr,
            cfg.threads
        );
        out.push(b);
    }
    Ok(out)
}

/// How many kernel-picked UDP ports are tried before giving up because TCP on the same port
/// is taken.
const EPHEMERAL_TRIES: usize = 16;

/// Port 0: the kernel picks a free UDP port, and TCP is bound on the same number -- which
/// another program may already hold for TCP. Then pick again.
fn bind_ephemeral(want: SocketAddr, threads: usize) -> Result<Bound, BindError> {
    let mut tries = 0;
    loop {
        match bind_one(want, threads) {
            Err(e) if e.proto == "tcp" && e.error.kind() == io::ErrorKind::AddrInUse => {
                tries += 1;
                if tries >= EPHEMERAL_TRIES {
                    return Err(e);
                }
            }
            r => return r,
        }
    }
}

/// Binds the first UDP socket (resolving port 0), then the rest and TCP on that port. A port
/// the kernel picks gets one socket shared by the workers, without SO_REUSEPORT: otherwise a
/// client that sets SO_REUSEPORT (dig does) could be handed the same port.
fn bind_one(want: SocketAddr, threads: usize) -> Result<Bound, BindError> {
    let err = |proto, addr| move |error| BindError { proto, addr, error };
    let ephemeral = want.port() == 0;
    let first = udp_socket(want, !ephemeral).map_err(err("udp", want))?;
    let addr = first.local_addr().map_err(err("udp", want))?;
    let mut udp = vec![first];
    for _ in 1..threads {
        let s = if ephemeral {
            udp[0].try_clone().map_err(err("udp", addr))?
        } else {
            udp_socket(addr, true).map_err(err("udp", addr))?
        };
        udp.push(s);
    }
    let tcp = tcp_listener(addr).map_err(err("tcp", addr))?;
    Ok(Bound { udp, tcp, addr })
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

pub(super) fn tcp_listener(addr: SocketAddr) -> io::Result<StdTcpListener> {
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
