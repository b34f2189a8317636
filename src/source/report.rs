//! What a load or reload did (`Report`, one `Change` per zone) and how it is logged: errors as
//! `path:line: message`, then one summary line.

use crate::dns::name::Name;
use crate::source::loader::LoadError;

/// One zone's change in a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added {
        origin: Name,
        serial: u32,
        records: usize,
    },
    Updated {
        origin: Name,
        old_serial: u32,
        serial: u32,
        records: usize,
    },
    Removed {
        origin: Name,
    },
    /// The new version failed to load; the old one (if any) keeps serving.
    Failed {
        origin: Name,
        kept_serial: Option<u32>,
    },
}

/// What one reload did.
#[derive(Debug, Default)]
pub struct Report {
    pub changes: Vec<Change>,
    pub errors: Vec<LoadError>,
    /// From the start of the reload until the new set was published (or until the end).
    pub elapsed: std::time::Duration,
    /// Zones served after this reload.
    pub zones: usize,
    /// Records served after this reload, over every zone.
    pub records: usize,
    /// Zone files read (successfully or not).
    pub reread: usize,
    /// Zones whose files were rejected before and now read back unchanged from what is served.
    pub recovered: Vec<Name>,
    pub published: bool,
    /// Published by a dynamic update (RFC 2136), not by reading files.
    pub update: bool,
}

/// Adds an `Updated` change for each zone in `new` whose serial differs from `old`'s and that
/// `r` does not name yet: a reverse zone whose synthesized PTRs followed a forward zone (its
/// secondaries must be notified too).
pub(super) fn add_derived(
    r: &mut Report,
    old: &crate::store::ZoneSet,
    new: &[std::sync::Arc<crate::zone::Zone>],
) {
    for z in new {
        let named = r.changes.iter().any(|c| match c {
            Change::Added { origin, .. }
            | Change::Updated { origin, .. }
            | Change::Removed { origin }
            | Change::Failed { origin, .. } => *origin == z.origin,
        });
        match old.get(&z.origin) {
            Some(o) if !named && o.serial != z.serial => r.changes.push(Change::Updated {
                origin: z.origin.clone(),
                old_serial: o.serial,
                serial: z.serial,
                records: z.records,
            }),
            _ => {}
        }
    }
}

/// Logs what one reload did: each rejected zone and its errors (`path:line: message`) at error
/// level, then one line for the whole reload. Logs nothing when nothing changed or failed.
pub(super) fn log_reload(r: &Report, trigger: &str) {
    log_errors(r);
    if r.changes.is_empty() && r.recovered.is_empty() {
        return;
    }
    log_summary(r, trigger);
}

/// Logs each zone that failed to load, then each of its errors as `path:line: message`.
fn log_errors(r: &Report) {
    for e in &r.errors {
        let kept = r.changes.iter().find_map(|c| match c {
            Change::Failed {
                origin,
                kept_serial,
            } if *origin == e.origin => Some(*kept_serial),
            _ => None,
        });
        match kept.flatten() {
            Some(s) => tracing::error!(
                "failed to load zone {} from {}; still serving serial {s}",
                e.origin,
                e.path.display()
            ),
            None => tracing::error!(
                "failed to load zone {} from {}; not served",
                e.origin,
                e.path.display()
            ),
        }
        for d in &e.errors {
            tracing::error!("{d}");
        }
        if e.suppressed > 0 {
            tracing::error!("{}: ... and {} more errors", e.path.display(), e.suppressed);
        }
    }
}

fn log_summary(r: &Report, trigger: &str) {
    let parts: Vec<String> = r
        .changes
        .iter()
        .map(|c| match c {
            Change::Added {
                origin,
                serial,
                records,
            } => format!("{origin} added, serial {serial}, {records} records"),
            Change::Updated {
                origin,
                old_serial,
                serial,
                records,
            } => format!("{origin} serial {old_serial} -> {serial}, {records} records"),
            Change::Removed { origin } => format!("{origin} removed"),
            Change::Failed {
                origin,
                kept_serial: Some(s),
            } => format!("{origin} rejected, still serving serial {s}"),
            Change::Failed {
                origin,
                kept_serial: None,
            } => format!("{origin} rejected, not served"),
        })
        .chain(
            r.recovered
                .iter()
                .map(|origin| format!("{origin} read back good, content as served (no change)")),
        )
        .collect();
    let changed = r
        .changes
        .iter()
        .filter(|c| !matches!(c, Change::Failed { .. }))
        .count();
    tracing::info!(
        "reload ({trigger}): {changed} zone(s) changed: {}; serving {} zone(s), {} records; {:.1} ms",
        parts.join(", "),
        r.zones,
        r.records,
        r.elapsed.as_secs_f64() * 1000.0
    );
}

/// Logs the first load: every error (`path:line: message`), then one line per zone served.
/// Reloads are logged by [`log_reload`].
pub fn log_first_load(r: &Report) {
    log_errors(r);
    for c in &r.changes {
        if let Change::Added {
            origin,
            serial,
            records,
        } = c
        {
            tracing::info!("zone {origin} loaded: serial {serial}, {records} records");
        }
    }
}
