//! Configuration: what the user asked for, layer by layer (the command line now; a config file
//! and a named.conf import next), merged into `ServeOptions` and validated into the settings
//! the library runs on. Library modules take only the resolved types (`SourceConfig`,
//! `NetConfig`), never what clap or a file parser produced.

pub(crate) mod access;
pub mod cli;
pub mod file;
pub mod import;
pub mod layer;
pub mod namedconf;
mod rrl;
mod serve;
pub mod service;
mod tls;
mod xfr;
pub mod xfrzone;
mod zonelimits;

pub use rrl::{Prefix, RrlConfig, RrlOptions};
pub use serve::{
    ConfigError, NetConfig, ServeConfig, ServeOptions, ServiceConfig, SourceConfig, Watch,
};
pub use tls::{TlsConfig, TlsOptions};
pub use xfr::{NotifyTarget, Primary, SecondaryZone, XfrConfig, XfrOptions};
pub use zonelimits::{LimitOptions, DEFAULT_WITHDRAW_GRACE};
