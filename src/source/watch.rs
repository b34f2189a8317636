//! Live reload: watches the zone directory (and the directories of `$INCLUDE`d files) with
//! notify, or polls with `--poll-interval`; debounces bursts of events (waiting for in-place
//! writers to close the file); reloads on SIGHUP; and hands every rebuild to the `Reloader` off
//! the query path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::{SourceConfig, Watch};
use crate::source::reload::{Reloader, Request};
use crate::source::report::log_reload;
use crate::source::stamp::watch_key;
use crate::source::updater::UpdateJob;
use crate::source::watchdir::{self, DirState};

/// The longest a steady stream of events can postpone a reload.
const MAX_DEFER: Duration = Duration::from_millis(100);
/// A writer that keeps a zone file open without writing for this long is taken as stuck: what
/// the file holds then is served (with a warning).
const WRITER_STUCK: Duration = Duration::from_secs(30);
/// How often the zone directory's identity is checked besides at every event.
const DIR_CHECK: Duration = Duration::from_secs(1);
/// The first pause before a reload that failed for a transient reason is tried again, and
/// the longest (the pause doubles in between).
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// What the notify callback hands over.
enum Msg {
    Event(notify::Event),
    /// The kernel dropped events (queue overflow) or the watcher failed: rescan everything.
    Rescan,
    /// A zone read that outlasted its reload ended: take its result.
    Loaded,
}

/// Why the zone directory cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("failed to start watching {}: {error} (try --poll-interval 1)", .dir.display())]
    Start { dir: PathBuf, error: notify::Error },
    #[error("failed to watch {}: {error} (try --poll-interval 1)", .dir.display())]
    Watch { dir: PathBuf, error: notify::Error },
}

/// Starts the reload task: SIGHUP always; file events unless `--no-watch`. The SIGHUP handler
/// is installed before this returns, and the last line it logs says how reloads happen. The
/// task ends when `shutdown` is cancelled.
pub fn spawn(
    mut reloader: Reloader,
    cfg: &SourceConfig,
    updates: Option<mpsc::Receiver<UpdateJob>>,
    shutdown: CancellationToken,
) -> Result<JoinHandle<()>, WatchError> {
    let hup = signal(SignalKind::hangup())
        .map_err(|e| tracing::warn!("failed to install the SIGHUP handler: {e}"))
        .ok();
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    let loaded = tx.clone();
    reloader.set_waker(std::sync::Arc::new(move || {
        let _ = loaded.send(Msg::Loaded);
    }));
    let zdir = std::fs::canonicalize(&cfg.zones).unwrap_or_else(|_| cfg.zones.clone());
    let mut watcher: Option<notify::RecommendedWatcher> = None;
    let poll = match cfg.watch {
        Watch::Poll(p) => Some(p),
        Watch::Events | Watch::Off => None,
    };
    if cfg.watch == Watch::Off {
        tracing::info!(
            "not watching {} (--no-watch); send SIGHUP to reload",
            cfg.zones.display()
        );
    } else if let Some(p) = poll {
        tracing::info!(
            "polling {} every {:.1} s; SIGHUP rescans",
            cfg.zones.display(),
            p.as_secs_f64()
        );
    } else {
        let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let msg = match res {
                Ok(ev) if ev.need_rescan() => Msg::Rescan,
                Ok(ev) => Msg::Event(ev),
                Err(_) => Msg::Rescan,
            };
            let _ = tx.send(msg);
        })
        .map_err(|error| WatchError::Start {
            dir: cfg.zones.clone(),
            error,
        })?;
        w.watch(&zdir, RecursiveMode::NonRecursive)
            .map_err(|error| WatchError::Watch {
                dir: cfg.zones.clone(),
                error,
            })?;
        watcher = Some(w);
    }
    // Reads in flight stop at shutdown (a huge zone must not hold the exit up).
    let cancel = reloader.cancel();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        stop.cancelled().await;
        cancel.cancel();
    });
    let mut task = Task {
        reloader,
        watcher,
        zdir_id: watchdir::dir_id(&zdir),
        zdir,
        zones_path: cfg.zones.clone(),
        includes: BTreeSet::new(),
        include_dirs: BTreeSet::new(),
        debounce: cfg.debounce,
        pending: Request::default(),
        writing: BTreeMap::new(),
        retry_at: None,
        backoff: RETRY_FIRST,
        dir_check_at: Instant::now() + DIR_CHECK,
    };
    task.watch_includes();
    if task.watcher.is_some() {
        tracing::info!(
            "watching {} for changes; SIGHUP rescans",
            cfg.zones.display()
        );
    }
    Ok(tokio::spawn(task.run(rx, hup, poll, updates, shutdown)))
}

struct Task {
    reloader: Reloader,
    watcher: Option<notify::RecommendedWatcher>,
    /// The zone directory, canonical.
    zdir: PathBuf,
    /// The zone directory as configured (what is looked up again when it is replaced).
    zones_path: PathBuf,
    /// The identity of the directory watched (`None`: missing).
    zdir_id: Option<watchdir::DirId>,
    /// `watch_key`s of every file the zones were read from.
    includes: BTreeSet<PathBuf>,
    /// Directories outside the zone directory watched for included files.
    include_dirs: BTreeSet<PathBuf>,
    debounce: Duration,
    /// What the next reload must re-read.
    pending: Request,
    /// Files modified in place and not yet closed by their writer, with their last write:
    /// the zones that use them are held back until the writer closes them.
    writing: BTreeMap<PathBuf, Instant>,
    /// When a reload that failed for a transient reason runs again.
    retry_at: Option<Instant>,
    /// The pause before the next retry.
    backoff: Duration,
    /// When the zone directory's identity is checked next (file events only).
    dir_check_at: Instant,
}

impl Task {
    async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<Msg>,
        mut hup: Option<Signal>,
        poll: Option<Duration>,
        mut updates: Option<mpsc::Receiver<UpdateJob>>,
        shutdown: CancellationToken,
    ) {
        let mut poll = poll.map(|p| {
            let mut i = tokio::time::interval_at(Instant::now() + p, p);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        });
        loop {
            let deadline = self.deadline();
            let trigger = tokio::select! {
                _ = shutdown.cancelled() => return,
                Some(msg) = events.recv() => {
                    if !self.absorb(msg) {
                        continue;
                    }
                    self.debounce(&mut events).await;
                    "change"
                }
                Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => {
                    self.pending.force = true;
                    "SIGHUP"
                }
                _ = async { match poll.as_mut() { Some(p) => { p.tick().await; } None => std::future::pending::<()>().await } } => "poll",
                Some(job) = async { match updates.as_mut() { Some(u) => u.recv().await, None => std::future::pending().await } } => {
                    // Updates run on the reloader, between reloads (see `source::updater`).
                    let r = self.reloader;
                    let res = tokio::task::spawn_blocking(move || {
                        let mut r = r;
                        let resp = r.update(&job.packet, job.peer);
                        (r, resp, job.reply)
                    })
                    .await;
                    let Ok((r, resp, reply)) = res else {
                        tracing::error!("update task failed; live reload stopped");
                        return;
                    };
                    self.reloader = r;
                    reply.send(resp);
                    continue;
                }
                _ = tokio::time::sleep_until(deadline) => match self.due() {
                    Some(t) => t,
                    None => continue,
                },
            };
            // Events that arrived meanwhile are covered by this reload (it reads the files as
            // they are now); events arriving during it start another one.
            while let Ok(msg) = events.try_recv() {
                self.absorb(msg);
            }
            let mut req = std::mem::take(&mut self.pending);
            req.hold = self.writing.keys().cloned().collect();
            req.settle = trigger == "poll";
            if req.force {
                crate::service::notify::reloading();
            }
            let r = self.reloader;
            let job = tokio::task::spawn_blocking(move || {
                let mut r = r;
                let report = r.reload_with(&req);
                (r, report, req)
            });
            let res = tokio::select! {
                res = job => res,
                // The read in flight was told to stop (see `spawn`); nothing waits for it.
                _ = shutdown.cancelled() => return,
            };
            let Ok((r, report, req)) = res else {
                tracing::error!("reload task failed; live reload stopped");
                return;
            };
            self.reloader = r;
            let forced = req.force;
            match report {
                Ok(rep) => {
                    if forced && rep.changes.is_empty() && rep.recovered.is_empty() {
                        tracing::info!(
                            "reload ({trigger}): reread {} zone file(s) in {}, nothing changed; serving {} zone(s), {} records; {:.1} ms",
                            rep.reread,
                            self.reloader.dir().display(),
                            rep.zones,
                            rep.records,
                            rep.elapsed.as_secs_f64() * 1000.0
                        );
                    }
                    log_reload(&rep, trigger);
                    crate::service::notify::reloaded(&rep, forced);
                    if self.reloader.needs_retry() {
                        self.retry_later(req);
                    } else {
                        self.backoff = RETRY_FIRST;
                    }
                }
                Err(e) => {
                    tracing::error!(
                        "failed to rescan {}: {e}; retrying in {:.1} s",
                        self.reloader.dir().display(),
                        self.backoff.as_secs_f64()
                    );
                    if forced {
                        crate::service::notify::notify("READY=1").ok();
                    }
                    self.retry_later(req);
                }
            }
            self.watch_includes();
        }
    }

    /// Keeps what a reload that met a transient error asked for, and schedules another try.
    fn retry_later(&mut self, req: Request) {
        self.pending.merge(req);
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(RETRY_MAX);
    }

    /// The next time something is due without an event: a retry, a withdrawal after the grace
    /// period, a stuck writer, the directory check.
    fn deadline(&self) -> Instant {
        let far = Instant::now() + Duration::from_secs(3600);
        let withdraw = self.reloader.next_withdraw().map(Instant::from_std);
        let stuck = self.writing.values().min().map(|t| *t + WRITER_STUCK);
        let dir = self.watcher.is_some().then_some(self.dir_check_at);
        [self.retry_at, withdraw, stuck, dir]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(far)
    }

    /// What a timer that fired asks for: the trigger of a reload, if one is due.
    fn due(&mut self) -> Option<&'static str> {
        let now = Instant::now();
        let mut trigger = None;
        if self.watcher.is_some() && self.dir_check_at <= now {
            self.dir_check_at = now + DIR_CHECK;
            if self.check_dir() {
                trigger = Some("zone directory replaced");
            }
        }
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            trigger = trigger.or(Some("retry"));
        }
        if self
            .reloader
            .next_withdraw()
            .is_some_and(|t| Instant::from_std(t) <= now)
        {
            trigger = trigger.or(Some("file gone"));
        }
        let stuck: Vec<PathBuf> = self
            .writing
            .iter()
            .filter(|(_, t)| **t + WRITER_STUCK <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stuck {
            tracing::warn!(
                "{}: still open for writing but unchanged for {} s; serving what it holds",
                k.display(),
                WRITER_STUCK.as_secs()
            );
            self.writing.remove(&k);
            self.pending.dirty.insert(k);
            trigger = trigger.or(Some("writer stuck"));
        }
        trigger
    }

    /// Checks that the watched directory is still the one at the configured path; when it
    /// was replaced, watches the new one. True if a rescan is needed.
    fn check_dir(&mut self) -> bool {
        match watchdir::look(&self.zones_path, self.zdir_id) {
            DirState::Same => false,
            DirState::Missing => {
                if self.zdir_id.take().is_some() {
                    tracing::warn!(
                        "zone directory {} is gone; serving the zones loaded, waiting for it to come back",
                        self.zones_path.display()
                    );
                }
                false
            }
            DirState::Replaced(canon, id) => {
                let Some(w) = self.watcher.as_mut() else {
                    return false;
                };
                let _ = w.unwatch(&self.zdir);
                if let Err(e) = w.watch(&canon, RecursiveMode::NonRecursive) {
                    tracing::warn!("failed to watch {}: {e}; trying again", canon.display());
                    return false;
                }
                tracing::info!(
                    "zone directory {} was replaced; watching the new one ({}) and rescanning",
                    self.zones_path.display(),
                    canon.display()
                );
                self.zdir = canon;
                self.zdir_id = Some(id);
                self.pending.force = true;
                true
            }
        }
    }

    /// Waits until the burst is over: a quiet period of `debounce`, but no longer than
    /// `MAX_DEFER`. Files still open for writing do not delay the others: their zones are held
    /// back until the writer closes them.
    async fn debounce(&mut self, events: &mut mpsc::UnboundedReceiver<Msg>) {
        let start = Instant::now();
        loop {
            let Some(left) = MAX_DEFER
                .checked_sub(start.elapsed())
                .filter(|d| !d.is_zero())
            else {
                return;
            };
            tokio::select! {
                msg = events.recv() => match msg {
                    Some(msg) => { self.absorb(msg); }
                    None => return,
                },
                _ = tokio::time::sleep(self.debounce.min(left)) => return,
            }
        }
    }

    /// Records what one notify message means for the next reload; true if it matters.
    fn absorb(&mut self, msg: Msg) -> bool {
        let ev = match msg {
            Msg::Rescan => {
                self.pending.force = true;
                return true;
            }
            Msg::Loaded => return true,
            Msg::Event(ev) => ev,
        };
        if matches!(
            ev.kind,
            EventKind::Access(AccessKind::Open(_) | AccessKind::Read | AccessKind::Any)
        ) {
            return false;
        }
        let mut relevant = false;
        for (i, p) in ev.paths.iter().enumerate() {
            if *p == self.zdir {
                // The directory itself was deleted or moved: the watch is gone with it, and a
                // directory re-created there may even reuse its inode number. Look now, and
                // take whatever is there as a new directory.
                if matches!(
                    ev.kind,
                    EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
                ) {
                    self.zdir_id = None;
                }
                self.dir_check_at = Instant::now();
                continue;
            }
            let key = watch_key(p);
            let in_zdir = key.parent() == Some(self.zdir.as_path());
            if !self.is_tracked(&key) {
                // Anything else in the zone directory (a symlink farm swapped, as Kubernetes
                // does for ConfigMaps) may change what a zone file resolves to: rescan, and let
                // the stamps tell.
                relevant |= in_zdir;
                continue;
            }
            relevant = true;
            match ev.kind {
                EventKind::Modify(ModifyKind::Data(_)) => {
                    self.writing.insert(key.clone(), Instant::now());
                }
                EventKind::Access(AccessKind::Close(AccessMode::Write)) | EventKind::Remove(_) => {
                    self.writing.remove(&key);
                }
                // A file renamed away is no longer written under its old name.
                EventKind::Modify(ModifyKind::Name(RenameMode::From))
                | EventKind::Modify(ModifyKind::Name(RenameMode::Both))
                    if i == 0 =>
                {
                    self.writing.remove(&key);
                }
                _ => {}
            }
            self.pending.dirty.insert(key);
        }
        relevant
    }

    /// A zone file of the zone directory, or a file some zone was read from.
    fn is_tracked(&self, key: &Path) -> bool {
        if self.includes.contains(key) {
            return true;
        }
        key.parent() == Some(self.zdir.as_path())
            && key.file_name().and_then(|f| f.to_str()).is_some_and(|f| {
                !f.starts_with('.') && f.ends_with(".zone") && f.len() > ".zone".len()
            })
    }

    /// Keeps the watched directories in step with the files the zones include: watches the
    /// directories of included files outside the zone directory and drops those no longer used.
    fn watch_includes(&mut self) {
        self.includes = self.reloader.watch_keys();
        let Some(w) = self.watcher.as_mut() else {
            return;
        };
        let want: BTreeSet<PathBuf> = self
            .includes
            .iter()
            .filter_map(|k| k.parent())
            .filter(|p| *p != self.zdir.as_path())
            .map(Path::to_path_buf)
            .collect();
        for p in self.include_dirs.difference(&want) {
            let _ = w.unwatch(p);
            tracing::info!("no longer watching {} for included files", p.display());
        }
        self.include_dirs.retain(|p| want.contains(p));
        for p in want {
            if self.include_dirs.contains(&p) {
                continue;
            }
            match w.watch(&p, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    tracing::info!("watching {} for included files", p.display());
                    self.include_dirs.insert(p);
                }
                Err(e) => tracing::warn!("cannot watch {} for included files: {e}", p.display()),
            }
        }
    }
}
