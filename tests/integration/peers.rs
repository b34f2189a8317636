//! Helpers for the tests that run real peers (BIND, Knot, NSD) beside clusterdns: a peer
//! process killed on drop, polling with a deadline, the SOA serial a server answers, and
//! `dig AXFR`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::dig;

/// A peer server process, killed on drop.
pub struct Peer(pub std::process::Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Peer {
    /// Starts `prog ARGS` with its stdout and stderr in `log`.
    pub fn spawn(prog: &str, args: &[&str], log: &Path) -> Peer {
        let f = std::fs::File::create(log).expect("peer log");
        let e = f.try_clone().expect("peer log");
        Peer(
            Command::new(prog)
                .args(args)
                .stdin(Stdio::null())
                .stdout(f)
                .stderr(e)
                .spawn()
                .unwrap_or_else(|e| panic!("{prog} must be installed: {e}")),
        )
    }
}

/// Polls `f` until it is true or `deadline` passes; returns whether it became true.
pub fn wait_until(deadline: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The serial a server on 127.0.0.1:`port` answers for `zone`'s SOA.
pub fn serial_at(port: u16, zone: &str) -> Option<u32> {
    let d = dig(port, &[zone, "SOA", "+time=1", "+tries=1"]);
    d.answer_rdata()
        .first()
        .and_then(|r| r.split_whitespace().nth(2)?.parse().ok())
}

/// Runs `prog ARGS`, returns stdout and stderr together.
pub fn run(prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("failed to run {prog}: {e}"));
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `dig AXFR` of `zone` from 127.0.0.1:`port`, with extra args; the raw output.
pub fn axfr(port: u16, zone: &str, extra: &[&str]) -> String {
    let p = port.to_string();
    let mut a = vec!["@127.0.0.1", "-p", &p, zone, "AXFR", "+time=5", "+tries=1"];
    a.extend(extra);
    run("dig", &a)
}
