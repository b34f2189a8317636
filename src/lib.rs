//! clusterdns: an authoritative DNS server for the machines of a cluster. The library holds
//! everything the binary runs, so tests and benchmarks drive the same code.

pub mod answer;
pub mod check;
pub mod cli;
pub mod loader;
pub mod logging;
pub mod name;
pub mod rdata;
pub mod reload;
pub mod server;
pub mod store;
pub mod watch;
pub mod wire;
pub mod zone;
pub mod zonefile;
