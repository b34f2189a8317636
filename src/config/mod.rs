//! Configuration: the raw command line and the settings the server runs on.
pub mod cli;
pub mod namedconf;
