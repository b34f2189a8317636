//! Accepting on the event loop: up to `ACCEPT_BATCH` connections per listener wake-up, each
//! admitted to its connection table (TCP's, or for DoT the encrypted transports'; admitting may
//! evict the idlest, here or elsewhere) and registered level-triggered, a DoT one with a new
//! TLS session; out of descriptors, the listeners leave the epoll set for `FD_BACKOFF_MS`
//! instead of spinning on a readable listener.

use std::os::fd::AsRawFd;

use super::{
    conn_token, listen_token, Conn, Loop, Slot, ACCEPT_BATCH, EXCLUSIVE, FD_BACKOFF_MS, IN,
};
use crate::net::tcp::epoll;
use crate::net::tcp::out_of_fds;

impl Loop {
    /// Accepts up to `ACCEPT_BATCH` connections from listener `li`.
    pub(super) fn accept(&mut self, li: usize) {
        let Some(l) = self.listeners.get(li) else {
            return;
        };
        let (lfd, tls) = (l.sock.as_raw_fd(), l.tls);
        let dot = match (tls, &self.shared.dot) {
            (false, _) => None,
            (true, Some(d)) => Some((d.config.clone(), d.table.clone())),
            (true, None) => return,
        };
        for _ in 0..ACCEPT_BATCH {
            let (sock, peer) = match epoll::accept(lfd) {
                Ok(a) => a,
                Err(e) if epoll::again(&e) => break,
                Err(e) if out_of_fds(&e) => {
                    self.pause_accepts(&e, what(tls));
                    break;
                }
                Err(_) => continue, // the client gave up (ECONNABORTED) and the like
            };
            if self.fd_warned {
                tracing::info!("accepting {} connections again", what(tls));
                self.fd_warned = false;
            }
            // Answers leave at once (no Nagle: `docs/performance.md` says what that costs).
            let _ = sock.set_nodelay(true);
            let (tls, table) = match &dot {
                None => (None, &self.shared.table),
                Some((config, table)) => match rustls::ServerConnection::new(config.clone()) {
                    Ok(mut c) => {
                        // A batch's answers are encrypted whole and sent by `flush`, which
                        // bounds them; rustls's own limit would refuse part of a large batch.
                        c.set_buffer_limit(None);
                        (Some(Box::new(c)), table)
                    }
                    Err(_) => continue,
                },
            };
            let (slot, evicted) = table.admit(peer, &self.shared.shutdown, Some(&self.wake));
            if let Some(ip) = evicted {
                tracing::debug!("{} connection from {peer}: closed the idlest connection (of {ip}) to make room", what(tls.is_some()));
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
                tls,
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
    fn pause_accepts(&mut self, e: &std::io::Error, what: &str) {
        if !self.fd_warned {
            tracing::warn!("failed to accept a {what} connection: {e}; pausing accepts for {FD_BACKOFF_MS} ms at a time until descriptors are free");
            self.fd_warned = true;
        }
        for l in self.listeners.iter() {
            let _ = self.epoll.delete(l.sock.as_raw_fd());
        }
        self.paused_until = Some(self.now_ms + FD_BACKOFF_MS);
    }

    pub(super) fn resume_accepts(&mut self) {
        self.paused_until = None;
        for (i, l) in self.listeners.iter().enumerate() {
            if let Err(e) = self
                .epoll
                .add(l.sock.as_raw_fd(), IN | EXCLUSIVE, listen_token(i))
            {
                tracing::warn!("failed to watch tcp {} again: {e}", l.addr);
            }
        }
    }
}

/// What a listener's connections are called in the log.
fn what(tls: bool) -> &'static str {
    if tls {
        "DoT"
    } else {
        "tcp"
    }
}
