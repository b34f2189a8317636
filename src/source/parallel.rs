//! Reading many zone files at once: one thread per core at most, each file stamped around its
//! read so that a write during the read is noticed at the next look.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::dns::name::Name;
use crate::source::loader::{self, LoadError};
use crate::source::stamp::{stamp_at, Stamp};
use crate::zonefile::{Cancel, Limits, Options};

/// The files one read used (the zone file first) with their stamps, and what the read gave.
pub(super) type LoadResult = (
    Vec<(PathBuf, Option<Stamp>)>,
    Result<loader::Loaded, LoadError>,
);

/// What every read of one reload shares: the limits and the cancel flag.
pub(super) struct ReadCtx<'a> {
    pub(super) limits: &'a Limits,
    pub(super) cancel: &'a Cancel,
}

fn load_one(path: &Path, origin: &Name, ctx: &ReadCtx<'_>) -> LoadResult {
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

/// Reads every `(file, origin)` of `todo`; the results come back in the same order.
pub(super) fn load_parallel(todo: &[(PathBuf, Name)], ctx: &ReadCtx<'_>) -> Vec<LoadResult> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(todo.len())
        .max(1);
    if threads == 1 {
        return todo.iter().map(|(p, o)| load_one(p, o, ctx)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<LoadResult>> = (0..todo.len()).map(|_| None).collect();
    let results = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((p, o)) = todo.get(i) else { break };
                let r = load_one(p, o, ctx);
                // The lock is held only to store the result (no await, no I/O inside).
                if let Ok(mut g) = results.lock() {
                    g[i] = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .zip(todo)
        .map(|(r, (p, o))| r.unwrap_or_else(|| load_one(p, o, ctx)))
        .collect()
}
