//! The counters one writer keeps: requests by family and type, responses by zone slot and
//! rcode, size and duration histograms. A UDP worker owns its shard and writes it with plain
//! loads and stores (no read-modify-write); TCP connections share one shard and add
//! atomically. Scrapes read every shard and sum.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Question types counted by name; everything else is `other`.
pub(super) const TYPES: [(u16, &str); 10] = [
    (1, "A"),
    (2, "NS"),
    (5, "CNAME"),
    (6, "SOA"),
    (12, "PTR"),
    (15, "MX"),
    (16, "TXT"),
    (28, "AAAA"),
    (33, "SRV"),
    (255, "ANY"),
];
pub(super) const NTYPES: usize = TYPES.len() + 1;
/// Rcodes counted by name (their value is the index); the last row is `other`.
pub(super) const RCODES: [&str; 7] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other",
];
/// Zones counted by origin; later ones share the `other` row.
pub(super) const ZONE_SLOTS: usize = 64;
/// Row of answers no zone gave (refused, malformed).
pub(super) const ROW_NONE: usize = ZONE_SLOTS;
/// Row of zones past `ZONE_SLOTS`.
pub(super) const ROW_OTHER: usize = ZONE_SLOTS + 1;
const ZONE_ROWS: usize = ZONE_SLOTS + 2;
/// Size buckets: 32, 64, ... 65536 bytes (powers of two), then +Inf.
pub(super) const NSIZE: usize = 13;
/// Duration buckets: 1 us, 2 us, ... 2^20 us (about 1 s), then +Inf.
pub(super) const NDUR: usize = 22;

/// A histogram's buckets (not cumulative) and sum.
pub(super) struct Hist<const N: usize> {
    pub(super) buckets: [AtomicU64; N],
    pub(super) sum: AtomicU64,
}

impl<const N: usize> Hist<N> {
    fn new() -> Self {
        Hist {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum: AtomicU64::new(0),
        }
    }
}

/// One writer's counters, on their own cache lines.
#[repr(align(128))]
pub(super) struct Shard {
    /// Written by many threads (TCP) rather than one (a UDP worker).
    shared: bool,
    /// Index into `collect::PROTOS` (udp, tcp, dot, doh).
    pub(super) proto: usize,
    /// [IPv4, IPv6][type]
    pub(super) requests: [[AtomicU64; NTYPES]; 2],
    /// [zone row][rcode]
    pub(super) responses: [[AtomicU64; RCODES.len()]; ZONE_ROWS],
    pub(super) request_size: Hist<NSIZE>,
    pub(super) response_size: Hist<NSIZE>,
    /// In microseconds.
    pub(super) duration: Hist<NDUR>,
    /// A TCP/DoT event loop's sleeps gathering queries, and their microseconds.
    pub(super) gather_sleeps: AtomicU64,
    pub(super) gather_us: AtomicU64,
}

impl Shard {
    pub(super) fn new(proto: super::Proto, shared: bool) -> Shard {
        Shard {
            shared,
            proto: proto as usize,
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            responses: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            request_size: Hist::new(),
            response_size: Hist::new(),
            duration: Hist::new(),
            gather_sleeps: AtomicU64::new(0),
            gather_us: AtomicU64::new(0),
        }
    }

    /// Adds `n`: a plain load and store for a single writer, an atomic add when shared.
    #[inline(always)]
    pub(super) fn add(&self, c: &AtomicU64, n: u64) {
        if self.shared {
            c.fetch_add(n, Relaxed);
        } else {
            c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
        }
    }

    #[inline(always)]
    pub(super) fn observe<const N: usize>(&self, h: &Hist<N>, bucket: usize, value: u64, n: u64) {
        self.add(&h.buckets[bucket.min(N - 1)], n);
        self.add(&h.sum, value);
    }
}

/// The type column of `qtype`.
#[inline]
pub(super) fn type_index(qtype: u16) -> usize {
    TYPES
        .iter()
        .position(|&(t, _)| t == qtype)
        .unwrap_or(TYPES.len())
}

/// The size bucket of a message of `len` bytes (<= 32, <= 64, ... <= 65536).
#[inline]
pub(super) fn size_bucket(len: usize) -> usize {
    let bits = usize::BITS - (len.max(1) - 1).leading_zeros();
    (bits as usize).saturating_sub(5)
}

/// The duration bucket of `us` microseconds (<= 1, <= 2, <= 4, ...).
#[inline]
pub(super) fn duration_bucket(us: u64) -> usize {
    (u64::BITS - us.saturating_sub(1).leading_zeros()) as usize
}

/// Upper bounds of the size buckets, in bytes.
pub(super) fn size_bounds() -> [f64; NSIZE] {
    std::array::from_fn(|i| {
        if i + 1 == NSIZE {
            f64::INFINITY
        } else {
            (32u64 << i) as f64
        }
    })
}

/// Upper bounds of the duration buckets, in seconds.
pub(super) fn duration_bounds() -> [f64; NDUR] {
    std::array::from_fn(|i| {
        if i + 1 == NDUR {
            f64::INFINITY
        } else {
            (1u64 << i) as f64 / 1e6
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        assert_eq!(size_bucket(0), 0);
        assert_eq!(size_bucket(32), 0);
        assert_eq!(size_bucket(33), 1);
        assert_eq!(size_bucket(512), 4);
        assert_eq!(size_bucket(65535), 11);
        assert_eq!(size_bounds()[4], 512.0);
        assert_eq!(duration_bucket(0), 0);
        assert_eq!(duration_bucket(1), 0);
        assert_eq!(duration_bucket(2), 1);
        assert_eq!(duration_bucket(3), 2);
        assert_eq!(duration_bounds()[2], 4e-6);
        assert_eq!(type_index(28), 7);
        assert_eq!(type_index(99), TYPES.len());
    }

    #[test]
    fn single_writer_and_shared_add() {
        for shared in [false, true] {
            let s = Shard::new(super::super::Proto::Udp, shared);
            s.add(&s.requests[0][0], 2);
            s.add(&s.requests[0][0], 3);
            assert_eq!(s.requests[0][0].load(Relaxed), 5);
        }
    }
}
