//! Unit tests of the TOML config file: every key, defaults, address forms, errors with lines.

use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<FileConfig, ConfigError> {
    parse_config(text, Path::new("/etc/clusterdns.toml"))
}

#[test]
fn empty_file_gives_the_defaults() {
    let config = parse("").expect("parses");
    assert_eq!(config, FileConfig::default());
    assert!(config.watch);
    assert_eq!(
        (
            config.debounce_ms,
            config.tcp_clients,
            config.tcp_idle_timeout
        ),
        (20, 1024, 10)
    );
}

#[test]
fn every_key() {
    let text = r#"
zones_dir = "/var/named"
listen = ["127.0.0.1:53", "[::1]:5353"]
threads = 2
watch = false
poll_interval = 0.5
auto_serial = true
debounce_ms = 50
tcp_clients = 64
tcp_idle_timeout = 3
tcp_coalesce_us = 300
allow_query = ["any"]
allow_recursion = ["localhost", "localnets", "!10.1.0.0/16", "10.0.0.0/8", "key:tsig1"]
forward_to = ["192.0.2.53", "[2001:db8::53]:5353"]
log = "debug"
minimal_responses = "no-auth"

[[zone]]
name = "lihui.hadoop"
file = "lihui.hadoop.zone"
auto_ptr = true
allow_transfer = ["192.0.2.0/24"]
also_notify = ["192.0.2.3:5300"]
notify = "explicit"
allow_update = ["none"]
allow_query = ["192.0.2.0/24", "localhost"]

[[zone]]
name = "example"
type = "secondary"
primaries = ["192.0.2.1", "192.0.2.2:5300 key tsig1"]

[[key]]
name = "tsig1"
algorithm = "hmac-sha256"
secret = "c2VjcmV0"
"#;
    let c = parse(text).expect("parses");
    assert_eq!(c.zones_dir.as_deref(), Some(Path::new("/var/named")));
    assert_eq!(
        c.listen,
        [
            "127.0.0.1:53".parse().unwrap(),
            "[::1]:5353".parse().unwrap()
        ]
    );
    assert_eq!(
        (c.threads, c.watch, c.poll_interval, c.auto_serial),
        (Some(2), false, Some(0.5), true)
    );
    assert_eq!(
        (
            c.debounce_ms,
            c.tcp_clients,
            c.tcp_idle_timeout,
            c.tcp_coalesce_us
        ),
        (50, 64, 3, Some(300))
    );
    assert_eq!(
        c.allow_query,
        Some(vec![MatchEntry {
            negated: false,
            kind: MatchKind::Any
        }])
    );
    let rec = c.allow_recursion.as_ref().expect("allow_recursion");
    assert_eq!(
        rec[2],
        MatchEntry {
            negated: true,
            kind: MatchKind::Prefix("10.1.0.0".parse().unwrap(), 16)
        }
    );
    assert_eq!(rec[4].kind, MatchKind::Key("tsig1".into()));
    assert_eq!(
        c.forward_to[1],
        ServerAddr {
            addr: "2001:db8::53".parse().unwrap(),
            port: Some(5353),
            key: None
        }
    );
    assert_eq!(c.log.as_deref(), Some("debug"));
    assert_eq!(c.minimal_responses, Some(crate::query::Minimal::NoAuth));
    assert_eq!(
        c.zones[0].allow_query.as_ref().map(|l| l.len()),
        Some(2),
        "a zone's own allow_query"
    );
    assert_eq!(c.zones.len(), 2);
    assert_eq!(c.zones[0].kind, ZoneType::Primary);
    assert!(c.zones[0].auto_ptr);
    assert_eq!(c.zones[0].notify, Some(NotifyMode::Explicit));
    assert_eq!(c.zones[1].kind, ZoneType::Secondary);
    assert_eq!(
        c.zones[1].primaries[1],
        ServerAddr {
            addr: "192.0.2.2".parse().unwrap(),
            port: Some(5300),
            key: Some("tsig1".into())
        }
    );
    assert_eq!(c.keys[0].algorithm, "hmac-sha256");
    // And back: what it writes parses to the same config.
    let again = parse(&toml::to_string(&c).expect("serializes")).expect("parses again");
    assert_eq!(again, c);
}

#[track_caller]
fn assert_error(text: &str, expected: &str) {
    let message = parse(text).expect_err("must fail").to_string();
    assert!(
        message.contains(expected),
        "expected {expected:?} in {message:?}"
    );
}

#[test]
fn unknown_keys_rejected_with_their_line() {
    assert_error(
        "threads = 2\nlisten_on = [\"127.0.0.1:53\"]\n",
        "/etc/clusterdns.toml:2: unknown field `listen_on`",
    );
    assert_error(
        "[[zone]]\nname = \"a\"\nfile = \"a.zone\"\nallow_transfers = []\n",
        "/etc/clusterdns.toml:4: unknown field `allow_transfers`",
    );
}

#[test]
fn bad_values_rejected_with_their_line() {
    assert_error("\nlisten = [\"127.0.0.1\"]\n", "/etc/clusterdns.toml:2:");
    assert_error(
        "allow_query = [\n  \"any\",\n  \"10.0.0.0/33\",\n]\n",
        "/etc/clusterdns.toml:3: invalid address match \"10.0.0.0/33\"",
    );
    assert_error(
        "forward_to = [\"dns.example\"]\n",
        "/etc/clusterdns.toml:1: invalid server address",
    );
    assert_error(
        "[[zone]]\nname = \"a\"\ntype = \"hint\"\n",
        "/etc/clusterdns.toml:3:",
    );
    assert_error("threads = \n", "/etc/clusterdns.toml:1:");
}

#[test]
fn address_forms() {
    for (text, shown) in [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("192.0.2.1/32", "192.0.2.1"),
        ("! ::1", "!::1"),
        ("key:k", "key:k"),
    ] {
        let entry = MatchEntry::try_from(text.to_string()).expect(text);
        assert_eq!(entry.to_string(), shown);
    }
    for text in ["10/8", "key:", "localhost/8", "::1/129"] {
        assert!(MatchEntry::try_from(text.to_string()).is_err(), "{text}");
    }
    let v6 = ServerAddr::try_from("2001:db8::1".to_string()).expect("bare v6");
    assert_eq!((v6.port, v6.to_string().as_str()), (None, "2001:db8::1"));
    let v6p = ServerAddr::try_from("[2001:db8::1]:5300".to_string()).expect("v6 with port");
    assert_eq!(v6p.to_string(), "[2001:db8::1]:5300");
    assert!(ServerAddr::try_from("192.0.2.1:99999".to_string()).is_err());
}

#[test]
fn service_and_rrl_keys() {
    let c = parse(
        "user = \"clusterdns\"\nmetrics = \"127.0.0.1:9153\"\nquery_log = true\n\
         tcp_clients_per_ip = 8\nlog = \"debug\"\n\
         [rrl]\nresponses_per_second = 5\nslip = 3\nexempt = [\"10.0.0.0/8\", \"::1\"]\n\
         [[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\n",
    )
    .expect("parses");
    assert_eq!(c.user.as_deref(), Some("clusterdns"));
    assert_eq!(c.metrics, Some("127.0.0.1:9153".parse().expect("addr")));
    assert!(c.query_log);
    assert_eq!(c.tcp_clients_per_ip, Some(8));
    assert_eq!(c.log.as_deref(), Some("debug"));
    assert_eq!(c.rrl.responses_per_second, Some(5));
    assert_eq!(c.rrl.slip, Some(3));
    let exempt = c.rrl.exempt.as_ref().expect("exempt");
    assert_eq!(exempt.len(), 2);
    assert_eq!(exempt[0].len, 8);
    assert_eq!(exempt[1].len, 128);
    // What import-bind prints reads back the same.
    let text = toml::to_string(&c).expect("serializes");
    assert_eq!(parse(&text).expect("round trip"), c);
    assert_error("[rrl]\nbogus = 1\n", "bogus");
    assert_error(
        "[rrl]\nexempt = [\"10.0.0.0/33\"]\n",
        "clusterdns.toml:2: bad prefix length",
    );
}

#[test]
fn nsid_text_or_hex_reaches_the_resolved_config() {
    use crate::config::ServeOptions;
    for (text, want) in [
        ("nsid = \"ns-a\"", &b"ns-a"[..]),
        ("nsid = \"0x6e73\"", b"ns"),
    ] {
        let config = parse(text).expect("parses");
        let opts = ServeOptions {
            nsid: config.nsid.clone(),
            ..ServeOptions::default()
        };
        let cfg = opts.resolve().expect("resolves");
        assert_eq!(cfg.net.access.nsid.as_deref(), Some(want), "{text}");
    }
    let bad = ServeOptions {
        nsid: Some("0xabc".into()),
        ..ServeOptions::default()
    };
    assert!(bad.resolve().is_err(), "odd hex digits");
    // The command line wins over the file.
    let cli = ServeOptions {
        nsid: Some("cli".into()),
        ..ServeOptions::default()
    };
    let file = ServeOptions {
        nsid: Some("file".into()),
        ..ServeOptions::default()
    };
    let cfg = cli.over(file).resolve().expect("resolves");
    assert_eq!(cfg.net.access.nsid.as_deref(), Some(&b"cli"[..]));
}
