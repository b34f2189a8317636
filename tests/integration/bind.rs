//! Taking over a BIND setup unchanged (issue 9): the tutorial's named.conf, includes and
//! `/var/named` files, written at test time, served by `clusterdns serve --named-conf` and by
//! BIND `named` from the same files with the same answers; live reload of the named.conf; and
//! `import-bind` on every named.conf of BIND's own test suite that BIND accepts.

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{clusterdns, dig, Dig, Server, TempDir};

/// A port free on 127.0.0.1 for UDP and TCP (bound and released: a small race, retried).
pub fn free_port() -> u16 {
    for _ in 0..50 {
        let Ok(udp) = UdpSocket::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(port) = udp.local_addr().map(|a| a.port()) else {
            continue;
        };
        if TcpListener::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("::1", port)).is_ok()
        {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1");
}

const NAMED_LOCALHOST: &str = "$TTL 1D\n@\tIN SOA\t@ rname.invalid. (\n\t\t\t\t\t0\t; serial\n\t\t\t\t\t1D\t; refresh\n\t\t\t\t\t1H\t; retry\n\t\t\t\t\t1W\t; expire\n\t\t\t\t\t3H )\t; minimum\n\tNS\t@\n\tA\t127.0.0.1\n\tAAAA\t::1\n";

const NAMED_LOOPBACK: &str = "$TTL 1D\n@\tIN SOA\t@ rname.invalid. (\n\t\t\t\t\t0\t; serial\n\t\t\t\t\t1D\t; refresh\n\t\t\t\t\t1H\t; retry\n\t\t\t\t\t1W\t; expire\n\t\t\t\t\t3H )\t; minimum\n\tNS\t@\n\tA\t127.0.0.1\n\tAAAA\t::1\n\tPTR\tlocalhost.\n";

/// The tutorial's named.rfc1912.zones (shared with the named.conf reader's unit tests).
const RFC1912_ZONES: &str = include_str!("../fixtures/tutorial/named.rfc1912.zones");

const ROOT_KEY: &str = "managed-keys {\n\t# DNSKEY for the root zone.\n\t. initial-key 257 3 8 \"AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjFFVQUTf6v58fLjwBd0YI0EzrAcQqBGCzh/RStIoO8g0NfnfL2MTJRkxoXbfDaUeVPQuYEhg37NZWAJQ9VnMVDxP/VHL496M/QZxkjf5/Efucp2gaDX6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN9dlzEheX7ICJBBtuA6G3LQpzW5hOA2hzCTMjJPJ8LbqF6dsV6DoBQzgul0sGIcGOYl7OyQdXfZ57relSQageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLKBP1dfwhYB4N7knNnulqQxA+Uk1ihz0=\";\n};\n";

/// The tutorial's setup under a temporary root: `etc/named.conf` (+ includes) and
/// `var/named` (zone files copied from `named.localhost`, the tutorial's file names).
pub struct Tutorial {
    pub root: TempDir,
    pub port: u16,
}

impl Tutorial {
    pub fn new(tag: &str) -> Tutorial {
        let root = TempDir::new(tag);
        let etc = root.path().join("etc");
        let var = root.path().join("var/named");
        std::fs::create_dir_all(var.join("data")).expect("mkdir var/named/data");
        std::fs::create_dir_all(&etc).expect("mkdir etc");
        let w = |p: PathBuf, text: &str| std::fs::write(&p, text).expect("write fixture");
        w(var.join("named.localhost"), NAMED_LOCALHOST);
        w(var.join("named.loopback"), NAMED_LOOPBACK);
        w(
            var.join("named.empty"),
            &NAMED_LOCALHOST.replace("$TTL 1D", "$TTL 3H"),
        );
        w(
            var.join("named.ca"),
            ". 518400 IN NS a.root-servers.net.\na.root-servers.net. 518400 IN A 198.41.0.4\n",
        );
        w(
            var.join("lihui.hadoop.zone"),
            &format!("{NAMED_LOCALHOST}lhmaster\tA\t192.168.1.4\nlhslave01\tA\t192.168.1.5\nlhslave02\tA\t192.168.1.6\n"),
        );
        w(
            var.join("1.168.192.in-addr.zone"),
            &format!("{NAMED_LOCALHOST}4\tPTR\tlhmaster.lihui.hadoop.\n5\tPTR\tlhslave01.lihui.hadoop.\n6\tPTR\tlhslave02.lihui.hadoop.\n"),
        );
        w(etc.join("named.rfc1912.zones"), RFC1912_ZONES);
        w(etc.join("named.root.key"), ROOT_KEY);
        let t = Tutorial {
            root,
            port: free_port(),
        };
        w(t.named_conf(), &t.named_conf_text(false));
        t
    }

    pub fn named_conf(&self) -> PathBuf {
        self.root.path().join("etc/named.conf")
    }

    pub fn rfc1912(&self) -> PathBuf {
        self.root.path().join("etc/named.rfc1912.zones")
    }

    pub fn var(&self) -> PathBuf {
        self.root.path().join("var/named")
    }

    /// The tutorial's named.conf; `for_bind`: the copy BIND 9.18 runs in a test (recursion
    /// off, no hint zone, no obsolete `dnssec-enable`, no control channel), on `port + 1`.
    pub fn named_conf_text(&self, for_bind: bool) -> String {
        let root = self.root.path().display();
        let port = if for_bind { self.port + 1 } else { self.port };
        let mut t = String::new();
        t.push_str("//\n// named.conf\n//\noptions {\n");
        t.push_str(&format!("\tlisten-on port {port} {{ 127.0.0.1; }};\n"));
        t.push_str(&format!("\tlisten-on-v6 port {port} {{ ::1; }};\n"));
        t.push_str(&format!("\tdirectory \t\"{root}/var/named\";\n"));
        t.push_str(&format!(
            "\tdump-file \t\"{root}/var/named/data/cache_dump.db\";\n"
        ));
        t.push_str(&format!(
            "\tstatistics-file \"{root}/var/named/data/named_stats.txt\";\n"
        ));
        t.push_str("\tallow-query     { localhost; };\n");
        if for_bind {
            t.push_str("\trecursion no;\n");
            t.push_str(&format!(
                "\tpid-file \"{root}/var/named/data/named.pid\";\n"
            ));
            t.push_str(&format!(
                "\tsession-keyfile \"{root}/var/named/data/session.key\";\n"
            ));
        } else {
            t.push_str("\trecursion yes;\n\n\tdnssec-enable yes;\n\tdnssec-validation yes;\n");
        }
        t.push_str("};\n\nlogging {\n        channel default_debug {\n                file \"data/named.run\";\n                severity dynamic;\n        };\n};\n\n");
        if for_bind {
            t.push_str("controls { };\n");
        } else {
            t.push_str("zone \".\" IN {\n\ttype hint;\n\tfile \"named.ca\";\n};\n\n");
        }
        t.push_str(&format!("include \"{root}/etc/named.rfc1912.zones\";\n"));
        if !for_bind {
            t.push_str(&format!("include \"{root}/etc/named.root.key\";\n"));
        }
        t
    }

    /// Serves the tutorial with `clusterdns serve --named-conf` (its own listen-on port).
    pub fn clusterdns(&self, extra: &[&str]) -> Server {
        let conf = self.named_conf();
        let conf = conf.to_string_lossy();
        let mut args = vec!["serve", "--named-conf", &conf, "--threads", "1"];
        args.extend(extra);
        Server::launch(&args).unwrap_or_else(|log| panic!("clusterdns did not start:\n{log}"))
    }
}

/// BIND `named -g` in the foreground, killed on drop.
pub struct Named {
    child: Child,
    pub port: u16,
}

impl Named {
    /// Starts `named -g -c CONF` and waits until `probe` (a name it serves) answers.
    pub fn start(conf: &Path, port: u16, probe: &str) -> Named {
        let child = Command::new("named")
            .args(["-g", "-n", "1", "-c"])
            .arg(conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("named must be installed (apt-get install bind9)");
        let named = Named { child, port };
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(20) {
            if dig(port, &[probe, "SOA", "+time=1", "+tries=1"]).status == "NOERROR" {
                return named;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("named did not answer for {probe} on port {port}");
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What must agree between two answers: rcode, flags and every section.
fn shape(d: &Dig) -> (String, Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.contains("OPT"))
            .collect();
        v.sort();
        v
    };
    let mut flags = d.flags.clone();
    flags.sort();
    (
        d.status.clone(),
        flags,
        norm(&d.answer),
        norm(&d.authority),
        norm(&d.additional),
    )
}

/// Asks clusterdns (`ours`) and BIND (`bind`) every query with dig; their answers must have
/// the same `shape`.
fn same_answers(ours: u16, bind: u16, queries: &[&[&str]]) {
    for q in queries {
        let (a, b) = (dig(ours, q), dig(bind, q));
        assert!(!b.status.is_empty(), "BIND answered {q:?}:\n{}", b.raw);
        assert_eq!(
            shape(&a),
            shape(&b),
            "{q:?}\nclusterdns:\n{}\nBIND:\n{}",
            a.raw,
            b.raw
        );
    }
}

#[test]
fn tutorial_setup_answers_as_bind_does() {
    let t = Tutorial::new("bind-tutorial");
    let server = t.clusterdns(&[]);
    assert_eq!(server.port, t.port, "listen-on port of named.conf");
    let log = server.log();
    assert!(
        log.contains("dnssec-enable"),
        "skipped option warned:\n{log}"
    );
    assert!(
        log.contains("clusterdns only forwards: set forwarders"),
        "no-forwarders warning:\n{log}"
    );
    let bind_conf = t.root.path().join("etc/named.bind.conf");
    std::fs::write(&bind_conf, t.named_conf_text(true)).expect("write BIND's copy");
    let named = Named::start(&bind_conf, t.port + 1, "lihui.hadoop");
    let queries: &[&[&str]] = &[
        &["lhmaster.lihui.hadoop", "A"],
        &["lhslave02.lihui.hadoop", "A"],
        &["-x", "192.168.1.5"],
        &["-x", "192.168.1.4"],
        &["lihui.hadoop", "SOA"],
        &["lihui.hadoop", "NS"],
        &["1.168.192.in-addr.arpa", "SOA"],
        &["1.168.192.in-addr.arpa", "NS"],
        &["nothere.lihui.hadoop", "A"],
        &["lhmaster.lihui.hadoop", "MX"],
        &["localhost", "A"],
        &["-x", "127.0.0.1"],
        &["www.example.org", "A"],
        // From outside allow-query { localhost; }: REFUSED.
        &["-b", "127.0.0.2", "lhmaster.lihui.hadoop", "A"],
        &["-b", "127.0.0.2", "-x", "192.168.1.5"],
    ];
    same_answers(server.port, named.port, queries);
    let outside = dig(
        server.port,
        &["-b", "127.0.0.2", "lhmaster.lihui.hadoop", "A"],
    );
    assert_eq!(outside.status, "REFUSED", "{}", outside.raw);
    let ptr = dig(server.port, &["-x", "192.168.1.5"]);
    assert_eq!(ptr.answer_rdata(), ["lhslave01.lihui.hadoop."]);
}

/// A named.conf whose zones all stand in one view that every client matches (a common way to
/// write a BIND setup) is served as BIND serves it: the view's zones, with the view's options
/// over the global ones (here its `allow-query` narrows the global `any`); the port comes
/// from BIND's `port` option. Same files, same
/// answers as BIND 9.18 from the same named.conf.
#[test]
fn one_view_for_every_client_answers_as_bind_does() {
    let t = Tutorial::new("bind-one-view");
    let root = t.root.path().display().to_string();
    let include = format!("include \"{root}/etc/named.rfc1912.zones\";\n");
    let text = t
        .named_conf_text(true)
        .replace(
            "\tallow-query     { localhost; };\n",
            "\tallow-query     { any; };\n",
        )
        .replace(
            &include,
            &format!("view \"cluster\" {{\n\tmatch-clients {{ any; }};\n\tallow-query {{ 127.0.0.1; }};\n\t{include}}};\n"),
        );
    assert!(text.contains("view \"cluster\""), "{text}");
    // And the port as BIND's `port` option, not on each listen-on.
    let p = t.port + 1;
    let text = text
        .replace(
            &format!("\tlisten-on port {p} {{ 127.0.0.1; }};\n"),
            &format!("\tport {p};\n\tlisten-on {{ 127.0.0.1; }};\n"),
        )
        .replace(
            &format!("\tlisten-on-v6 port {p} {{ ::1; }};\n"),
            "\tlisten-on-v6 { ::1; };\n",
        );
    assert!(text.contains(&format!("\tport {p};")), "{text}");
    let bind_conf = t.root.path().join("etc/named.bind.conf");
    std::fs::write(&bind_conf, &text).expect("write BIND's copy");
    let ours = text.replace(&format!("port {}", t.port + 1), &format!("port {}", t.port));
    std::fs::write(t.named_conf(), ours).expect("write ours");
    let server = t.clusterdns(&[]);
    let log = server.log();
    assert!(!log.contains("'view' skipped"), "{log}");
    let named = Named::start(&bind_conf, t.port + 1, "lihui.hadoop");
    let queries: &[&[&str]] = &[
        &["lhmaster.lihui.hadoop", "A"],
        &["-x", "192.168.1.5"],
        &["lihui.hadoop", "NS"],
        &["nothere.lihui.hadoop", "A"],
        &["localhost", "A"],
        &["-b", "127.0.0.2", "lhmaster.lihui.hadoop", "A"],
    ];
    same_answers(server.port, named.port, queries);
    let ptr = dig(server.port, &["-x", "192.168.1.5"]);
    assert_eq!(ptr.answer_rdata(), ["lhslave01.lihui.hadoop."]);
    let outside = dig(
        server.port,
        &["-b", "127.0.0.2", "lhmaster.lihui.hadoop", "A"],
    );
    assert_eq!(
        outside.status, "REFUSED",
        "the view's allow-query:\n{}",
        outside.raw
    );
}

/// A zone's own `allow-query` replaces the global one for its names, as in BIND: with the
/// global `allow-query { localhost; }`, `lihui.hadoop` open to everyone and the reverse zone
/// closed to 127.0.0.3, both servers give the same answers to 127.0.0.1, 127.0.0.2 and
/// 127.0.0.3. Before, the zone's list was skipped with a warning and the global one applied.
#[test]
fn a_zones_allow_query_replaces_the_global_one_as_in_bind() {
    let t = Tutorial::new("bind-zone-acl");
    let zones = RFC1912_ZONES
        .replace(
            "\tfile \"lihui.hadoop.zone\";\n",
            "\tfile \"lihui.hadoop.zone\";\n\tallow-query { any; };\n",
        )
        .replace(
            "\tfile \"1.168.192.in-addr.zone\";\n",
            "\tfile \"1.168.192.in-addr.zone\";\n\tallow-query { !127.0.0.3; 127.0.0.0/8; };\n",
        );
    assert_eq!(zones.matches("allow-query").count(), 2, "{zones}");
    std::fs::write(t.rfc1912(), zones).expect("write zones");
    let server = t.clusterdns(&[]);
    let log = server.log();
    assert!(!log.contains("allow-query' skipped"), "{log}");
    assert!(
        !log.contains("access lists"),
        "nothing changed at the start:\n{log}"
    );
    let bind_conf = t.root.path().join("etc/named.bind.conf");
    std::fs::write(&bind_conf, t.named_conf_text(true)).expect("write BIND's copy");
    let named = Named::start(&bind_conf, t.port + 1, "lihui.hadoop");
    let mut queries: Vec<Vec<&str>> = Vec::new();
    for from in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        queries.push(vec!["-b", from, "lhmaster.lihui.hadoop", "A"]);
        queries.push(vec!["-b", from, "-x", "192.168.1.5"]);
        queries.push(vec!["-b", from, "localhost", "A"]);
    }
    let queries: Vec<&[&str]> = queries.iter().map(|q| q.as_slice()).collect();
    same_answers(server.port, named.port, &queries);
    let from2 = dig(
        server.port,
        &["-b", "127.0.0.2", "lhmaster.lihui.hadoop", "A"],
    );
    assert_eq!(from2.answer_rdata(), ["192.168.1.4"], "{}", from2.raw);
    let rev3 = dig(server.port, &["-b", "127.0.0.3", "-x", "192.168.1.5"]);
    assert_eq!(rev3.status, "REFUSED", "{}", rev3.raw);
    let local2 = dig(server.port, &["-b", "127.0.0.2", "localhost", "A"]);
    assert_eq!(
        local2.status, "REFUSED",
        "the global list for other zones:\n{}",
        local2.raw
    );
    // An edit is applied live: without its own list, lihui.hadoop falls under the global one.
    let edited = std::fs::read_to_string(t.rfc1912())
        .expect("read zones")
        .replacen("\tallow-query { any; };\n", "", 1);
    crate::harness::write_atomic(&t.rfc1912(), &edited);
    wait_for(Duration::from_secs(10), "the zone's list removed", || {
        dig(
            server.port,
            &["-b", "127.0.0.2", "lhmaster.lihui.hadoop", "A"],
        )
        .status
            == "REFUSED"
    });
}

/// `minimal-responses` shapes positive answers as in BIND: for each mode, clusterdns and BIND
/// 9.18 serving the tutorial's files with that mode give the same sections (the zone's NS in
/// the authority section, addresses in the additional section) to queries with and without
/// RD; referrals and negative answers are not affected.
#[test]
fn minimal_responses_shape_answers_as_in_bind() {
    for mode in ["yes", "no", "no-auth", "no-auth-recursive"] {
        let t = Tutorial::new("bind-minimal");
        // An MX whose target has an address in the zone: additional data for a type not NS.
        let zone = t.var().join("lihui.hadoop.zone");
        let text = std::fs::read_to_string(&zone).expect("read zone");
        std::fs::write(&zone, format!("{text}@\tMX\t10 lhmaster\n")).expect("write zone");
        let line = format!("\tminimal-responses {mode};\n\tallow-query");
        let ours = t.named_conf_text(false).replacen("\tallow-query", &line, 1);
        std::fs::write(t.named_conf(), ours).expect("write ours");
        let server = t.clusterdns(&[]);
        let theirs = t.named_conf_text(true).replacen("\tallow-query", &line, 1);
        let bind_conf = t.root.path().join("etc/named.bind.conf");
        std::fs::write(&bind_conf, theirs).expect("write BIND's copy");
        let named = Named::start(&bind_conf, t.port + 1, "lihui.hadoop");
        let queries: &[&[&str]] = &[
            &["lihui.hadoop", "NS"],
            &["+norec", "lihui.hadoop", "NS"],
            &["lhmaster.lihui.hadoop", "A"],
            &["+norec", "lhmaster.lihui.hadoop", "A"],
            &["+norec", "-x", "192.168.1.5"],
            &["lihui.hadoop", "MX"],
            &["+norec", "lihui.hadoop", "MX"],
            &["+norec", "lihui.hadoop", "SOA"],
            &["+norec", "lihui.hadoop", "TXT"],
            &["+norec", "nothere.lihui.hadoop", "A"],
        ];
        same_answers(server.port, named.port, queries);
        let ns = dig(server.port, &["+norec", "lihui.hadoop", "NS"]);
        assert!(
            ns.additional.iter().any(|l| l.contains("127.0.0.1")),
            "{mode}: the NS target's address, in every mode:\n{}",
            ns.raw
        );
        let mx = dig(server.port, &["lihui.hadoop", "MX"]);
        assert_eq!(
            mx.additional.iter().any(|l| l.contains("192.168.1.4")),
            mode != "yes",
            "{mode}: the MX target's address:\n{}",
            mx.raw
        );
        let a = dig(server.port, &["+norec", "lhmaster.lihui.hadoop", "A"]);
        assert_eq!(
            !a.authority.is_empty(),
            matches!(mode, "no" | "no-auth-recursive"),
            "{mode}: the zone's NS without RD:\n{}",
            a.raw
        );
    }
}

/// Waits until `check` holds, or panics after `limit` with `what`.
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

#[test]
fn named_conf_edits_are_applied_and_a_broken_one_keeps_the_zones() {
    let t = Tutorial::new("bind-reload");
    let server = t.clusterdns(&[]);
    let port = server.port;
    assert_eq!(dig(port, &["lhmaster.lihui.hadoop", "A"]).status, "NOERROR");
    assert_eq!(dig(port, &["new.test", "SOA"]).status, "REFUSED");
    // A zone statement added to the included file: served within a second.
    std::fs::write(t.var().join("new.test.zone"), NAMED_LOCALHOST).expect("write zone");
    let zones = std::fs::read_to_string(t.rfc1912()).expect("read");
    std::fs::write(
        t.rfc1912(),
        format!(
            "{zones}\nzone \"new.test\" IN {{\n\ttype master;\n\tfile \"new.test.zone\";\n}};\n"
        ),
    )
    .expect("append zone statement");
    let added = Instant::now();
    wait_for(Duration::from_secs(5), "new zone served", || {
        dig(port, &["new.test", "SOA", "+time=1"]).status == "NOERROR"
    });
    assert!(
        added.elapsed() < Duration::from_secs(1),
        "took {:?}",
        added.elapsed()
    );
    // A broken named.conf (missing ';' on line 6): the zones stay, the error names path:line.
    let conf = std::fs::read_to_string(t.named_conf()).expect("read");
    let broken = conf.replacen(
        "allow-query     { localhost; };",
        "allow-query     { localhost; }",
        1,
    );
    assert_ne!(broken, conf);
    std::fs::write(t.named_conf(), &broken).expect("break named.conf");
    server.wait_log("keeping the zones served", Duration::from_secs(5));
    let log = server.log();
    let line = log
        .lines()
        .find(|l| l.contains("keeping the zones served"))
        .unwrap_or("");
    let at = format!("{}:", t.named_conf().display());
    let after = line.rsplit(&at).next().unwrap_or("");
    assert!(
        line.matches(&at).count() >= 1 && after.starts_with(|c: char| c.is_ascii_digit()),
        "error names path:line: {line}"
    );
    assert_eq!(dig(port, &["new.test", "SOA"]).status, "NOERROR");
    assert_eq!(
        dig(port, &["-x", "192.168.1.6"]).answer_rdata(),
        ["lhslave02.lihui.hadoop."]
    );
    // Fixed again, with the zone statement removed: withdrawn at once.
    std::fs::write(t.rfc1912(), &zones).expect("remove zone statement");
    std::fs::write(t.named_conf(), &conf).expect("fix named.conf");
    wait_for(Duration::from_secs(5), "removed zone withdrawn", || {
        dig(port, &["new.test", "SOA", "+time=1"]).status == "REFUSED"
    });
    assert_eq!(dig(port, &["lhmaster.lihui.hadoop", "A"]).status, "NOERROR");
    // A zone re-pointed to another file.
    std::fs::write(
        t.var().join("other.zone"),
        format!("{NAMED_LOCALHOST}lhmaster\tA\t192.168.1.40\n"),
    )
    .expect("write");
    std::fs::write(
        t.rfc1912(),
        zones.replace("\"lihui.hadoop.zone\"", "\"other.zone\""),
    )
    .expect("re-point");
    wait_for(Duration::from_secs(5), "re-pointed zone served", || {
        dig(port, &["lhmaster.lihui.hadoop", "A", "+time=1"]).answer_rdata() == ["192.168.1.40"]
    });
}

#[test]
fn check_and_import_bind_read_the_tutorial() {
    let t = Tutorial::new("bind-check");
    let conf = t.named_conf();
    let out = clusterdns(&["check", "--named-conf"])
        .arg(&conf)
        .output()
        .expect("run check");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("zone lihui.hadoop.: loaded serial 0"), "{err}");
    assert!(
        err.contains("zone 1.168.192.in-addr.arpa.: loaded"),
        "{err}"
    );
    let out = clusterdns(&["import-bind"])
        .arg(&conf)
        .stdout(Stdio::piped())
        .output()
        .expect("run import-bind");
    assert!(out.status.success());
    let toml = String::from_utf8_lossy(&out.stdout);
    assert!(toml.contains("name = \"1.168.192.in-addr.arpa\""), "{toml}");
    assert!(toml.contains("1.168.192.in-addr.zone"), "{toml}");
    // The printed TOML serves the same zones.
    let cfg = t.root.path().join("clusterdns.toml");
    std::fs::write(&cfg, toml.as_bytes()).expect("write toml");
    let out = clusterdns(&["check", "--config"])
        .arg(&cfg)
        .output()
        .expect("run check");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("zone lihui.hadoop.: loaded serial 0"), "{err}");
    // A syntax error: exit 1, path:line.
    let text = std::fs::read_to_string(&conf).expect("read");
    std::fs::write(&conf, text.replacen("};\n\nlogging", "}\n\nlogging", 1)).expect("write");
    let out = clusterdns(&["check", "--named-conf"])
        .arg(&conf)
        .output()
        .expect("run check");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{}:", conf.display())), "{err}");
}

#[test]
fn import_bind_accepts_every_named_conf_bind_accepts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/namedconf");
    let Ok(manifest) = std::fs::read_to_string(dir.join("MANIFEST.tsv")) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "named.conf corpus missing"
        );
        eprintln!("skipped: no named.conf corpus at {}", dir.display());
        return;
    };
    let files: Vec<PathBuf> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut c = l.split('\t');
            match (c.next(), c.next()) {
                (Some(f), Some("accept")) => Some(dir.join("src").join(f)),
                _ => None,
            }
        })
        .collect();
    let t0 = Instant::now();
    // Four processes at a time.
    let mut failures = Vec::new();
    for chunk in files.chunks(4) {
        let children: Vec<_> = chunk
            .iter()
            .map(|f| {
                let child = clusterdns(&["--log", "error", "import-bind"])
                    .arg(f)
                    .current_dir(f.parent().unwrap_or(&dir))
                    .spawn()
                    .expect("spawn import-bind");
                (f, child)
            })
            .collect();
        for (f, child) in children {
            let out = child.wait_with_output().expect("wait import-bind");
            if !out.status.success() {
                failures.push(format!(
                    "{}: {}",
                    f.display(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    eprintln!(
        "import-bind: {} of {} accepted named.conf files exit 0 ({:.1} s)",
        files.len() - failures.len(),
        files.len(),
        t0.elapsed().as_secs_f64()
    );
    assert!(files.len() > 500, "only {} accepted files", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
