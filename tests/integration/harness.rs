//! Test harness shared by the integration tests: starts the real `clusterdns` binary on a free
//! loopback port, collects its log, kills it on drop, and queries it with `dig` or with packets
//! built by `query_packet`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running server.
pub struct Server {
    child: Child,
    pub port: u16,
    pub log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `clusterdns serve --zones DIR --listen 127.0.0.1:0 EXTRA...` and waits until it
    /// says which port it bound.
    pub fn start(zones: &Path, extra: &[&str]) -> Server {
        Self::try_start(zones, extra).unwrap_or_else(|log| panic!("server did not start:\n{log}"))
    }

    /// Like `start`, but returns the log when the server exits or never binds.
    pub fn try_start(zones: &Path, extra: &[&str]) -> Result<Server, String> {
        Self::try_start_with(zones, extra, |_| {})
    }

    /// Like `try_start`, with a last say over the command (e.g. a `pre_exec` setting limits).
    pub fn try_start_with(
        zones: &Path,
        extra: &[&str],
        adjust: impl FnOnce(&mut Command),
    ) -> Result<Server, String> {
        let zones = zones.to_string_lossy();
        let mut args = vec!["serve", "--zones", &zones, "--listen", "127.0.0.1:0"];
        args.extend(["--threads", "2"]);
        args.extend(extra);
        Self::launch_with(&args, adjust)
    }

    /// Starts `clusterdns serve --config CONFIG --listen 127.0.0.1:0 EXTRA...` (the zones are
    /// those the config file lists) and waits until it says which port it bound.
    pub fn with_config(config: &Path, extra: &[&str]) -> Server {
        let c = config.to_string_lossy();
        let mut args = vec!["serve", "--config", &c, "--listen", "127.0.0.1:0"];
        args.extend(extra);
        Self::launch(&args).unwrap_or_else(|log| {
            panic!(
                "clusterdns did not start:
{log}"
            )
        })
    }

    /// Starts `clusterdns --log info ARGS` (ARGS from the subcommand on) and waits until it
    /// says which port it bound on 127.0.0.1; returns the log when it exits or never binds.
    pub fn launch(args: &[&str]) -> Result<Server, String> {
        Self::launch_with(args, |_| {})
    }

    /// Like `launch`, with a last say over the command.
    pub fn launch_with(args: &[&str], adjust: impl FnOnce(&mut Command)) -> Result<Server, String> {
        let mut cmd = clusterdns(&["--log", "info"]);
        cmd.args(args);
        adjust(&mut cmd);
        let mut child = cmd.spawn().expect("failed to spawn clusterdns");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    let line = strip_ansi(&line);
                    if let Some(port) = line.split("listening on 127.0.0.1:").nth(1) {
                        let port: u16 = port
                            .split(|c: char| !c.is_ascii_digit())
                            .next()
                            .unwrap_or("0")
                            .parse()
                            .unwrap_or(0);
                        if let Some(t) = tx.take() {
                            let _ = t.send(port);
                        }
                    }
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(port) => Ok(Server { child, port, log }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                let l = log.lock().unwrap().clone();
                Err(l)
            }
        }
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle` (or panics after `timeout`).
    pub fn wait_log(&self, needle: &str, timeout: Duration) {
        let t0 = Instant::now();
        while t0.elapsed() < timeout {
            if self.log().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("log never contained {needle:?}:\n{}", self.log());
    }

    /// The port the log names right after `needle` (e.g. "metrics on http://127.0.0.1:"),
    /// waiting up to 10 s for the line.
    pub fn logged_port(&self, needle: &str) -> u16 {
        self.wait_log(needle, Duration::from_secs(10));
        let log = self.log();
        let rest = log.split(needle).nth(1).unwrap_or_default();
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port after {needle:?}:\n{log}"))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Queries with dig: `args` are extra dig arguments (e.g. `["lhmaster.lihui.hadoop", "A"]`).
    pub fn dig(&self, args: &[&str]) -> Dig {
        dig(self.port, args)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        unsafe_kill(self.child.id(), 15);
        let t0 = Instant::now();
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                return self.child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `clusterdns` binary with `args`, no colour, stderr piped (the log), no stdin or stdout.
pub fn clusterdns(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_clusterdns"));
    c.args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Sends a signal with the `kill` command (no libc in tests).
pub fn unsafe_kill(pid: u32, sig: i32) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A parsed dig answer.
#[derive(Debug, Clone, Default)]
pub struct Dig {
    pub raw: String,
    pub status: String,
    pub flags: Vec<String>,
    pub answer: Vec<String>,
    pub authority: Vec<String>,
    pub additional: Vec<String>,
    /// "UDP" or "TCP", from the SERVER line.
    pub transport: String,
}

impl Dig {
    pub fn has_flag(&self, f: &str) -> bool {
        self.flags.iter().any(|x| x == f)
    }
    /// The RDATA fields of the answer records (last column onwards).
    pub fn answer_rdata(&self) -> Vec<String> {
        self.answer
            .iter()
            .map(|l| l.split_whitespace().skip(4).collect::<Vec<_>>().join(" "))
            .collect()
    }
}

/// Runs `dig @127.0.0.1 -p PORT ARGS` and parses the output. Never touches the system resolver.
pub fn dig(port: u16, args: &[&str]) -> Dig {
    let out = Command::new("dig")
        .arg("@127.0.0.1")
        .args(["-p", &port.to_string()])
        .args(["+time=2", "+tries=2", "+nocookie"])
        .args(args)
        .output()
        .expect("dig must be installed (apt-get install bind9-dnsutils)");
    parse_dig(&String::from_utf8_lossy(&out.stdout))
}

pub fn parse_dig(raw: &str) -> Dig {
    let mut d = Dig {
        raw: raw.to_string(),
        ..Default::default()
    };
    let mut section = "";
    for line in raw.lines() {
        if let Some(rest) = line.split("status: ").nth(1) {
            d.status = rest.split(',').next().unwrap_or("").trim().to_string();
        }
        if let Some(rest) = line.strip_prefix(";; flags: ") {
            d.flags = rest
                .split(';')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(String::from)
                .collect();
        }
        if let Some(rest) = line.strip_prefix(";; SERVER: ") {
            d.transport = rest
                .rsplit('(')
                .next()
                .unwrap_or("")
                .trim_end_matches(')')
                .to_string();
        }
        if line.starts_with(";; ANSWER SECTION") {
            section = "an";
            continue;
        }
        if line.starts_with(";; AUTHORITY SECTION") {
            section = "ns";
            continue;
        }
        if line.starts_with(";; ADDITIONAL SECTION") {
            section = "ar";
            continue;
        }
        if line.trim().is_empty() || line.starts_with(';') {
            if line.trim().is_empty() {
                section = "";
            }
            continue;
        }
        let norm = line.split_whitespace().collect::<Vec<_>>().join(" ");
        match section {
            "an" => d.answer.push(norm),
            "ns" => d.authority.push(norm),
            "ar" => d.additional.push(norm),
            _ => {}
        }
    }
    d
}

/// A fresh temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "clusterdns-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    /// Copies the bundled example zones in.
    pub fn with_example_zones(tag: &str) -> TempDir {
        let t = TempDir::new(tag);
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
        for e in std::fs::read_dir(src).expect("zones/") {
            let e = e.expect("entry");
            std::fs::copy(e.path(), t.0.join(e.file_name())).expect("copy zone");
        }
        t
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Header flags of a query with RD set.
pub const RD: u16 = 0x0100;

/// A dotted name (`a.b.c`, trailing dot optional) in wire form.
pub fn wire_name(name: &str) -> Vec<u8> {
    let mut w = Vec::with_capacity(name.len() + 2);
    for label in name.trim_end_matches('.').split('.') {
        w.push(label.len() as u8);
        w.extend_from_slice(label.as_bytes());
    }
    w.push(0);
    w
}

/// An OPT record advertising `payload`, with the DO bit if `dnssec_ok`.
pub fn opt_rr(payload: u16, dnssec_ok: bool) -> [u8; 11] {
    let p = payload.to_be_bytes();
    let d = if dnssec_ok { 0x80 } else { 0 };
    [0, 0, 41, p[0], p[1], 0, 0, d, 0, 0, 0]
}

/// A query packet: ID, header flags word, one question (`qname` in wire form, class IN), and
/// an optional OPT record (as `opt_rr` gives) in the additional section.
pub fn query_packet(id: u16, flags: u16, qname: &[u8], qtype: u16, opt: Option<&[u8]>) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + qname.len() + 4 + opt.map_or(0, <[u8]>::len));
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&flags.to_be_bytes());
    p.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, opt.is_some() as u8]);
    p.extend_from_slice(qname);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    if let Some(o) = opt {
        p.extend_from_slice(o);
    }
    p
}

/// Writes `text` the way vim (`backupcopy=no`), `sed -i` and most tools do: a temporary file in
/// the same directory (hidden, not `*.zone`), then a rename over the original.
pub fn write_atomic(path: &Path, text: &str) {
    let dir = path.parent().expect("parent");
    let name = path.file_name().and_then(|f| f.to_str()).unwrap_or("x");
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).expect("write temp file");
    std::fs::rename(&tmp, path).expect("rename over");
}

/// Polls `f` until it returns true, for at most `within`; panics with the server's log.
#[track_caller]
pub fn wait_within(what: &str, s: &Server, within: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while t0.elapsed() < within {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{what}: not seen within {within:?}; log:\n{}", s.log());
}

/// Checks that `f` stays true for `period` (a change that must not happen), polling.
#[track_caller]
pub fn hold_for(what: &str, s: &Server, period: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    loop {
        assert!(f(), "{what}: changed within {period:?}; log:\n{}", s.log());
        if t0.elapsed() >= period {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `nsupdate EXTRA` (Debian's bind9-dnsutils) against 127.0.0.1:`port` with `script`
/// (the commands after the `server` line); (success, output).
pub fn nsupdate(port: u16, extra: &[&str], script: &str) -> (bool, String) {
    use std::io::Write as _;
    let mut child = Command::new("nsupdate")
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nsupdate must be installed (bind9-dnsutils)");
    let mut stdin = child.stdin.take().expect("stdin");
    write!(stdin, "server 127.0.0.1 {port}\n{script}").expect("write script");
    drop(stdin);
    let out = child.wait_with_output().expect("nsupdate runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Sets the soft open-files limit of process `pid` to `soft` (with util-linux `prlimit`).
pub fn set_nofile(pid: u32, soft: &str) {
    let st = Command::new("prlimit")
        .args(["--pid", &pid.to_string(), &format!("--nofile={soft}:")])
        .status()
        .expect("prlimit (util-linux) must be installed");
    assert!(st.success(), "prlimit --pid {pid} --nofile={soft}: failed");
}
