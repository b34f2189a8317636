//! The zone directory's identity (device and inode) as the watch saw it: a directory deleted
//! and re-created, or swapped by a rename, leaves an inotify watch on the old inode, so the
//! watcher compares identities on every event and on a slow timer and re-establishes the
//! watch when the path now names another directory.

use std::path::{Path, PathBuf};

/// (device, inode) of a directory.
pub(super) type DirId = (u64, u64);

/// What a look at the zone directory's path found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum DirState {
    /// The directory watched.
    Same,
    /// Another directory now (re-created or swapped in): its canonical path and identity.
    Replaced(PathBuf, DirId),
    /// Nothing there (deleted, not yet re-created).
    Missing,
}

/// The identity of the directory at `path` (following symlinks).
pub(super) fn dir_id(path: &Path) -> Option<DirId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    m.is_dir().then(|| (m.dev(), m.ino()))
}

/// Compares the directory at `path` with the one watched (`watched`, if any).
pub(super) fn look(path: &Path, watched: Option<DirId>) -> DirState {
    match dir_id(path) {
        None => DirState::Missing,
        Some(id) if Some(id) == watched => DirState::Same,
        Some(id) => {
            let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            DirState::Replaced(canon, id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_recreated_or_swapped_is_told_apart() {
        let base = std::env::temp_dir().join(format!("clusterdns-watchdir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dir = base.join("zones");
        std::fs::create_dir_all(&dir).expect("dir");
        let id = dir_id(&dir);
        assert!(id.is_some());
        assert_eq!(look(&dir, id), DirState::Same);
        // Swapped by a rename (the new one exists while the old one does: another inode).
        std::fs::create_dir_all(base.join("new")).expect("dir");
        std::fs::rename(base.join("new"), &dir).expect("swap in");
        assert!(matches!(look(&dir, id), DirState::Replaced(_, _)));
        std::fs::remove_dir(&dir).expect("rm");
        assert_eq!(look(&dir, id), DirState::Missing);
        let _ = std::fs::remove_dir_all(&base);
    }
}
