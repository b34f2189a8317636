//! Zone sources: files on disk (`loader`), their stamps (`stamp`), reading many at once
//! (`parallel`), rebuilding and publishing the zone set (`reload`), what a reload did and how
//! it is logged (`report`), and watching for changes (`watch`).
pub mod catalog;
pub mod loader;
mod parallel;
pub mod reload;
pub mod report;
mod stamp;
pub mod watch;
mod watchdir;
