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
