//! End to end through glibc's resolver: clusterdns on 127.0.0.1:53 in a network namespace of
//! its own, `getent hosts` in that namespace resolving names and addresses through it, and a
//! zone edit seen by glibc within a second. Every packet stays on the namespace's loopback.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::TempDir;

/// The namespace, its /etc/netns files and the server in it; all removed on drop (also when
/// the test fails).
struct Netns {
    name: String,
    etc: PathBuf,
    server: Option<Child>,
}

impl Netns {
    /// Creates the namespace with `lo` up, or says why it cannot.
    fn create() -> Result<Netns, String> {
        let name = format!("cdns-{}", std::process::id());
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .map_err(|e| format!("cannot run ip: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        let ns = Netns {
            etc: PathBuf::from("/etc/netns").join(&name),
            name,
            server: None,
        };
        std::fs::create_dir_all(&ns.etc).map_err(|e| format!("cannot create /etc/netns: {e}"))?;
        // `ip netns exec` bind-mounts these over /etc: glibc asks 127.0.0.1 (in the namespace).
        std::fs::write(
            ns.etc.join("resolv.conf"),
            "nameserver 127.0.0.1\noptions timeout:1 attempts:2\n",
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(ns.etc.join("nsswitch.conf"), "hosts: files dns\n")
            .map_err(|e| e.to_string())?;
        // An empty hosts file: nothing from the host's /etc/hosts answers for the zones.
        std::fs::write(ns.etc.join("hosts"), "127.0.0.1 localhost\n").map_err(|e| e.to_string())?;
        let up = ns.exec(&["ip", "link", "set", "lo", "up"]).status();
        if !matches!(up, Ok(s) if s.success()) {
            return Err("cannot bring lo up in the namespace".into());
        }
        Ok(ns)
    }

    fn exec(&self, argv: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(argv);
        c
    }

    /// `getent hosts KEY` in the namespace: the output's fields, or empty if not found.
    fn getent(&self, key: &str) -> Vec<String> {
        let out = self
            .exec(&["getent", "hosts", key])
            .stderr(Stdio::null())
            .output()
            .expect("run getent");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(String::from)
            .collect()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}

#[test]
fn glibc_resolves_through_clusterdns_and_sees_edits() {
    let ns = match Netns::create() {
        Ok(ns) => ns,
        Err(why) => {
            eprintln!("skipped: no network namespace here ({why}); CI runs this as root");
            return;
        }
    };
    let mut ns = ns;
    let z = TempDir::with_example_zones("glibc");
    let log = z.path().join("log");
    let server = ns
        .exec(&[env!("CARGO_BIN_EXE_clusterdns"), "serve", "--zones"])
        .arg(z.path())
        .args(["--listen", "127.0.0.1:53", "--threads", "1"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start clusterdns in the namespace");
    ns.server = Some(server);
    let t0 = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("listening on 127.0.0.1:53")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "server did not start:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    assert_eq!(
        ns.getent("lhslave01.lihui.hadoop"),
        ["192.168.1.5", "lhslave01.lihui.hadoop"]
    );
    assert_eq!(
        ns.getent("192.168.1.5"),
        ["192.168.1.5", "lhslave01.lihui.hadoop"]
    );
    assert!(ns.getent("lhslave03.lihui.hadoop").is_empty());

    // A new node: glibc resolves it within a second of the write.
    let zone = z.path().join("lihui.hadoop.zone");
    let text = std::fs::read_to_string(&zone)
        .expect("read zone")
        .replace("2024010101", "2024010102")
        + "lhslave03\tIN\tA\t192.168.1.7\n";
    let tmp = z.path().join("lihui.hadoop.zone.tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, &zone).expect("rename");
    let t0 = Instant::now();
    loop {
        let got = ns.getent("lhslave03.lihui.hadoop");
        if got == ["192.168.1.7", "lhslave03.lihui.hadoop"] {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "glibc did not see the new node within a second (last: {got:?}):\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
