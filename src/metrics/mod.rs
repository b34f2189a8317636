//! Metrics and the query log: per-writer counter shards (`shard`), the per-socket `Tap` the
//! query path calls, summed into Prometheus text at scrape time (`collect`), served at
//! `/metrics` (`http`), and the optional one-line-per-query log (`querylog`).
//!
//! Cost on the UDP path: a few plain stores per packet into the worker's own shard; the
//! duration histogram is per batch (every query of a `recvmmsg` batch is counted with the
//! batch's mean time), so a batch costs two clock reads.

mod collect;
mod http;
pub mod querylog;
mod shard;
pub mod xfr;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

pub use http::{serve_metrics, MetricsError};

use crate::dns::name::Name;
use crate::query::{Answered, RequestCtx, NO_ZONE};
use crate::source::report::Report;
use crate::store::{Store, ZoneSet};
use querylog::{QueryLog, QueryLogSender};
use shard::{duration_bucket, size_bucket, type_index, Shard, ROW_NONE, ROW_OTHER, ZONE_SLOTS};

/// Every counter of the process, and what a scrape reads.
pub struct Metrics {
    store: Arc<Store>,
    /// One shard per UDP worker, and the TCP shard; locked only to add a shard or to scrape.
    shards: Mutex<Vec<Arc<Shard>>>,
    tcp: Arc<Shard>,
    /// The shared shards of DNS over TLS and over HTTPS.
    dot: Arc<Shard>,
    doh: Arc<Shard>,
    /// Zone origins by stable slot (a zone keeps its slot across reloads).
    slots: Mutex<Vec<Name>>,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    /// Unix seconds of the last reload that rejected a zone (0: never).
    last_error: AtomicU64,
    query_log_dropped: Arc<AtomicU64>,
    /// More collectors for `/metrics` (the health checker's), registered when it starts.
    extra: Mutex<Vec<Box<dyn prometheus_client::collector::Collector>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new(store: Arc<Store>) -> Arc<Metrics> {
        let tcp = Arc::new(Shard::new(Proto::Tcp, true));
        let dot = Arc::new(Shard::new(Proto::Dot, true));
        let doh = Arc::new(Shard::new(Proto::Doh, true));
        Arc::new(Metrics {
            store,
            shards: Mutex::new(vec![tcp.clone(), dot.clone(), doh.clone()]),
            tcp,
            dot,
            doh,
            slots: Mutex::new(Vec::new()),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            last_error: AtomicU64::new(0),
            query_log_dropped: Arc::new(AtomicU64::new(0)),
            extra: Mutex::new(Vec::new()),
        })
    }

    /// Adds a collector to what `/metrics` serves (call before `serve_metrics`).
    pub fn add_collector(&self, c: Box<dyn prometheus_client::collector::Collector>) {
        self.extra.lock().unwrap_or_else(|e| e.into_inner()).push(c);
    }

    /// The collectors added with [`add_collector`](Self::add_collector), taken once.
    fn take_collectors(&self) -> Vec<Box<dyn prometheus_client::collector::Collector>> {
        std::mem::take(&mut *self.extra.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The counter of query-log lines dropped (shared with the query log).
    pub fn query_log_dropped(&self) -> Arc<AtomicU64> {
        self.query_log_dropped.clone()
    }

    /// Counts one reload that read zone files (a rescan that found nothing to read is not one).
    pub fn record_reload(&self, r: &Report) {
        if r.update || (r.reread == 0 && r.changes.is_empty()) {
            return; // nothing reloaded (a dynamic update is not a reload)
        }
        if r.errors.is_empty() {
            self.reloads_ok.fetch_add(1, Relaxed);
        } else {
            self.reloads_failed.fetch_add(1, Relaxed);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            self.last_error.store(now, Relaxed);
        }
    }

    /// The stable row of `origin`, assigned on first sight.
    fn slot(&self, origin: &Name) -> usize {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = slots.iter().position(|o| o == origin) {
            return i;
        }
        if slots.len() >= ZONE_SLOTS {
            return ROW_OTHER;
        }
        slots.push(origin.clone());
        slots.len() - 1
    }
}

/// The transport a tap counts under (the `proto` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Udp = 0,
    Tcp = 1,
    Dot = 2,
    Doh = 3,
}

/// What the query path is given to count and log with: metrics and the query log, each
/// optional. Cloned into every worker and connection.
#[derive(Clone, Default)]
pub struct Taps {
    metrics: Option<Arc<Metrics>>,
    log: Option<QueryLogSender>,
}

impl Taps {
    pub fn new(metrics: Option<Arc<Metrics>>, log: Option<&QueryLog>) -> Taps {
        Taps {
            metrics,
            log: log.map(QueryLog::sender),
        }
    }

    /// A tap with a shard of its own, for a writer that stays on one thread (a UDP worker, a
    /// TCP event loop, a runtime thread's DoT/DoH tap): plain stores, no atomic adds shared
    /// with other threads. The shard is kept (and summed at scrape) for the process's life.
    pub fn own_tap(&self, proto: Proto) -> Tap {
        let shard = self.metrics.as_ref().map(|m| {
            let s = Arc::new(Shard::new(proto, false));
            m.shards
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(s.clone());
            s
        });
        self.tap_with(shard)
    }

    /// A tap on the transport's shared shard (atomic adds): for tasks that move between
    /// threads. UDP has no shared shard: its taps are always their own.
    pub fn shared_tap(&self, proto: Proto) -> Tap {
        let m = self.metrics.as_ref();
        let shard = match proto {
            Proto::Udp => return self.own_tap(proto),
            Proto::Tcp => m.map(|m| m.tcp.clone()),
            Proto::Dot => m.map(|m| m.dot.clone()),
            Proto::Doh => m.map(|m| m.doh.clone()),
        };
        self.tap_with(shard)
    }

    fn tap_with(&self, shard: Option<Arc<Shard>>) -> Tap {
        Tap {
            metrics: self.metrics.clone(),
            shard,
            log: self.log.clone(),
            set: Weak::new(),
            rows: Vec::new(),
            t0: None,
        }
    }
}

/// One writer's view: counts into its shard, sends query-log lines.
pub struct Tap {
    metrics: Option<Arc<Metrics>>,
    shard: Option<Arc<Shard>>,
    log: Option<QueryLogSender>,
    /// The zone set `rows` was made for (weak: an idle worker keeps no old zones alive, and
    /// the address cannot be reused while we hold it).
    set: Weak<ZoneSet>,
    /// Shard row of each zone index of `set`.
    rows: Vec<u16>,
    t0: Option<Instant>,
}

impl Tap {
    /// Whether anything is counted or logged.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.shard.is_some() || self.log.is_some()
    }

    /// Starts a batch answered from `set`: notes the time, and maps zone indexes to rows when
    /// the set changed (once per reload per worker).
    #[inline]
    pub fn batch_start(&mut self, set: &Arc<ZoneSet>) {
        if !self.is_on() {
            return;
        }
        self.t0 = Some(Instant::now());
        if let Some(m) = &self.metrics {
            if !std::ptr::eq(self.set.as_ptr(), Arc::as_ptr(set)) {
                self.rows = set
                    .zones()
                    .iter()
                    .map(|z| m.slot(&z.origin) as u16)
                    .collect();
                self.set = Arc::downgrade(set);
            }
        }
    }

    /// Counts (and logs) one answered packet.
    #[inline]
    pub fn packet(&self, ctx: &RequestCtx, query: &[u8], response: &[u8], a: Answered) {
        if let Some(s) = &self.shard {
            let family = ctx.peer.is_ipv6() as usize;
            s.add(&s.requests[family][type_index(a.qtype)], 1);
            let row = match a.zone {
                NO_ZONE => ROW_NONE,
                z => self.rows.get(z as usize).map_or(ROW_OTHER, |&r| r as usize),
            };
            let rc = response.get(3).map_or(6, |b| (b & 0xf).min(6) as usize);
            s.add(&s.responses[row][rc], 1);
            s.observe(
                &s.request_size,
                size_bucket(query.len()),
                query.len() as u64,
                1,
            );
            s.observe(
                &s.response_size,
                size_bucket(response.len()),
                response.len() as u64,
                1,
            );
        }
        if let Some(l) = &self.log {
            let us = self.t0.map_or(0, |t| t.elapsed().as_micros() as u64);
            l.send(ctx.peer, query, response, a.qtype, us);
        }
    }

    /// Counts one sleep of an event loop gathering queries (`--tcp-coalesce-us`).
    #[inline]
    pub fn gathered(&self, slept: Duration) {
        if let Some(s) = &self.shard {
            s.add(&s.gather_sleeps, 1);
            s.add(&s.gather_us, slept.as_micros() as u64);
        }
    }

    /// Ends a batch of `n` answered packets: counts each with the batch's mean duration.
    #[inline]
    pub fn batch_end(&mut self, n: usize) {
        let (Some(s), Some(t0)) = (&self.shard, self.t0.take()) else {
            return;
        };
        if n == 0 {
            return;
        }
        let us = t0.elapsed().as_micros() as u64;
        let mean = us / n as u64;
        s.observe(&s.duration, duration_bucket(mean), us, n as u64);
    }
}

#[cfg(test)]
mod tests;
