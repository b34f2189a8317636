//! Health-checked service names: one task per member runs its checks (jittered timer,
//! per-check timeout, bounded concurrency across all members), a state change publishes a new
//! zone set through the store's overlay (`overlay`), and `/metrics` exports every member's
//! state and transitions. Runs on the tokio side; the query path only reads what is published.

mod check;
mod overlay;
mod state;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use crate::rand::XorShift;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use overlay::{apply, member_address, ServiceState};

use crate::config::service::{Check, ServiceSpec};
use crate::store::Store;
use state::Tracker;

/// Most checks in flight at once, over every service.
const MAX_CONCURRENT_CHECKS: usize = 64;

/// The health checker of every `[[service]]`.
pub struct Health {
    services: Vec<Service>,
    store: Arc<Store>,
    /// Woken on every state change; the publisher coalesces what piled up.
    changed: Notify,
}

struct Service {
    spec: Arc<ServiceSpec>,
    members: Vec<Member>,
}

struct Member {
    /// The member as configured (an address or a node name), for logs and labels.
    label: String,
    up: AtomicBool,
    transitions: AtomicU64,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("services", &self.services.len())
            .finish_non_exhaustive()
    }
}

impl Health {
    /// A checker for `specs` publishing into `store`; every member counts as up until its
    /// first check.
    pub fn new(specs: Vec<ServiceSpec>, store: Arc<Store>) -> Arc<Health> {
        let services = specs
            .into_iter()
            .map(|spec| Service {
                members: spec
                    .members
                    .iter()
                    .map(|m| Member {
                        label: m.target.to_string(),
                        up: AtomicBool::new(true),
                        transitions: AtomicU64::new(0),
                    })
                    .collect(),
                spec: Arc::new(spec),
            })
            .collect();
        Arc::new(Health {
            services,
            store,
            changed: Notify::new(),
        })
    }

    /// Publishes the current states: the store applies them to every later reload too.
    /// Builds zones: call it off the async workers (`spawn_blocking`) once running.
    pub fn publish(&self) {
        let states: Vec<ServiceState> = self
            .services
            .iter()
            .map(|s| ServiceState {
                spec: s.spec.clone(),
                up: s.members.iter().map(|m| m.up.load(Relaxed)).collect(),
            })
            .collect();
        self.store
            .set_overlay(Some(Arc::new(move |base| apply(base, &states))));
    }

    /// Starts one checking task per member and the publisher, all stopping on `shutdown`.
    pub fn spawn(self: &Arc<Self>, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let permits = Arc::new(Semaphore::new(MAX_CONCURRENT_CHECKS));
        let mut tasks = tokio::task::JoinSet::new();
        for (si, s) in self.services.iter().enumerate() {
            tracing::info!(
                "health-checking service {} ({} members, {})",
                s.spec.name,
                s.members.len(),
                describe(&s.spec.check)
            );
            for mi in 0..s.members.len() {
                tasks.spawn(watch_member(
                    self.clone(),
                    si,
                    mi,
                    permits.clone(),
                    shutdown.clone(),
                ));
            }
        }
        let h = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = h.changed.notified() => {}
                }
                let p = h.clone();
                if let Err(e) = tokio::task::spawn_blocking(move || p.publish()).await {
                    tracing::error!("failed to publish service names: {e}");
                }
            }
            while tasks.join_next().await.is_some() {}
        })
    }

    /// The `/metrics` collector of member states and transitions.
    pub fn collector(self: &Arc<Self>) -> Box<dyn Collector> {
        Box::new(HealthMetrics(self.clone()))
    }
}

fn describe(c: &Check) -> String {
    match c {
        Check::Tcp { port } => format!("tcp port {port}"),
        Check::Http { port, path, expect } => format!("http port {port} {path} expecting {expect}"),
    }
}

/// A draw in `0..=span` for timer jitter.
fn jitter(rng: &mut XorShift, span: Duration) -> Duration {
    let ms = span.as_millis() as u64;
    Duration::from_millis(rng.below(ms + 1))
}

/// Checks one member every interval (±10%, the first within a quarter interval) until
/// shutdown; a change of state is logged once, counted, and published.
async fn watch_member(
    h: Arc<Health>,
    si: usize,
    mi: usize,
    permits: Arc<Semaphore>,
    shutdown: CancellationToken,
) {
    let s = &h.services[si];
    let spec = &s.spec;
    let member = &s.members[mi];
    let mut seed = XorShift::new(
        (std::process::id() as u64) << 32 ^ ((si as u64) << 16) ^ mi as u64 ^ 0x9e37_79b9_7f4a_7c15,
    );
    let mut tracker = Tracker::default();
    let mut next = Instant::now() + jitter(&mut seed, spec.interval / 4);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        let tenth = spec.interval / 10;
        next += spec.interval - tenth + jitter(&mut seed, tenth * 2);
        let addr = member_address(&h.store.base(), &spec.members[mi].target);
        let ok = tokio::select! {
            _ = shutdown.cancelled() => return,
            ok = async {
                let Ok(_permit) = permits.acquire().await else { return false };
                match addr {
                    Some(a) => tokio::time::timeout(spec.timeout, check::run(&spec.check, a))
                        .await
                        .unwrap_or(false),
                    None => false,
                }
            } => ok,
        };
        let now = Instant::now();
        if next < now {
            next = now;
        }
        let Some(up) = tracker.observe(ok, now.into_std(), spec.down_after, spec.up_after) else {
            continue;
        };
        let was = member.up.swap(up, Relaxed);
        let word = if up { "up" } else { "down" };
        if was != up {
            member.transitions.fetch_add(1, Relaxed);
            if up {
                tracing::info!("service {}: member {} is {word}", spec.name, member.label);
            } else {
                tracing::warn!("service {}: member {} is {word}", spec.name, member.label);
            }
            h.changed.notify_one();
        } else {
            tracing::info!(
                "service {}: member {} is {word} (first check)",
                spec.name,
                member.label
            );
        }
    }
}

#[derive(Debug)]
struct HealthMetrics(Arc<Health>);

impl Collector for HealthMetrics {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let h = &self.0;
        {
            let mut d = e.encode_descriptor(
                "clusterdns_service_member_up",
                "Whether a service member passes its health check (1) or not (0).",
                None,
                MetricType::Gauge,
            )?;
            for s in &h.services {
                let name = s.spec.name.to_string();
                for m in &s.members {
                    let l = [("service", name.as_str()), ("member", m.label.as_str())];
                    d.encode_family(&l)?
                        .encode_gauge(&(m.up.load(Relaxed) as i64))?;
                }
            }
        }
        let mut d = e.encode_descriptor(
            "clusterdns_service_member_transitions",
            "Changes of a service member's health state.",
            None,
            MetricType::Counter,
        )?;
        for s in &h.services {
            let name = s.spec.name.to_string();
            for m in &s.members {
                let l = [("service", name.as_str()), ("member", m.label.as_str())];
                d.encode_family(&l)?
                    .encode_counter::<NoLabelSet, _, u64>(&m.transitions.load(Relaxed), None)?;
            }
        }
        Ok(())
    }
}
