//! systemd's notification protocol (`sd_notify(3)`): one datagram of `KEY=VALUE` lines to the
//! socket named by `NOTIFY_SOCKET` (a path, or `@name` for an abstract socket). Without that
//! variable (not started by systemd as `Type=notify`) every call does nothing.

use std::io;
use std::os::unix::net::UnixDatagram;

use crate::source::report::Report;

/// Sends `state` (newline-separated `KEY=VALUE` pairs) to `NOTIFY_SOCKET`, if it is set.
pub fn notify(state: &str) -> io::Result<()> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(());
    };
    let sock = UnixDatagram::unbound()?;
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        sock.send_to_addr(state.as_bytes(), &addr)?;
    } else {
        sock.send_to(state.as_bytes(), &path)?;
    }
    Ok(())
}

/// `notify`, logging a failure instead of returning it (readiness is advice to systemd; a
/// failure to send it must not stop the server).
fn send(state: &str) {
    if let Err(e) = notify(state) {
        tracing::warn!("failed to notify systemd ({state:?}): {e}");
    }
}

/// The `STATUS=` line for what is served.
fn status(zones: usize, records: usize) -> String {
    format!("STATUS=serving {zones} zone(s), {records} records")
}

/// Zones are loaded and every socket is bound: `READY=1` with the status.
pub fn ready(zones: usize, records: usize) {
    send(&format!("READY=1\n{}", status(zones, records)));
}

/// A forced rescan (SIGHUP) starts: `RELOADING=1` with the monotonic time systemd asks for.
pub fn reloading() {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the value we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let usec = ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000;
    send(&format!("RELOADING=1\nMONOTONIC_USEC={usec}"));
}

/// A reload finished: the new status, and `READY=1` again if it was a forced rescan.
pub fn reloaded(r: &Report, forced: bool) {
    let st = status(r.zones, r.records);
    if forced {
        send(&format!("READY=1\n{st}"));
    } else {
        send(&st);
    }
}

/// Shutdown has begun.
pub fn stopping() {
    send("STOPPING=1");
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_line() {
        assert_eq!(super::status(2, 13), "STATUS=serving 2 zone(s), 13 records");
    }
}
