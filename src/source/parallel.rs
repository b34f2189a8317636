//! Reading many zone files at once, off the reloader's thread: one thread per core at most (two
//! at least, so one slow zone never holds up the rest), each file stamped around its read so
//! that a write during the read is noticed at the next look. Results come back on a channel as
//! each read ends; the reloader takes what is done and publishes it, and a read still going
//! delivers later (the waker starts another reload).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::dns::name::Name;
use crate::source::hosts::{self, HostsSpec};
use crate::source::loader::{self, LoadError};
use crate::source::stamp::{stamp_at, Stamp};
use crate::zonefile::{Cancel, Limits, Options};

/// The files one read used (the zone file first) with their stamps, and what the read gave.
pub(super) type LoadResult = (
    Vec<(PathBuf, Option<Stamp>)>,
    Result<loader::Loaded, LoadError>,
);

/// One read that ended: the zone (file, origin) and what the read gave.
pub(super) type Done = ((PathBuf, Name), LoadResult);

/// Called when a read ends (the reload task uses it to come back for the result).
pub(super) type Waker = Arc<dyn Fn() + Send + Sync>;

/// What every read of one reload shares: the limits, the cancel flag and the hosts files that
/// feed zones.
#[derive(Clone)]
pub(super) struct ReadCtx {
    pub(super) limits: Limits,
    pub(super) cancel: Cancel,
    pub(super) hosts: Arc<HostsSpec>,
}

/// Reads one zone: its zone file (if it has one) and its hosts file (if it has one).
fn load_one(path: &Path, origin: &Name, ctx: &ReadCtx) -> LoadResult {
    hosts::read(path, origin, &ctx.hosts, |p, o| load_file(p, o, ctx))
}

/// Reads one zone file, stamping it (and its includes) around the read.
fn load_file(path: &Path, origin: &Name, ctx: &ReadCtx) -> LoadResult {
    let taken = SystemTime::now();
    let t0 = Instant::now();
    let before = stamp_at(path, taken);
    let opts = Options {
        limits: ctx.limits.clone(),
        cancel: ctx.cancel.clone(),
        ..Options::new(origin.clone())
    };
    let result = loader::load_zone_with(path, &opts);
    tracing::debug!(
        "read {} in {:.1} ms",
        path.display(),
        t0.elapsed().as_secs_f64() * 1000.0
    );
    match result {
        Ok(l) => {
            let mut stamps: Vec<(PathBuf, Option<Stamp>)> = vec![(path.to_path_buf(), before)];
            // Includes are stamped after the read; one written meanwhile is racy, so re-read.
            for f in l.zone.files.iter().skip(1) {
                let s = stamp_at(f, taken);
                if !stamps.iter().any(|(p, _)| p == f) {
                    stamps.push((f.clone(), s));
                }
            }
            (stamps, Ok(l))
        }
        Err(e) => (vec![(path.to_path_buf(), before)], Err(e)),
    }
}

/// Starts reading every `(file, origin)` of `todo` on threads of their own; each result is
/// sent on `tx` as its read ends, then `waker` (if any) is called if `late` is set by then (the
/// reloader stopped waiting: it sets `late`, then takes what was sent).
pub(super) fn dispatch(
    todo: Vec<(PathBuf, Name)>,
    ctx: &ReadCtx,
    tx: &Sender<Done>,
    waker: Option<&Waker>,
    late: &Arc<AtomicBool>,
) {
    if todo.is_empty() {
        return;
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(2)
        .min(todo.len());
    let queue = Arc::new((todo, AtomicUsize::new(0)));
    let mut started = 0;
    for _ in 0..threads {
        let (queue, ctx, tx, waker) = (queue.clone(), ctx.clone(), tx.clone(), waker.cloned());
        let late = late.clone();
        let work = move || loop {
            let i = queue.1.fetch_add(1, Ordering::Relaxed);
            let Some((p, o)) = queue.0.get(i) else { break };
            let r = load_one(p, o, &ctx);
            // The receiver is gone only when the reloader is (shutdown): nothing to do then.
            let _ = tx.send(((p.clone(), o.clone()), r));
            if let Some(w) = waker.as_ref().filter(|_| late.load(Ordering::SeqCst)) {
                w();
            }
        };
        match std::thread::Builder::new()
            .name("clusterdns-load".into())
            .spawn(work)
        {
            Ok(_) => started += 1,
            Err(e) => tracing::warn!("failed to start a zone reader thread: {e}"),
        }
    }
    if started == 0 {
        // No thread could be started: read here, one after the other.
        while let Some((p, o)) = queue.0.get(queue.1.fetch_add(1, Ordering::Relaxed)) {
            let _ = tx.send(((p.clone(), o.clone()), load_one(p, o, ctx)));
        }
    }
}
