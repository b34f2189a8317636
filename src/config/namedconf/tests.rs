//! Unit tests of the named.conf reader, on strings: the tutorial's files, syntax errors with
//! their lines, acl resolution, keys.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::*;

const TUTORIAL_NAMED_CONF: &str = r#"//
// named.conf
//
options {
	listen-on port 53 { 127.0.0.1; };
	listen-on-v6 port 53 { ::1; };
	directory 	"/var/named";
	dump-file 	"/var/named/data/cache_dump.db";
	statistics-file "/var/named/data/named_stats.txt";
	memstatistics-file "/var/named/data/named_mem_stats.txt";
	allow-query     { localhost; };
	recursion yes;

	dnssec-enable yes;
	dnssec-validation yes;

	/* Path to ISC DLV key */
	bindkeys-file "/etc/named.iscdlv.key";

	managed-keys-directory "/var/named/dynamic";

	pid-file "/run/named/named.pid";
	session-keyfile "/run/named/session.key";
};

logging {
        channel default_debug {
                file "data/named.run";
                severity dynamic;
        };
};

zone "." IN {
	type hint;
	file "named.ca";
};

include "/etc/named.rfc1912.zones";
include "/etc/named.root.key";
"#;

/// The tutorial's named.rfc1912.zones (shared with the BIND comparison test).
const TUTORIAL_RFC1912_ZONES: &str =
    include_str!("../../../tests/fixtures/tutorial/named.rfc1912.zones");

const TUTORIAL_ROOT_KEY: &str = r#"managed-keys {
	# DNSKEY for the root zone.
	. initial-key 257 3 8 "AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF
		FVQUTf6v58fLjwBd0YI0EzrAcQqBGCzh/RStIoO8g0NfnfL2MTJRkxoX
		bfDaUeVPQuYEhg37NZWAJQ9VnMVDxP/VHL496M/QZxkjf5/Efucp2gaD
		X6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN9dlzEheX7ICJBBtuA6G3LQpz
		W5hOA2hzCTMjJPJ8LbqF6dsV6DoBQzgul0sGIcGOYl7OyQdXfZ57relS
		Qageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLKBP1dfwhYB4N7knNnulq
		QxA+Uk1ihz0=";
};
"#;

/// Reads `path` from `files` as if they were on disk.
fn read_from(
    files: &[(&str, &str)],
    path: &Path,
    base: &str,
) -> Result<NamedConf, NamedConfErrors> {
    let map: HashMap<PathBuf, String> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    let read = move |p: &Path| {
        map.get(p)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    };
    read_named_conf_with(path, Path::new(base), &read)
}

fn read_str(text: &str) -> Result<NamedConf, NamedConfErrors> {
    read_from(&[("/t/named.conf", text)], Path::new("/t/named.conf"), "/t")
}

fn tutorial() -> NamedConf {
    let files = [
        ("/etc/named.conf", TUTORIAL_NAMED_CONF),
        ("/etc/named.rfc1912.zones", TUTORIAL_RFC1912_ZONES),
        ("/etc/named.root.key", TUTORIAL_ROOT_KEY),
    ];
    read_from(&files, Path::new("/etc/named.conf"), "/").expect("tutorial named.conf reads")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn prefix(s: &str, len: u8) -> AddressMatch {
    AddressMatch {
        negated: false,
        element: MatchElement::Prefix(ip(s), len),
    }
}

#[test]
fn tutorial_options() {
    let conf = tutorial();
    let o = &conf.options;
    assert_eq!(o.directory.as_deref(), Some(Path::new("/var/named")));
    assert_eq!(
        o.listen_on,
        vec![Listen {
            port: Some(53),
            addresses: vec![prefix("127.0.0.1", 32)]
        }]
    );
    assert_eq!(
        o.listen_on_v6,
        vec![Listen {
            port: Some(53),
            addresses: vec![prefix("::1", 128)]
        }]
    );
    let localhost = AddressMatch {
        negated: false,
        element: MatchElement::Localhost,
    };
    assert_eq!(o.allow_query, Some(vec![localhost]));
    assert_eq!(o.recursion, Some(true));
    assert!(o.forwarders.is_empty());
}

#[test]
fn tutorial_warnings_name_path_and_line() {
    let conf = tutorial();
    let has = |needle: &str| conf.warnings.iter().any(|w| w.contains(needle));
    assert!(
        has("/etc/named.conf:14: option 'dnssec-enable' skipped"),
        "{:#?}",
        conf.warnings
    );
    assert!(has("/etc/named.conf:8: option 'dump-file' skipped"));
    assert!(has("/etc/named.conf:26: 'logging' statement skipped"));
    assert!(has("/etc/named.conf:33: hint zone '.' skipped"));
    assert!(has(
        "/etc/named.root.key:1: 'managed-keys' statement skipped"
    ));
    // One warning per skipped statement, not one per line inside it.
    assert_eq!(
        conf.warnings
            .iter()
            .filter(|w| w.contains("logging"))
            .count(),
        1
    );
}

#[test]
fn tutorial_zones() {
    let conf = tutorial();
    let names: Vec<&str> = conf.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(
        names,
        [
            ".",
            "localhost.localdomain",
            "localhost",
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
            "1.0.0.127.in-addr.arpa",
            "0.in-addr.arpa",
            "lihui.hadoop",
            "1.168.192.in-addr.arpa",
        ]
    );
    assert_eq!(conf.zones[0].kind, ZoneKind::Hint);
    assert_eq!(
        conf.zones[0].file.as_deref(),
        Some(Path::new("/var/named/named.ca"))
    );
    let rev = &conf.zones[7];
    assert_eq!(rev.kind, ZoneKind::Primary);
    assert_eq!(rev.class, "IN");
    assert_eq!(
        rev.file.as_deref(),
        Some(Path::new("/var/named/1.168.192.in-addr.zone"))
    );
    assert_eq!(
        rev.allow_update,
        Some(vec![AddressMatch {
            negated: false,
            element: MatchElement::None
        }])
    );
    assert_eq!(rev.location, "/etc/named.rfc1912.zones:38");
    let hadoop = &conf.zones[6];
    assert_eq!(
        hadoop.file.as_deref(),
        Some(Path::new("/var/named/lihui.hadoop.zone"))
    );
    assert!(conf.zones[1..].iter().all(|z| z.kind == ZoneKind::Primary));
}

#[test]
fn relative_include_beside_the_file_then_base_dir() {
    let files = [
        (
            "/etc/bind/named.conf",
            "include \"zones.conf\";\ninclude \"other.conf\";\n",
        ),
        (
            "/etc/bind/zones.conf",
            "zone \"a\" { type primary; file \"a.zone\"; };\n",
        ),
        (
            "/run/other.conf",
            "zone \"b\" { type primary; file \"b.zone\"; };\n",
        ),
    ];
    let conf = read_from(&files, Path::new("/etc/bind/named.conf"), "/run").expect("reads");
    let names: Vec<&str> = conf.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(conf.zones[1].location, "/run/other.conf:1");
}

#[track_caller]
fn assert_error(text: &str, expected: &str) {
    let errors = read_str(text).expect_err("must fail");
    let message = errors.to_string();
    assert!(
        message.contains(expected),
        "expected {expected:?} in:\n{message}"
    );
}

#[test]
fn syntax_errors_with_their_lines() {
    assert_error(
        "options {\n  directory \"/x\";\n",
        "/t/named.conf:2: unexpected end of file: missing '}' for the '{' on line 1",
    );
    assert_error("options {\n};\n};\n", "/t/named.conf:3: unexpected '}'");
    assert_error(
        "options {\n  directory \"/x\"\n};\n",
        "/t/named.conf:3: missing ';' before '}'",
    );
    assert_error(
        "zone \"a\" {\n type primary;\n file \"a\";\n}\nzone \"b\" { type primary; };\n",
        "/t/named.conf:5: missing ';' before 'zone'",
    );
    assert_error(
        "zone \"a\" {\n type primary\n file \"a\";\n};\n",
        "/t/named.conf:3: missing ';' before 'file'",
    );
    assert_error(
        "options {\n  directory \"/x;\n};\n",
        "/t/named.conf:2: unterminated string",
    );
    assert_error(
        "options {\n /* comment\n\n};\n",
        "/t/named.conf:2: unterminated comment",
    );
    assert_error(
        "options {\n  directory { };\n};\n",
        "/t/named.conf:2: expected a directory name, found '{'",
    );
    assert_error(
        "zone {\n type primary;\n};\n",
        "/t/named.conf:1: expected a zone name, found '{'",
    );
    assert_error(
        "options { };\nzone \"x\" {\n  file \"x\";\n};\n",
        "/t/named.conf:2: zone 'x': type not present",
    );
    assert_error(
        "options {\n  listen-on port http { any; };\n};\n",
        "/t/named.conf:2: invalid port 'http'",
    );
    assert_error(
        "include \"/nope.conf\";\n",
        "/t/named.conf:1: failed to read include file \"/nope.conf\"",
    );
}

#[test]
fn every_error_is_reported() {
    let text = "zone \"a\" { type primary; allow-update { nobody; }; };\nzone \"b\" { type primary; allow-transfer { 10.0.0.300; }; };\n";
    let errors = read_str(text).expect_err("two errors");
    assert_eq!(errors.0.len(), 2, "{errors}");
    assert!(errors
        .to_string()
        .contains("/t/named.conf:1: undefined acl 'nobody'"));
    assert!(errors
        .to_string()
        .contains("/t/named.conf:2: invalid address or prefix '10.0.0.300'"));
}

#[test]
fn comments_of_every_kind() {
    let text =
        "# hash\n// slashes\n/* block\n spanning */ options { directory \"/d\"; # trailing\n};\n";
    assert_eq!(
        read_str(text).expect("reads").options.directory.as_deref(),
        Some(Path::new("/d"))
    );
}

#[test]
fn acls_resolve_where_referenced() {
    let text = r#"
acl "internal" { 10/8; !10.9.0.0/16; key tsig1; trusted; };
acl trusted { 192.168.1.0/24; { localhost; localnets; }; };
options { allow-query { internal; !any; }; allow-recursion { trusted; }; };
zone "x" { type secondary; masters port 5300 { 192.0.2.1; 192.0.2.2 port 53 key tsig1; }; };
"#;
    let conf = read_str(text).expect("reads");
    let trusted = vec![
        prefix("192.168.1.0", 24),
        AddressMatch {
            negated: false,
            element: MatchElement::Nested {
                acl: None,
                list: vec![
                    AddressMatch {
                        negated: false,
                        element: MatchElement::Localhost,
                    },
                    AddressMatch {
                        negated: false,
                        element: MatchElement::Localnets,
                    },
                ],
            },
        },
    ];
    let internal = vec![
        prefix("10.0.0.0", 8),
        AddressMatch {
            negated: true,
            element: MatchElement::Prefix(ip("10.9.0.0"), 16),
        },
        AddressMatch {
            negated: false,
            element: MatchElement::Key("tsig1".into()),
        },
        AddressMatch {
            negated: false,
            element: MatchElement::Nested {
                acl: Some("trusted".into()),
                list: trusted.clone(),
            },
        },
    ];
    assert_eq!(conf.acls.len(), 2);
    assert_eq!(
        conf.acls[0],
        Acl {
            name: "internal".into(),
            list: internal.clone()
        }
    );
    let query = conf.options.allow_query.expect("allow-query");
    assert_eq!(
        query[0],
        AddressMatch {
            negated: false,
            element: MatchElement::Nested {
                acl: Some("internal".into()),
                list: internal
            }
        }
    );
    assert_eq!(
        query[1],
        AddressMatch {
            negated: true,
            element: MatchElement::Any
        }
    );
    assert_eq!(
        conf.options.allow_recursion.expect("allow-recursion")[0].element,
        MatchElement::Nested {
            acl: Some("trusted".into()),
            list: trusted
        }
    );
    let zone = &conf.zones[0];
    assert_eq!(zone.kind, ZoneKind::Secondary);
    assert_eq!(
        zone.primaries,
        [
            Remote {
                addr: ip("192.0.2.1"),
                port: Some(5300),
                key: None
            },
            Remote {
                addr: ip("192.0.2.2"),
                port: Some(53),
                key: Some("tsig1".into())
            },
        ]
    );
}

#[test]
fn unknown_and_looping_acls_are_errors() {
    assert_error(
        "options {\n allow-query {\n  friends;\n };\n};\n",
        "/t/named.conf:3: undefined acl 'friends'",
    );
    assert_error("acl a { b; };\nacl b { a; };\n", "includes itself");
}

#[test]
fn named_primaries_lists() {
    let text = "primaries upstream port 5353 { 192.0.2.7; };\nzone \"x\" { type slave; primaries { upstream; }; };\n";
    let conf = read_str(text).expect("reads");
    assert_eq!(
        conf.zones[0].primaries,
        [Remote {
            addr: ip("192.0.2.7"),
            port: Some(5353),
            key: None
        }]
    );
    assert_error(
        "zone \"x\" {\n type slave;\n masters { nowhere; };\n};\n",
        "/t/named.conf:3: undefined primaries list 'nowhere'",
    );
}

#[test]
fn key_statements_and_key_files() {
    // As `tsig-keygen -a hmac-sha256 transfer-key` writes it.
    let text = "key \"transfer-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0IHNlY3JldCBzZWNyZXQ=\";\n};\n";
    let conf = read_str(text).expect("reads");
    assert_eq!(
        conf.keys,
        [Key {
            name: "transfer-key".into(),
            algorithm: "hmac-sha256".into(),
            secret: "c2VjcmV0IHNlY3JldCBzZWNyZXQ=".into()
        }]
    );
    assert!(conf.warnings.is_empty());
    assert_error(
        "key \"k\" {\n algorithm hmac-sha256;\n};\n",
        "/t/named.conf:1: key 'k': missing 'secret'",
    );
}

#[test]
fn options_forwarding_and_notify() {
    let text = r#"options {
    forwarders port 5353 { 192.0.2.53; 2001:db8::53 port 53; };
    forward only;
    recursion no;
    also-notify { 192.0.2.9; };
};
zone "z" { type master; file "z"; notify explicit; also-notify { 192.0.2.10 port 5300; }; };
view "v" { zone "w" { type master; file "w"; }; };
"#;
    let conf = read_str(text).expect("reads");
    let o = &conf.options;
    assert_eq!(
        o.forwarders,
        [
            Remote {
                addr: ip("192.0.2.53"),
                port: Some(5353),
                key: None
            },
            Remote {
                addr: ip("2001:db8::53"),
                port: Some(53),
                key: None
            }
        ]
    );
    assert_eq!(o.forward, Some(ForwardMode::Only));
    assert_eq!(o.recursion, Some(false));
    assert_eq!(
        o.also_notify,
        [Remote {
            addr: ip("192.0.2.9"),
            port: None,
            key: None
        }]
    );
    assert_eq!(conf.zones.len(), 1);
    assert_eq!(conf.zones[0].notify, Some(Notify::Explicit));
    assert_eq!(conf.zones[0].file.as_deref(), Some(Path::new("z")));
    assert!(
        conf.warnings
            .iter()
            .any(|w| w.starts_with("/t/named.conf:8: 'view' skipped")),
        "{:?}",
        conf.warnings
    );
}

#[test]
fn the_one_view_that_matches_every_query_is_served_as_the_top_level() {
    let text = r#"options { directory "/var/named"; allow-transfer { none; }; recursion yes; };
view "internal" {
    match-clients { any; };
    recursion no;
    allow-transfer { 10.0.0.2; };
    zone "lihui.hadoop" { type master; file "lihui.hadoop.zone"; };
    zone "1.168.192.in-addr.arpa" { type master; file "1.168.192.zone"; };
};
view "chaos" chaos { zone "bind" chaos { type master; file "bind.zone"; }; };
"#;
    let conf = read_str(text).expect("reads");
    let names: Vec<&str> = conf.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(names, ["lihui.hadoop", "1.168.192.in-addr.arpa"]);
    assert_eq!(
        conf.zones[0].file.as_deref(),
        Some(Path::new("/var/named/lihui.hadoop.zone")),
        "the global directory applies inside the view"
    );
    assert_eq!(
        conf.options.recursion,
        Some(false),
        "the view's option wins"
    );
    assert_eq!(
        conf.options.allow_transfer,
        Some(vec![prefix("10.0.0.2", 32)])
    );
    assert!(
        conf.warnings
            .iter()
            .any(|w| w.starts_with("/t/named.conf:9: 'view' skipped")),
        "the CHAOS view is not served: {:?}",
        conf.warnings
    );
    assert!(
        !conf.warnings.iter().any(|w| w.contains(":2: 'view'")),
        "{:?}",
        conf.warnings
    );
}

#[test]
fn views_that_choose_by_client_are_skipped_with_a_warning() {
    for (text, why) in [
        (
            r#"view "inside" { match-clients { 10.0.0.0/8; }; zone "a" { type master; file "a"; }; };"#,
            "a view for some clients",
        ),
        (
            r#"view "a" { zone "a" { type master; file "a"; }; };
view "b" { zone "b" { type master; file "b"; }; };"#,
            "two views",
        ),
        (
            r#"view "a" { match-clients { !10.0.0.1; any; }; zone "a" { type master; file "a"; }; };"#,
            "a view that leaves a client out",
        ),
        (
            r#"view "a" { match-recursive-only yes; zone "a" { type master; file "a"; }; };"#,
            "a view for recursive queries only",
        ),
    ] {
        let conf = read_str(text).expect("reads");
        assert!(conf.zones.is_empty(), "{why}: {:?}", conf.zones);
        assert!(
            conf.warnings.iter().any(|w| w.contains("'view' skipped")),
            "{why}: {:?}",
            conf.warnings
        );
    }
}

#[test]
fn a_server_statements_key_signs_what_goes_to_that_server() {
    let text = r#"key "k1" { algorithm hmac-sha256; secret "c2VjcmV0"; };
key "k2" { algorithm hmac-sha256; secret "c2VjcmV0"; };
server 192.0.2.0/24 { keys { k1; }; };
server 192.0.2.7 { keys { k2; }; transfer-format many-answers; };
zone "s.test" { type slave; file "s"; masters { 192.0.2.1; 192.0.2.7; 192.0.2.9 key k2; 198.51.100.1; }; };
zone "p.test" { type master; file "p"; also-notify { 192.0.2.2 port 5300; }; };
"#;
    let conf = read_str(text).expect("reads");
    let keys =
        |rs: &[Remote]| -> Vec<Option<String>> { rs.iter().map(|r| r.key.clone()).collect() };
    assert_eq!(
        keys(&conf.zones[0].primaries),
        [
            Some("k1".to_string()),
            Some("k2".to_string()),
            Some("k2".to_string()),
            None
        ],
        "the covering server's key, the most specific first; a list's own key wins"
    );
    assert_eq!(keys(&conf.zones[1].also_notify), [Some("k1".to_string())]);
    assert!(
        conf.warnings
            .iter()
            .any(|w| w.contains("option 'transfer-format' skipped")),
        "{:?}",
        conf.warnings
    );
}

#[test]
fn keyword_values_in_any_case_or_an_error_naming_what_was_expected() {
    let conf = read_str(
        "options { minimal-responses NO-AUTH; notify Master-Only; recursion TRUE; forward First; };\n",
    )
    .expect("reads");
    let o = &conf.options;
    assert_eq!(o.minimal_responses, Some(crate::query::Minimal::NoAuth));
    assert_eq!(o.notify, Some(Notify::PrimaryOnly));
    assert_eq!(o.recursion, Some(true));
    assert_eq!(o.forward, Some(ForwardMode::First));
    assert_error(
        "options {\n  notify maybe;\n};\n",
        "/t/named.conf:2: expected a notify mode, found 'maybe'",
    );
    assert_error(
        "options { minimal-responses 2; };\n",
        "expected a minimal-responses mode, found '2'",
    );
    assert_error(
        "options { forward yes; };\n",
        "expected only or first, found 'yes'",
    );
}
