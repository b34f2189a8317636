//! Live reload: watches the zone directory (and the directories of `$INCLUDE`d files) with
//! notify, or polls with `--poll-interval`; debounces bursts of events; reloads on SIGHUP; and
//! hands every rebuild to the `Reloader` off the query path.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::cli::ServeConfig;
use crate::reload::Reloader;
use crate::server::log_report;

/// The longest a burst of events can postpone a reload.
const MAX_DEFER: Duration = Duration::from_millis(100);

/// Starts the reload task (SIGHUP always; file events unless `--no-watch`).
pub fn spawn(
    reloader: Reloader,
    cfg: &ServeConfig,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    let (tx, rx) = mpsc::unbounded_channel::<()>();
    let mut watcher: Option<notify::RecommendedWatcher> = None;
    if cfg.watch && cfg.poll_interval.is_none() {
        let tx = tx.clone();
        let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res {
                if !matches!(ev.kind, notify::EventKind::Access(_)) {
                    let _ = tx.send(());
                }
            }
        })
        .map_err(|e| {
            anyhow::anyhow!(
                "failed to start watching {}: {e} (try --poll-interval 1)",
                cfg.zones.display()
            )
        })?;
        w.watch(&cfg.zones, RecursiveMode::NonRecursive)
            .map_err(|e| {
                anyhow::anyhow!(
                    "failed to watch {}: {e} (try --poll-interval 1)",
                    cfg.zones.display()
                )
            })?;
        tracing::info!("watching {} for changes", cfg.zones.display());
        watcher = Some(w);
    } else if let Some(p) = cfg.poll_interval.filter(|_| cfg.watch) {
        tracing::info!(
            "polling {} every {:.1} s",
            cfg.zones.display(),
            p.as_secs_f64()
        );
    }
    let task = Task {
        reloader,
        watcher,
        watched: BTreeSet::new(),
        debounce: cfg.debounce,
        poll: cfg.poll_interval.filter(|_| cfg.watch),
    };
    Ok(Some(tokio::spawn(task.run(rx, shutdown))))
}

struct Task {
    reloader: Reloader,
    watcher: Option<notify::RecommendedWatcher>,
    /// Extra directories watched for included files.
    watched: BTreeSet<PathBuf>,
    debounce: Duration,
    poll: Option<Duration>,
}

impl Task {
    async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<()>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = signal(SignalKind::hangup()).ok();
        let mut poll = self.poll.map(|p| {
            let mut i = tokio::time::interval(p);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        });
        self.watch_includes();
        loop {
            let why = tokio::select! {
                _ = shutdown.changed() => return,
                Some(()) = events.recv() => {
                    // Debounce: wait for a quiet period, but never longer than MAX_DEFER.
                    let deadline = tokio::time::Instant::now() + MAX_DEFER;
                    loop {
                        let quiet = tokio::time::sleep(self.debounce);
                        tokio::select! {
                            Some(()) = events.recv() => {
                                if tokio::time::Instant::now() >= deadline { break; }
                            }
                            _ = quiet => break,
                        }
                    }
                    "change"
                }
                Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => "SIGHUP",
                _ = async { match poll.as_mut() { Some(p) => { p.tick().await; } None => std::future::pending::<()>().await } } => "poll",
            };
            // Drain events that arrived meanwhile: this reload covers them.
            while events.try_recv().is_ok() {}
            let r = self.reloader;
            let res = tokio::task::spawn_blocking(move || {
                let mut r = r;
                let report = r.reload();
                (r, report)
            })
            .await;
            let Ok((r, report)) = res else {
                tracing::error!("reload task failed; live reload stopped");
                return;
            };
            self.reloader = r;
            match report {
                Ok(rep) => {
                    if why == "SIGHUP" && rep.changes.is_empty() {
                        tracing::info!(
                            "SIGHUP: rescanned {}, nothing changed",
                            self.reloader.dir().display()
                        );
                    }
                    log_report(&rep, false);
                }
                Err(e) => {
                    tracing::error!("failed to rescan {}: {e}", self.reloader.dir().display())
                }
            }
            self.watch_includes();
        }
    }

    /// Watches the directories of included files that live outside the zone directory.
    fn watch_includes(&mut self) {
        let Some(w) = self.watcher.as_mut() else {
            return;
        };
        let dir = self.reloader.dir().to_path_buf();
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let zdir = canon(&dir);
        for f in self.reloader.watched_files() {
            let Some(parent) = f.parent() else { continue };
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            let p = canon(parent);
            if p == zdir || self.watched.contains(&p) {
                continue;
            }
            match w.watch(&p, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    tracing::info!("watching {} for included files", p.display());
                    self.watched.insert(p);
                }
                Err(e) => tracing::warn!("cannot watch {} for included files: {e}", p.display()),
            }
        }
    }
}
