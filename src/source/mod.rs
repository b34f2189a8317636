//! Zone sources: files on disk (`loader`), their stamps (`stamp`), reading many at once
//! (`parallel`), rebuilding and publishing the zone set (`reload`), what a reload did and how
//! it is logged (`report`), watching for changes (`watch`), and zones transferred in from a
//! primary into the zone directory (`secondary`), the config file's access lists re-applied
//! at each reload (`access`).
pub mod access;
pub mod autoptr;
pub mod catalog;
pub mod hosts;
pub mod loader;
pub mod notify_in;
mod parallel;
pub mod reload;
pub mod report;
pub mod secondary;
mod stamp;
pub mod update;
pub mod updater;
pub mod watch;
mod watchdir;
mod xfrin;

/// Writes `bytes` to `path` so that a crash leaves either the old file or the new one: a temp
/// file in the same directory (`.NAME.clusterdns-tmp`, which the zone scan ignores), fsync,
/// rename over `path`, fsync of the directory. Used for every zone file clusterdns writes
/// (transferred versions, dynamic updates).
pub(crate) fn write_durably(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "zone".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.clusterdns-tmp"));
    let context = |what: &str, p: &std::path::Path, e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("failed to {what} {}: {e}", p.display()))
    };
    let mut f = std::fs::File::create(&tmp).map_err(|e| context("create", &tmp, e))?;
    f.write_all(bytes).map_err(|e| context("write", &tmp, e))?;
    f.sync_all().map_err(|e| context("sync", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| context("rename to", path, e))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| context("sync", dir, e))
}
