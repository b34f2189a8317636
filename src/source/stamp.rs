//! File stamps: what identifies a file's version without reading it (device, inode, size,
//! times, and whether it was taken too close to the last write to trust), and the key file
//! events name a file by.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A file whose mtime is this close to the moment it was stamped may be written again within
/// the same timestamp tick without its stamp changing; such a stamp is "racy" and the file is
/// re-read at the next look (as git does). Filesystems that keep whole seconds (mtime with no
/// nanoseconds) get a 2 s window; the others tick with the kernel's coarse clock (a few ms),
/// and a short window keeps a big zone from being re-read on every event near its last write.
const RACY: Duration = Duration::from_secs(2);
const RACY_FINE: Duration = Duration::from_millis(100);

/// What identifies a file's version without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    dev: u64,
    inode: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    /// Taken too close to the last write to vouch for the content (never equal to a fresh stamp).
    racy: bool,
}

impl Stamp {
    /// The same file (device and inode), whatever its content.
    pub(super) fn same_file(&self, other: &Stamp) -> bool {
        (self.dev, self.inode) == (other.dev, other.inode)
    }
}

pub(super) fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        dev: m.dev(),
        inode: m.ino(),
        size: m.len(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
        racy: false,
    })
}

/// The same file version, whether either stamp was taken too close to a write or not.
pub(super) fn same_version(a: &Stamp, b: &Stamp) -> bool {
    Stamp { racy: false, ..*a } == Stamp { racy: false, ..*b }
}

/// A stamp taken at `taken`, marked racy when the file changed shortly before.
pub(super) fn stamp_at(path: &Path, taken: SystemTime) -> Option<Stamp> {
    let mut s = stamp(path)?;
    let changed = SystemTime::UNIX_EPOCH
        + Duration::new(
            s.mtime.0.max(s.ctime.0).max(0) as u64,
            s.mtime.1.clamp(0, 999_999_999) as u32,
        );
    let window = if s.mtime.1 == 0 { RACY } else { RACY_FINE };
    s.racy = taken
        .duration_since(changed)
        .map_or(true, |age| age < window);
    Some(s)
}

/// How file events name a file: its parent directory made canonical, then its file name (so
/// `zones/a.zone`, `./zones/a.zone` and the absolute path agree, but a symlink stays itself).
pub fn watch_key(path: &Path) -> PathBuf {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return path.to_path_buf();
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    match std::fs::canonicalize(parent) {
        Ok(p) => p.join(name),
        Err(_) => path.to_path_buf(),
    }
}

/// One file a zone was read from.
#[derive(Debug, Clone)]
pub(super) struct FileState {
    pub(super) path: PathBuf,
    pub(super) key: PathBuf,
    pub(super) stamp: Option<Stamp>,
}

/// The states of the files one read used, keyed for file events.
pub(super) fn states(read: Vec<(PathBuf, Option<Stamp>)>) -> Vec<FileState> {
    read.into_iter()
        .map(|(path, stamp)| FileState {
            key: watch_key(&path),
            path,
            stamp,
        })
        .collect()
}
