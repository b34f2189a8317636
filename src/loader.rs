//! Loading zones from disk: one file to one validated `Zone` (with every problem reported as
//! `path:line: message`), and a directory of `NAME.zone` files to the zones it defines.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::name::Name;
use crate::zone::{self, Zone};
use crate::zonefile::{self, Diag, Options};

/// Why a zone could not be loaded: every error found, in file order.
#[derive(Debug)]
pub struct LoadError {
    pub origin: Name,
    pub path: PathBuf,
    pub errors: Vec<Diag>,
    pub suppressed: usize,
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

/// Reads and validates one zone file.
pub fn load_zone(path: &Path, origin: &Name) -> Result<Loaded, LoadError> {
    let parsed = zonefile::parse_file(path, &Options::new(origin.clone()));
    let mut warnings = Vec::new();
    match zone::build(origin, parsed, &mut warnings) {
        Ok(zone) => Ok(Loaded { zone, warnings }),
        Err(e) => Err(LoadError {
            origin: origin.clone(),
            path: path.to_path_buf(),
            errors: e.errors,
            suppressed: e.suppressed,
        }),
    }
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
