//! Loading zones from disk: one file to one validated `Zone` (with every problem reported as
//! `path:line: message`), and a directory of `NAME.zone` files to the zones it defines.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::dns::name::Name;
use crate::zone::{Zone, ZoneBuilder};
use crate::zonefile::{self, Diag, Options, Record};

/// Why a zone could not be loaded: every error found, in file order.
#[derive(Debug)]
pub struct LoadError {
    pub origin: Name,
    pub path: PathBuf,
    pub errors: Vec<Diag>,
    pub suppressed: usize,
    /// The read failed for a reason that may pass (see `Parsed::transient`): retry it.
    pub transient: bool,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "failed to load zone {} from {}",
            self.origin,
            self.path.display()
        )?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        if self.suppressed > 0 {
            write!(f, "\n  ... and {} more errors", self.suppressed)?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A loaded zone and the warnings its files produced.
pub struct Loaded {
    pub zone: Zone,
    pub warnings: Vec<Diag>,
}

/// Reads and validates one zone file within the default limits.
pub fn load_zone(path: &Path, origin: &Name) -> Result<Loaded, LoadError> {
    load_zone_with(path, &Options::new(origin.clone()))
}

/// Reads and validates one zone file within `opts.limits` (cancelled by `opts.cancel`).
pub fn load_zone_with(path: &Path, opts: &Options) -> Result<Loaded, LoadError> {
    let origin = &opts.origin;
    let hint = record_hint(path, opts.limits.max_records);
    let mut warnings = Vec::new();
    let mut transient = false;
    let built = if hint < PIPELINE_FROM {
        let mut zb = ZoneBuilder::new(origin, hint).max_rrset(opts.limits.max_rrset);
        let parsed = zonefile::parse_file_with(path, opts, &mut |r| zb.push(r));
        transient = parsed.transient;
        zb.finish(parsed, &mut warnings)
    } else {
        load_pipelined(path, origin, opts, hint, &mut warnings, &mut transient)
    };
    match built {
        Ok(zone) => Ok(Loaded { zone, warnings }),
        Err(e) => Err(LoadError {
            origin: origin.clone(),
            path: path.to_path_buf(),
            errors: e.errors,
            suppressed: e.suppressed,
            transient,
        }),
    }
}

/// A rough record count for sizing the zone's tables up front: the file's lines, estimated
/// from the newlines of its first 64 KiB (a file of NUL bytes or one huge line gets no
/// preallocation), never above the zone's record limit.
fn record_hint(path: &Path, max_records: u64) -> usize {
    use std::io::Read;
    const SAMPLE: usize = 64 << 10;
    let Ok(mut f) = std::fs::File::open(path) else {
        return 0;
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let mut buf = vec![0u8; SAMPLE];
    let mut got = 0;
    while got < SAMPLE {
        match f.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    if got == 0 {
        return 0;
    }
    let lines = buf[..got].iter().filter(|&&c| c == b'\n').count() as u64;
    let estimate = len.saturating_mul(lines) / got as u64;
    estimate.min(max_records).min(64 << 20) as usize
}

/// Zones expected to hold at least this many records are read on one thread and indexed on
/// another.
const PIPELINE_FROM: usize = 50_000;
/// Records handed from the reader to the indexer at a time.
const BATCH: usize = 2048;

fn load_pipelined(
    path: &Path,
    origin: &Name,
    opts: &Options,
    hint: usize,
    warnings: &mut Vec<Diag>,
    transient: &mut bool,
) -> Result<crate::zone::Zone, crate::zone::ZoneErrors> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Record>>(4);
    std::thread::scope(|s| {
        let indexer = s.spawn(move || {
            let mut zb = ZoneBuilder::new(origin, hint).max_rrset(opts.limits.max_rrset);
            for batch in rx {
                for r in batch {
                    zb.push(r);
                }
            }
            zb
        });
        let mut batch = Vec::with_capacity(BATCH);
        let parsed = zonefile::parse_file_with(path, opts, &mut |r| {
            batch.push(r);
            if batch.len() == BATCH {
                // A send fails only if the indexer died; its panic surfaces at join below.
                let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        let _ = tx.send(batch);
        drop(tx);
        *transient = parsed.transient;
        match indexer.join() {
            Ok(zb) => zb.finish(parsed, warnings),
            Err(p) => std::panic::resume_unwind(p),
        }
    })
}

/// The origin a zone file's name implies: `lihui.hadoop.zone` -> `lihui.hadoop.`.
pub fn origin_from_path(path: &Path) -> Option<Name> {
    let fname = path.file_name()?.to_str()?;
    let stem = fname.strip_suffix(".zone")?;
    if stem.is_empty() {
        return None;
    }
    if stem == "root" || stem == "." {
        return Some(Name::root());
    }
    Name::from_ascii(stem.trim_end_matches('.')).ok()
}

/// The `*.zone` files of a directory, sorted by name (hidden files skipped).
pub fn zone_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        let hidden = p
            .file_name()
            .and_then(|f| f.to_str())
            .is_some_and(|f| f.starts_with('.'));
        if !hidden && p.extension().is_some_and(|e| e == "zone") && p.is_file() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sized_from_lines_not_bytes() {
        let dir = std::env::temp_dir().join(format!("clusterdns-hint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("h.zone");
        std::fs::write(&p, vec![0u8; 1 << 20]).expect("write");
        assert_eq!(record_hint(&p, 10_000_000), 0, "NUL bytes: no lines");
        std::fs::write(&p, "h A 10.0.0.1\n".repeat(100_000)).expect("write");
        let h = record_hint(&p, 10_000_000);
        assert!((99_000..=101_000).contains(&h), "{h}");
        assert_eq!(
            record_hint(&p, 5_000),
            5_000,
            "never above the record limit"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn origins_from_file_names() {
        let o = |s: &str| origin_from_path(Path::new(s)).map(|n| n.to_string());
        assert_eq!(
            o("zones/lihui.hadoop.zone").as_deref(),
            Some("lihui.hadoop.")
        );
        assert_eq!(
            o("1.168.192.in-addr.arpa.zone").as_deref(),
            Some("1.168.192.in-addr.arpa.")
        );
        assert_eq!(o("x.db"), None);
        assert_eq!(o(".zone"), None);
    }
}
