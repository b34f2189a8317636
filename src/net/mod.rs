//! Sockets: binding, the UDP workers and TCP.
pub mod server;
