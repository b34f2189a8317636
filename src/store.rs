//! The published zone set: an immutable `ZoneSet` swapped atomically (arc-swap), so the query
//! path takes one lock-free snapshot per query and never sees half a reload.

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use hashbrown::HashTable;

use crate::dns::name::{self, Name};
use crate::query::acl::Access;
use crate::zone::service::ServiceAnswer;
use crate::zone::{hash_name, Zone};

/// Every zone being served, indexed by origin.
#[derive(Debug, Default)]
pub struct ZoneSet {
    zones: Vec<Arc<Zone>>,
    index: HashTable<u32>,
    /// Most labels in any origin: longer query-name suffixes cannot match.
    max_origin_len: usize,
    /// Zone indexes, longest origin first (for `find_linear`).
    by_len: Vec<u32>,
    /// Health-checked service names (nodes flagged `flag::SERVICE`); see `health::overlay`.
    services: Box<[ServiceAnswer]>,
    /// Secondary zones that answer SERVFAIL (expired, or never transferred); usually empty.
    servfail: Box<[Name]>,
}

/// Up to this many zones, `find` compares origins directly instead of hashing suffixes.
const LINEAR_MAX: usize = 8;

impl ZoneSet {
    pub fn new(zones: Vec<Arc<Zone>>) -> ZoneSet {
        let mut index = HashTable::with_capacity(zones.len());
        let mut max_origin_len = 0;
        let mut kept: Vec<Arc<Zone>> = Vec::with_capacity(zones.len());
        for z in zones {
            let h = hash_name(z.origin.wire());
            if index
                .find(h, |&i: &u32| kept[i as usize].origin == z.origin)
                .is_some()
            {
                continue;
            }
            max_origin_len = max_origin_len.max(z.origin.len());
            let id = kept.len() as u32;
            index.insert_unique(h, id, |&i| hash_name(kept[i as usize].origin.wire()));
            kept.push(z);
        }
        let mut by_len: Vec<u32> = (0..kept.len() as u32).collect();
        by_len.sort_by_key(|&i| std::cmp::Reverse(kept[i as usize].origin.len()));
        ZoneSet {
            zones: kept,
            index,
            max_origin_len,
            by_len,
            services: Box::default(),
            servfail: Box::default(),
        }
    }

    /// A copy of this set whose names at or under `origins` answer SERVFAIL.
    fn with_servfail(&self, origins: &[Name]) -> ZoneSet {
        ZoneSet {
            zones: self.zones.clone(),
            index: self.index.clone(),
            max_origin_len: self.max_origin_len,
            by_len: self.by_len.clone(),
            services: self.services.clone(),
            servfail: origins.into(),
        }
    }

    /// Is `qname` (wire, lower case) in a zone that answers SERVFAIL? One `is_empty` check
    /// when no zone does.
    #[inline]
    pub fn is_servfail(&self, qname: &[u8]) -> bool {
        if self.servfail.is_empty() {
            return false;
        }
        let mut cur = qname;
        loop {
            if self
                .servfail
                .iter()
                .any(|o| o.wire().eq_ignore_ascii_case(cur))
            {
                return true;
            }
            match name::parent(cur) {
                Some(p) => cur = p,
                None => return false,
            }
        }
    }

    /// This set with the answers of its service names.
    pub fn with_services(mut self, services: Vec<ServiceAnswer>) -> ZoneSet {
        self.services = services.into();
        self
    }

    /// The service names' answers (a handful: searched linearly).
    #[inline]
    pub fn services(&self) -> &[ServiceAnswer] {
        &self.services
    }

    pub fn zones(&self) -> &[Arc<Zone>] {
        &self.zones
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The zone with exactly this origin.
    pub fn get(&self, origin: &Name) -> Option<&Arc<Zone>> {
        let w = origin.wire();
        self.index
            .find(hash_name(w), |&i| {
                self.zones[i as usize].origin.wire().eq_ignore_ascii_case(w)
            })
            .map(|&i| &self.zones[i as usize])
    }

    /// The most specific zone containing `qname` (wire, any case).
    #[inline]
    pub fn find(&self, qname: &[u8]) -> Option<&Zone> {
        self.find_index(qname).map(|i| &*self.zones[i as usize])
    }

    /// Like [`find`](Self::find), but the zone's index in [`zones`](Self::zones).
    #[inline]
    pub fn find_index(&self, qname: &[u8]) -> Option<u32> {
        if self.zones.len() <= LINEAR_MAX {
            return self.find_linear(qname);
        }
        self.find_hashed(qname)
    }

    /// A few zones (the usual cluster: a forward and a reverse zone or two): compare the
    /// query name's tail with each origin, longest origin first, without hashing.
    fn find_linear(&self, qname: &[u8]) -> Option<u32> {
        // Label starts of the query name, as a bitset over byte offsets.
        let mut starts = [0u64; 4];
        let mut pos = 0usize;
        while let Some(&l) = qname.get(pos) {
            starts[pos >> 6] |= 1 << (pos & 63);
            if l == 0 {
                break;
            }
            pos += 1 + l as usize;
        }
        for &i in &self.by_len {
            let z = &self.zones[i as usize];
            let o = z.origin.wire();
            let Some(at) = qname.len().checked_sub(o.len()) else {
                continue;
            };
            if starts[at >> 6] & (1 << (at & 63)) != 0
                && (qname[at..] == *o || qname[at..].eq_ignore_ascii_case(o))
            {
                return Some(i);
            }
        }
        None
    }

    fn find_hashed(&self, qname: &[u8]) -> Option<u32> {
        let mut cur = qname;
        loop {
            if cur.len() <= self.max_origin_len {
                if let Some(&i) = self.index.find(hash_name(cur), |&i| {
                    self.zones[i as usize]
                        .origin
                        .wire()
                        .eq_ignore_ascii_case(cur)
                }) {
                    return Some(i);
                }
            }
            cur = name::parent(cur)?;
        }
    }
}

/// Returns memory freed by a load or a reload (parse buffers, records in flight, an old zone
/// set) to the system, so RSS reflects what is served.
pub fn trim_memory() {
    // SAFETY: mi_collect has no preconditions; it only walks the allocator's own free lists.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Turns the set the reloader publishes into the set served (health-checked service names
/// placed into their zones, `health::overlay`). Runs on the control side, never per query.
pub type Overlay = Arc<dyn Fn(&ZoneSet) -> ZoneSet + Send + Sync>;

/// The current zone set, shared by the query path (readers) and the writers (the reloader,
/// and the health checker through its overlay).
pub struct Store {
    current: ArcSwap<ZoneSet>,
    /// Who may query, and whose outside names are forwarded: replaced whole when a reload
    /// reads changed lists from the config file (`set_access`); read once per batch.
    access: ArcSwap<Access>,
    /// Where outside names are forwarded (`forward_to`; empty: not forwarded): replaced by a
    /// reload like `access`; the forwarding task rebuilds its resolver when it changes.
    forward_to: ArcSwap<Vec<std::net::SocketAddr>>,
    /// The writers' side: the reloader's last set and the overlay applied to it. Locked only
    /// by writers (never on the query path, never across an `.await`), so a reload and a
    /// health change never publish over each other.
    control: Mutex<Control>,
    /// Who may transfer zones, with which keys, and where NOTIFYs go: the command line's
    /// flags over the config file's settings, replaced when a reload reads a changed file
    /// (`set_xfr`); the secondary zones' tasks follow their list (`source::secondary`).
    xfr: ArcSwap<crate::config::XfrConfig>,
    /// The command line's transfer flags, which stay over every re-read of the file.
    xfr_flags: crate::config::XfrOptions,
    /// Woken when a reload changes the secondary zones (their tasks follow).
    xfr_changed: tokio::sync::Notify,
    /// Where the sockets hand dynamic updates (set once at start when a zone allows them).
    updater: std::sync::OnceLock<crate::source::updater::Updater>,
    /// Where the sockets hand NOTIFY messages (set once at start when we are a secondary).
    notify_in: std::sync::OnceLock<crate::source::notify_in::NotifyIn>,
    /// Transfer counters and secondary zone states (for `/metrics`).
    xfr_stats: crate::metrics::xfr::XfrStats,
}

struct Control {
    base: Arc<ZoneSet>,
    overlay: Option<Overlay>,
    /// Secondary zones answering SERVFAIL (`set_servfail`).
    servfail: Vec<Name>,
}

impl Control {
    /// The set to serve: the base through the overlay, with the SERVFAIL zones.
    fn served(&self) -> Arc<ZoneSet> {
        let served = match &self.overlay {
            Some(f) => Arc::new(f(&self.base)),
            None => self.base.clone(),
        };
        if self.servfail.is_empty() {
            served
        } else {
            Arc::new(served.with_servfail(&self.servfail))
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("current", &self.current)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub fn new(set: ZoneSet) -> Store {
        Store::with_access(set, Access::default())
    }

    /// A store whose queries are judged by `access`.
    pub fn with_access(set: ZoneSet, access: Access) -> Store {
        let set = Arc::new(set);
        Store {
            current: ArcSwap::new(set.clone()),
            access: ArcSwap::from_pointee(access),
            forward_to: ArcSwap::from_pointee(Vec::new()),
            control: Mutex::new(Control {
                base: set,
                overlay: None,
                servfail: Vec::new(),
            }),
            xfr: Default::default(),
            xfr_flags: Default::default(),
            xfr_changed: tokio::sync::Notify::new(),
            updater: std::sync::OnceLock::new(),
            notify_in: std::sync::OnceLock::new(),
            xfr_stats: Default::default(),
        }
    }

    /// Where UPDATE messages go; `None`: answered NOTIMP like any other opcode.
    #[inline]
    pub fn updater(&self) -> Option<&crate::source::updater::Updater> {
        self.updater.get()
    }

    /// Sets where UPDATE messages go (once, at start).
    pub fn set_updater(&self, u: crate::source::updater::Updater) {
        let _ = self.updater.set(u);
    }

    /// Transfer counters and secondary zone states.
    pub fn xfr_stats(&self) -> &crate::metrics::xfr::XfrStats {
        &self.xfr_stats
    }

    /// Where NOTIFY messages go; `None`: answered NOTIMP like any other opcode.
    #[inline]
    pub fn notify_in(&self) -> Option<&crate::source::notify_in::NotifyIn> {
        self.notify_in.get()
    }

    /// Sets where NOTIFY messages go (once, at start).
    pub fn set_notify_in(&self, n: crate::source::notify_in::NotifyIn) {
        let _ = self.notify_in.set(n);
    }

    /// Makes the secondary zone `origin` answer SERVFAIL (`on`) or its data again, and
    /// publishes at once when that changes anything.
    pub fn set_servfail(&self, origin: &Name, on: bool) {
        let mut c = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let at = c.servfail.iter().position(|o| o == origin);
        match (on, at) {
            (true, None) => c.servfail.push(origin.clone()),
            (false, Some(i)) => {
                c.servfail.swap_remove(i);
            }
            _ => return,
        }
        let served = c.served();
        self.current.swap(served);
    }

    /// This store with transfers judged by `xfr`, the command line's `flags` over a config
    /// file's settings.
    pub fn with_xfr(
        mut self,
        xfr: crate::config::XfrConfig,
        flags: crate::config::XfrOptions,
    ) -> Store {
        self.xfr = ArcSwap::from_pointee(xfr);
        self.xfr_flags = flags;
        self
    }

    /// The transfer settings (allow_transfer, TSIG keys, also_notify) as they are now. Read
    /// for transfers, NOTIFYs and signed messages, never for a plain query.
    pub fn xfr(&self) -> Arc<crate::config::XfrConfig> {
        self.xfr.load_full()
    }

    /// Applies the transfer settings of a re-read config file (`file`, under the command
    /// line's flags): per-zone `allow_transfer`, `also_notify`, `notify` and the keys take
    /// effect for the next transfer or NOTIFY, and a changed list of secondary zones wakes
    /// their supervisor (`xfr_changed`). Returns true when anything but the secondary list
    /// changed.
    pub fn set_xfr(&self, file: crate::config::XfrOptions) -> bool {
        let cur = self.xfr.load_full();
        let next = self.xfr_flags.clone().over(file).resolve();
        let same_keys =
            next.keys.len() == cur.keys.len() && next.keys.iter().all(|k| cur.keys.contains(k));
        let changed = next.zones != cur.zones || !same_keys || next.also_notify != cur.also_notify;
        let secondaries = next.secondaries != cur.secondaries;
        self.xfr.store(Arc::new(next));
        if secondaries {
            tracing::info!("secondary zones changed: applied");
            self.xfr_changed.notify_waiters();
        }
        changed
    }

    /// Resolves when a reload changes the secondary zones (register before reading
    /// `xfr()`, as `Notify::notified` says, so that no change is missed).
    pub fn xfr_changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.xfr_changed.notified()
    }

    /// The access tables the policy hook judges each query by: lock-free, for one batch.
    #[inline]
    pub fn access(&self) -> arc_swap::Guard<Arc<Access>> {
        self.access.load()
    }

    /// This store forwarding outside names to `upstreams`.
    pub fn with_forward_to(self, upstreams: Vec<std::net::SocketAddr>) -> Store {
        self.forward_to.store(Arc::new(upstreams));
        self
    }

    /// Where outside names are forwarded now (empty: nowhere).
    #[inline]
    pub fn forward_to(&self) -> Arc<Vec<std::net::SocketAddr>> {
        self.forward_to.load_full()
    }

    /// Are outside names forwarded now? One lock-free load.
    #[inline]
    pub fn forwarding(&self) -> bool {
        !self.forward_to.load().is_empty()
    }

    /// Publishes a new upstream list; false (nothing published) when it equals the served one.
    pub fn set_forward_to(&self, upstreams: Vec<std::net::SocketAddr>) -> bool {
        if **self.forward_to.load() == upstreams {
            return false;
        }
        self.forward_to.store(Arc::new(upstreams));
        true
    }

    /// The access tables as an `Arc` (to hold across an `.await`: a stream's batch).
    #[inline]
    pub fn access_full(&self) -> Arc<Access> {
        self.access.load_full()
    }

    /// Publishes new access tables in one step; false (nothing published) when they equal
    /// those served.
    pub fn set_access(&self, access: Access) -> bool {
        if **self.access.load() == access {
            return false;
        }
        self.access.store(Arc::new(access));
        true
    }

    /// A snapshot for one query (or one batch): lock-free, wait-free for readers.
    #[inline]
    pub fn snapshot(&self) -> arc_swap::Guard<Arc<ZoneSet>> {
        self.current.load()
    }

    /// Publishes a complete new set in one step (through the overlay, if one is set);
    /// returns the old one.
    pub fn publish(&self, set: ZoneSet) -> Arc<ZoneSet> {
        let mut c = self.control.lock().unwrap_or_else(|e| e.into_inner());
        c.base = Arc::new(set);
        let served = c.served();
        self.current.swap(served)
    }

    /// Sets (or clears) the overlay and publishes the last published set through it at once;
    /// returns the old served set.
    pub fn set_overlay(&self, overlay: Option<Overlay>) -> Arc<ZoneSet> {
        let mut c = self.control.lock().unwrap_or_else(|e| e.into_inner());
        c.overlay = overlay;
        let served = c.served();
        self.current.swap(served)
    }

    /// The set as last published, before the overlay (node names of service members are
    /// resolved from it).
    pub fn base(&self) -> Arc<ZoneSet> {
        self.control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .base
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zonefile::{parse_str, Options};
    use std::path::Path;

    fn zone(origin: &str) -> Arc<Zone> {
        let o = Name::from_ascii(origin).unwrap();
        let text = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 1.1.1.1\n";
        let p = parse_str(text.as_bytes(), Path::new("t"), &Options::new(o.clone()));
        Arc::new(crate::zone::build(&o, p, &mut Vec::new()).unwrap())
    }

    #[test]
    fn most_specific_zone_both_ways() {
        let names = [
            "b.a.", "a.", "x.b.a.", "ab.", "c.", "d.", "e.", "f.", "g.", "h.",
        ];
        for n in [3, names.len()] {
            let set = ZoneSet::new(names[..n].iter().map(|o| zone(o)).collect());
            let f = |q: &str| {
                set.find(Name::from_ascii(q).unwrap().wire())
                    .map(|z| z.origin.to_string())
            };
            assert_eq!(f("q.X.B.A.").as_deref(), Some("x.b.a."), "{n} zones");
            assert_eq!(f("x.b.a.").as_deref(), Some("x.b.a."));
            assert_eq!(f("y.b.a.").as_deref(), Some("b.a."));
            assert_eq!(f("ba.").as_deref(), None);
            assert_eq!(f("zb.a.").as_deref(), Some("a."));
            assert_eq!(
                f("b.ab.").as_deref(),
                if n > 3 { Some("ab.") } else { None }
            );
        }
    }
}
