//! Unit tests of `import-bind`: the tutorial's named.conf into TOML and back.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use super::*;
use crate::config::file::parse_config;
use crate::config::namedconf::read_named_conf_with;

fn read(files: &[(&str, &str)], path: &str) -> NamedConf {
    let map: HashMap<PathBuf, String> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    let read = move |p: &Path| {
        map.get(p)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    };
    read_named_conf_with(Path::new(path), Path::new("/"), &read).expect("named.conf reads")
}

const NAMED_CONF: &str = r#"options {
	listen-on port 53 { 127.0.0.1; };
	listen-on-v6 port 53 { ::1; };
	directory "/var/named";
	allow-query { localhost; 192.168.1.0/24; };
	dnssec-enable yes;
	allow-transfer { none; };
};
logging { channel default_debug { file "data/named.run"; severity dynamic; }; };
acl cluster { !{ 192.168.1.66; 192.168.1.67; }; 192.168.1.0/24; };
acl odd { 10.0.0.1; !{ !10.0.0.2; }; 10.0.0.0/8; };
zone "." IN { type hint; file "named.ca"; };
zone "lihui.hadoop" IN { type master; file "lihui.hadoop.zone"; allow-update { none; }; };
zone "1.168.192.in-addr.arpa" IN { type master; file "1.168.192.in-addr.zone"; allow-transfer { cluster; }; };
zone "odd.hadoop" IN { type master; file "odd.zone"; allow-transfer { odd; }; };
zone "." IN { type forward; forwarders { 192.0.2.53; }; };
zone "backup.hadoop" IN { type slave; masters { 192.168.1.2 key xfer; }; file "slaves/backup.zone"; };
key "xfer" { algorithm hmac-sha256; secret "c2VjcmV0"; };
"#;

#[test]
fn tutorial_imports_and_the_toml_reads_back() {
    let conf = read(&[("/etc/named.conf", NAMED_CONF)], "/etc/named.conf");
    let imported = import(&conf);
    let text = to_toml(&imported, Path::new("/etc/named.conf")).expect("serializes");
    let back =
        parse_config(&text, Path::new("imported.toml")).expect("the printed TOML reads back");
    assert_eq!(back, imported.config);

    let c = &imported.config;
    assert_eq!(
        c.listen,
        ["127.0.0.1:53".parse().unwrap(), "[::1]:53".parse().unwrap()]
    );
    let query: Vec<String> = c
        .allow_query
        .iter()
        .flatten()
        .map(ToString::to_string)
        .collect();
    assert_eq!(query, ["localhost", "192.168.1.0/24"]);
    let names: Vec<&str> = c.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "lihui.hadoop",
            "1.168.192.in-addr.arpa",
            "odd.hadoop",
            "backup.hadoop"
        ]
    );
    let rev = &c.zones[1];
    assert_eq!(
        rev.file.as_deref(),
        Some(Path::new("/var/named/1.168.192.in-addr.zone"))
    );
    let transfer: Vec<String> = rev
        .allow_transfer
        .iter()
        .flatten()
        .map(ToString::to_string)
        .collect();
    // A negated list of plain elements is those elements negated.
    assert_eq!(
        transfer,
        ["!192.168.1.66", "!192.168.1.67", "192.168.1.0/24"]
    );
    // One that has no TOML form cuts the list there: narrower, never wider.
    let odd: Vec<String> = c.zones[2]
        .allow_transfer
        .iter()
        .flatten()
        .map(ToString::to_string)
        .collect();
    assert_eq!(odd, ["10.0.0.1"]);
    // The options' allow-transfer applies to zones without their own.
    assert_eq!(
        c.zones[0].allow_transfer,
        Some(vec![MatchEntry {
            negated: false,
            kind: MatchKind::None
        }])
    );
    assert_eq!(c.zones[3].kind, ZoneType::Secondary);
    assert_eq!(c.zones[3].primaries[0].to_string(), "192.168.1.2 key xfer");
    assert_eq!(c.keys[0].name, "xfer");

    // The comments say what was skipped, with path:line.
    for needle in [
        "#   /etc/named.conf:6: option 'dnssec-enable' skipped",
        "#   /etc/named.conf:9: 'logging' statement skipped",
        "#   /etc/named.conf:12: hint zone '.' skipped",
        "#   /etc/named.conf:16: forward zone \".\" not served",
        "zone \"odd.hadoop\" allow-transfer (acl odd): negated list !{ ... } has no TOML form",
        "no forwarders",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[test]
fn recursion_off_and_forwarders() {
    let text = "options { recursion no; forwarders { 192.0.2.53; }; };\n";
    let c = import(&read(&[("/n.conf", text)], "/n.conf")).config;
    assert_eq!(
        c.allow_recursion,
        Some(vec![MatchEntry {
            negated: false,
            kind: MatchKind::None
        }])
    );
    assert_eq!(c.forward_to[0].to_string(), "192.0.2.53");
    assert!(
        c.listen.is_empty(),
        "no listen-on: clusterdns's default, like BIND's"
    );
}

#[test]
fn the_port_option_is_the_port_of_every_listen_and_server_address_without_one() {
    let text = "options { port 5300; listen-on { 127.0.0.1; }; listen-on-v6 port 5301 { ::1; };\n\
                forwarders { 192.0.2.53; 192.0.2.54 port 53; }; };\n\
                zone \"b.test\" { type slave; masters { 192.0.2.1; }; file \"b\"; also-notify { 192.0.2.2; }; };\n";
    let c = import(&read(&[("/n.conf", text)], "/n.conf")).config;
    let listen: Vec<String> = c.listen.iter().map(|a| a.to_string()).collect();
    assert_eq!(listen, ["127.0.0.1:5300", "[::1]:5301"]);
    let fwd: Vec<String> = c.forward_to.iter().map(|s| s.to_string()).collect();
    assert_eq!(fwd, ["192.0.2.53:5300", "192.0.2.54:53"]);
    assert_eq!(c.zones[0].primaries[0].port, Some(5300));
    assert_eq!(c.zones[0].also_notify[0].port, Some(5300));
    // No listen-on at all: every address, on the port.
    let c = import(&read(
        &[("/n.conf", "options { port 5300; };\n")],
        "/n.conf",
    ))
    .config;
    let listen: Vec<String> = c.listen.iter().map(|a| a.to_string()).collect();
    assert_eq!(listen, ["0.0.0.0:5300", "[::]:5300"]);
}

#[test]
fn the_global_notify_is_every_zones_mode_unless_it_sets_its_own() {
    let text = "options { notify no; };\n\
                zone \"a.test\" { type master; file \"a\"; also-notify { 192.0.2.2; }; };\n\
                zone \"b.test\" { type master; file \"b\"; notify yes; };\n";
    let c = import(&read(&[("/n.conf", text)], "/n.conf")).config;
    assert_eq!(c.zones[0].notify, Some(NotifyMode::No), "inherited");
    assert_eq!(c.zones[1].notify, Some(NotifyMode::Yes), "its own");
    let c = import(&read(
        &[("/n.conf", "zone \"a.test\" { type master; file \"a\"; };\n")],
        "/n.conf",
    ))
    .config;
    assert_eq!(c.zones[0].notify, None, "neither: clusterdns's default");
}

#[test]
fn allow_notify_from_options_or_the_zone() {
    let text = "options { allow-notify { 10.0.0.0/8; }; };\n\
                zone \"a.test\" { type slave; file \"a\"; masters { 192.0.2.1; }; };\n\
                zone \"b.test\" { type slave; file \"b\"; masters { 192.0.2.1; }; allow-notify { 192.0.2.9; }; };\n";
    let c = import(&read(&[("/n.conf", text)], "/n.conf")).config;
    let list = |i: usize| -> Vec<String> {
        c.zones[i]
            .allow_notify
            .iter()
            .flatten()
            .map(|e| e.to_string())
            .collect()
    };
    assert_eq!(list(0), ["10.0.0.0/8"], "inherited");
    assert_eq!(list(1), ["192.0.2.9"], "its own");
}
