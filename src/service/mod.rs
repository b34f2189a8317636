//! Running as a service: readiness and status for systemd (`notify`, the `sd_notify` datagram
//! protocol) and dropping root after the sockets are bound (`user`, `--user NAME`).

pub mod notify;
pub mod user;
