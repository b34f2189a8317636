//! The TCP connection table: who holds a connection slot, a per-client-address cap, and
//! eviction of the connection idle longest when a newcomer needs a slot (what NSD and Knot do
//! under pressure, RFC 7766 section 6.2.3), plus the shorter idle timeout once the table is
//! more than half full. The table is locked on accept and close only; a connection marks its
//! activity with an atomic store. An evicted connection is flagged, its token cancelled (the
//! tokio path awaits it) and the event loop that owns it woken (`Wake`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::tcp::Wake;

/// Idle timeout once the table is more than half full (NSD uses 200 ms; Knot 0.2-2 s).
pub(super) const BUSY_IDLE: Duration = Duration::from_millis(500);

/// One connection's shared state: its last activity and the token that evicts it.
pub(super) struct Conn {
    id: u64,
    ip: IpAddr,
    /// Milliseconds on the tables' clock (`Table::ms_at`), at the last complete query or answer.
    last: AtomicU64,
    /// Cancelled when the connection is evicted (or on shutdown: a child of the shutdown token).
    pub(super) stop: CancellationToken,
    /// Set when the connection is evicted (read without a lock by the event loop).
    evicted: AtomicBool,
    /// The event loop that owns the connection, woken when it is evicted.
    waker: Option<Arc<Wake>>,
    table: Arc<Table>,
}

impl Conn {
    /// Marks the connection active now.
    pub(super) fn touch(&self) {
        self.touch_at(self.table.now_ms());
    }

    /// Marks the connection active at `ms` (a `Table::ms_at` reading).
    pub(super) fn touch_at(&self, ms: u64) {
        self.last.store(ms, Ordering::Relaxed);
    }

    /// When it was last active (what eviction and the idle sweep both judge by).
    pub(super) fn last_ms(&self) -> u64 {
        self.last.load(Ordering::Relaxed)
    }

    /// How long this connection may stay idle now: shorter when the table is busy.
    pub(super) fn idle_timeout(&self) -> Duration {
        self.table.idle_timeout()
    }

    /// Has the table closed this connection to make room for another?
    pub(super) fn evicted(&self) -> bool {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Tells the connection's owner to close it: the flag, the token, the loop's wake-up.
    fn evict(&self) {
        self.evicted.store(true, Ordering::Relaxed);
        self.stop.cancel();
        if let Some(w) = &self.waker {
            w.wake();
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.table.remove(self.id, self.ip);
    }
}

struct Inner {
    conns: HashMap<u64, Arc<ConnRef>>,
    per_ip: HashMap<IpAddr, usize>,
    next_id: u64,
}

/// What the table keeps of a connection (the `Conn` itself is owned by its task).
struct ConnRef {
    ip: IpAddr,
    last: std::sync::Weak<Conn>,
}

/// The table of open TCP connections.
pub(super) struct Table {
    inner: Mutex<Inner>,
    /// `inner.conns.len()`, readable without the lock.
    open: AtomicUsize,
    limit: usize,
    per_ip_limit: usize,
    idle: Duration,
}

/// The clock every table's connections are touched by: milliseconds since the first reading,
/// one for the whole process (the TCP loops keep DoT connections of the encrypted table too).
fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl Table {
    pub(super) fn new(limit: usize, per_ip_limit: usize, idle: Duration) -> Arc<Table> {
        Arc::new(Table {
            inner: Mutex::new(Inner {
                conns: HashMap::new(),
                per_ip: HashMap::new(),
                next_id: 0,
            }),
            open: AtomicUsize::new(0),
            limit: limit.max(1),
            per_ip_limit: per_ip_limit.max(1),
            idle,
        })
    }

    fn now_ms(&self) -> u64 {
        self.ms_at(Instant::now())
    }

    /// Milliseconds since the process's first reading, at `t` (the clock `Conn::touch_at`
    /// takes; the same for every table).
    pub(super) fn ms_at(&self, t: Instant) -> u64 {
        t.saturating_duration_since(epoch()).as_millis() as u64
    }

    /// How long connections may stay idle now: shorter when the table is busy.
    pub(super) fn idle_timeout(&self) -> Duration {
        let (len, limit) = self.fill();
        if len * 2 > limit {
            self.idle.min(BUSY_IDLE)
        } else {
            self.idle
        }
    }

    /// (open connections, limit).
    fn fill(&self) -> (usize, usize) {
        (self.open.load(Ordering::Relaxed), self.limit)
    }

    /// Takes a slot for a connection from `peer`, owned by the event loop `waker` wakes (if
    /// any). When the client is at its own cap, its connection idle longest is evicted; when
    /// the table is full, the one idle longest of all.
    pub(super) fn admit(
        self: &Arc<Self>,
        peer: SocketAddr,
        shutdown: &CancellationToken,
        waker: Option<&Arc<Wake>>,
    ) -> (Arc<Conn>, Option<IpAddr>) {
        let ip = peer.ip();
        let now = self.now_ms();
        // Connections looked at for eviction. Declared before the guard so that they are
        // dropped after the lock is released: dropping the last reference to a `Conn` removes
        // it from the table, which takes the lock.
        let mut seen: Vec<Arc<Conn>> = Vec::new();
        // The lock is never held across an await: every table method is synchronous.
        let mut g = match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut evicted = None;
        let at_ip_cap = g.per_ip.get(&ip).copied().unwrap_or(0) >= self.per_ip_limit;
        if at_ip_cap || g.conns.len() >= self.limit {
            let mut victim: Option<(u64, u64, usize)> = None;
            for (&id, c) in g.conns.iter().filter(|(_, c)| !at_ip_cap || c.ip == ip) {
                let Some(conn) = c.last.upgrade() else {
                    continue;
                };
                let key = (conn.last.load(Ordering::Relaxed), id, seen.len());
                if victim.is_none_or(|v| (key.0, key.1) < (v.0, v.1)) {
                    victim = Some(key);
                }
                seen.push(conn);
            }
            if let Some((_, id, at)) = victim {
                let conn = &seen[at];
                conn.evict();
                evicted = Some(conn.ip);
                let vip = conn.ip;
                remove_locked(&mut g, id, vip);
                self.open.store(g.conns.len(), Ordering::Relaxed);
            }
        }
        let id = g.next_id;
        g.next_id += 1;
        let conn = Arc::new(Conn {
            id,
            ip,
            last: AtomicU64::new(now),
            stop: shutdown.child_token(),
            evicted: AtomicBool::new(false),
            waker: waker.cloned(),
            table: self.clone(),
        });
        g.conns.insert(
            id,
            Arc::new(ConnRef {
                ip,
                last: Arc::downgrade(&conn),
            }),
        );
        *g.per_ip.entry(ip).or_insert(0) += 1;
        self.open.store(g.conns.len(), Ordering::Relaxed);
        drop(g);
        drop(seen);
        (conn, evicted)
    }

    fn remove(&self, id: u64, ip: IpAddr) {
        let mut g = match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        remove_locked(&mut g, id, ip);
        self.open.store(g.conns.len(), Ordering::Relaxed);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.fill().0
    }
}

/// Forgets connection `id` (if still listed) and its share of the per-address count.
fn remove_locked(g: &mut Inner, id: u64, ip: IpAddr) {
    if g.conns.remove(&id).is_none() {
        return;
    }
    if let Some(n) = g.per_ip.get_mut(&ip) {
        *n -= 1;
        if *n == 0 {
            g.per_ip.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("address")
    }

    #[test]
    fn full_table_evicts_the_idlest() {
        let t = Table::new(3, 10, Duration::from_secs(10));
        let sd = CancellationToken::new();
        let (a, _) = t.admit(addr("127.0.0.1:1"), &sd, None);
        let (b, _) = t.admit(addr("127.0.0.2:1"), &sd, None);
        let (c, _) = t.admit(addr("127.0.0.3:1"), &sd, None);
        // a is older than b and c by insertion; make a the freshest.
        a.last.store(1_000, Ordering::Relaxed);
        b.last.store(500, Ordering::Relaxed);
        c.last.store(700, Ordering::Relaxed);
        let (d, evicted) = t.admit(addr("127.0.0.4:1"), &sd, None);
        assert_eq!(evicted, Some(addr("127.0.0.2:1").ip()));
        assert!(b.stop.is_cancelled());
        assert!(!a.stop.is_cancelled() && !c.stop.is_cancelled() && !d.stop.is_cancelled());
        assert_eq!(t.len(), 3);
        drop(b);
        assert_eq!(
            t.len(),
            3,
            "dropping an evicted connection frees nothing twice"
        );
        drop(d);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn per_address_cap_evicts_that_clients_own() {
        let t = Table::new(100, 2, Duration::from_secs(10));
        let sd = CancellationToken::new();
        let (a1, _) = t.admit(addr("10.0.0.1:1"), &sd, None);
        let (other, _) = t.admit(addr("10.0.0.2:1"), &sd, None);
        let (a2, _) = t.admit(addr("10.0.0.1:2"), &sd, None);
        other.last.store(0, Ordering::Relaxed);
        a1.last.store(5, Ordering::Relaxed);
        a2.last.store(9, Ordering::Relaxed);
        let (_a3, evicted) = t.admit(addr("10.0.0.1:3"), &sd, None);
        assert_eq!(evicted, Some(addr("10.0.0.1:1").ip()));
        assert!(a1.stop.is_cancelled());
        assert!(!other.stop.is_cancelled());
    }

    #[test]
    fn eviction_flags_the_connection_and_wakes_its_loop() {
        use crate::net::tcp::epoll::{Epoll, Events, IN};
        let t = Table::new(1, 1, Duration::from_secs(10));
        let sd = CancellationToken::new();
        let wake = Arc::new(Wake::new().expect("eventfd"));
        let ep = Epoll::new().expect("epoll");
        ep.add(wake.fd(), IN, 1).expect("add");
        let mut ev = Events::with_capacity(2);
        let (a, _) = t.admit(addr("127.0.0.1:1"), &sd, Some(&wake));
        assert!(!a.evicted());
        assert_eq!(ep.wait(&mut ev, 0), 0, "no wake-up on admission");
        let (b, evicted) = t.admit(addr("127.0.0.2:1"), &sd, None);
        assert_eq!(evicted, Some(addr("127.0.0.1:1").ip()));
        assert!(a.evicted() && a.stop.is_cancelled() && !b.evicted());
        assert_eq!(ep.wait(&mut ev, 1000), 1, "the owner's loop is woken");
    }

    #[test]
    fn evicting_a_connection_its_owner_is_dropping_does_not_deadlock() {
        // The owner drops its reference while `admit` looks at it: the last reference may be
        // the one `admit` holds, and dropping it takes the table lock.
        let t = Table::new(1, 1, Duration::from_secs(10));
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let sd = CancellationToken::new();
            let (tx, rx) = std::sync::mpsc::channel::<Arc<Conn>>();
            let dropper = std::thread::spawn(move || {
                for c in rx {
                    // Drop it while the next `admit` may be looking at it.
                    std::hint::spin_loop();
                    drop(c);
                }
            });
            for i in 0..20000u32 {
                let (c, _) = t.admit(SocketAddr::from(([127, 0, 0, 1], i as u16)), &sd, None);
                let _ = tx.send(c);
            }
            drop(tx);
            let _ = dropper.join();
            let _ = done_tx.send(t.len());
        });
        let left = done_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("admit deadlocked");
        assert_eq!(left, 0, "every slot freed");
    }

    #[test]
    fn busy_table_shortens_idle_timeout() {
        let t = Table::new(4, 4, Duration::from_secs(10));
        let sd = CancellationToken::new();
        let (a, _) = t.admit(addr("127.0.0.1:1"), &sd, None);
        assert_eq!(a.idle_timeout(), Duration::from_secs(10));
        let _b = t.admit(addr("127.0.0.1:2"), &sd, None);
        let _c = t.admit(addr("127.0.0.1:3"), &sd, None);
        assert_eq!(a.idle_timeout(), BUSY_IDLE);
    }
}
