//! File-descriptor limits: raising the soft `RLIMIT_NOFILE` to the hard limit at start, and
//! keeping the TCP connection limit under it with room for the sockets, zone files and watches
//! the server needs besides.

use std::io;

/// Descriptors kept free besides TCP connections: stdio, the runtime's epoll and wakers, the
/// inotify watch, zone files being read (in parallel), a log file, and slack.
pub(super) const FD_RESERVE: u64 = 64;

/// Raises the soft open-files limit to the hard limit (capped at 1,048,576); returns
/// (old soft, new soft).
pub fn raise_nofile() -> io::Result<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let old = lim.rlim_cur;
    let want = lim.rlim_max.min(1 << 20);
    if want > old {
        lim.rlim_cur = want;
        // SAFETY: setrlimit reads the struct we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok((old, want.max(old)))
}

/// The current soft open-files limit.
pub(super) fn nofile() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: as above.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0).then_some(lim.rlim_cur)
}

/// How many connections one table may hold so that `tables` full tables (TCP's, and DoT and
/// DoH's when they are on) fit in `nofile` descriptors next to `sockets` sockets and
/// `FD_RESERVE`: `requested`, or less (at least 1).
pub(super) fn fit_tcp_clients(
    requested: usize,
    nofile: u64,
    sockets: usize,
    tables: usize,
) -> usize {
    let room = nofile.saturating_sub(FD_RESERVE + sockets as u64) / tables.max(1) as u64;
    requested.min(room.max(1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_clients_fit_under_the_limit() {
        assert_eq!(fit_tcp_clients(1024, 1 << 20, 10, 1), 1024);
        assert_eq!(fit_tcp_clients(1024, 1024, 6, 1), 1024 - 64 - 6);
        assert_eq!(fit_tcp_clients(1024, 50, 6, 1), 1);
        assert_eq!(
            fit_tcp_clients(1024, 1024, 6, 2),
            (1024 - 64 - 6) / 2,
            "TCP and TLS tables"
        );
        assert_eq!(fit_tcp_clients(1024, 1 << 20, 10, 2), 1024);
    }
}
