//! Sending on the event loop: each connection's answers of a batch go out with one `send`;
//! a connection whose socket takes only part keeps the rest and is watched for EPOLLOUT (and
//! not read) until it has all gone.

use super::{conn_token, epoll, Loop, ARENA_KEEP, IN, OUT, PARTIAL_KEEP};

impl Loop {
    /// Sends each connection's answers of this batch with one `send`; a connection that takes
    /// only part keeps the rest and waits for EPOLLOUT.
    pub(super) fn flush(&mut self) {
        let mut writes = std::mem::take(&mut self.writes);
        for w in writes.drain(..) {
            let now = self.now_ms;
            let Some(slot) = self.slots.get_mut(w.idx) else {
                continue;
            };
            if slot.gen != w.gen {
                continue;
            }
            let Some(c) = slot.conn.as_mut() else {
                continue;
            };
            let buf = &self.arena[w.start..w.end];
            let sent = match epoll::send(c.fd, buf) {
                Ok(n) => n,
                Err(e) if epoll::again(&e) => 0,
                Err(_) => {
                    self.close(w.idx);
                    continue;
                }
            };
            c.slot.touch_at(now);
            if sent == buf.len() {
                if w.close {
                    self.close(w.idx);
                }
                continue;
            }
            c.pending.extend_from_slice(&buf[sent..]);
            c.closing = w.close;
            let fd = c.fd;
            if self
                .epoll
                .modify(fd, OUT, conn_token(w.idx, w.gen))
                .is_err()
            {
                self.close(w.idx);
            }
        }
        self.writes = writes;
        self.arena.clear();
        if self.arena.capacity() > ARENA_KEEP {
            self.arena.shrink_to(ARENA_KEEP);
        }
    }

    /// Sends what a blocked connection still owes; once all is sent it is read again.
    pub(super) fn on_writable(&mut self, idx: usize) {
        let now = self.now_ms;
        let Some(slot) = self.slots.get_mut(idx) else {
            return;
        };
        let gen = slot.gen;
        let Some(c) = slot.conn.as_mut() else {
            return;
        };
        let n = match epoll::send(c.fd, &c.pending) {
            Ok(n) => n,
            Err(e) if epoll::again(&e) => return,
            Err(_) => return self.close(idx),
        };
        c.pending.drain(..n);
        c.slot.touch_at(now);
        if !c.pending.is_empty() {
            return;
        }
        if c.pending.capacity() > PARTIAL_KEEP {
            c.pending = Vec::new();
        }
        if c.closing {
            return self.close(idx);
        }
        let fd = c.fd;
        if self.epoll.modify(fd, IN, conn_token(idx, gen)).is_err() {
            self.close(idx);
        }
    }
}
