//! The DNS forms every stage shares: names, the type table and RDATA fields, the wire query
//! parser and the response writer.
pub mod client;
pub mod name;
pub mod rdata;
pub mod serial;
pub(crate) mod time;
pub mod tsig;
pub mod wire;
