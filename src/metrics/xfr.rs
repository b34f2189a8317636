//! Transfer metrics (issue 12): transfers out and in, NOTIFYs sent and received (counters the
//! TCP side, the NOTIFY sender and the secondary tasks bump), and per secondary zone its
//! refresh state and expiry time (gauges). The numbers live in the `Store` (`XfrStats`), so
//! every writer reaches them; `XfrCollector` encodes them at scrape time.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use crate::dns::name::Name;
use crate::store::Store;

/// The refresh state of a secondary zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshState {
    /// Never transferred, nothing on disk: SERVFAIL.
    Waiting,
    /// The last refresh succeeded.
    Ok,
    /// The last refresh failed; still within expire.
    Retrying,
    /// No refresh for longer than expire: SERVFAIL.
    Expired,
}

impl RefreshState {
    const ALL: [RefreshState; 4] = [
        RefreshState::Waiting,
        RefreshState::Ok,
        RefreshState::Retrying,
        RefreshState::Expired,
    ];

    fn label(self) -> &'static str {
        match self {
            RefreshState::Waiting => "waiting",
            RefreshState::Ok => "ok",
            RefreshState::Retrying => "retrying",
            RefreshState::Expired => "expired",
        }
    }
}

/// A secondary zone's state as last reported by its task.
#[derive(Debug, Clone, Copy)]
struct ZoneState {
    state: RefreshState,
    /// Unix seconds at which the zone expires without a successful refresh (0: unknown).
    expires_at: u64,
}

/// The transfer counters and the secondary zones' states (writers only; never the query path).
#[derive(Debug, Default)]
pub struct XfrStats {
    axfr_out: AtomicU64,
    ixfr_out: AtomicU64,
    axfr_in: AtomicU64,
    ixfr_in: AtomicU64,
    failed_in: AtomicU64,
    notify_sent: AtomicU64,
    notify_received: AtomicU64,
    /// Locked by the secondary tasks and the scrape only, never across an `.await`.
    zones: Mutex<BTreeMap<Name, ZoneState>>,
}

impl XfrStats {
    /// One transfer served (`ixfr`: answered incrementally).
    pub fn transfer_out(&self, ixfr: bool) {
        if ixfr { &self.ixfr_out } else { &self.axfr_out }.fetch_add(1, Relaxed);
    }

    /// One transfer in: `Some(ixfr)` when it succeeded, `None` when it failed.
    pub fn transfer_in(&self, ok: Option<bool>) {
        match ok {
            Some(true) => &self.ixfr_in,
            Some(false) => &self.axfr_in,
            None => &self.failed_in,
        }
        .fetch_add(1, Relaxed);
    }

    pub fn notify_sent(&self) {
        self.notify_sent.fetch_add(1, Relaxed);
    }

    pub fn notify_received(&self) {
        self.notify_received.fetch_add(1, Relaxed);
    }

    /// Records secondary zone `origin`'s state and when it expires (unix seconds, 0: unknown).
    pub fn zone_state(&self, origin: &Name, state: RefreshState, expires_at: u64) {
        let mut z = self.zones.lock().unwrap_or_else(|e| e.into_inner());
        z.insert(origin.clone(), ZoneState { state, expires_at });
    }
}

/// The `/metrics` collector of transfers (reads the store's `XfrStats`).
#[derive(Debug)]
pub struct XfrCollector(pub Arc<Store>);

impl Collector for XfrCollector {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = self.0.xfr_stats();
        let counter = |e: &mut DescriptorEncoder,
                       name: &str,
                       help: &str,
                       rows: &[(&[(&str, &str)], u64)]|
         -> Result<(), std::fmt::Error> {
            let mut d = e.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (labels, v) in rows {
                d.encode_family(labels)?
                    .encode_counter::<NoLabelSet, _, u64>(v, None)?;
            }
            Ok(())
        };
        counter(
            &mut e,
            "clusterdns_transfers_out",
            "Zone transfers served, by how they were answered.",
            &[
                (&[("type", "axfr")], s.axfr_out.load(Relaxed)),
                (&[("type", "ixfr")], s.ixfr_out.load(Relaxed)),
            ],
        )?;
        counter(
            &mut e,
            "clusterdns_transfers_in",
            "Zone transfers of secondary zones, by how they came (failed: kept the old data).",
            &[
                (&[("type", "axfr")], s.axfr_in.load(Relaxed)),
                (&[("type", "ixfr")], s.ixfr_in.load(Relaxed)),
                (&[("type", "failed")], s.failed_in.load(Relaxed)),
            ],
        )?;
        counter(
            &mut e,
            "clusterdns_notifies",
            "NOTIFY messages sent (answered) and received.",
            &[
                (&[("direction", "sent")], s.notify_sent.load(Relaxed)),
                (
                    &[("direction", "received")],
                    s.notify_received.load(Relaxed),
                ),
            ],
        )?;
        let zones = s.zones.lock().unwrap_or_else(|e| e.into_inner()).clone();
        {
            let mut d = e.encode_descriptor(
                "clusterdns_secondary_zone_state",
                "A secondary zone's refresh state (1 for its current state).",
                None,
                MetricType::Gauge,
            )?;
            for (origin, z) in &zones {
                let zone = origin.to_string();
                for st in RefreshState::ALL {
                    let l = [("zone", zone.as_str()), ("state", st.label())];
                    d.encode_family(&l)?
                        .encode_gauge(&((z.state == st) as i64))?;
                }
            }
        }
        let mut d = e.encode_descriptor(
            "clusterdns_secondary_zone_expiry_timestamp_seconds",
            "When a secondary zone expires (SERVFAIL) without a successful refresh.",
            None,
            MetricType::Gauge,
        )?;
        for (origin, z) in &zones {
            let zone = origin.to_string();
            d.encode_family(&[("zone", zone.as_str())])?
                .encode_gauge(&(z.expires_at as i64))?;
        }
        Ok(())
    }
}
