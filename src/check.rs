//! `clusterdns check`: reads zone files as the server would, prints every problem and a
//! summary line per zone, and with `--print` the records in `named-compilezone -s full` form.

use std::io::Write;
use std::path::PathBuf;

use crate::dns::name::Name;
use crate::dns::rdata;
use crate::source::loader;
use crate::zone::Zone;

/// Why `check` could not run (problems in the zones are reported, not errors).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("failed to read directory {}: {error}", .path.display())]
    ReadDir {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("no zone files given (expected a directory of NAME.zone files or zone file paths)")]
    NoFiles,
    #[error("failed to write the report")]
    Write(#[from] std::io::Error),
}

/// What `check` was asked to do.
pub struct CheckArgs {
    pub paths: Vec<PathBuf>,
    pub origin: Option<Name>,
    pub print: bool,
}

/// Runs the check; returns true when every zone loaded.
pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<bool, CheckError> {
    let mut files = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            files.extend(loader::zone_files(p).map_err(|error| CheckError::ReadDir {
                path: p.clone(),
                error,
            })?);
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        return Err(CheckError::NoFiles);
    }
    let mut ok = true;
    for f in files {
        let origin = match (&args.origin, loader::origin_from_path(&f)) {
            (Some(o), _) => o.clone(),
            (None, Some(o)) => o,
            (None, None) => {
                writeln!(
                    err,
                    "{}: cannot tell the zone's origin from the file name; use --origin",
                    f.display()
                )?;
                ok = false;
                continue;
            }
        };
        match loader::load_zone(&f, &origin) {
            Ok(l) => {
                for w in &l.warnings {
                    writeln!(err, "{w} (warning)")?;
                }
                writeln!(
                    err,
                    "zone {}: loaded serial {}, {} records",
                    l.zone.origin, l.zone.serial, l.zone.records
                )?;
                if args.print {
                    print_zone(&l.zone, out)?;
                }
            }
            Err(e) => {
                writeln!(err, "{e}")?;
                ok = false;
            }
        }
    }
    Ok(ok)
}

/// `check --config F` / `--named-conf F`: reads the config file and every zone it serves
/// (listed zones and a `zones_dir`), prints every problem; true when there is no error.
pub fn run_config(
    src: &crate::config::layer::ConfigSource,
    err: &mut dyn Write,
) -> Result<bool, CheckError> {
    let layer = match crate::config::layer::read_layer(src) {
        Ok(l) => l,
        Err(e) => {
            writeln!(err, "{e}")?;
            return Ok(false);
        }
    };
    for n in &layer.notes {
        writeln!(err, "{n} (warning)")?;
    }
    let list = layer.zone_list();
    let mut ok = list.errors.is_empty();
    for e in &list.errors {
        writeln!(err, "{}: {e}", src.path().display())?;
    }
    let mut zones: Vec<(PathBuf, Name)> = Vec::new();
    for z in list.zones {
        match (z.kind, z.file) {
            (crate::config::file::ZoneType::Secondary, _) => {
                writeln!(err, "zone {}: secondary, not served yet", z.origin)?;
            }
            (_, None) => {
                writeln!(err, "zone {}: no file", z.origin)?;
                ok = false;
            }
            (_, Some(f)) => zones.push((f, z.origin)),
        }
    }
    if let Some(dir) = &list.dir {
        match loader::zone_files(dir) {
            Ok(files) => zones.extend(
                files
                    .into_iter()
                    .filter_map(|f| loader::origin_from_path(&f).map(|o| (f, o))),
            ),
            Err(error) => {
                writeln!(err, "failed to read directory {}: {error}", dir.display())?;
                ok = false;
            }
        }
    }
    for (f, origin) in zones {
        match loader::load_zone(&f, &origin) {
            Ok(l) => {
                for w in &l.warnings {
                    writeln!(err, "{w} (warning)")?;
                }
                writeln!(
                    err,
                    "zone {}: loaded serial {}, {} records",
                    l.zone.origin, l.zone.serial, l.zone.records
                )?;
            }
            Err(e) => {
                writeln!(err, "{e}")?;
                ok = false;
            }
        }
    }
    Ok(ok)
}

/// Writes every record as `owner TTL CLASS TYPE RDATA`, owners absolute and lower-case.
pub fn print_zone(zone: &Zone, out: &mut dyn Write) -> std::io::Result<()> {
    let mut line = String::with_capacity(256);
    for node in &zone.nodes {
        let owner = node.name.to_lowercase().to_string();
        for set in node.rrsets.iter() {
            for rd in set.rdatas() {
                line.clear();
                line.push_str(&owner);
                line.push(' ');
                line.push_str(&set.ttl.to_string());
                line.push(' ');
                rdata::class_to_text(zone.class, &mut line);
                line.push(' ');
                rdata::type_to_text(set.rtype, &mut line);
                line.push(' ');
                rdata::write_rdata(set.rtype, rd, &mut line);
                line.push('\n');
                out.write_all(line.as_bytes())?;
            }
        }
    }
    Ok(())
}
