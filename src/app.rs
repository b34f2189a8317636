//! Startup wiring for `serve`: the first load, the runtime, the sockets, the reload task, and
//! the one shutdown signal (SIGINT/SIGTERM cancels a single token every task is tied to).
//! Errors here are `anyhow`, with context; the modules below return typed errors.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::config::ServeConfig;
use crate::source::reload::{ReloadOptions, Reloader};
use crate::source::report::log_first_load;
use crate::store::{Store, ZoneSet};

/// How long the reload task may take to stop after shutdown.
const WATCH_DRAIN: Duration = Duration::from_secs(2);

/// Runs `clusterdns serve` until SIGINT or SIGTERM.
pub fn serve(cfg: ServeConfig) -> anyhow::Result<()> {
    match crate::net::raise_nofile() {
        Ok((old, new)) if new > old => {
            tracing::info!("open-files limit raised from {old} to {new}")
        }
        Ok((_, n)) => tracing::info!("open-files limit {n}"),
        Err(e) => tracing::warn!("failed to raise the open-files limit: {e}"),
    }
    let zones = cfg.source.zones.clone();
    let store = Arc::new(
        Store::with_access(ZoneSet::default(), cfg.net.access.clone())
            .with_xfr(cfg.xfr.clone(), cfg.xfr_flags.clone())
            .with_forward_to(cfg.net.forward_to.clone()),
    );
    let catalog = crate::source::catalog::Catalog::new(
        cfg.source.scan.then(|| zones.clone()),
        cfg.source.config.clone(),
    );
    let mut reloader = Reloader::with_catalog(
        zones.clone(),
        catalog,
        store.clone(),
        ReloadOptions {
            auto_serial: cfg.source.auto_serial,
            auto_ptr: cfg.source.auto_ptr,
            limits: cfg.source.limits.clone(),
            withdraw_grace: cfg.source.withdraw_grace,
            ..ReloadOptions::default()
        },
    );
    let metrics = cfg
        .service
        .metrics
        .is_some()
        .then(|| crate::metrics::Metrics::new(store.clone()));
    let report = reloader
        .reload()
        .with_context(|| format!("failed to read zone directory {}", zones.display()))?;
    // NOTIFY targets may come with a later edit of the config file: the notifier always runs.
    let (notifier, notify_rx) = crate::xfr::notify::Notifier::channel();
    // Reloads after the first load are counted, and NOTIFY the zones' secondaries.
    let m = metrics.clone();
    reloader.observe(Box::new(move |r| {
        if let Some(m) = &m {
            m.record_reload(r);
        }
        notifier.report(r);
    }));
    if let Some(m) = &metrics {
        m.add_collector(Box::new(crate::metrics::xfr::XfrCollector(store.clone())));
    }
    log_first_load(&report);
    let health = start_health(&cfg, &store, metrics.as_ref())?;
    crate::store::trim_memory();
    if report.zones == 0 && cfg.xfr.secondaries.is_empty() {
        anyhow::bail!(
            "no zone can be served from {}: {}",
            zones.display(),
            if report.errors.is_empty() {
                "it holds no NAME.zone files"
            } else {
                "every zone file has errors (see above)"
            }
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.net.threads)
        .thread_name("clusterdns-tcp")
        .enable_all()
        .build()
        .context("failed to start the runtime")?;
    {
        // Take over SIGHUP before saying "listening": from then on a SIGHUP means "rescan",
        // never the default "terminate" (tokio keeps the handler installed once registered).
        let _rt = rt.enter();
        let _ = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    }
    // Ends when the reloader (the sender side) is dropped, or with the runtime.
    rt.spawn(crate::xfr::notify::run(notify_rx, store.clone()));
    // DoT/DoH: the key is read and the ports bound while we may still be root, and a bad
    // certificate stops the start before anything listens.
    // DoT is served by the TCP loops, DoH on tokio.
    let (tls, dot) = {
        let _rt = rt.enter();
        crate::net::bind_tls(&cfg.net)?
    };
    let sockets = crate::net::bind_all(&cfg.net)?;
    if let Some(user) = &cfg.service.user {
        crate::service::user::drop_to(user)?;
    }
    let query_log = match cfg.service.query_log {
        true => Some(
            crate::metrics::querylog::QueryLog::start(
                metrics
                    .as_ref()
                    .map_or_else(Default::default, |m| m.query_log_dropped()),
            )
            .context("failed to start the query log")?,
        ),
        false => None,
    };
    let taps = crate::metrics::Taps::new(metrics.clone(), query_log.as_ref());
    drop(query_log);
    let served = (report.zones, report.records);
    let res = rt.block_on(run(
        cfg,
        store,
        reloader,
        (sockets, dot, tls),
        metrics,
        taps,
        served,
        health,
    ));
    // A zone read in flight was told to stop; do not wait for a straggler to exit.
    rt.shutdown_timeout(SHUTDOWN_STRAGGLERS);
    res
}

/// How long blocking work still running at exit (a zone read) may delay it.
const SHUTDOWN_STRAGGLERS: Duration = Duration::from_millis(300);

/// The `[[service]]` names of a TOML config, published before the first query (every member
/// counts as up until checked); `None` without services.
fn start_health(
    cfg: &ServeConfig,
    store: &Arc<Store>,
    metrics: Option<&Arc<crate::metrics::Metrics>>,
) -> anyhow::Result<Option<Arc<crate::health::Health>>> {
    let Some(src @ crate::config::layer::ConfigSource::Toml(path)) = &cfg.source.config else {
        return Ok(None);
    };
    let layer = crate::config::layer::read_layer(src).map_err(|e| anyhow::anyhow!(e.message))?;
    let specs = crate::config::service::resolve_services(&layer.config.services)
        .with_context(|| format!("{}", path.display()))?;
    if specs.is_empty() {
        return Ok(None);
    }
    let health = crate::health::Health::new(specs, store.clone());
    health.publish();
    if let Some(m) = metrics {
        m.add_collector(health.collector());
    }
    Ok(Some(health))
}

// Everything `serve` set up before the runtime, handed over in one call.
#[allow(clippy::too_many_arguments)]
async fn run(
    cfg: ServeConfig,
    store: Arc<Store>,
    reloader: Reloader,
    (sockets, dot, tls): (
        Vec<crate::net::Bound>,
        Option<crate::net::DotListeners>,
        Option<crate::net::TlsListeners>,
    ),
    metrics: Option<Arc<crate::metrics::Metrics>>,
    taps: crate::metrics::Taps,
    (zones, records): (usize, usize),
    health: Option<Arc<crate::health::Health>>,
) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let scraper = match (metrics, cfg.service.metrics) {
        (Some(m), Some(addr)) => {
            Some(crate::metrics::serve_metrics(addr, m, shutdown.clone()).await?)
        }
        _ => None,
    };
    // Dynamic updates (a zone has allow_update at start): the sockets hand UPDATE messages to
    // the reload task. Otherwise they are answered NOTIMP.
    let updates = reloader.takes_updates().then(|| {
        let (updater, updates) = crate::source::updater::Updater::channel();
        store.set_updater(updater);
        updates
    });
    let watcher = crate::source::watch::spawn(reloader, &cfg.source, updates, shutdown.clone())?;
    let checker = health.map(|h| h.spawn(shutdown.clone()));
    // With a config file the forwarders may be set by a reload: the task runs, idle while
    // there are none.
    let forward = if cfg.net.forward_to.is_empty() && cfg.source.config.is_none() {
        None
    } else {
        let f = crate::net::forward::spawn(store.clone(), shutdown.clone());
        if !cfg.net.forward_to.is_empty() {
            tracing::info!(
                "forwarding names outside our zones to {}",
                cfg.net
                    .forward_to
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Some(f)
    };
    // Secondary zones: the sockets hand NOTIFY to their tasks (else NOTIMP).
    // With a config file, secondary zones may come with a reload: NOTIFY is taken then too.
    let notify_in = (!cfg.xfr.secondaries.is_empty() || cfg.source.config.is_some()).then(|| {
        let (n, rx) = crate::source::notify_in::NotifyIn::channel();
        store.set_notify_in(n);
        rx
    });
    let secondaries = crate::source::secondary::spawn(
        cfg.source.zones.clone(),
        store.clone(),
        notify_in,
        shutdown.clone(),
    );
    let encrypted = tls.map(|l| {
        let (store, taps, shutdown) = (store.clone(), taps.clone(), shutdown.clone());
        let forward = forward.clone();
        tokio::spawn(async move {
            let r = crate::net::serve_tls(l, store, &taps, shutdown.clone(), forward).await;
            if r.is_err() {
                shutdown.cancel(); // a listener that cannot serve stops the server, as for UDP/TCP
            }
            r
        })
    });
    let server = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            crate::net::serve((sockets, dot), store, &cfg.net, &taps, shutdown, forward).await
        })
    };
    crate::service::notify::ready(zones, records);
    tokio::select! {
        _ = wait_for_signal() => tracing::info!("shutting down"),
        _ = shutdown.cancelled() => {}
    }
    crate::service::notify::stopping();
    shutdown.cancel();
    let served = server.await;
    if let Some(t) = encrypted {
        match tokio::time::timeout(WATCH_DRAIN, t).await {
            Ok(Ok(Err(e))) => tracing::error!("DNS over TLS/HTTPS: {e}"),
            Ok(Err(e)) => tracing::error!("the DNS over TLS/HTTPS task failed: {e}"),
            _ => {}
        }
    }
    let _ = tokio::time::timeout(WATCH_DRAIN, watcher).await;
    if let Some(c) = checker {
        let _ = tokio::time::timeout(WATCH_DRAIN, c).await;
    }
    let _ = tokio::time::timeout(WATCH_DRAIN, secondaries).await;
    if let Some(s) = scraper {
        let _ = tokio::time::timeout(WATCH_DRAIN, s).await;
    }
    match served {
        Ok(r) => r?,
        Err(e) => anyhow::bail!("the server task failed: {e}"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Waits for SIGTERM or SIGINT.
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers we can only run until killed.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
