//! Forwarding names outside our zones (issue 9): an upstream BIND on loopback serves
//! `example.com`; clusterdns, configured by a TOML file with `forward_to` and
//! `allow_recursion`, answers a client in `allow_recursion` through it, answers the second
//! query from its cache, and refuses a client outside. Over TCP the same: a forwarded answer
//! too big for UDP (truncated there) comes whole over TCP. Edits of `allow_query`,
//! `allow_recursion` and `forward_to` in the config file apply at the reload they trigger.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bind::free_port;
use crate::harness::{dig, Server, TempDir};

const EXAMPLE_COM: &str = "$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\nwww IN A 192.0.2.80\nother IN A 192.0.2.81\n";

/// Strings of the `big.example.com` TXT RRset: eight of 200 bytes, an RRset over 1232 bytes.
const BIG_STRINGS: usize = 8;

/// `EXAMPLE_COM` with the big TXT RRset.
fn example_com() -> String {
    let mut z = EXAMPLE_COM.to_string();
    for i in 0..BIG_STRINGS {
        z.push_str(&format!("big IN TXT \"{i}{}\"\n", "x".repeat(199)));
    }
    z
}

/// BIND serving `example.com` authoritatively on 127.0.0.1:`port`, logging every query.
struct Upstream {
    child: Child,
    log: std::path::PathBuf,
}

impl Upstream {
    fn start(dir: &std::path::Path, port: u16) -> Upstream {
        std::fs::write(dir.join("example.com.db"), example_com()).expect("write zone");
        let d = dir.display();
        let conf = format!(
            "options {{\n\tdirectory \"{d}\";\n\tlisten-on port {port} {{ 127.0.0.1; }};\n\tlisten-on-v6 {{ none; }};\n\trecursion no;\n\tnotify no;\n\tquerylog yes;\n\tpid-file \"{d}/named.pid\";\n\tsession-keyfile \"{d}/session.key\";\n}};\ncontrols {{ }};\nzone \"example.com\" {{ type primary; file \"example.com.db\"; }};\n"
        );
        let path = dir.join("named.conf");
        std::fs::write(&path, conf).expect("write named.conf");
        let log = dir.join("named.log");
        let out = std::fs::File::create(&log).expect("create log");
        let child = Command::new("named")
            .args(["-g", "-n", "1", "-c"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .expect("named must be installed");
        let up = Upstream { child, log };
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(20) {
            if dig(port, &["example.com", "SOA", "+time=1", "+tries=1"]).status == "NOERROR" {
                return up;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("upstream named did not start");
    }

    /// How many queries for `name` the upstream logged.
    fn queries_for(&self, name: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let needle = format!("query: {name} IN A");
        log.lines().filter(|l| l.contains(&needle)).count()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what} not within {limit:?}");
}

/// The TOML config forwarding to the upstream on `up_port`, with `access` (the lists).
fn config(up_port: u16, access: &str) -> String {
    format!("zones_dir = \".\"\nlisten = [\"127.0.0.1:0\"]\nthreads = 1\nforward_to = [\"127.0.0.1:{up_port}\"]\n{access}")
}

/// An upstream BIND (on the port returned) and clusterdns forwarding to it for 127.0.0.1.
fn forwarding(tag: &str) -> (TempDir, Upstream, Server, u16) {
    let tmp = TempDir::with_example_zones(tag);
    let up_dir = tmp.path().join("upstream");
    std::fs::create_dir_all(&up_dir).expect("mkdir");
    let up_port = free_port();
    let upstream = Upstream::start(&up_dir, up_port);
    let cfg = tmp.path().join("clusterdns.toml");
    std::fs::write(&cfg, config(up_port, "allow_recursion = [\"127.0.0.1\"]\n"))
        .expect("write config");
    let cfg = cfg.to_string_lossy();
    let server = Server::launch(&["serve", "--config", &cfg])
        .unwrap_or_else(|log| panic!("clusterdns did not start:\n{log}"));
    server.wait_log("forwarding names outside our zones", Duration::from_secs(5));
    (tmp, upstream, server, up_port)
}

#[test]
fn outside_names_are_forwarded_for_allowed_clients_with_a_cache() {
    let (_tmp, upstream, server, _) = forwarding("forward");
    // Our own zones are still answered authoritatively.
    let own = server.dig(&["lhmaster.lihui.hadoop", "A"]);
    assert_eq!(own.status, "NOERROR");
    assert!(own.has_flag("aa"));
    // An outside name, from a client in allow_recursion: forwarded.
    let first = server.dig(&["www.example.com", "A"]);
    assert_eq!(first.status, "NOERROR", "{}", first.raw);
    assert_eq!(first.answer_rdata(), ["192.0.2.80"]);
    assert!(
        first.has_flag("ra") && !first.has_flag("aa"),
        "{}",
        first.raw
    );
    wait_for(Duration::from_secs(5), "upstream logged the query", || {
        upstream.queries_for("www.example.com") == 1
    });
    // Again: from the cache, the upstream sees nothing new.
    let second = server.dig(&["www.example.com", "A"]);
    assert_eq!(second.answer_rdata(), ["192.0.2.80"]);
    // Another name goes upstream; once it is logged, the log is known to be current.
    assert_eq!(
        server.dig(&["other.example.com", "A"]).answer_rdata(),
        ["192.0.2.81"]
    );
    wait_for(
        Duration::from_secs(5),
        "upstream logged the other query",
        || upstream.queries_for("other.example.com") == 1,
    );
    assert_eq!(
        upstream.queries_for("www.example.com"),
        1,
        "served from cache"
    );
    // A missing outside name: the upstream's NXDOMAIN.
    assert_eq!(server.dig(&["nope.example.com", "A"]).status, "NXDOMAIN");
    // A client outside allow_recursion: REFUSED, as before.
    let outside = server.dig(&["-b", "127.0.0.2", "www.example.com", "A"]);
    assert_eq!(outside.status, "REFUSED", "{}", outside.raw);
    // Without RD: not forwarded.
    let nord = server.dig(&["+norecurse", "www.example.com", "A"]);
    assert_eq!(nord.status, "REFUSED", "{}", nord.raw);
}

#[test]
fn outside_names_are_forwarded_over_tcp_whole_when_udp_truncates() {
    let (_tmp, _upstream, server, _) = forwarding("forward-tcp");
    let tcp = server.dig(&["+tcp", "www.example.com", "A"]);
    assert_eq!(tcp.status, "NOERROR", "{}", tcp.raw);
    assert_eq!(tcp.answer_rdata(), ["192.0.2.80"]);
    assert!(tcp.has_flag("ra") && !tcp.has_flag("aa"), "{}", tcp.raw);
    // Two queries on one kept-open connection: both answered.
    let two = server.dig(&[
        "+tcp",
        "+keepopen",
        "www.example.com",
        "A",
        "other.example.com",
        "A",
    ]);
    assert!(
        two.raw.contains("192.0.2.80") && two.raw.contains("192.0.2.81"),
        "{}",
        two.raw
    );
    // Too big for UDP: truncated, no records, the client is told to retry over TCP.
    let udp = server.dig(&["+ignore", "+bufsize=1232", "big.example.com", "TXT"]);
    assert_eq!(udp.status, "NOERROR", "{}", udp.raw);
    assert!(udp.has_flag("tc"), "{}", udp.raw);
    assert!(udp.answer.is_empty(), "{}", udp.raw);
    // Over TCP: the whole RRset.
    let whole = server.dig(&["+tcp", "big.example.com", "TXT"]);
    assert_eq!(whole.status, "NOERROR", "{}", whole.raw);
    assert!(!whole.has_flag("tc"), "{}", whole.raw);
    assert_eq!(whole.answer.len(), BIG_STRINGS, "{}", whole.raw);
    // Over TCP too, a client outside allow_recursion is refused.
    let outside = server.dig(&["+tcp", "-b", "127.0.0.2", "www.example.com", "A"]);
    assert_eq!(outside.status, "REFUSED", "{}", outside.raw);
}

#[test]
fn access_lists_edited_in_the_config_apply_on_reload() {
    let (tmp, _upstream, server, up_port) = forwarding("forward-acl");
    let status = |args: &[&str]| server.dig(args).status;
    assert_eq!(
        status(&["-b", "127.0.0.2", "www.example.com", "A"]),
        "REFUSED"
    );
    assert_eq!(
        status(&["-b", "127.0.0.3", "lhmaster.lihui.hadoop", "A"]),
        "NOERROR"
    );
    // Recursion for 127.0.0.2 only; queries from 127.0.0.1 and 127.0.0.2 only. Written whole
    // (a rename), as an editor or a config manager does.
    let cfg = tmp.path().join("clusterdns.toml");
    let next = tmp.path().join("clusterdns.toml.new");
    std::fs::write(
        &next,
        config(
            up_port,
            "allow_recursion = [\"127.0.0.2\"]\nallow_query = [\"127.0.0.1\", \"127.0.0.2\"]\n",
        ),
    )
    .expect("write config");
    std::fs::rename(&next, &cfg).expect("rename config");
    wait_for(Duration::from_secs(10), "the new access lists", || {
        status(&["-b", "127.0.0.2", "www.example.com", "A"]) == "NOERROR"
    });
    server.wait_log("access lists", Duration::from_secs(5));
    let via2 = server.dig(&["-b", "127.0.0.2", "+tcp", "www.example.com", "A"]);
    assert_eq!(via2.answer_rdata(), ["192.0.2.80"], "{}", via2.raw);
    for transport in ["+notcp", "+tcp"] {
        assert_eq!(
            status(&[transport, "www.example.com", "A"]),
            "REFUSED",
            "{transport}"
        );
        assert_eq!(
            status(&[transport, "-b", "127.0.0.3", "lhmaster.lihui.hadoop", "A"]),
            "REFUSED",
            "{transport}"
        );
        assert_eq!(
            status(&[transport, "lhmaster.lihui.hadoop", "A"]),
            "NOERROR",
            "{transport}"
        );
    }
    // Forwarders removed: outside names are refused again, over UDP and TCP.
    let lists = "allow_recursion = [\"127.0.0.2\"]\nallow_query = [\"127.0.0.1\", \"127.0.0.2\"]\n";
    std::fs::write(&next, without_forwarders(up_port, lists)).expect("write config");
    std::fs::rename(&next, &cfg).expect("rename config");
    wait_for(Duration::from_secs(10), "forwarders removed", || {
        status(&["-b", "127.0.0.2", "www.example.com", "A"]) == "REFUSED"
    });
    assert_eq!(
        status(&["-b", "127.0.0.2", "+tcp", "www.example.com", "A"]),
        "REFUSED"
    );
    // And set again: forwarded (a new resolver).
    std::fs::write(&next, config(up_port, lists)).expect("write config");
    std::fs::rename(&next, &cfg).expect("rename config");
    wait_for(Duration::from_secs(10), "forwarders set again", || {
        status(&["-b", "127.0.0.2", "other.example.com", "A"]) == "NOERROR"
    });
}

/// `config` without `forward_to`.
fn without_forwarders(up_port: u16, access: &str) -> String {
    config(up_port, access).replace(&format!("forward_to = [\"127.0.0.1:{up_port}\"]\n"), "")
}

#[test]
fn forwarders_added_by_a_reload_start_forwarding() {
    let tmp = TempDir::with_example_zones("forward-add");
    let up_dir = tmp.path().join("upstream");
    std::fs::create_dir_all(&up_dir).expect("mkdir");
    let up_port = free_port();
    let _upstream = Upstream::start(&up_dir, up_port);
    let cfg = tmp.path().join("clusterdns.toml");
    let lists = "allow_recursion = [\"127.0.0.1\"]\n";
    std::fs::write(&cfg, without_forwarders(up_port, lists)).expect("write config");
    let path = cfg.to_string_lossy().to_string();
    let server = Server::launch(&["serve", "--config", &path])
        .unwrap_or_else(|log| panic!("clusterdns did not start:\n{log}"));
    assert_eq!(server.dig(&["www.example.com", "A"]).status, "REFUSED");
    let next = tmp.path().join("clusterdns.toml.new");
    std::fs::write(&next, config(up_port, lists)).expect("write config");
    std::fs::rename(&next, &cfg).expect("rename config");
    wait_for(Duration::from_secs(10), "forwarders added", || {
        server.dig(&["www.example.com", "A"]).status == "NOERROR"
    });
    server.wait_log("forwarding names outside our zones", Duration::from_secs(5));
    let tcp = server.dig(&["+tcp", "www.example.com", "A"]);
    assert_eq!(tcp.answer_rdata(), ["192.0.2.80"], "{}", tcp.raw);
}
