//! The published zone set: an immutable `ZoneSet` swapped atomically (arc-swap), so the query
//! path takes one lock-free snapshot per query and never sees half a reload.

use std::sync::Arc;

use arc_swap::ArcSwap;
use hashbrown::HashTable;

use crate::name::{self, Name};
use crate::zone::{hash_name, Zone};

/// Every zone being served, indexed by origin.
#[derive(Debug, Default)]
pub struct ZoneSet {
    zones: Vec<Arc<Zone>>,
    index: HashTable<u32>,
    /// Most labels in any origin: longer query-name suffixes cannot match.
    max_origin_len: usize,
}

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
        ZoneSet {
            zones: kept,
            index,
            max_origin_len,
        }
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
    pub fn find(&self, qname: &[u8]) -> Option<&Zone> {
        let mut cur = qname;
        loop {
            if cur.len() <= self.max_origin_len {
                if let Some(&i) = self.index.find(hash_name(cur), |&i| {
                    self.zones[i as usize]
                        .origin
                        .wire()
                        .eq_ignore_ascii_case(cur)
                }) {
                    return Some(&self.zones[i as usize]);
                }
            }
            cur = name::parent(cur)?;
        }
    }
}

/// The current zone set, shared by the query path (readers) and the loader (the one writer).
#[derive(Debug)]
pub struct Store {
    current: ArcSwap<ZoneSet>,
}

impl Store {
    pub fn new(set: ZoneSet) -> Store {
        Store {
            current: ArcSwap::from_pointee(set),
        }
    }

    /// A snapshot for one query (or one batch): lock-free, wait-free for readers.
    #[inline]
    pub fn snapshot(&self) -> arc_swap::Guard<Arc<ZoneSet>> {
        self.current.load()
    }

    /// A snapshot that may be held for long (the loader builds the next set from it).
    pub fn full(&self) -> Arc<ZoneSet> {
        self.current.load_full()
    }

    /// Publishes a complete new set in one step; returns the old one.
    pub fn publish(&self, set: ZoneSet) -> Arc<ZoneSet> {
        self.current.swap(Arc::new(set))
    }
}
