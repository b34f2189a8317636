//! Zone sources: files on disk, their stamps, reloading and watching.
pub mod loader;
pub mod reload;
pub mod watch;
