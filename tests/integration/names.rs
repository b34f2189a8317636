//! One source of truth for a node's names (issue 14): PTRs synthesized from A/AAAA
//! (`--auto-ptr`, `auto_ptr = true`, reverse zones without a file), /etc/hosts files as a zone
//! source, and the cluster lint.

use crate::harness::*;

use std::time::{Duration, Instant};

/// Polls `f` until it returns true, for at most 10 s.
#[track_caller]
fn wait_until(what: &str, s: &Server, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{what}: not seen within 10 s; log:\n{}", s.log());
}

const REV: &str = "1.168.192.in-addr.arpa.zone";

/// The example cluster's reverse file without its PTR lines.
fn strip_ptrs(dir: &std::path::Path) {
    let path = dir.join(REV);
    let text = std::fs::read_to_string(&path).expect("read reverse zone");
    let kept: String = text
        .lines()
        .filter(|l| !l.contains("PTR"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(kept.len() < text.len(), "the example file has PTRs");
    std::fs::write(&path, kept).expect("write reverse zone");
}

/// What a response says, apart from the ID and timing.
fn shape(d: &Dig) -> (String, Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    (
        d.status.clone(),
        d.flags.clone(),
        d.answer.clone(),
        d.authority.clone(),
        d.additional.clone(),
    )
}

#[test]
fn auto_ptr_answers_as_the_file_with_ptrs_and_follows_the_forward_zone() {
    let with_file = TempDir::with_example_zones("ptr-file");
    let synthesized = TempDir::with_example_zones("ptr-auto");
    strip_ptrs(synthesized.path());
    let a = Server::start(with_file.path(), &[]);
    let b = Server::start(synthesized.path(), &["--auto-ptr"]);
    for q in [
        vec!["-x", "192.168.1.5"],
        vec!["-x", "192.168.1.4"],
        vec!["-x", "192.168.1.6"],
        vec!["+tcp", "-x", "192.168.1.5"],
        vec!["-x", "192.168.1.99"],
        vec!["5.1.168.192.in-addr.arpa", "TXT"],
        vec!["1.168.192.in-addr.arpa", "SOA"],
    ] {
        let (da, db) = (a.dig(&q), b.dig(&q));
        assert!(!da.status.is_empty(), "{}", da.raw);
        assert_eq!(
            shape(&da),
            shape(&db),
            "{q:?}:\n{}\n---\n{}",
            da.raw,
            db.raw
        );
    }
    let ptr = b.dig(&["-x", "192.168.1.5"]);
    // TTL rule: the A record's TTL (1D here).
    assert_eq!(
        ptr.answer,
        ["5.1.168.192.in-addr.arpa. 86400 IN PTR lhslave01.lihui.hadoop."]
    );
    assert_eq!(b.dig(&["-x", "192.168.1.99"]).status, "NXDOMAIN");

    // A node added to the forward zone gets its PTR on the reload, with a grown serial.
    let fwd = synthesized.path().join("lihui.hadoop.zone");
    let text = std::fs::read_to_string(&fwd).expect("read");
    let text = text.replace("2024010101", "2024010102")
        + "lhslave03\t300\tIN\tA\t192.168.1.7\nlhslave03b\tIN\tA\t192.168.1.7\n";
    std::fs::write(&fwd, text).expect("write");
    wait_until("PTR of the new node", &b, || {
        b.dig(&["-x", "192.168.1.7"]).answer.len() == 2
    });
    let two = b.dig(&["-x", "192.168.1.7"]);
    assert!(two.has_flag("aa"), "{}", two.raw);
    let mut rd = two.answer_rdata();
    rd.sort();
    assert_eq!(rd, ["lhslave03.lihui.hadoop.", "lhslave03b.lihui.hadoop."]);
    // One address, several names: one PTR per name, with the smallest TTL.
    assert!(
        two.answer.iter().all(|l| l.contains(" 300 IN PTR ")),
        "{}",
        two.raw
    );
    let soa = b.dig(&["1.168.192.in-addr.arpa", "SOA"]);
    let serial: u32 = soa.answer_rdata()[0]
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .expect("serial");
    assert!(serial > 2024010101, "{}", soa.raw);
}

#[test]
fn explicit_ptr_wins_and_fileless_reverse_zone_from_the_template() {
    let dir = TempDir::with_example_zones("ptr-toml");
    // The file keeps an explicit, different PTR for .5.
    let rev = dir.path().join(REV);
    std::fs::write(
        &rev,
        std::fs::read_to_string(&rev)
            .expect("read")
            .replace("lhslave01.lihui.hadoop.", "explicit.lihui.hadoop."),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("lihui.hadoop.zone"),
        std::fs::read_to_string(dir.path().join("lihui.hadoop.zone")).expect("read")
            + "lhslave09\tIN\tA\t192.168.1.9\nv6node\tIN\tAAAA\tfd00::9\nother\tIN\tA\t10.1.2.3\n",
    )
    .expect("write");
    let cfg = dir.path().join("clusterdns.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\n\
             [[zone]]\nname = \"1.168.192.in-addr.arpa\"\nfile = \"{REV}\"\nauto_ptr = true\n\
             [[zone]]\nname = \"d.f.ip6.arpa\"\nauto_ptr = true\n\
             [[zone]]\nname = \"10.in-addr.arpa\"\nauto_ptr = true\n\
             [ptr_template]\nsoa = \"ns.lihui.hadoop. root.lihui.hadoop. 7 1D 1H 1W 1H\"\nns = [\"lhmaster.lihui.hadoop.\"]\nttl = \"2H\"\n"
        ),
    )
    .expect("write config");
    let s = Server::with_config(&cfg, &[]);
    assert_eq!(
        s.dig(&["-x", "192.168.1.5"]).answer_rdata(),
        ["explicit.lihui.hadoop."]
    );
    assert_eq!(
        s.dig(&["-x", "192.168.1.9"]).answer_rdata(),
        ["lhslave09.lihui.hadoop."]
    );
    let v6 = s.dig(&["-x", "fd00::9"]);
    assert_eq!(v6.answer_rdata(), ["v6node.lihui.hadoop."], "{}", v6.raw);
    assert!(v6.has_flag("aa"));
    let v4 = s.dig(&["-x", "10.1.2.3"]);
    assert_eq!(v4.answer_rdata(), ["other.lihui.hadoop."], "{}", v4.raw);
    // An empty non-terminal of the synthesized data: NODATA with the template's SOA.
    let ent = s.dig(&["2.1.10.in-addr.arpa", "PTR"]);
    assert_eq!(ent.status, "NOERROR", "{}", ent.raw);
    assert!(ent.answer.is_empty(), "{}", ent.raw);
    assert_eq!(
        ent.authority,
        ["10.in-addr.arpa. 3600 IN SOA ns.lihui.hadoop. root.lihui.hadoop. 7 86400 3600 604800 3600"]
    );
    let nx = s.dig(&["-x", "10.9.9.9"]);
    assert_eq!(nx.status, "NXDOMAIN", "{}", nx.raw);
}

#[test]
fn hosts_files_feed_zones_and_are_reloaded() {
    let dir = TempDir::with_example_zones("hosts");
    strip_ptrs(dir.path());
    let hosts = dir.path().join("hosts");
    std::fs::write(
        &hosts,
        "127.0.0.1 localhost localhost.localdomain\n192.168.1.20 lhslave20.lihui.hadoop lhslave20\n10.0.0.1 elsewhere.example.com\n",
    )
    .expect("write hosts");
    let lab = dir.path().join("lab.hosts");
    std::fs::write(&lab, "192.168.1.2 ns\n192.168.1.30 box30\n").expect("write hosts");
    let cfg = dir.path().join("clusterdns.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\nhosts_file = \"hosts\"\n\
             [[zone]]\nname = \"lab.test\"\nhosts_file = \"lab.hosts\"\nallow_update = [\"127.0.0.1\"]\n\
             [[zone]]\nname = \"1.168.192.in-addr.arpa\"\nfile = \"{REV}\"\nauto_ptr = true\n\
             [ptr_template]\nsoa = \"ns.lab.test. root.lab.test. 1 1D 1H 1W 1H\"\nns = [\"ns.lab.test.\"]\n"
        ),
    )
    .expect("write config");
    let s = Server::with_config(&cfg, &[]);
    // The zone file's records and the hosts file's, side by side.
    assert_eq!(
        s.dig(&["lhslave01.lihui.hadoop", "A"]).answer_rdata(),
        ["192.168.1.5"]
    );
    let a = s.dig(&["lhslave20.lihui.hadoop", "A"]);
    assert_eq!(a.answer_rdata(), ["192.168.1.20"], "{}", a.raw);
    assert!(a.has_flag("aa"));
    assert_eq!(s.dig(&["localhost.lihui.hadoop", "A"]).status, "NXDOMAIN");
    assert_eq!(
        s.dig(&["-x", "192.168.1.20"]).answer_rdata(),
        ["lhslave20.lihui.hadoop."]
    );
    // A zone with only a hosts file: SOA/NS from the template.
    assert_eq!(
        s.dig(&["box30.lab.test", "A"]).answer_rdata(),
        ["192.168.1.30"]
    );
    assert_eq!(
        s.dig(&["-x", "192.168.1.30"]).answer_rdata(),
        ["box30.lab.test."]
    );
    let log = s.log();
    assert!(
        log.contains("hosts:3: elsewhere.example.com. is outside zone lihui.hadoop.: ignored"),
        "{log}"
    );
    // Edited like a zone file: served after the reload.
    std::fs::write(&hosts, "192.168.1.20 lhslave20\n192.168.1.21 lhslave21\n")
        .expect("write hosts");
    wait_until("the edited hosts file", &s, || {
        s.dig(&["lhslave21.lihui.hadoop", "A"]).answer_rdata() == ["192.168.1.21"]
    });
    wait_until("its PTR", &s, || {
        s.dig(&["-x", "192.168.1.21"]).answer_rdata() == ["lhslave21.lihui.hadoop."]
    });
    // A hosts file is not rewritten by dynamic updates: refused.
    let (ok, out) = nsupdate(
        s.port,
        &[],
        "zone lab.test\nupdate add box99.lab.test 300 A 192.168.1.99\nsend\n",
    );
    assert!(!ok && out.contains("REFUSED"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&lab).expect("read"),
        "192.168.1.2 ns\n192.168.1.30 box30\n"
    );
    std::fs::write(&lab, "192.168.1.2 ns\n192.168.1.31 box31\n").expect("write hosts");
    wait_until("the edited hosts-only zone", &s, || {
        s.dig(&["box31.lab.test", "A"]).answer_rdata() == ["192.168.1.31"]
    });
    assert_eq!(s.dig(&["box30.lab.test", "A"]).status, "NXDOMAIN");
}

const LINT_FWD: &str = "$TTL 1H
@ IN SOA ns.lint.test. root.lint.test. 1 1H 1H 1W 1H
@ IN NS ns.lint.test.
ns IN A 10.10.10.1
nopt IN A 10.10.10.2
twin1 IN A 10.10.10.3
twin2 IN A 10.10.10.3
alias IN CNAME ns.lint.test.
outside IN A 172.16.0.1
nsalias IN CNAME ns.lint.test.
";

const LINT_REV: &str = "$TTL 1H
@ IN SOA ns.lint.test. root.lint.test. 1 1H 1H 1W 1H
@ IN NS nsalias.lint.test.
1 IN PTR ns.lint.test.
3 IN PTR twin1.lint.test.
3 IN PTR twin2.lint.test.
8 IN PTR alias.lint.test.
9 IN PTR ghost.lint.test.
10 IN PTR ns.lint.test.
";

/// Runs `clusterdns check --lint ARGS`; (exit code, stderr lines that are findings).
fn lint(args: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let out = clusterdns(&["check", "--lint"])
        .args(args)
        .output()
        .expect("run check");
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    let findings = text
        .lines()
        .filter(|l| l.contains(": error: ") || l.contains(": warning: "))
        .map(String::from)
        .collect();
    (out.status.code(), findings, text)
}

#[test]
fn lint_reports_each_finding_once_with_its_line() {
    let dir = TempDir::new("lint");
    let fwd = dir.path().join("lint.test.zone");
    let rev = dir.path().join("10.10.10.in-addr.arpa.zone");
    std::fs::write(&fwd, LINT_FWD).expect("write");
    std::fs::write(&rev, LINT_REV).expect("write");
    let d = dir.path().to_string_lossy().to_string();
    let (f, r) = (fwd.display().to_string(), rev.display().to_string());
    let (code, findings, text) = lint(&[&d]);
    assert_eq!(code, Some(1), "{text}");
    let want = [
        format!("{r}:3: error: NS target nsalias.lint.test. is a CNAME (it must have A/AAAA records)"),
        format!("{r}:7: error: PTR to alias.lint.test., a CNAME (Hadoop needs the name that has the A record)"),
        format!("{r}:8: error: PTR to ghost.lint.test., a name that does not exist"),
        format!("{r}:9: error: PTR 10.10.10.10.in-addr.arpa. -> ns.lint.test., but ns.lint.test. has no A/AAAA 10.10.10.10"),
        format!("{f}:5: error: nopt.lint.test. A 10.10.10.2 has no matching PTR in zone 10.10.10.in-addr.arpa."),
        format!("{f}:7: warning: 10.10.10.3 has several names (twin1.lint.test., twin2.lint.test.) and no canonical mark (one PTR for it)"),
    ];
    assert_eq!(findings, want, "{text}");
    assert!(
        text.contains("lint: 2 zones, 5 errors, 1 warning"),
        "{text}"
    );

    // A clean pair exits 0.
    let clean = TempDir::with_example_zones("lint-clean");
    let (code, findings, text) = lint(&[&clean.path().to_string_lossy()]);
    assert_eq!((code, findings.len()), (Some(0), 0), "{text}");

    // Against the running server: content changed with the same serial, and a serial that
    // went backwards.
    let s = Server::start(dir.path(), &["--no-watch"]);
    let port = format!("127.0.0.1:{}", s.port);
    let (_, findings, text) = lint(&[&d, "--against", &port]);
    assert!(!findings.iter().any(|l| l.contains("serial")), "{text}");
    std::fs::write(&fwd, LINT_FWD.replace("10.10.10.2", "10.10.10.20")).expect("write");
    std::fs::write(&rev, LINT_REV.replace(" 1 1H", " 0 1H")).expect("write");
    let (code, findings, text) = lint(&[&d, "--against", &port]);
    assert_eq!(code, Some(1), "{text}");
    let serial: Vec<&String> = findings.iter().filter(|l| l.contains("serial")).collect();
    assert_eq!(
        serial,
        [
            &format!("{r}:2: error: serial 0 is below the served 1: secondaries and caches keep the served version"),
            &format!("{f}:2: error: nopt.lint.test. A differs from the served version but serial 1 was not bumped"),
        ],
        "{text}"
    );
}

#[test]
fn nsupdate_adds_a_node_durably_with_its_ptr() {
    let dir = TempDir::with_example_zones("update");
    strip_ptrs(dir.path());
    let cfg = dir.path().join("clusterdns.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\nallow_update = [\"127.0.0.1\"]\n\
             [[zone]]\nname = \"1.168.192.in-addr.arpa\"\nfile = \"{REV}\"\nauto_ptr = true\n"
        ),
    )
    .expect("write config");
    let start = || Server::with_config(&cfg, &[]);
    let s = start();
    // From an address outside allow_update: refused, nothing changes.
    let (ok, out) = nsupdate(
        s.port,
        &[],
        "local 127.0.0.2\nzone lihui.hadoop\nupdate add lhslave03.lihui.hadoop 300 A 192.168.1.7\nsend\n",
    );
    assert!(!ok && out.contains("REFUSED"), "{out}");
    assert_eq!(s.dig(&["lhslave03.lihui.hadoop", "A"]).status, "NXDOMAIN");
    // A failed prerequisite: YXDOMAIN, nothing changes.
    let (ok, out) = nsupdate(
        s.port,
        &[],
        "zone lihui.hadoop\nprereq nxdomain lhslave01.lihui.hadoop\nupdate add lhslave03.lihui.hadoop 300 A 192.168.1.7\nsend\n",
    );
    assert!(!ok && out.contains("YXDOMAIN"), "{out}");
    // A TSIG-signed update with a key the zone does not name (its allow_update lists only a
    // prefix): refused, nothing changes.
    let (ok, out) = nsupdate(
        s.port,
        &["-y", "hmac-sha256:k:c2VjcmV0c2VjcmV0c2VjcmV0"],
        "zone lihui.hadoop\nupdate add lhslave03.lihui.hadoop 300 A 192.168.1.7\nsend\n",
    );
    assert!(!ok, "{out}");
    assert_eq!(s.dig(&["lhslave03.lihui.hadoop", "A"]).status, "NXDOMAIN");
    // Allowed: served at once, A and (auto_ptr) PTR, serial bumped.
    let (ok, out) = nsupdate(
        s.port,
        &[],
        "zone lihui.hadoop\nupdate add lhslave03.lihui.hadoop 300 A 192.168.1.7\nsend\n",
    );
    assert!(ok, "{out}\n{}", s.log());
    assert_eq!(
        s.dig(&["lhslave03.lihui.hadoop", "A"]).answer_rdata(),
        ["192.168.1.7"]
    );
    assert_eq!(
        s.dig(&["-x", "192.168.1.7"]).answer_rdata(),
        ["lhslave03.lihui.hadoop."]
    );
    let soa = s.dig(&["lihui.hadoop", "SOA"]);
    assert!(
        soa.answer_rdata()[0].contains(" 2024010102 "),
        "{}",
        soa.raw
    );
    // Durable before the answer: SIGKILL now, restart, still there (and in the zone file).
    unsafe_kill(s.pid(), 9); // SIGKILL
    drop(s);
    let text = std::fs::read_to_string(dir.path().join("lihui.hadoop.zone")).expect("read");
    assert!(
        text.contains("lhslave03.lihui.hadoop. 300 IN A 192.168.1.7"),
        "{text}"
    );
    let s = start();
    assert_eq!(
        s.dig(&["lhslave03.lihui.hadoop", "A"]).answer_rdata(),
        ["192.168.1.7"]
    );
    assert_eq!(
        s.dig(&["-x", "192.168.1.7"]).answer_rdata(),
        ["lhslave03.lihui.hadoop."]
    );
    // Knot's knsupdate too.
    let mut child = std::process::Command::new("knsupdate")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("knsupdate must be installed (knot-dnsutils)");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        write!(
            stdin,
            "server 127.0.0.1 {}\nzone lihui.hadoop.\nupdate add lhslave04.lihui.hadoop. 300 A 192.168.1.8\nsend\nquit\n",
            s.port
        )
        .expect("write script");
    }
    let out = child.wait_with_output().expect("knsupdate runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        s.dig(&["-x", "192.168.1.8"]).answer_rdata(),
        ["lhslave04.lihui.hadoop."]
    );
    // Delete over TCP (nsupdate -v).
    let (ok, out) = nsupdate(
        s.port,
        &["-v"],
        "zone lihui.hadoop\nupdate delete lhslave03.lihui.hadoop A\nsend\n",
    );
    assert!(ok, "{out}");
    assert_eq!(s.dig(&["lhslave03.lihui.hadoop", "A"]).status, "NXDOMAIN");
    assert_eq!(s.dig(&["-x", "192.168.1.7"]).status, "NXDOMAIN");
}

#[test]
fn an_unloaded_human_edit_refuses_updates_and_neither_side_is_lost() {
    let dir = TempDir::with_example_zones("update-edit");
    let cfg = dir.path().join("clusterdns.toml");
    std::fs::write(
        &cfg,
        "watch = false\n[[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\nallow_update = [\"127.0.0.1\"]\n",
    )
    .expect("write config");
    let s = Server::with_config(&cfg, &[]);
    let zf = dir.path().join("lihui.hadoop.zone");
    let edited = std::fs::read_to_string(&zf)
        .expect("read")
        .replace("2024010101", "2024010105")
        + "human\tIN\tA\t192.168.1.50\n";
    std::fs::write(&zf, &edited).expect("write");
    let add = "zone lihui.hadoop\nupdate add robot.lihui.hadoop 300 A 192.168.1.51\nsend\n";
    let (ok, out) = nsupdate(s.port, &[], add);
    assert!(!ok && out.contains("SERVFAIL"), "{out}");
    assert!(
        s.log().contains("was edited and not loaded yet"),
        "{}",
        s.log()
    );
    assert_eq!(std::fs::read_to_string(&zf).expect("read"), edited);
    // Loaded (SIGHUP), the update applies on top of the edit.
    unsafe_kill(s.pid(), 1);
    wait_until("the edit loaded", &s, || {
        s.dig(&["human.lihui.hadoop", "A"]).answer_rdata() == ["192.168.1.50"]
    });
    let (ok, out) = nsupdate(s.port, &[], add);
    assert!(ok, "{out}");
    assert_eq!(
        s.dig(&["robot.lihui.hadoop", "A"]).answer_rdata(),
        ["192.168.1.51"]
    );
    let text = std::fs::read_to_string(&zf).expect("read");
    assert!(
        text.contains("human.lihui.hadoop. 86400 IN A 192.168.1.50"),
        "{text}"
    );
    assert!(
        text.contains("robot.lihui.hadoop. 300 IN A 192.168.1.51"),
        "{text}"
    );
    assert!(text.contains(" 2024010106 "), "{text}");
}
