//! A scrape: sums every shard and reads the served zone set, encoding CoreDNS-style names
//! (`clusterdns_dns_requests_total{proto,family,type}`, ...) with prometheus-client.

use std::fmt::Error;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use super::shard::{
    duration_bounds, size_bounds, Hist, Shard, NTYPES, RCODES, ROW_NONE, ROW_OTHER, TYPES,
};
use super::Metrics;

/// The collector registered for `/metrics`.
#[derive(Debug)]
pub(super) struct Scrape(pub(super) Arc<Metrics>);

/// A histogram per protocol: (buckets, sum).
type PerProto = [(Vec<u64>, u64); NPROTOS];

/// Sums of every shard's counters.
pub(super) struct Sums {
    /// [proto udp/tcp/dot/doh][family][type]
    pub(super) requests: [[[u64; NTYPES]; 2]; NPROTOS],
    /// (zone label, [rcode])
    pub(super) responses: Vec<(String, [u64; RCODES.len()])>,
    /// [proto] (buckets, sum)
    request_size: PerProto,
    response_size: PerProto,
    pub(super) duration: PerProto,
    /// The event loops' gathering: (sleeps, microseconds).
    pub(super) gather: (u64, u64),
}

fn add_hist<const N: usize>(into: &mut (Vec<u64>, u64), h: &Hist<N>) {
    into.0.resize(N, 0);
    for (a, b) in into.0.iter_mut().zip(&h.buckets) {
        *a += b.load(Relaxed);
    }
    into.1 += h.sum.load(Relaxed);
}

impl Metrics {
    pub(super) fn sums(&self) -> Sums {
        let shards: Vec<Arc<Shard>> = self
            .shards
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut s = Sums {
            requests: [[[0; NTYPES]; 2]; NPROTOS],
            responses: Vec::new(),
            request_size: Default::default(),
            response_size: Default::default(),
            duration: Default::default(),
            gather: (0, 0),
        };
        let mut rows = vec![[0u64; RCODES.len()]; ROW_OTHER + 1];
        for sh in &shards {
            let p = sh.proto.min(NPROTOS - 1);
            for (f, types) in sh.requests.iter().enumerate() {
                for (t, c) in types.iter().enumerate() {
                    s.requests[p][f][t] += c.load(Relaxed);
                }
            }
            for (r, row) in sh.responses.iter().enumerate() {
                for (k, c) in row.iter().enumerate() {
                    rows[r][k] += c.load(Relaxed);
                }
            }
            add_hist(&mut s.request_size[p], &sh.request_size);
            add_hist(&mut s.response_size[p], &sh.response_size);
            add_hist(&mut s.duration[p], &sh.duration);
            s.gather.0 += sh.gather_sleeps.load(Relaxed);
            s.gather.1 += sh.gather_us.load(Relaxed);
        }
        for (r, counts) in rows.into_iter().enumerate() {
            let label = match r {
                ROW_NONE => ".".to_string(),
                ROW_OTHER => "other".to_string(),
                _ => match slots.get(r) {
                    Some(o) => o.to_string(),
                    None => continue,
                },
            };
            if r >= slots.len() && counts.iter().all(|&c| c == 0) {
                continue;
            }
            s.responses.push((label, counts));
        }
        s
    }
}

const NPROTOS: usize = 4;
/// The `proto` label of each `Proto`; DoT and DoH series appear once they have counted.
const PROTOS: [&str; NPROTOS] = ["udp", "tcp", "dot", "doh"];
const FAMILIES: [&str; 2] = ["1", "2"];

fn type_name(t: usize) -> &'static str {
    TYPES.get(t).map_or("other", |&(_, n)| n)
}

impl Collector for Scrape {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), Error> {
        let m = &self.0;
        let s = m.sums();
        {
            let mut d = e.encode_descriptor(
                "clusterdns_dns_requests",
                "Queries received, by transport, address family and type.",
                None,
                MetricType::Counter,
            )?;
            for (p, fams) in s.requests.iter().enumerate() {
                if p >= 2 && fams.iter().flatten().all(|&v| v == 0) {
                    continue;
                }
                for (f, types) in fams.iter().enumerate() {
                    for (t, &v) in types.iter().enumerate() {
                        if v == 0 && t != 0 {
                            continue;
                        }
                        let l = [
                            ("proto", PROTOS[p]),
                            ("family", FAMILIES[f]),
                            ("type", type_name(t)),
                        ];
                        d.encode_family(&l)?
                            .encode_counter::<NoLabelSet, _, u64>(&v, None)?;
                    }
                }
            }
        }
        {
            let mut d = e.encode_descriptor(
                "clusterdns_dns_responses",
                "Responses sent, by the zone that answered (\".\" for none) and rcode.",
                None,
                MetricType::Counter,
            )?;
            for (zone, counts) in &s.responses {
                for (k, &v) in counts.iter().enumerate() {
                    if v == 0 && k != 0 {
                        continue;
                    }
                    let l = [("zone", zone.as_str()), ("rcode", RCODES[k])];
                    d.encode_family(&l)?
                        .encode_counter::<NoLabelSet, _, u64>(&v, None)?;
                }
            }
        }
        let size_b = size_bounds();
        let dur_b = duration_bounds();
        let hists: [(&str, &str, &PerProto, &[f64], f64); 3] = [
            (
                "clusterdns_dns_request_duration_seconds",
                "Time to answer a query (UDP: the mean of its recvmmsg batch).",
                &s.duration,
                &dur_b,
                1e-6,
            ),
            (
                "clusterdns_dns_request_size_bytes",
                "Size of queries received.",
                &s.request_size,
                &size_b,
                1.0,
            ),
            (
                "clusterdns_dns_response_size_bytes",
                "Size of responses sent.",
                &s.response_size,
                &size_b,
                1.0,
            ),
        ];
        for (name, help, per_proto, bounds, scale) in hists {
            let mut d = e.encode_descriptor(name, help, None, MetricType::Histogram)?;
            for (p, (buckets, sum)) in per_proto.iter().enumerate() {
                if p >= 2 && buckets.iter().all(|&c| c == 0) {
                    continue;
                }
                let mut b: Vec<(f64, u64)> = bounds.iter().map(|&u| (u, 0)).collect();
                for (slot, &c) in b.iter_mut().zip(buckets) {
                    slot.1 = c;
                }
                let count = b.iter().map(|x| x.1).sum();
                let l = [("proto", PROTOS[p])];
                d.encode_family(&l)?.encode_histogram::<NoLabelSet>(
                    *sum as f64 * scale,
                    count,
                    &b,
                    None,
                )?;
            }
        }
        let set = m.store.snapshot();
        let gauges: [ZoneGauge; 2] = [
            (
                "clusterdns_zone_serial",
                "SOA serial of each zone served.",
                |z| z.serial as i64,
            ),
            (
                "clusterdns_zone_records",
                "Records in each zone served.",
                |z| z.records as i64,
            ),
        ];
        for (name, help, value) in gauges {
            let mut d = e.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for z in set.zones() {
                let o = z.origin.to_string();
                d.encode_family(&[("zone", o.as_str())])?
                    .encode_gauge(&value(z))?;
            }
        }
        {
            let mut d = e.encode_descriptor(
                "clusterdns_reloads",
                "Reloads that read zone files: success, or failure (a zone was rejected).",
                None,
                MetricType::Counter,
            )?;
            for (r, v) in [("success", &m.reloads_ok), ("failure", &m.reloads_failed)] {
                d.encode_family(&[("result", r)])?
                    .encode_counter::<NoLabelSet, _, u64>(&v.load(Relaxed), None)?;
            }
        }
        e.encode_descriptor(
            "clusterdns_reload_last_error_timestamp_seconds",
            "Unix time of the last reload that rejected a zone (0: none yet).",
            None,
            MetricType::Gauge,
        )?
        .encode_gauge(&(m.last_error.load(Relaxed) as i64))?;
        e.encode_descriptor(
            "clusterdns_tcp_coalesce_sleeps",
            "Sleeps of the TCP/DoT event loops gathering queries under concurrent load (--tcp-coalesce-us).",
            None,
            MetricType::Counter,
        )?
        .encode_counter::<NoLabelSet, _, u64>(&s.gather.0, None)?;
        e.encode_descriptor(
            "clusterdns_tcp_coalesce_seconds",
            "Time the TCP/DoT event loops slept gathering queries (at most this much added latency per sleep).",
            None,
            MetricType::Counter,
        )?
        .encode_counter::<NoLabelSet, f64, u64>(&(s.gather.1 as f64 * 1e-6), None)?;
        e.encode_descriptor(
            "clusterdns_query_log_dropped",
            "Query-log lines dropped because the log writer fell behind.",
            None,
            MetricType::Counter,
        )?
        .encode_counter::<NoLabelSet, _, u64>(&m.query_log_dropped.load(Relaxed), None)?;
        e.encode_descriptor(
            "clusterdns_build",
            "Version of the running binary.",
            None,
            MetricType::Info,
        )?
        .encode_info(&[("version", env!("CARGO_PKG_VERSION"))])?;
        Ok(())
    }
}

/// A per-zone gauge: its name, help text and how to read it off a zone.
type ZoneGauge = (&'static str, &'static str, fn(&crate::zone::Zone) -> i64);
