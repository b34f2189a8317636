//! Raw Linux epoll for the TCP event loops: an epoll instance (registrations are
//! level-triggered unless asked otherwise; a wait into a reusable event buffer), the socket
//! calls the loop makes (`accept4`, `recv`, `send`) as thin wrappers returning `io::Result`,
//! and `Wake`, an eventfd another thread writes to wake a loop (shutdown, an eviction).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Readable (level-triggered: reported for as long as data waits).
pub(crate) const IN: u32 = libc::EPOLLIN as u32;
/// Writable.
pub(crate) const OUT: u32 = libc::EPOLLOUT as u32;
/// Hang-up or error (always reported, whatever the interest).
pub(crate) const HUP_ERR: u32 = (libc::EPOLLHUP | libc::EPOLLERR) as u32;
/// Wake one of the epoll instances that wait on this descriptor, not all (listeners).
pub(crate) const EXCLUSIVE: u32 = libc::EPOLLEXCLUSIVE as u32;

/// One epoll instance.
pub(crate) struct Epoll {
    fd: OwnedFd,
}

/// A ready descriptor: its token and what it is ready for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ready {
    pub(crate) token: u64,
    pub(crate) events: u32,
}

/// Where `Epoll::wait` writes: a fixed number of kernel event records, reused.
pub(crate) struct Events {
    buf: Vec<libc::epoll_event>,
    len: usize,
}

impl Events {
    pub(crate) fn with_capacity(n: usize) -> Events {
        Events {
            buf: vec![libc::epoll_event { events: 0, u64: 0 }; n.max(1)],
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The `i`th ready descriptor of the last wait.
    pub(crate) fn get(&self, i: usize) -> Ready {
        let e = self.buf[i];
        Ready {
            token: e.u64,
            events: e.events,
        }
    }
}

/// The error of the last libc call when `r` is negative.
fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers; a non-negative result is a descriptor we own.
        let fd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` was just created and is owned by nothing else.
        Ok(Epoll {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: token };
        // SAFETY: `ev` lives across the call; the kernel copies it.
        check(unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut ev) }).map(drop)
    }

    /// Registers `fd` for `events`, reported with `token`.
    pub(crate) fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, events, token)
    }

    /// Changes what `fd` is watched for (not for `EXCLUSIVE` registrations).
    pub(crate) fn modify(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, events, token)
    }

    /// Stops watching `fd` (closing it does that too, when it has no duplicates).
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits up to `timeout_ms` (-1: no limit) for ready descriptors; returns how many are in
    /// `events` (0 on timeout or interruption).
    pub(crate) fn wait(&self, events: &mut Events, timeout_ms: i32) -> usize {
        // SAFETY: the buffer holds `buf.len()` records, the most the kernel is told to write.
        let n = unsafe {
            libc::epoll_wait(
                self.fd.as_raw_fd(),
                events.buf.as_mut_ptr(),
                events.buf.len() as libc::c_int,
                timeout_ms,
            )
        };
        events.len = n.max(0) as usize;
        events.len
    }
}

/// An eventfd: written by other threads to wake a loop blocked in `epoll_wait`.
pub(crate) struct Wake {
    fd: OwnedFd,
}

impl Wake {
    pub(crate) fn new() -> io::Result<Wake> {
        // SAFETY: eventfd takes no pointers; a non-negative result is a descriptor we own.
        let fd = check(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
        // SAFETY: as in `Epoll::new`.
        Ok(Wake {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Makes the descriptor readable until `drain`.
    pub(crate) fn wake(&self) {
        let one = 1u64.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live array. A full counter (EAGAIN) is still readable.
        let _ = unsafe { libc::write(self.fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
    }

    /// Clears the wake-ups so far.
    pub(crate) fn drain(&self) {
        let mut v = [0u8; 8];
        // SAFETY: reads at most 8 bytes into a live array.
        let _ = unsafe { libc::read(self.fd.as_raw_fd(), v.as_mut_ptr().cast(), v.len()) };
    }
}

/// Accepts one connection from the (non-blocking) listener `fd`: the new socket, itself
/// non-blocking and close-on-exec, and the peer's address.
pub(crate) fn accept(fd: RawFd) -> io::Result<(std::net::TcpStream, SocketAddr)> {
    // SAFETY: a zeroed sockaddr_storage is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes of address into `ss`.
    let s = check(unsafe {
        libc::accept4(
            fd,
            (&mut ss as *mut libc::sockaddr_storage).cast(),
            &mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    })?;
    // SAFETY: `s` is a new connected socket nothing else owns.
    let stream = unsafe { std::net::TcpStream::from_raw_fd(s) };
    // SAFETY: `ss` holds `len` bytes of the address accept4 wrote.
    let peer = unsafe { socket2::SockAddr::new(ss, len) }
        .as_socket()
        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
    Ok((stream, peer))
}

/// One `recv` into `buf`: bytes read (0: end of stream).
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// One `send` of `buf` (no SIGPIPE on a closed peer): bytes sent.
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    let n = unsafe {
        libc::send(
            fd,
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Would the call have blocked (or was it interrupted): try again when ready.
pub(crate) fn again(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn wake_is_level_triggered_until_drained() {
        let ep = Epoll::new().expect("epoll");
        let w = Wake::new().expect("eventfd");
        ep.add(w.fd(), IN, 7).expect("add");
        let mut ev = Events::with_capacity(4);
        assert_eq!(ep.wait(&mut ev, 0), 0);
        w.wake();
        w.wake();
        assert_eq!(ep.wait(&mut ev, 1000), 1);
        assert_eq!(ev.get(0).token, 7);
        assert_eq!(ep.wait(&mut ev, 0), 1, "level-triggered: still ready");
        w.drain();
        assert_eq!(ep.wait(&mut ev, 0), 0);
    }

    #[test]
    fn accept_recv_send_and_modify() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("nonblocking");
        let lfd = l.as_raw_fd();
        assert!(again(&accept(lfd).expect_err("nothing to accept")));
        let mut c = TcpStream::connect(l.local_addr().expect("addr")).expect("connect");
        let ep = Epoll::new().expect("epoll");
        ep.add(lfd, IN | EXCLUSIVE, 1).expect("add listener");
        let mut ev = Events::with_capacity(4);
        assert_eq!(ep.wait(&mut ev, 1000), 1);
        let (s, peer) = accept(lfd).expect("accept");
        assert_eq!(peer, c.local_addr().expect("client addr"));
        let fd = s.as_raw_fd();
        ep.add(fd, IN, 2).expect("add conn");
        let mut buf = [0u8; 16];
        assert!(again(&recv(fd, &mut buf).expect_err("no data yet")));
        c.write_all(b"abc").expect("write");
        assert_eq!(ep.wait(&mut ev, 1000), 1);
        assert_eq!((ev.get(0).token, ev.get(0).events & IN), (2, IN));
        assert_eq!(recv(fd, &mut buf).expect("recv"), 3);
        assert_eq!(&buf[..3], b"abc");
        ep.modify(fd, OUT, 3).expect("modify");
        assert_eq!(ep.wait(&mut ev, 1000), 1);
        assert_eq!((ev.get(0).token, ev.get(0).events & OUT), (3, OUT));
        assert_eq!(send(fd, b"xy").expect("send"), 2);
        let mut got = [0u8; 2];
        std::io::Read::read_exact(&mut c, &mut got).expect("client read");
        assert_eq!(&got, b"xy");
        ep.delete(fd).expect("delete");
        drop(c);
        assert_eq!(ep.wait(&mut ev, 50), 0, "deleted: not reported");
        assert_eq!(recv(fd, &mut buf).expect("eof"), 0);
    }
}
