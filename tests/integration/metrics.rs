//! `/metrics` and the query log against the real binary: counters move with queries, reload
//! counters with a good and a broken edit, the serial gauge with a serial bump, the event
//! loops' gathering counters under concurrent TCP load.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::harness::{write_atomic, Server, TempDir};

/// GET /metrics (HTTP/1.1, connection closed by us after the body).
pub(crate) fn scrape(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to /metrics");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("send request");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read response");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("application/openmetrics-text"), "{out}");
    out
}

/// The value of the sample `series` (name and labels exactly as written), 0 if absent.
pub(crate) fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap_or(f64::NAN))
}

/// Waits until `f` holds on a fresh scrape, or panics with the last one.
#[track_caller]
fn wait_scrape(port: u16, what: &str, f: impl Fn(&str) -> bool) -> String {
    let t0 = Instant::now();
    loop {
        let t = scrape(port);
        if f(&t) {
            return t;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}:\n{t}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn forward(serial: u32, extra: &str) -> String {
    format!(
        "$TTL 1D\n@ IN SOA lhmaster.lihui.hadoop. root.lihui.hadoop. ( {serial} 1D 1H 1W 3H )\n\
         \tIN NS lhmaster\nlhmaster IN A 192.168.1.4\nlhslave01 IN A 192.168.1.5\n\
         lhslave02 IN A 192.168.1.6\n{extra}"
    )
}

const A_UDP: &str = r#"clusterdns_dns_requests_total{proto="udp",family="1",type="A"}"#;
const PTR_TCP: &str = r#"clusterdns_dns_requests_total{proto="tcp",family="1",type="PTR"}"#;
const NX: &str = r#"clusterdns_dns_responses_total{zone="lihui.hadoop.",rcode="NXDOMAIN"}"#;
const OK_FWD: &str = r#"clusterdns_dns_responses_total{zone="lihui.hadoop.",rcode="NOERROR"}"#;
const REFUSED: &str = r#"clusterdns_dns_responses_total{zone=".",rcode="REFUSED"}"#;
const SERIAL: &str = r#"clusterdns_zone_serial{zone="lihui.hadoop."}"#;
const RECORDS: &str = r#"clusterdns_zone_records{zone="lihui.hadoop."}"#;
const GOOD: &str = r#"clusterdns_reloads_total{result="success"}"#;
const BAD: &str = r#"clusterdns_reloads_total{result="failure"}"#;
const LAST_ERR: &str = "clusterdns_reload_last_error_timestamp_seconds";

#[test]
fn metrics_follow_queries_and_reloads() {
    let z = TempDir::with_example_zones("metrics");
    let s = Server::start(z.path(), &["--metrics", "127.0.0.1:0", "--query-log"]);
    let mport = metrics_port(&s);

    let t0 = scrape(mport);
    assert!(t0.contains(r#"clusterdns_build_info{version=""#), "{t0}");
    assert_eq!(value(&t0, SERIAL), 2024010101.0);
    assert_eq!(value(&t0, RECORDS), 5.0);
    let (a0, nx0, ok0) = (value(&t0, A_UDP), value(&t0, NX), value(&t0, OK_FWD));

    for _ in 0..3 {
        let d = s.dig(&["lhslave01.lihui.hadoop", "A"]);
        assert_eq!(d.status, "NOERROR", "{}", d.raw);
    }
    assert_eq!(s.dig(&["nope.lihui.hadoop", "A"]).status, "NXDOMAIN");
    assert_eq!(s.dig(&["example.com", "A"]).status, "REFUSED");
    assert_eq!(s.dig(&["+tcp", "-x", "192.168.1.5"]).status, "NOERROR");
    let t1 = wait_scrape(mport, "the query counters", |t| {
        value(t, A_UDP) == a0 + 5.0 && value(t, PTR_TCP) == 1.0
    });
    assert_eq!(value(&t1, NX), nx0 + 1.0, "{t1}");
    assert_eq!(value(&t1, OK_FWD), ok0 + 3.0, "{t1}");
    assert_eq!(value(&t1, REFUSED), 1.0, "{t1}");
    assert!(
        value(
            &t1,
            r#"clusterdns_dns_request_duration_seconds_count{proto="udp"}"#
        ) >= 5.0,
        "{t1}"
    );
    assert!(
        value(
            &t1,
            r#"clusterdns_dns_response_size_bytes_count{proto="tcp"}"#
        ) >= 1.0,
        "{t1}"
    );
    dashboard_names_exist(&t1);
    s.wait_log(
        "lhslave01.lihui.hadoop. A NOERROR qr,aa,rd",
        Duration::from_secs(5),
    );
    s.wait_log("nope.lihui.hadoop. A NXDOMAIN", Duration::from_secs(5));

    // A good edit with a serial bump.
    let (good0, bad0) = (value(&t1, GOOD), value(&t1, BAD));
    let zone = z.path().join("lihui.hadoop.zone");
    write_atomic(&zone, &forward(2024010102, "lhslave03 IN A 192.168.1.7\n"));
    let t2 = wait_scrape(mport, "the serial gauge to move", |t| {
        value(t, SERIAL) == 2024010102.0
    });
    assert_eq!(value(&t2, GOOD), good0 + 1.0, "{t2}");
    assert_eq!(value(&t2, RECORDS), 6.0, "{t2}");
    assert_eq!(value(&t2, LAST_ERR), 0.0, "{t2}");

    // A broken edit: counted as a failure; the last good serial keeps serving.
    write_atomic(&zone, &forward(2024010103, "broken IN A not-an-address\n"));
    let t3 = wait_scrape(mport, "the failure counter", |t| {
        value(t, BAD) == bad0 + 1.0
    });
    assert_eq!(value(&t3, SERIAL), 2024010102.0, "{t3}");
    assert!(value(&t3, LAST_ERR) > 1.7e9, "{t3}");
    assert_eq!(value(&t3, GOOD), good0 + 1.0, "{t3}");
}

/// Every metric the Grafana dashboard queries is one the server exports.
fn dashboard_names_exist(scrape: &str) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/grafana/clusterdns.json");
    let text = std::fs::read_to_string(path).expect("read the dashboard");
    let dash: serde_json::Value = serde_json::from_str(&text).expect("dashboard is JSON");
    assert_eq!(dash["uid"], "clusterdns");
    let mut seen = 0;
    for part in text.split("clusterdns_").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        let name = format!("clusterdns_{name}");
        assert!(
            scrape.lines().any(|l| l.starts_with(&name)),
            "the dashboard queries {name}, which /metrics does not export"
        );
        seen += 1;
    }
    assert!(seen >= 8, "{seen}");
}

const GATHER: &str = "clusterdns_tcp_coalesce_sleeps_total";
const GATHER_S: &str = "clusterdns_tcp_coalesce_seconds_total";

/// Eight connections at once, each asking 20 questions in turn.
fn concurrent_tcp_load(port: u16) {
    let clients: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let q = crate::harness::query_packet(
                    7,
                    crate::harness::RD,
                    &crate::harness::wire_name("lhmaster.lihui.hadoop"),
                    1,
                    None,
                );
                let mut framed = (q.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&q);
                let mut t = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                t.set_read_timeout(Some(Duration::from_secs(5)))
                    .expect("timeout");
                for _ in 0..20 {
                    t.write_all(&framed).expect("write");
                    let mut len = [0u8; 2];
                    t.read_exact(&mut len).expect("length");
                    let mut r = vec![0u8; u16::from_be_bytes(len) as usize];
                    t.read_exact(&mut r).expect("answer");
                    assert_eq!(&r[..2], &[0, 7], "the answer to our query");
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client");
    }
}

/// The `/metrics` port a server logged.
pub(crate) fn metrics_port(s: &Server) -> u16 {
    s.logged_port("metrics on http://127.0.0.1:")
}

/// The event loops' gathering is counted (sleeps and time) under concurrent TCP load, and
/// never with `--tcp-coalesce-us 0`.
#[test]
fn gathering_is_counted_and_off_means_never() {
    let z = TempDir::with_example_zones("metrics-gather");
    let on = Server::start(z.path(), &["--metrics", "127.0.0.1:0"]);
    let mport = metrics_port(&on);
    assert!(
        scrape(mport).contains(GATHER),
        "the counter is there from the start"
    );
    // Whether a batch finds two connections ready is up to the scheduler: load until it did.
    let t0 = Instant::now();
    let t = loop {
        concurrent_tcp_load(on.port);
        let t = scrape(mport);
        if value(&t, GATHER) > 0.0 {
            break t;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no gathering under load:\n{t}"
        );
    };
    let secs = value(&t, GATHER_S);
    assert!(
        secs > 0.0 && secs <= value(&t, GATHER) * 0.001 + 1e-9,
        "{t}"
    );

    let off = Server::start(
        z.path(),
        &["--metrics", "127.0.0.1:0", "--tcp-coalesce-us", "0"],
    );
    let mport = metrics_port(&off);
    for _ in 0..5 {
        concurrent_tcp_load(off.port);
    }
    let t = scrape(mport);
    assert!(
        value(
            &t,
            r#"clusterdns_dns_requests_total{proto="tcp",family="1",type="A"}"#
        ) >= 800.0,
        "{t}"
    );
    assert_eq!(value(&t, GATHER), 0.0, "{t}");
}
