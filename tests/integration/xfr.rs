//! Zone transfers out (issue 12): `dig AXFR` refused outside `--allow-transfer`, allowed
//! inside it or with the right TSIG key (`dig -y`, `kdig -y`), BADSIG/BADKEY with a wrong
//! one; a large zone streamed in many messages; and real peers as secondaries: BIND gets the
//! zone by AXFR, then after an edit a NOTIFY and the new serial by IXFR; Knot and NSD too.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::bind::{free_port, Named};
use crate::harness::{dig, Server, TempDir};
use crate::peers::{axfr, run, serial_at, wait_until, Peer};

const SECRET_B64: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// The data records of a dig/kdig transfer output (comments and TSIG left out).
fn records(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty() && !l.contains("TSIG"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn axfr_is_refused_outside_allow_transfer_and_allowed_inside_or_with_tsig() {
    let zones = TempDir::with_example_zones("xfr-acl");
    let key = format!("xfr-key:hmac-sha256:{SECRET_B64}");
    let s = Server::start(
        zones.path(),
        &["--allow-transfer", "127.0.0.2/32", "--tsig-key", &key],
    );
    let refused = axfr(s.port, "lihui.hadoop", &[]);
    assert!(refused.contains("Transfer failed"), "{refused}");
    assert!(
        records(&refused).is_empty(),
        "no data when refused: {refused}"
    );
    s.wait_log("not in allow-transfer", Duration::from_secs(5));

    let allowed = axfr(s.port, "lihui.hadoop", &["-b", "127.0.0.2"]);
    let recs = records(&allowed);
    assert_eq!(recs.len(), 6, "SOA, NS, 3 A, SOA: {allowed}");
    assert!(
        recs[0].contains("SOA") && recs[5].contains("SOA"),
        "{allowed}"
    );
    assert!(recs
        .iter()
        .any(|r| r.contains("lhslave02.lihui.hadoop. 86400 IN A 192.168.1.6")));

    let y = format!("hmac-sha256:xfr-key:{SECRET_B64}");
    let signed = axfr(s.port, "lihui.hadoop", &["-y", &y]);
    assert_eq!(records(&signed).len(), 6, "{signed}");
    assert!(
        signed.contains("TSIG") && !signed.contains("failure"),
        "{signed}"
    );
    let p = s.port.to_string();
    let k = run(
        "kdig",
        &["@127.0.0.1", "-p", &p, "-y", &y, "lihui.hadoop", "AXFR"],
    );
    assert_eq!(records(&k).len(), 6, "kdig verifies our signature: {k}");

    let wrong = format!(
        "hmac-sha256:xfr-key:{}",
        data_encoding_b64(b"0123456789abcdef0123456789abcdeX")
    );
    let bad = axfr(s.port, "lihui.hadoop", &["-y", &wrong]);
    assert!(bad.contains("BADSIG"), "{bad}");
    assert!(records(&bad).is_empty(), "{bad}");
    let other = format!("hmac-sha256:other-key:{SECRET_B64}");
    let unknown = axfr(s.port, "lihui.hadoop", &["-y", &other]);
    assert!(unknown.contains("BADKEY"), "{unknown}");
    assert!(records(&unknown).is_empty(), "{unknown}");
    // Not a zone of ours, even for an allowed client: no data.
    let notours = axfr(s.port, "example.org", &["-b", "127.0.0.2"]);
    assert!(records(&notours).is_empty(), "{notours}");
}

/// Base64 without a dependency (the test's only use).
fn data_encoding_b64(b: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn large_zone_streams_in_many_messages_while_queries_are_answered() {
    let zones = TempDir::new("xfr-large");
    let mut text = String::from("$TTL 1H\n@ SOA ns h 1 1H 1H 1W 1H\n@ NS ns\nns A 10.0.0.1\n");
    for i in 0..30_000 {
        text.push_str(&format!(
            "host{i} A 10.{}.{}.{}\n",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        ));
    }
    std::fs::write(zones.path().join("big.test.zone"), text).expect("write zone");
    let s = Server::start(zones.path(), &["--allow-transfer", "127.0.0.1"]);
    let port = s.port;
    let q = std::thread::spawn(move || {
        // Queries on another connection while the transfer runs (bounded: 50 at most).
        (0..50)
            .filter(|_| {
                dig(
                    port,
                    &["host7.big.test", "A", "+tcp", "+time=2", "+tries=1"],
                )
                .status
                    == "NOERROR"
            })
            .count()
    });
    let out = axfr(port, "big.test", &[]);
    let recs = records(&out);
    assert_eq!(
        recs.len(),
        30_004,
        "{}",
        &out[out.len().saturating_sub(500)..]
    );
    let size = out
        .lines()
        .find(|l| l.contains("XFR size"))
        .unwrap_or_else(|| panic!("no XFR size line: {out}"));
    let messages: usize = size
        .split("messages ")
        .nth(1)
        .and_then(|m| m.split(',').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(messages > 5, "streamed in many messages: {size}");
    assert_eq!(q.join().expect("query thread"), 50, "every query answered");
}

/// Rewrites the example forward zone with `serial` and an extra host.
fn edit_zone(dir: &Path, serial: u32, host: &str) {
    let p = dir.join("lihui.hadoop.zone");
    let text = std::fs::read_to_string(&p).expect("read zone");
    let old = text
        .lines()
        .find(|l| l.contains("; serial"))
        .expect("serial line")
        .to_string();
    let mut new = text.replace(&old, &format!("\t\t\t\t\t{serial}\t; serial"));
    new.push_str(&format!("{host}\tIN\tA\t10.9.9.9\n"));
    std::fs::write(&p, new).expect("write zone");
}

/// Does the server on `port` answer the record `edit_zone` adds, within 10 s?
fn newhost_served(port: u16) -> bool {
    wait_until(Duration::from_secs(10), || {
        dig(port, &["newhost.lihui.hadoop", "A", "+time=1", "+tries=1"]).answer_rdata()
            == ["10.9.9.9"]
    })
}

#[test]
fn bind_secondary_gets_axfr_then_notify_and_ixfr() {
    let zones = TempDir::with_example_zones("xfr-bind");
    let bind_port = free_port();
    let notify_to = format!("127.0.0.1:{bind_port}");
    let s = Server::start(
        zones.path(),
        &["--allow-transfer", "127.0.0.1", "--also-notify", &notify_to],
    );
    let dir = TempDir::new("xfr-bind-named");
    let d = dir.path().display();
    let conf = format!(
        "options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; session-keyfile \"{d}/s.key\";\n\
         listen-on port {bind_port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n\
         recursion no; notify no; }};\ncontrols {{ }};\n\
         zone \"lihui.hadoop\" {{ type secondary; primaries port {} {{ 127.0.0.1; }}; file \"sec.db\"; }};\n",
        s.port
    );
    let conf_path = dir.path().join("named.conf");
    std::fs::write(&conf_path, conf).expect("write named.conf");
    let named = Named::start(&conf_path, bind_port, "lihui.hadoop");
    assert_eq!(serial_at(named.port, "lihui.hadoop"), Some(2024010101));
    s.wait_log("AXFR of lihui.hadoop.", Duration::from_secs(5));

    // Edit with a serial bump: NOTIFY at once, BIND asks IXFR, serves the new host.
    let t0 = Instant::now();
    edit_zone(zones.path(), 2024010102, "newhost");
    let served = wait_until(Duration::from_secs(10), || {
        dig(
            named.port,
            &["newhost.lihui.hadoop", "A", "+time=1", "+tries=1"],
        )
        .answer_rdata()
            == ["10.9.9.9"]
    });
    assert!(served, "BIND never served the edit:\n{}", s.log());
    let took = t0.elapsed();
    assert_eq!(serial_at(named.port, "lihui.hadoop"), Some(2024010102));
    let log = s.log();
    assert!(
        log.contains("NOTIFY of lihui.hadoop. serial 2024010102"),
        "{log}"
    );
    assert!(
        log.contains("IXFR of lihui.hadoop. (serial 2024010102)")
            && log.contains("1 change(s) from serial 2024010101"),
        "BIND took the edit by IXFR:\n{log}"
    );
    // The bar: served by BIND within 1 s of the edit (the edit is written, our
    // reload publishes it, NOTIFY, BIND's IXFR; measured until a dig sees it).
    eprintln!("edit served by BIND in {took:?}");
    assert!(
        took < Duration::from_secs(1),
        "edit reached BIND in {took:?}:\n{log}"
    );
}

/// The secondary (`prog` started by `start`) gets the zone, then the edit after NOTIFY.
/// With `ixfr`, the edit must have gone by IXFR (one change from the old serial) and been
/// served within 1 s of the edit.
fn secondary_follows_edits(tag: &str, ixfr: bool, start: impl FnOnce(u16, u16, &Path) -> Peer) {
    let zones = TempDir::with_example_zones(tag);
    let peer_port = free_port();
    let notify_to = format!("127.0.0.1:{peer_port}");
    let s = Server::start(
        zones.path(),
        &["--allow-transfer", "127.0.0.1", "--also-notify", &notify_to],
    );
    let dir = TempDir::new(&format!("{tag}-peer"));
    let _peer = start(peer_port, s.port, dir.path());
    let log = || std::fs::read_to_string(dir.path().join("peer.log")).unwrap_or_default();
    let got = wait_until(Duration::from_secs(20), || {
        serial_at(peer_port, "lihui.hadoop") == Some(2024010101)
    });
    assert!(got, "{tag} never served the zone:\n{}\n{}", log(), s.log());
    assert!(s.log().contains("AXFR of lihui.hadoop."), "{}", s.log());
    let t0 = Instant::now();
    edit_zone(zones.path(), 2024010102, "newhost");
    let served = newhost_served(peer_port);
    let took = t0.elapsed();
    assert!(
        served,
        "{tag} never served the edit:\n{}\n{}",
        log(),
        s.log()
    );
    eprintln!("edit served by {tag} in {took:?}");
    assert!(
        s.log()
            .contains("NOTIFY of lihui.hadoop. serial 2024010102"),
        "{}",
        s.log()
    );
    if ixfr {
        assert!(
            took < Duration::from_secs(1),
            "{tag} served the edit in {took:?}:\n{}",
            log()
        );
        assert!(
            s.log().contains("1 change(s) from serial 2024010101"),
            "{tag} took the edit by IXFR:\n{}",
            s.log()
        );
    }
}

/// Knot is configured as a cluster's secondary is (docs/transfers.md): it notifies nobody, and
/// says so with `block-notify-after-transfer: on` -- without it an edit landing in the second
/// after its last transfer waits for Knot's own NOTIFY timer (up to 1 s).
#[test]
fn knot_secondary_gets_axfr_then_notify_and_ixfr() {
    secondary_follows_edits("xfr-knot", true, |port, primary, dir| {
        let d = dir.display();
        let conf = format!(
            "server:\n    rundir: \"{d}\"\n    listen: 127.0.0.1@{port}\n\
             control:\n    listen: \"{d}/knot.sock\"\n\
             log:\n  - target: stderr\n    any: info\n\
             database:\n    storage: \"{d}\"\n\
             remote:\n  - id: primary\n    address: 127.0.0.1@{primary}\n    block-notify-after-transfer: on\n\
             acl:\n  - id: notify\n    address: 127.0.0.1\n    action: notify\n\
             template:\n  - id: default\n    storage: \"{d}\"\n\
             zone:\n  - domain: lihui.hadoop\n    master: primary\n    acl: notify\n    file: \"{d}/sec.zone\"\n"
        );
        let c = dir.join("knot.conf");
        std::fs::write(&c, conf).expect("write knot.conf");
        let c = c.to_string_lossy().into_owned();
        Peer::spawn("knotd", &["-c", &c], &dir.join("peer.log"))
    });
}

#[test]
fn nsd_secondary_gets_the_zone_and_follows_notify() {
    secondary_follows_edits("xfr-nsd", false, |port, primary, dir| {
        let d = dir.display();
        let conf = format!(
            "server:\n  ip-address: 127.0.0.1@{port}\n  port: {port}\n  zonesdir: \"{d}\"\n\
             \x20 pidfile: \"{d}/nsd.pid\"\n  xfrdfile: \"{d}/xfrd.state\"\n  database: \"\"\n\
             \x20 zonelistfile: \"{d}/zone.list\"\n  username: \"\"\n  chroot: \"\"\n  verbosity: 2\n\
             remote-control:\n  control-enable: no\n\
             zone:\n  name: lihui.hadoop\n  zonefile: \"{d}/sec.zone\"\n\
             \x20 request-xfr: 127.0.0.1@{primary} NOKEY\n  allow-notify: 127.0.0.1 NOKEY\n"
        );
        let c = dir.join("nsd.conf");
        std::fs::write(&c, conf).expect("write nsd.conf");
        let c = c.to_string_lossy().into_owned();
        Peer::spawn("nsd", &["-d", "-c", &c], &dir.join("peer.log"))
    });
}

#[test]
fn secondary_of_bind_follows_it_and_serves_from_disk_after_restart() {
    let bind_dir = TempDir::new("xfr-sec-named");
    let bind_port = free_port();
    let d = bind_dir.path().display();
    let zone_file = bind_dir.path().join("sec.test.db");
    let zone = |serial: u32, extra: &str| {
        format!("$TTL 60\n@ SOA ns h {serial} 1 1 60 60\n@ NS ns\nns A 10.0.0.1\n{extra}")
    };
    std::fs::write(&zone_file, zone(1, "")).expect("write zone");
    let conf = format!(
        "options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; session-keyfile \"{d}/s.key\";\n\
         listen-on port {bind_port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n\
         recursion no; notify no; allow-transfer {{ 127.0.0.1; }};\n\
         ixfr-from-differences yes; max-ixfr-ratio unlimited; }};\ncontrols {{ }};\n\
         zone \"sec.test\" {{ type primary; file \"sec.test.db\"; }};\n"
    );
    let conf_path = bind_dir.path().join("named.conf");
    std::fs::write(&conf_path, conf).expect("write named.conf");
    let c = conf_path.to_string_lossy().into_owned();
    let named = Peer::spawn(
        "named",
        &["-g", "-n", "1", "-c", &c],
        &bind_dir.path().join("peer.log"),
    );
    assert!(
        wait_until(Duration::from_secs(20), || serial_at(bind_port, "sec.test")
            == Some(1)),
        "BIND did not start"
    );

    let zones = TempDir::with_example_zones("xfr-sec");
    let secondary = format!("sec.test@127.0.0.1:{bind_port}");
    let s = Server::start(zones.path(), &["--secondary", &secondary]);
    let has = |port: u16, name: &str, want: &str| {
        dig(port, &[name, "A", "+time=1", "+tries=1"]).answer_rdata() == [want]
    };
    assert!(
        wait_until(Duration::from_secs(15), || has(
            s.port,
            "ns.sec.test",
            "10.0.0.1"
        )),
        "the zone was never transferred:\n{}",
        s.log()
    );
    assert!(
        zones.path().join("sec.test.zone").exists(),
        "persisted in the zone directory"
    );

    // The primary changes (serial bumped, BIND reloaded): picked up at the refresh timer.
    std::fs::write(&zone_file, zone(2, "newhost A 10.9.9.9\n")).expect("write zone");
    crate::harness::unsafe_kill(named.0.id(), 1);
    assert!(
        wait_until(Duration::from_secs(15), || has(
            s.port,
            "newhost.sec.test",
            "10.9.9.9"
        )),
        "the change was never transferred:\n{}",
        s.log()
    );
    s.stop();

    // Restart with the primary up: the copy on disk is served at once and is the IXFR base,
    // so the next change comes by IXFR, not by a whole new AXFR.
    let s = Server::start(zones.path(), &["--secondary", &secondary]);
    assert!(has(s.port, "newhost.sec.test", "10.9.9.9"), "{}", s.log());
    std::fs::write(
        &zone_file,
        zone(3, "newhost A 10.9.9.9\nthird A 10.9.9.3\n"),
    )
    .expect("write zone");
    crate::harness::unsafe_kill(named.0.id(), 1);
    assert!(
        wait_until(Duration::from_secs(15), || has(
            s.port,
            "third.sec.test",
            "10.9.9.3"
        )),
        "the change after the restart was never transferred:\n{}",
        s.log()
    );
    assert!(
        s.log().contains("transferred serial 3 from") && s.log().contains("by IXFR"),
        "after a restart the change came by IXFR:\n{}",
        s.log()
    );
    s.stop();
    drop(named);

    // Restart with the primary gone: served from disk at once.
    let s = Server::start(zones.path(), &["--secondary", &secondary]);
    assert!(has(s.port, "third.sec.test", "10.9.9.3"), "{}", s.log());
    assert_eq!(serial_at(s.port, "sec.test"), Some(3));
}

/// Knot as secondary with TSIG everywhere: its SOA and IXFR/AXFR queries are signed with the
/// key (our `allow_transfer` names only the key), and it accepts a NOTIFY only when signed
/// with the key (`acl: key`), so the edit reaches it only if our NOTIFY is signed. The NOTIFY
/// also carries the SOA: Knot logs its serial.
#[test]
fn knot_secondary_with_tsig_gets_signed_notify_with_serial_and_signed_ixfr() {
    let zones = TempDir::with_example_zones("xfr-knot-tsig");
    let peer_port = free_port();
    let conf = zones.path().join("c.toml");
    std::fs::write(
        &conf,
        format!(
            "[[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET_B64}\"\n\
             [[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\n\
             allow_transfer = [\"key:xfr\"]\nalso_notify = [\"127.0.0.1:{peer_port} key xfr\"]\n"
        ),
    )
    .expect("write config");
    let c = conf.to_string_lossy();
    let s = Server::start(zones.path(), &["--config", &c]);
    let dir = TempDir::new("xfr-knot-tsig-peer");
    let d = dir.path().display();
    let knot_conf = format!(
        "server:\n    rundir: \"{d}\"\n    listen: 127.0.0.1@{peer_port}\n\
         control:\n    listen: \"{d}/knot.sock\"\n\
         log:\n  - target: stderr\n    any: debug\n\
         database:\n    storage: \"{d}\"\n\
         key:\n  - id: xfr\n    algorithm: hmac-sha256\n    secret: {SECRET_B64}\n\
         remote:\n  - id: primary\n    address: 127.0.0.1@{}\n    key: xfr\n\
         acl:\n  - id: notify\n    address: 127.0.0.1\n    key: xfr\n    action: notify\n\
         template:\n  - id: default\n    storage: \"{d}\"\n\
         zone:\n  - domain: lihui.hadoop\n    master: primary\n    acl: notify\n    file: \"{d}/sec.zone\"\n",
        s.port
    );
    let kc = dir.path().join("knot.conf");
    std::fs::write(&kc, knot_conf).expect("write knot.conf");
    let kc = kc.to_string_lossy().into_owned();
    let _knot = Peer::spawn("knotd", &["-c", &kc], &dir.path().join("peer.log"));
    let log = || std::fs::read_to_string(dir.path().join("peer.log")).unwrap_or_default();
    let got = wait_until(Duration::from_secs(20), || {
        serial_at(peer_port, "lihui.hadoop") == Some(2024010101)
    });
    assert!(got, "Knot never got the zone:\n{}\n{}", log(), s.log());
    // Unsigned transfers are refused: only the key may transfer.
    assert!(axfr(s.port, "lihui.hadoop", &[]).contains("Transfer failed"));

    edit_zone(zones.path(), 2024010102, "newhost");
    let served = newhost_served(peer_port);
    assert!(
        served,
        "Knot never served the edit:\n{}\n{}",
        log(),
        s.log()
    );
    let knot = log();
    assert!(
        knot.contains("action notify") && knot.contains("key 'xfr.'"),
        "Knot accepted a NOTIFY signed with the key:\n{knot}"
    );
    let notify_line = knot
        .lines()
        .find(|l| l.contains("notify, incoming"))
        .unwrap_or_default();
    assert!(
        notify_line.ends_with("serial 2024010102"),
        "the NOTIFY carried the serial:\n{knot}"
    );
    assert!(
        s.log().contains("1 change(s) from serial 2024010101"),
        "Knot took the edit by (signed) IXFR:\n{}",
        s.log()
    );
}
