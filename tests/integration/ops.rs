//! Running it as operators do: plain log lines in files, JSON logs, systemd readiness and the
//! unit file, dropping root with `--user`.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{clusterdns, dig, unsafe_kill, TempDir};

/// Kills the child on drop.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `f` gives a value, or panics with `what` after `timeout`.
#[track_caller]
fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The port from a "listening on 127.0.0.1:PORT" line of a log file.
fn port_in(log: &str) -> Option<u16> {
    let rest = log.split("listening on 127.0.0.1:").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Starts the server with stderr written to a file (colour allowed: NO_COLOR removed), waits
/// for it to listen, and returns the log file's text.
fn log_to_file(zones: &Path, tmp: &Path, extra: &[&str]) -> String {
    let path = tmp.join("log");
    let file = std::fs::File::create(&path).expect("create log file");
    let mut cmd = clusterdns(&[]);
    cmd.env_remove("NO_COLOR")
        .args(extra)
        .args(["serve", "--zones"])
        .arg(zones)
        .args(["--listen", "127.0.0.1:0", "--threads", "1"])
        .stderr(file);
    let child = Kill(cmd.spawn().expect("spawn clusterdns"));
    let log = wait_for(Duration::from_secs(30), "the server to listen", || {
        let l = std::fs::read_to_string(&path).ok()?;
        port_in(&l).map(|_| l)
    });
    drop(child);
    log
}

#[test]
fn log_written_to_a_file_has_no_escape_codes() {
    let z = TempDir::with_example_zones("ops-log");
    let log = log_to_file(z.path(), z.path(), &[]);
    assert!(log.contains("zone lihui.hadoop. loaded"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "escape codes in a log file:\n{log:?}"
    );
}

#[test]
fn json_log_is_one_object_per_line() {
    let z = TempDir::with_example_zones("ops-json");
    let log = log_to_file(z.path(), z.path(), &["--log-format", "json"]);
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.len() >= 3, "{log}");
    for l in &lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v.get("level").is_some() && v.get("fields").is_some(), "{l}");
    }
    assert!(log.contains("zone lihui.hadoop. loaded"), "{log}");
}

#[test]
fn ready_is_sent_to_notify_socket_once_serving() {
    let z = TempDir::with_example_zones("ops-notify");
    let sock_path = z.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).expect("bind notify socket");
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut cmd = clusterdns(&["serve", "--zones"]);
    cmd.arg(z.path())
        .args(["--listen", "127.0.0.1:0", "--threads", "1"])
        .env("NOTIFY_SOCKET", &sock_path)
        .stderr(Stdio::null());
    let child = Kill(cmd.spawn().expect("spawn clusterdns"));
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).expect("a notification within 30 s");
    let msg = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(msg.lines().any(|l| l == "READY=1"), "{msg:?}");
    assert!(
        msg.contains("STATUS=serving 2 zone(s), 10 records"),
        "{msg:?}"
    );
    // SIGHUP: RELOADING=1, then READY=1 again.
    unsafe_kill(child.0.id(), 1);
    let n = sock.recv(&mut buf).expect("RELOADING=1 after SIGHUP");
    let msg = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(msg.starts_with("RELOADING=1\nMONOTONIC_USEC="), "{msg:?}");
    let n = sock.recv(&mut buf).expect("READY=1 after the rescan");
    let msg = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(
        msg.starts_with("READY=1\nSTATUS=serving 2 zone(s)"),
        "{msg:?}"
    );
}

#[test]
fn systemd_unit_verifies() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: systemd-analyze is not installed (apt-get install systemd)");
        return;
    }
    // verify insists that ExecStart's binary exists: check a copy naming the built one.
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd/clusterdns.service"),
    )
    .expect("read the unit");
    assert!(unit.contains("\nType=notify\n"), "{unit}");
    let t = TempDir::new("ops-unit");
    let copy = t.path().join("clusterdns.service");
    std::fs::write(
        &copy,
        unit.replace(
            "/usr/local/bin/clusterdns",
            env!("CARGO_BIN_EXE_clusterdns"),
        ),
    )
    .expect("write the unit copy");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .expect("run systemd-analyze");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The real uid of a process, from /proc/PID/status.
fn uid_of(pid: u32) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let l = s.lines().find(|l| l.starts_with("Uid:"))?;
    l.split_whitespace().nth(1)?.parse().ok()
}

fn is_root() -> bool {
    uid_of(std::process::id()) == Some(0)
}

#[test]
fn user_drops_root_after_binding() {
    if !is_root() {
        eprintln!("skipped: --user needs the test to run as root");
        return;
    }
    let z = TempDir::with_example_zones("ops-user");
    let log = z.path().join("log");
    let mut cmd = clusterdns(&["serve", "--zones"]);
    cmd.arg(z.path())
        .args([
            "--listen",
            "127.0.0.1:0",
            "--threads",
            "2",
            "--user",
            "nobody",
        ])
        .stderr(std::fs::File::create(&log).expect("log file"));
    let child = Kill(cmd.spawn().expect("spawn clusterdns"));
    let port = wait_for(
        Duration::from_secs(30),
        "the server to run as nobody",
        || {
            let l = std::fs::read_to_string(&log).ok()?;
            if !l.contains("running as user nobody") {
                return None;
            }
            port_in(&l)
        },
    );
    assert_eq!(uid_of(child.0.id()), Some(65534));
    // Every thread, not only the main one.
    let tasks = std::fs::read_dir(format!("/proc/{}/task", child.0.id())).expect("tasks");
    for t in tasks {
        let t = t.expect("task").file_name();
        let s = std::fs::read_to_string(format!(
            "/proc/{}/task/{}/status",
            child.0.id(),
            t.to_string_lossy()
        ))
        .unwrap_or_default();
        if let Some(l) = s.lines().find(|l| l.starts_with("Uid:")) {
            assert!(l.split_whitespace().skip(1).all(|u| u == "65534"), "{l}");
        }
    }
    let d = dig(port, &["lhslave01.lihui.hadoop", "A"]);
    assert_eq!(d.answer_rdata(), vec!["192.168.1.5"], "{}", d.raw);
}

#[test]
fn unknown_user_stops_with_the_reason() {
    let z = TempDir::with_example_zones("ops-nouser");
    let out = clusterdns(&["serve", "--zones"])
        .arg(z.path())
        .args(["--listen", "127.0.0.1:0", "--threads", "1"])
        .args(["--user", "no-such-user-clusterdns"])
        .output()
        .expect("run clusterdns");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failed to switch to user \"no-such-user-clusterdns\": no such user"),
        "{err}"
    );
}
