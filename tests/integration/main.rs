//! The integration tests, one binary: `harness` starts the real server (killed on drop), queries
//! it with `dig` or hand-built packets; one module per area.
//!
//! Run one area with a filter, e.g. `cargo test --test integration reload::`.

mod harness;
mod peers;

mod bind;
mod corpus;
mod defense;
mod differential;
mod docs;
mod forward;
mod glibc;
mod health;
mod hostile;
mod metrics;
mod names;
mod names_xfr;
mod ops;
mod reload;
mod serve;
mod streams;
mod streams_tls;
mod xfr;
mod xfr_config;
