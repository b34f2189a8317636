//! Transfers configured per zone (issue 12 part 2): clusterdns as a TOML `type = "secondary"`
//! of BIND with a TSIG key -- AXFR, then an edit and BIND's reload -> NOTIFY -> IXFR, served
//! within a deadline; restarted with BIND stopped -> served from disk at once; past the SOA's
//! short `expire` -> SERVFAIL. And a zone's own `allow_transfer` with `key:NAME` over the
//! global flag: `dig AXFR -y` with the key works, a wrong secret is BADSIG, an unknown key
//! BADKEY, an unsigned client outside the zone's list REFUSED; signed SOA queries answered and
//! signed; `allow_update = ["key:NAME"]` with `nsupdate -y`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::bind::free_port;
use crate::harness::{dig, nsupdate, Server, TempDir};
use crate::metrics::{metrics_port, scrape, value};
use crate::peers::{axfr, serial_at, wait_until, Peer};

const SECRET_B64: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const WRONG_B64: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

/// BIND `named -g -n 1 -c CONF`, its output in `log`.
fn named(conf: &Path, log: &Path) -> Peer {
    let conf = conf.to_string_lossy();
    Peer::spawn("named", &["-g", "-n", "1", "-c", &conf], log)
}

fn has(port: u16, name: &str, want: &str) -> bool {
    dig(port, &[name, "A", "+time=1", "+tries=1"]).answer_rdata() == [want]
}

/// `serve --config FILE --listen 127.0.0.1:PORT`.
fn start(config: &Path, port: u16) -> Server {
    let c = config.to_string_lossy();
    let l = format!("127.0.0.1:{port}");
    Server::launch(&["serve", "--config", &c, "--listen", &l, "--threads", "2"])
        .unwrap_or_else(|log| panic!("server did not start:\n{log}"))
}

/// Waits until BIND on `port` serves serial 1 of `sec.test`.
fn wait_bind(port: u16) {
    assert!(
        wait_until(Duration::from_secs(20), || serial_at(port, "sec.test")
            == Some(1)),
        "BIND did not start"
    );
}

/// Waits until `s` (on `port`) serves `sec.test` as transferred (ns: 10.0.0.1).
fn wait_transferred(s: &Server, port: u16) {
    assert!(
        wait_until(Duration::from_secs(15), || has(
            port,
            "ns.sec.test",
            "10.0.0.1"
        )),
        "the zone was never transferred:\n{}",
        s.log()
    );
}

#[test]
fn toml_secondary_of_bind_with_tsig_notify_ixfr_disk_and_expire() {
    let bind_dir = TempDir::new("xfrc-named");
    let bind_port = free_port();
    let our_port = free_port();
    let d = bind_dir.path().display();
    let zone_file = bind_dir.path().join("sec.test.db");
    // refresh 3600: only a NOTIFY brings the edit quickly; retry 1, expire 6.
    let zone = |serial: u32, extra: &str| {
        format!("$TTL 60\n@ SOA ns h {serial} 3600 1 6 60\n@ NS ns\nns A 10.0.0.1\n{extra}")
    };
    std::fs::write(&zone_file, zone(1, "")).expect("write zone");
    let conf = format!(
        "key \"xfr\" {{ algorithm hmac-sha256; secret \"{SECRET_B64}\"; }};\n\
         options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; session-keyfile \"{d}/s.key\";\n\
         listen-on port {bind_port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n\
         recursion no; ixfr-from-differences yes; max-ixfr-ratio unlimited; allow-transfer {{ key \"xfr\"; }}; }};\ncontrols {{ }};\n\
         zone \"sec.test\" {{ type primary; file \"sec.test.db\"; notify explicit; notify-delay 0;\n\
         also-notify {{ 127.0.0.1 port {our_port}; }}; }};\n"
    );
    let conf_path = bind_dir.path().join("named.conf");
    std::fs::write(&conf_path, conf).expect("write named.conf");
    let bind_log = bind_dir.path().join("peer.log");
    let bind = named(&conf_path, &bind_log);
    wait_bind(bind_port);

    // A config with the secondary zone alone (an empty zone directory) is enough to start.
    let ours = TempDir::new("xfrc-ours");
    std::fs::create_dir_all(ours.path().join("zones")).expect("zones dir");
    let config = ours.path().join("clusterdns.toml");
    std::fs::write(
        &config,
        format!(
            "zones_dir = \"zones\"\nmetrics = \"127.0.0.1:0\"\n\
             [[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET_B64}\"\n\
             [[zone]]\nname = \"sec.test\"\ntype = \"secondary\"\nfile = \"sec.copy\"\n\
             primaries = [\"127.0.0.1:{bind_port} key xfr\"]\n"
        ),
    )
    .expect("write config");
    let s = start(&config, our_port);
    wait_transferred(&s, our_port);
    assert!(s.log().contains("by AXFR"), "{}", s.log());
    let copy = ours.path().join("sec.copy");
    assert!(copy.exists(), "persisted to the zone's file");

    // The primary changes (serial bumped, BIND reloaded): NOTIFY at once, then IXFR.
    std::fs::write(&zone_file, zone(2, "newhost A 10.9.9.9\n")).expect("write zone");
    let t0 = Instant::now();
    crate::harness::unsafe_kill(bind.0.id(), 1);
    assert!(
        wait_until(Duration::from_secs(10), || has(
            our_port,
            "newhost.sec.test",
            "10.9.9.9"
        )),
        "the change was never transferred:\n{}\nBIND:\n{}",
        s.log(),
        std::fs::read_to_string(&bind_log).unwrap_or_default()
    );
    let took = t0.elapsed();
    let log = s.log();
    assert!(log.contains("NOTIFY of sec.test. from 127.0.0.1"), "{log}");
    assert!(
        log.contains("transferred serial 2") && log.contains("by IXFR"),
        "{log}\nBIND:\n{}",
        std::fs::read_to_string(&bind_log).unwrap_or_default()
    );
    assert!(took < Duration::from_secs(5), "edit served in {took:?}");
    assert!(std::fs::read_to_string(&copy)
        .expect("copy")
        .contains("newhost"));
    let m = scrape(metrics_port(&s));
    assert_eq!(
        value(&m, r#"clusterdns_transfers_in_total{type="axfr"}"#),
        1.0,
        "{m}"
    );
    assert_eq!(
        value(&m, r#"clusterdns_transfers_in_total{type="ixfr"}"#),
        1.0,
        "{m}"
    );
    assert!(
        value(&m, r#"clusterdns_notifies_total{direction="received"}"#) >= 1.0,
        "{m}"
    );
    let ok_state = r#"clusterdns_secondary_zone_state{zone="sec.test.",state="ok"}"#;
    assert_eq!(value(&m, ok_state), 1.0, "{m}");
    let expiry = r#"clusterdns_secondary_zone_expiry_timestamp_seconds{zone="sec.test."}"#;
    assert!(value(&m, expiry) > 1.0e9, "{m}");
    s.stop();
    drop(bind);

    // Restart with the primary gone: served from disk at once...
    let s = start(&config, our_port);
    assert!(has(our_port, "newhost.sec.test", "10.9.9.9"), "{}", s.log());
    assert_eq!(serial_at(our_port, "sec.test"), Some(2));
    // ...until the SOA's expire (6 s) passes without a refresh: SERVFAIL.
    let t0 = Instant::now();
    assert!(
        wait_until(Duration::from_secs(20), || dig(
            our_port,
            &["ns.sec.test", "A", "+time=1", "+tries=1"]
        )
        .status
            == "SERVFAIL"),
        "never expired:\n{}",
        s.log()
    );
    assert!(t0.elapsed() > Duration::from_secs(3), "expired too early");
    assert!(s.log().contains("longer than expire"), "{}", s.log());
    let m = scrape(metrics_port(&s));
    let expired = r#"clusterdns_secondary_zone_state{zone="sec.test.",state="expired"}"#;
    assert_eq!(value(&m, expired), 1.0, "{m}");
}

#[test]
fn per_zone_allow_transfer_with_a_key_wins_over_the_global_flag() {
    let zones = TempDir::with_example_zones("xfrc-acl");
    let config = zones.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[[key]]\nname = \"zone-key\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET_B64}\"\n\
             [[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\n\
             allow_transfer = [\"key:zone-key\", \"127.0.0.2\"]\n"
        ),
    )
    .expect("write config");
    let c = config.to_string_lossy();
    let s = Server::start(
        zones.path(),
        &[
            "--config",
            &c,
            "--allow-transfer",
            "127.0.0.1",
            "--metrics",
            "127.0.0.1:0",
        ],
    );
    // Unsigned from 127.0.0.1: the zone's own list wins over --allow-transfer.
    let refused = axfr(s.port, "lihui.hadoop", &[]);
    assert!(refused.contains("Transfer failed"), "{refused}");
    s.wait_log("not in allow-transfer", Duration::from_secs(5));
    // Another zone still follows the global flag.
    let other = axfr(s.port, "1.168.192.in-addr.arpa", &[]);
    assert!(other.contains("XFR size"), "{other}");
    // The zone's key works.
    let key = format!("hmac-sha256:zone-key:{SECRET_B64}");
    let ok = axfr(s.port, "lihui.hadoop", &["-y", &key]);
    assert!(ok.contains("XFR size") && ok.contains("SOA"), "{ok}");
    // A wrong secret is BADSIG, an unknown key BADKEY; no data either way.
    let wrong = axfr(
        s.port,
        "lihui.hadoop",
        &["-y", &format!("hmac-sha256:zone-key:{WRONG_B64}")],
    );
    assert!(
        wrong.contains("BADSIG") || wrong.contains("tsig verify failure"),
        "{wrong}"
    );
    assert!(!wrong.contains("XFR size"), "{wrong}");
    let unknown = axfr(
        s.port,
        "lihui.hadoop",
        &["-y", &format!("hmac-sha256:other-key:{SECRET_B64}")],
    );
    assert!(
        unknown.contains("BADKEY") || unknown.contains("tsig verify failure"),
        "{unknown}"
    );
    assert!(!unknown.contains("XFR size"), "{unknown}");
    // The two transfers that went out are counted (the refused ones are not).
    let m = scrape(metrics_port(&s));
    assert_eq!(
        value(&m, r#"clusterdns_transfers_out_total{type="axfr"}"#),
        2.0,
        "{m}"
    );

    // Signed ordinary queries (a secondary's SOA check): answered and signed with a known
    // key; NOTAUTH without data for an unknown key or a wrong MAC.
    for transport in ["+notcp", "+tcp"] {
        let signed = s.dig(&["lihui.hadoop", "SOA", transport, "-y", &key]);
        assert_eq!(signed.status, "NOERROR", "{}", signed.raw);
        assert_eq!(signed.answer.len(), 1, "{}", signed.raw);
        assert!(signed.raw.contains("TSIG PSEUDOSECTION"), "{}", signed.raw);
        assert!(!signed.raw.contains("Couldn't verify"), "{}", signed.raw);
    }
    let bad = s.dig(&[
        "lihui.hadoop",
        "SOA",
        "-y",
        &format!("hmac-sha256:zone-key:{WRONG_B64}"),
    ]);
    assert_eq!(bad.status, "NOTAUTH", "{}", bad.raw);
    assert!(
        bad.answer.is_empty() && bad.raw.contains("BADSIG"),
        "{}",
        bad.raw
    );
    let unknown = s.dig(&[
        "lihui.hadoop",
        "SOA",
        "-y",
        &format!("hmac-sha256:other-key:{SECRET_B64}"),
    ]);
    assert_eq!(unknown.status, "NOTAUTH", "{}", unknown.raw);
    assert!(
        unknown.answer.is_empty() && unknown.raw.contains("BADKEY"),
        "{}",
        unknown.raw
    );
}

#[test]
fn allow_update_with_a_key_takes_signed_updates_only() {
    let zones = TempDir::with_example_zones("xfrc-upd");
    let config = zones.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[[key]]\nname = \"upd\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET_B64}\"\n\
             [[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\nallow_update = [\"key:upd\"]\n"
        ),
    )
    .expect("write config");
    let s = Server::with_config(&config, &[]);
    let add = |host: &str| {
        format!("zone lihui.hadoop\nupdate add {host}.lihui.hadoop 300 A 10.7.7.7\nsend\n")
    };
    // The right key: applied and served at once.
    let right = format!("hmac-sha256:upd:{SECRET_B64}");
    let (ok, out) = nsupdate(s.port, &["-y", &right], &add("signed"));
    assert!(ok, "{out}\n{}", s.log());
    assert_eq!(
        s.dig(&["signed.lihui.hadoop", "A"]).answer_rdata(),
        ["10.7.7.7"]
    );
    // A wrong secret: refused (BADSIG), nothing changes.
    let wrong = format!("hmac-sha256:upd:{WRONG_B64}");
    let (ok, out) = nsupdate(s.port, &["-y", &wrong], &add("wrongkey"));
    assert!(!ok, "{out}");
    assert_eq!(s.dig(&["wrongkey.lihui.hadoop", "A"]).status, "NXDOMAIN");
    s.wait_log("TSIG error 16", Duration::from_secs(5));
    // Unsigned from an address: the list names only the key.
    let (ok, out) = nsupdate(s.port, &[], &add("unsigned"));
    assert!(!ok && out.contains("REFUSED"), "{out}");
    assert_eq!(s.dig(&["unsigned.lihui.hadoop", "A"]).status, "NXDOMAIN");
    let text = std::fs::read_to_string(zones.path().join("lihui.hadoop.zone")).expect("zone");
    assert!(text.contains("signed") && !text.contains("wrongkey"));
}

/// A loopback port bound for UDP and TCP that neither answers nor accepts (a TCP socket bound
/// but not listening refuses connections), with the sockets that hold it.
fn held_port() -> (u16, (std::net::UdpSocket, socket2::Socket)) {
    for _ in 0..50 {
        let Ok(udp) = std::net::UdpSocket::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(port) = udp.local_addr().map(|a| a.port()) else {
            continue;
        };
        let Ok(tcp) = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        else {
            continue;
        };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        if tcp.bind(&addr.into()).is_ok() {
            return (port, (udp, tcp));
        }
    }
    panic!("no port to hold on 127.0.0.1");
}

#[test]
fn a_secondary_never_transferred_answers_servfail_and_other_zones_are_served() {
    let zones = TempDir::with_example_zones("xfrc-wait");
    let config = zones.path().join("c.toml");
    // The primary is a loopback port nothing listens on, held for the test (bound, UDP and TCP,
    // never listening or answering) so that no other test's server can take it.
    let (nobody, _held) = held_port();
    std::fs::write(
        &config,
        format!(
            "zones_dir = \".\"\n\
             [[zone]]\nname = \"sec.test\"\ntype = \"secondary\"\nprimaries = [\"127.0.0.1:{nobody}\"]\n"
        ),
    )
    .expect("write config");
    let s = Server::with_config(&config, &[]);
    assert_eq!(s.dig(&["ns.sec.test", "A"]).status, "SERVFAIL");
    assert_eq!(s.dig(&["sec.test", "SOA"]).status, "SERVFAIL");
    assert_eq!(s.dig(&["lhslave01.lihui.hadoop", "A"]).status, "NOERROR");
    assert_eq!(s.dig(&["example.com", "A", "+norec"]).status, "REFUSED");
    s.wait_log("failed to refresh zone sec.test.", Duration::from_secs(10));
    assert!(!zones.path().join("sec.test.zone").exists());
    // A NOTIFY from the primary's address is answered (NOERROR, AA) over UDP and over TCP
    // alike (TCP used to answer NOTIMP).
    for transport in ["+notcp", "+tcp"] {
        let d = s.dig(&[transport, "+opcode=notify", "+norec", "sec.test", "SOA"]);
        assert_eq!(d.status, "NOERROR", "NOTIFY over {transport}:\n{}", d.raw);
        assert!(d.has_flag("aa"), "NOTIFY over {transport}:\n{}", d.raw);
    }
}

#[test]
fn clusterdns_secondary_of_clusterdns_follows_by_notify_and_signed_ixfr() {
    let zones = TempDir::with_example_zones("xfrc-pri");
    let sec_port = free_port();
    let pconf = zones.path().join("c.toml");
    std::fs::write(
        &pconf,
        format!(
            "[[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET_B64}\"\n\
             [[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\n\
             allow_transfer = [\"key:xfr\"]\nalso_notify = [\"127.0.0.1:{sec_port}\"]\n"
        ),
    )
    .expect("write config");
    let pc = pconf.to_string_lossy();
    let primary = Server::start(zones.path(), &["--config", &pc]);

    let ours = TempDir::new("xfrc-sec");
    let sconf = ours.path().join("c.toml");
    std::fs::write(
        &sconf,
        format!(
            "[[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET_B64}\"\n\
             [[zone]]\nname = \"lihui.hadoop\"\ntype = \"secondary\"\n\
             primaries = [\"127.0.0.1:{} key xfr\"]\n",
            primary.port
        ),
    )
    .expect("write config");
    let s = start(&sconf, sec_port);
    assert!(
        wait_until(Duration::from_secs(10), || serial_at(
            sec_port,
            "lihui.hadoop"
        ) == Some(2024010101)),
        "{}",
        s.log()
    );
    // An edit on the primary: NOTIFY, then the signed IXFR, served within the deadline.
    let path = zones.path().join("lihui.hadoop.zone");
    let text = std::fs::read_to_string(&path).expect("zone");
    let edited = text.replace("2024010101", "2024010102") + "edited\tIN\tA\t10.9.9.9\n";
    std::fs::write(&path, edited).expect("write zone");
    assert!(
        wait_until(Duration::from_secs(5), || has(
            sec_port,
            "edited.lihui.hadoop",
            "10.9.9.9"
        )),
        "{}\nprimary:\n{}",
        s.log(),
        primary.log()
    );
    let log = s.log();
    assert!(
        log.contains("NOTIFY of lihui.hadoop. from 127.0.0.1"),
        "{log}"
    );
    assert!(log.contains("by IXFR"), "{log}");
    assert!(
        primary.log().contains("IXFR of lihui.hadoop.") && primary.log().contains("1 change(s)"),
        "{}",
        primary.log()
    );
}

/// An edit of the config file's transfer settings applies without a restart (as BIND's
/// `rndc reconfig`): a zone's `allow_transfer` first names a documentation address only, so
/// AXFR from 127.0.0.1 is refused; rewritten to name 127.0.0.1 and a key, the next AXFR
/// from 127.0.0.1 works; rewritten back, refused again.
#[test]
fn allow_transfer_edited_in_the_config_file_applies_at_the_next_reload() {
    let zones = TempDir::with_example_zones("xfrc-reconf");
    let conf = zones.path().join("c.toml");
    let write = |allow: &str| {
        let text = format!(
            "[[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET_B64}\"\n\
             [[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\n\
             allow_transfer = [{allow}]\n"
        );
        crate::harness::write_atomic(&conf, &text);
    };
    write("\"192.0.2.1\"");
    let s = start(&conf, free_port());
    let refused = |s: &Server| axfr(s.port, "lihui.hadoop", &[]).contains("Transfer failed");
    assert!(refused(&s), "outside the zone's list:\n{}", s.log());

    write("\"127.0.0.1\", \"key:xfr\"");
    crate::harness::wait_within(
        "the edited allow_transfer applies",
        &s,
        Duration::from_secs(5),
        || !refused(&s),
    );
    let out = axfr(s.port, "lihui.hadoop", &[]);
    assert!(
        out.contains("lhslave01.lihui.hadoop.") && out.matches("SOA").count() >= 2,
        "{out}"
    );
    assert!(
        s.log()
            .contains("transfer settings (allow_transfer, also_notify, keys) changed: applied"),
        "{}",
        s.log()
    );
    write("\"192.0.2.1\"");
    crate::harness::wait_within(
        "the list narrowed again",
        &s,
        Duration::from_secs(5),
        || refused(&s),
    );
}

/// A secondary zone added to the config file of a running server is transferred and served
/// without a restart (as BIND's `rndc reconfig`); removed again, it is withdrawn.
#[test]
fn a_secondary_zone_added_to_the_config_file_is_transferred_without_a_restart() {
    let zones = TempDir::with_example_zones("xfrc-dyn-pri");
    let primary = Server::start(zones.path(), &["--allow-transfer", "127.0.0.1"]);

    let ours = TempDir::new("xfrc-dyn-sec");
    std::fs::write(
        ours.path().join("own.test.zone"),
        "$TTL 60\n@ SOA ns h 1 3600 60 600 60\n@ NS ns\nns A 192.0.2.1\n",
    )
    .expect("write zone");
    let conf = ours.path().join("c.toml");
    let own = "[[zone]]\nname = \"own.test\"\nfile = \"own.test.zone\"\n";
    crate::harness::write_atomic(&conf, own);
    let s = start(&conf, free_port());
    assert_eq!(
        dig(s.port, &["lhmaster.lihui.hadoop", "A"]).status,
        "REFUSED",
        "not ours yet"
    );

    crate::harness::write_atomic(
        &conf,
        &format!(
            "{own}[[zone]]\nname = \"lihui.hadoop\"\ntype = \"secondary\"\nprimaries = [\"127.0.0.1:{}\"]\n",
            primary.port
        ),
    );
    crate::harness::wait_within(
        "the added secondary zone is transferred and served",
        &s,
        Duration::from_secs(10),
        || has(s.port, "lhmaster.lihui.hadoop", "192.168.1.4"),
    );
    assert!(
        s.log().contains("secondary zones changed: applied"),
        "{}",
        s.log()
    );
    assert!(
        ours.path().join("lihui.hadoop.zone").exists(),
        "kept on disk"
    );

    crate::harness::write_atomic(&conf, own);
    crate::harness::wait_within(
        "the removed secondary zone is withdrawn",
        &s,
        Duration::from_secs(10),
        || dig(s.port, &["lhmaster.lihui.hadoop", "A"]).status == "REFUSED",
    );
    assert!(has(s.port, "ns.own.test", "192.0.2.1"), "{}", s.log());
}

/// A named.conf secondary whose primary wants TSIG, the key given the BIND way: not on the
/// `masters` entry but in a `server ADDR { keys { NAME; }; };` statement. The transfer is
/// signed with it (BIND's `allow-transfer { key xfr; }` refuses anything else).
#[test]
fn a_named_conf_server_statements_key_signs_the_transfer() {
    let bind_dir = TempDir::new("xfrs-named");
    let (bind_port, our_port) = (free_port(), free_port());
    let d = bind_dir.path().display();
    std::fs::write(
        bind_dir.path().join("sec.test.db"),
        "$TTL 60\n@ SOA ns h 1 3600 60 600 60\n@ NS ns\nns A 10.0.0.1\n",
    )
    .expect("write zone");
    let conf = format!(
        "key \"xfr\" {{ algorithm hmac-sha256; secret \"{SECRET_B64}\"; }};\n\
         options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; session-keyfile \"{d}/s.key\";\n\
         listen-on port {bind_port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n\
         recursion no; notify no; allow-transfer {{ key \"xfr\"; }}; }};\ncontrols {{ }};\n\
         zone \"sec.test\" {{ type primary; file \"sec.test.db\"; }};\n"
    );
    let conf_path = bind_dir.path().join("named.conf");
    std::fs::write(&conf_path, conf).expect("write named.conf");
    let _bind = named(&conf_path, &bind_dir.path().join("peer.log"));
    wait_bind(bind_port);
    let ours = TempDir::new("xfrs-ours");
    let o = ours.path().display();
    let named_conf = ours.path().join("named.conf");
    std::fs::write(
        &named_conf,
        format!(
            "key \"xfr\" {{ algorithm hmac-sha256; secret \"{SECRET_B64}\"; }};\n\
             server 127.0.0.1 {{ keys {{ xfr; }}; }};\n\
             options {{ directory \"{o}\"; listen-on port {our_port} {{ 127.0.0.1; }};\n\
             listen-on-v6 {{ none; }}; recursion no; }};\n\
             zone \"sec.test\" {{ type slave; masters {{ 127.0.0.1 port {bind_port}; }}; file \"sec.copy\"; }};\n"
        ),
    )
    .expect("write our named.conf");
    let nc = named_conf.to_string_lossy();
    let s = Server::launch(&["serve", "--named-conf", &nc, "--threads", "1"])
        .unwrap_or_else(|log| panic!("server did not start:\n{log}"));
    wait_transferred(&s, our_port);
    assert!(
        !s.log().contains("'server' statement skipped"),
        "{}",
        s.log()
    );
}
