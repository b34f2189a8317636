//! Accepting on the event loop: up to `ACCEPT_BATCH` connections per listener wake-up, each
//! admitted to the connection table (which may evict the idlest, here or on another loop) and
//! registered level-triggered; out of descriptors, the listeners leave the epoll set for
//! `FD_BACKOFF_MS` instead of spinning on a readable listener.

use std::os::fd::AsRawFd;

use super::{
    conn_token, listen_token, Conn, Loop, Slot, ACCEPT_BATCH, EXCLUSIVE, FD_BACKOFF_MS, IN,
};
use crate::net::tcp::epoll;
use crate::net::tcp::out_of_fds;

impl Loop {
    /// Accepts up to `ACCEPT_BATCH` connections from listener `li`.
    pub(super) fn accept(&mut self, li: usize) {
        let Some((_, l)) = self.listeners.get(li) else {
            return;
        };
        let lfd = l.as_raw_fd();
        for _ in 0..ACCEPT_BATCH {
            let (sock, peer) = match epoll::accept(lfd) {
                Ok(a) => a,
                Err(e) if epoll::again(&e) => break,
                Err(e) if out_of_fds(&e) => {
                    self.pause_accepts(&e);
                    break;
                }
                Err(_) => continue, // the client gave up (ECONNABORTED) and the like
            };
            if self.fd_warned {
                tracing::info!("accepting tcp connections again");
                self.fd_warned = false;
            }
            // Answers leave at once (no Nagle: `docs/performance.md` says what that costs).
            let _ = sock.set_nodelay(true);
            let s = &self.shared;
            let (slot, evicted) = s.table.admit(peer, &s.shutdown, Some(&self.wake));
            if let Some(ip) = evicted {
                tracing::debug!("tcp connection from {peer}: closed the idlest connection (of {ip}) to make room");
                self.close_evicted();
            }
            slot.touch_at(self.now_ms);
            let fd = sock.as_raw_fd();
            let conn = Conn {
                sock,
                fd,
                peer,
                slot,
                partial: Vec::new(),
                pending: Vec::new(),
                closing: false,
            };
            let idx = self.free.pop().unwrap_or_else(|| {
                self.slots.push(Slot { gen: 0, conn: None });
                self.slots.len() - 1
            });
            let gen = self.slots[idx].gen;
            self.slots[idx].conn = Some(conn);
            self.open += 1;
            if self.epoll.add(fd, IN, conn_token(idx, gen)).is_err() {
                self.close(idx);
            }
        }
    }

    /// Out of descriptors: the listeners leave the epoll set for `FD_BACKOFF_MS` (they stay
    /// readable while connections wait: retrying at once would spin).
    fn pause_accepts(&mut self, e: &std::io::Error) {
        if !self.fd_warned {
            tracing::warn!("failed to accept a tcp connection: {e}; pausing accepts for {FD_BACKOFF_MS} ms at a time until descriptors are free");
            self.fd_warned = true;
        }
        for (_, l) in self.listeners.iter() {
            let _ = self.epoll.delete(l.as_raw_fd());
        }
        self.paused_until = Some(self.now_ms + FD_BACKOFF_MS);
    }

    pub(super) fn resume_accepts(&mut self) {
        self.paused_until = None;
        for (i, (addr, l)) in self.listeners.iter().enumerate() {
            if let Err(e) = self
                .epoll
                .add(l.as_raw_fd(), IN | EXCLUSIVE, listen_token(i))
            {
                tracing::warn!("failed to watch tcp {addr} again: {e}");
            }
        }
    }
}
