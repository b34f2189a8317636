//! Health-checked service names against real loopback listeners the tests start and stop
//! (TCP, and a tiny HTTP server answering 200/503 on `/isActive`): failover and back,
//! members dropped and re-added, a hanging member, and the quick start defining no services.
//! Every check targets 127.0.0.0/8 only.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::{Server, TempDir};

const TCP: u8 = 0;
const OK: u8 = 1;
const UNAVAILABLE: u8 = 2;
const HANG: u8 = 3;

/// A loopback listener in a thread: accepts and closes (TCP), answers HTTP 200 or 503, or
/// accepts and never answers; closed (port released) on drop.
struct Member {
    mode: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Member {
    fn start(addr: SocketAddr, mode: u8) -> std::io::Result<Member> {
        let l = TcpListener::bind(addr)?;
        l.set_nonblocking(true)?;
        let (m, stop) = (
            Arc::new(AtomicU8::new(mode)),
            Arc::new(AtomicBool::new(false)),
        );
        let (m2, stop2) = (m.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            while !stop2.load(Relaxed) {
                let Ok((mut s, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let status = match m2.load(Relaxed) {
                    OK => "200 OK",
                    UNAVAILABLE => "503 Service Unavailable",
                    HANG => {
                        held.push(s);
                        continue;
                    }
                    _ => continue,
                };
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf);
                let _ = write!(s, "HTTP/1.0 {status}\r\nContent-Length: 0\r\n\r\n");
            }
        });
        Ok(Member {
            mode: m,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A port free on 127.0.0.2 (then bound on the other loopback addresses too).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.2:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn at(host: u8, port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, host], port))
}

fn serve(dir: &TempDir, services: &str) -> Server {
    let cfg = dir.path().join("clusterdns.toml");
    std::fs::write(&cfg, format!("zones_dir = \".\"\n{services}")).expect("write config");
    let cfg = cfg.to_string_lossy().to_string();
    Server::launch(&[
        "serve",
        "--config",
        &cfg,
        "--listen",
        "127.0.0.1:0",
        "--threads",
        "1",
    ])
    .unwrap_or_else(|log| panic!("server did not start:\n{log}"))
}

/// Waits until `name`'s A answer is `want` (sorted); returns how long it took.
fn wait_for(s: &Server, name: &str, want: &[&str], limit: Duration) -> Duration {
    let t0 = Instant::now();
    let mut last = Vec::new();
    while t0.elapsed() < limit {
        let mut got = s.dig(&[name, "A"]).answer_rdata();
        got.sort();
        if got == want {
            return t0.elapsed();
        }
        last = got;
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "{name} never answered {want:?} (last {last:?}):\n{}",
        s.log()
    );
}

// interval 100 ms, down after 300 ms failing, up after 2 successes, timeout 80 ms.
const TIMING: &str = "interval_ms = 100\ndown_after_ms = 300\nup_after = 2\ntimeout_ms = 80\n";
/// Load on the shared test machine (dig runs, other builds): added to every bound.
const SLACK: Duration = Duration::from_millis(700);

#[test]
fn first_healthy_fails_over_and_back_while_a_member_hangs() {
    let dir = TempDir::with_example_zones("health-first");
    let port = free_port();
    let active = Member::start(at(2, port), OK).expect("active");
    let _standby = Member::start(at(3, port), OK).expect("standby");
    let _hung = Member::start(at(4, port), HANG).expect("hanging member");
    let s = serve(
        &dir,
        &format!(
            "[[service]]\nname = \"namenode.lihui.hadoop\"\npolicy = \"first_healthy\"\n\
             check = {{ http = \"http://{{address}}:{port}/isActive\", expect = 200 }}\n{TIMING}\
             members = [{{ address = \"127.0.0.2\" }}, {{ address = \"127.0.0.3\" }}, {{ address = \"127.0.0.4\" }}]\n"
        ),
    );
    wait_for(
        &s,
        "namenode.lihui.hadoop",
        &["127.0.0.2"],
        Duration::from_secs(5),
    );
    s.wait_log("member 127.0.0.2 is up", Duration::from_secs(5));
    // The active stops being active: moved within down_after + one interval (+ a check's
    // timeout, jitter and SLACK), though 127.0.0.4's checks hang every time.
    active.mode.store(UNAVAILABLE, Relaxed);
    let took = wait_for(
        &s,
        "namenode.lihui.hadoop",
        &["127.0.0.3"],
        Duration::from_secs(10),
    );
    let bound = Duration::from_millis(300 + 100 + 80 + 20) + SLACK;
    assert!(took <= bound, "failover took {took:?} > {bound:?}");
    s.wait_log("member 127.0.0.2 is down", Duration::from_secs(2));
    // Back: up after 2 successes, within (2 + 1) intervals.
    active.mode.store(OK, Relaxed);
    let took = wait_for(
        &s,
        "namenode.lihui.hadoop",
        &["127.0.0.2"],
        Duration::from_secs(10),
    );
    let bound = Duration::from_millis(3 * 110) + SLACK;
    assert!(took <= bound, "failback took {took:?} > {bound:?}");
    s.wait_log("member 127.0.0.4 is down", Duration::from_secs(5));
    assert_eq!(
        s.log().matches("member 127.0.0.2 is down").count(),
        1,
        "logged once"
    );
}

#[test]
fn all_healthy_drops_and_readds_a_member_and_fails_open() {
    let dir = TempDir::with_example_zones("health-all");
    let port = free_port();
    let _a = Member::start(at(2, port), TCP).expect("a");
    let b = Member::start(at(3, port), TCP).expect("b");
    let s = serve(
        &dir,
        &format!(
            "[[service]]\nname = \"web.lihui.hadoop\"\ncheck = {{ tcp = {port} }}\n{TIMING}\
             members = [{{ address = \"127.0.0.2\" }}, {{ address = \"127.0.0.3\" }}]\n"
        ),
    );
    let both = ["127.0.0.2", "127.0.0.3"];
    wait_for(&s, "web.lihui.hadoop", &both, Duration::from_secs(5));
    let ttl: Vec<String> = s
        .dig(&["web.lihui.hadoop", "A"])
        .answer
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
        .collect();
    assert_eq!(ttl, ["5", "5"], "the service's TTL");
    drop(b);
    wait_for(
        &s,
        "web.lihui.hadoop",
        &["127.0.0.2"],
        Duration::from_secs(10),
    );
    let _b = Member::start(at(3, port), TCP).expect("b again");
    wait_for(&s, "web.lihui.hadoop", &both, Duration::from_secs(10));
    drop(_a);
    drop(_b);
    // Every member down: fail open, both answered (after both were seen down).
    s.wait_log("member 127.0.0.2 is down", Duration::from_secs(10));
    wait_for(&s, "web.lihui.hadoop", &both, Duration::from_secs(10));
    let log = s.log();
    assert!(
        log.contains("member 127.0.0.3 is down") && log.contains("member 127.0.0.3 is up"),
        "{log}"
    );
}

#[test]
fn the_quick_start_defines_no_services() {
    let zones = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
    let s = Server::start(&zones, &[]);
    assert_eq!(
        s.dig(&["lhslave01.lihui.hadoop", "A"]).answer_rdata(),
        ["192.168.1.5"]
    );
    assert!(!s.log().contains("health-checking"), "{}", s.log());
    for e in std::fs::read_dir(&zones).expect("zones/") {
        let p = e.expect("entry").path();
        assert_ne!(
            p.extension().and_then(|x| x.to_str()),
            Some("toml"),
            "{p:?}"
        );
    }
    // The example with the cluster's real addresses parses, and is only ever read by hand.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/services.example.toml");
    let text = std::fs::read_to_string(&example).expect("contrib/services.example.toml");
    let cfg = clusterdns::config::file::parse_config(&text, &example).expect("parses");
    assert!(!cfg.services.is_empty());
    clusterdns::config::service::resolve_services(&cfg.services).expect("valid");
}
