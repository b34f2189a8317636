//! Configuration: the raw command line and the settings the server runs on.
pub mod cli;
pub mod file;
pub mod import;
pub mod namedconf;
