//! clusterdns: an authoritative DNS server for the machines of a cluster. The library holds
//! everything the binary runs, so tests and benchmarks drive the same code. The modules follow
//! the data: config -> source (zone files) -> zonefile (parser) -> zone (immutable, indexed)
//! -> store (published `ZoneSet`) -> query (answers) -> net (sockets); `dns` holds the wire
//! and text forms every stage shares. `docs/architecture.md` maps them.

pub mod app;
pub mod check;
pub mod config;
pub mod dns;
pub mod health;
pub mod lint;
pub mod logging;
pub mod metrics;
pub mod net;
pub mod query;
pub mod rand;
pub mod service;
pub mod source;
pub mod store;
pub mod xfr;
pub mod zone;
pub mod zonefile;
