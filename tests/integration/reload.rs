//! Integration tests of live reload: edits to the zone directory (in place, renamed over the
//! original, broken, added, removed, renamed away, included), SIGHUP, `--no-watch`,
//! `--poll-interval`, serial warnings and `--auto-serial`, against the real binary.
//!
//! Timeouts are generous (a loaded CI machine); latency is measured by
//! `contrib/bench/reload_bench.py`, not here.

use crate::harness::*;
use clusterdns::dns::serial::{next_serial, today_base};

use std::io::Write;
use std::net::UdpSocket;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a change may take to be served before a test fails.
const CHANGE: Duration = Duration::from_secs(5);

const SERIAL: &str = "2024010101";

/// The forward zone of the example cluster, with `extra` records appended and the given serial.
fn forward(serial: &str, extra: &str) -> String {
    format!(
        "$TTL 1D\n\
         @\tIN SOA\tlhmaster.lihui.hadoop. root.lihui.hadoop. ( {serial} 1D 1H 1W 3H )\n\
         \tIN\tNS\tlhmaster\n\
         lhmaster\tIN\tA\t192.168.1.4\n\
         lhslave01\tIN\tA\t192.168.1.5\n\
         lhslave02\tIN\tA\t192.168.1.6\n\
         {extra}"
    )
}

/// Appends to a file in place (as `echo >> file` does).
fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

fn a(s: &Server, name: &str) -> Vec<String> {
    s.dig(&[name, "A"]).answer_rdata()
}

/// The SOA serial served for `zone`.
fn served_serial(s: &Server, zone: &str) -> u32 {
    let d = s.dig(&[zone, "SOA"]);
    d.answer_rdata()
        .first()
        .and_then(|r| r.split_whitespace().nth(2).map(str::to_string))
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no SOA serial for {zone}:\n{}", d.raw))
}

/// Starts the server and waits until live reload is set up (the SIGHUP handler is installed
/// before this line is logged).
fn start(dir: &Path, extra: &[&str]) -> Server {
    let s = Server::start(dir, extra);
    let ready = if extra.contains(&"--no-watch") {
        "not watching"
    } else if extra.contains(&"--poll-interval") {
        "polling"
    } else {
        "watching"
    };
    s.wait_log(ready, CHANGE);
    s
}

// ------------------------------------------------------------------------------------------
// A UDP client with hand-built packets, for the background query thread.

/// What the query thread saw.
#[derive(Debug, Default)]
struct Seen {
    queries: usize,
    /// Answers that were not NOERROR with at least one record, with their rcode.
    bad: Vec<(String, u8, u16)>,
    timeouts: usize,
}

/// Queries `names` (with their types) round-robin until `stop` (or 3 s, or 2000 queries), checking that every
/// answer is NOERROR with records.
fn hammer(port: u16, names: Vec<(&'static str, u16)>, stop: Arc<AtomicBool>) -> Seen {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    let mut seen = Seen::default();
    let t0 = Instant::now();
    let mut buf = [0u8; 1500];
    let mut id: u16 = 1;
    while !stop.load(Ordering::Relaxed)
        && t0.elapsed() < Duration::from_secs(3)
        && seen.queries < 2000
    {
        let (name, qtype) = names[seen.queries % names.len()];
        id = id.wrapping_add(1);
        seen.queries += 1;
        if sock
            .send(&query_packet(id, 0, &wire_name(name), qtype, None))
            .is_err()
        {
            seen.timeouts += 1;
            continue;
        }
        let n = loop {
            match sock.recv(&mut buf) {
                Ok(n) if n >= 12 && buf[..2] == id.to_be_bytes() => break Some(n),
                Ok(_) => continue, // a late answer to an earlier query
                Err(_) => break None,
            }
        };
        let Some(_) = n else {
            seen.timeouts += 1;
            continue;
        };
        let rcode = buf[3] & 0x0f;
        let ancount = u16::from_be_bytes([buf[6], buf[7]]);
        if rcode != 0 || ancount == 0 {
            seen.bad.push((name.to_string(), rcode, ancount));
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    seen
}

// ------------------------------------------------------------------------------------------

#[test]
fn appended_node_and_ptr_are_served_without_restart() {
    let dir = TempDir::with_example_zones("reload-append");
    let s = start(dir.path(), &[]);
    assert_eq!(a(&s, "lhslave03.lihui.hadoop"), Vec::<String>::new());
    append(
        &dir.path().join("lihui.hadoop.zone"),
        "lhslave03\tIN\tA\t192.168.1.7\n",
    );
    append(
        &dir.path().join("1.168.192.in-addr.arpa.zone"),
        "7\tIN\tPTR\tlhslave03.lihui.hadoop.\n",
    );
    wait_until("appended A record", &s, || {
        a(&s, "lhslave03.lihui.hadoop") == ["192.168.1.7"]
    });
    wait_until("appended PTR record", &s, || {
        s.dig(&["-x", "192.168.1.7"]).answer_rdata() == ["lhslave03.lihui.hadoop."]
    });
    // The old names are still there.
    assert_eq!(a(&s, "lhslave01.lihui.hadoop"), ["192.168.1.5"]);
    // Appending without bumping the serial is served, with a warning naming zone and serials.
    s.wait_log(
        &format!("zone lihui.hadoop.: content changed but the SOA serial did not increase ({SERIAL} -> {SERIAL})"),
        CHANGE,
    );
}

#[test]
fn rename_over_is_served_without_a_gap() {
    let dir = TempDir::with_example_zones("reload-rename");
    let zone = dir.path().join("lihui.hadoop.zone");
    let s = start(dir.path(), &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let port = s.port;
    let bg = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            hammer(
                port,
                vec![
                    ("lhmaster.lihui.hadoop", 1),
                    ("lhslave01.lihui.hadoop", 1),
                    ("5.1.168.192.in-addr.arpa", 12),
                ],
                stop,
            )
        })
    };
    let mut extra = String::new();
    for i in 0..8u32 {
        extra.push_str(&format!("new{i}\tIN\tA\t10.0.0.{i}\n"));
        let serial = format!("{}", 2024010102 + i);
        write_atomic(&zone, &forward(&serial, &extra));
        let name = format!("new{i}.lihui.hadoop");
        wait_until("renamed-over version", &s, || {
            a(&s, &name) == [format!("10.0.0.{i}")]
        });
    }
    // Written twice in a burst, the way some editors save: the last version wins.
    write_atomic(&zone, &forward("2024020101", "burst\tIN\tA\t10.0.1.1\n"));
    write_atomic(&zone, &forward("2024020102", "burst\tIN\tA\t10.0.1.2\n"));
    wait_until("last write of a burst", &s, || {
        a(&s, "burst.lihui.hadoop") == ["10.0.1.2"]
    });
    stop.store(true, Ordering::Relaxed);
    let seen = bg.join().expect("query thread");
    assert!(seen.queries > 50, "too few queries: {seen:?}");
    assert!(
        seen.bad.is_empty() && seen.timeouts == 0,
        "queries for existing names failed during reloads: {seen:?}\n{}",
        s.log()
    );
    // One line per reload, with serials, records and time.
    let log = s.log();
    let line = log
        .lines()
        .find(|l| l.contains("reload (change): 1 zone(s) changed: lihui.hadoop. serial 2024010101 -> 2024010102, 6 records; serving 2 zone(s), 11 records;"))
        .unwrap_or_else(|| panic!("no reload line:\n{log}"));
    assert!(line.trim_end().ends_with(" ms"), "{line}");
}

#[test]
fn broken_edit_keeps_the_last_good_version() {
    let dir = TempDir::with_example_zones("reload-broken");
    let zone = dir.path().join("lihui.hadoop.zone");
    let s = start(dir.path(), &[]);
    // A syntax error on line 7 (the type is misspelt).
    write_atomic(
        &zone,
        &forward("2024010102", "broken\tIN\tAAAAA\t10.0.0.1\n"),
    );
    let at = format!("{}:7:", zone.display());
    s.wait_log(&at, CHANGE);
    assert!(
        s.log()
            .lines()
            .any(|l| l.contains("ERROR") && l.contains(&at)),
        "{}",
        s.log()
    );
    s.wait_log(
        "lihui.hadoop. rejected, still serving serial 2024010101",
        CHANGE,
    );
    assert_eq!(a(&s, "lhslave01.lihui.hadoop"), ["192.168.1.5"]);
    assert_eq!(served_serial(&s, "lihui.hadoop"), 2024010101);

    // A file without its SOA: rejected too.
    let before = s.log().matches("rejected, still serving").count();
    write_atomic(
        &zone,
        "$TTL 1D\n@ IN NS lhmaster\nlhmaster IN A 192.168.1.4\n",
    );
    wait_until("rejection of a zone without SOA", &s, || {
        s.log().matches("rejected, still serving").count() > before
    });
    assert_eq!(a(&s, "lhslave02.lihui.hadoop"), ["192.168.1.6"]);

    // Half a file, cut in the middle of the SOA record.
    let full = forward("2024010103", "half\tIN\tA\t10.0.0.2\n");
    let before = s.log().matches("rejected, still serving").count();
    write_atomic(&zone, &full[..full.find("1W").unwrap_or(40)]);
    wait_until("rejection of a half-written file", &s, || {
        s.log().matches("rejected, still serving").count() > before
    });
    assert_eq!(a(&s, "lhmaster.lihui.hadoop"), ["192.168.1.4"]);
    assert_eq!(served_serial(&s, "lihui.hadoop"), 2024010101);

    // Fixed: the new version is served.
    write_atomic(&zone, &full);
    wait_until("fixed version", &s, || {
        a(&s, "half.lihui.hadoop") == ["10.0.0.2"]
    });
    assert_eq!(served_serial(&s, "lihui.hadoop"), 2024010103);
}

#[test]
fn zones_come_and_go_with_their_files() {
    let dir = TempDir::with_example_zones("reload-addremove");
    let s = start(dir.path(), &[]);
    let new = dir.path().join("rack2.hadoop.zone");
    assert_eq!(s.dig(&["n1.rack2.hadoop", "A"]).status, "REFUSED");
    write_atomic(
        &new,
        "$TTL 300\n@ IN SOA ns.rack2.hadoop. root.rack2.hadoop. 1 1D 1H 1W 3H\n@ IN NS ns\nns IN A 10.2.0.1\nn1 IN A 10.2.0.11\n",
    );
    wait_until("new zone", &s, || a(&s, "n1.rack2.hadoop") == ["10.2.0.11"]);
    s.wait_log("rack2.hadoop. added, serial 1, 4 records", CHANGE);

    std::fs::remove_file(&new).expect("remove");
    wait_until("removed zone", &s, || {
        s.dig(&["n1.rack2.hadoop", "A"]).status == "REFUSED"
    });
    s.wait_log("rack2.hadoop. removed", CHANGE);

    // Renamed away from *.zone: withdrawn too; and back: served again.
    let fwd = dir.path().join("lihui.hadoop.zone");
    let bak = dir.path().join("lihui.hadoop.zone.bak");
    std::fs::rename(&fwd, &bak).expect("rename away");
    wait_until("zone renamed away", &s, || {
        s.dig(&["lhmaster.lihui.hadoop", "A"]).status == "REFUSED"
    });
    assert_eq!(s.dig(&["-x", "192.168.1.4"]).status, "NOERROR");
    std::fs::rename(&bak, &fwd).expect("rename back");
    wait_until("zone renamed back", &s, || {
        a(&s, "lhmaster.lihui.hadoop") == ["192.168.1.4"]
    });

    // A zone that was never good is not served (and the others are).
    let bad = dir.path().join("bad.hadoop.zone");
    write_atomic(&bad, "$TTL 300\n@ IN NS ns\nns IN A 10.3.0.1\n");
    s.wait_log("bad.hadoop. rejected, not served", CHANGE);
    assert_eq!(s.dig(&["ns.bad.hadoop", "A"]).status, "REFUSED");
    assert_eq!(a(&s, "lhslave01.lihui.hadoop"), ["192.168.1.5"]);
}

#[test]
fn included_files_outside_the_directory_are_watched() {
    let dir = TempDir::new("reload-include-zones");
    let inc = TempDir::new("reload-include-nodes");
    let nodes = inc.path().join("nodes.inc");
    std::fs::write(&nodes, "n1 IN A 10.5.0.1\n").expect("write include");
    std::fs::write(
        dir.path().join("inc.hadoop.zone"),
        format!(
            "$TTL 300\n@ IN SOA ns root 1 1D 1H 1W 3H\n@ IN NS ns\nns IN A 10.5.0.254\n$INCLUDE {}\n",
            nodes.display()
        ),
    )
    .expect("write zone");
    let s = start(dir.path(), &[]);
    assert_eq!(a(&s, "n1.inc.hadoop"), ["10.5.0.1"]);
    s.wait_log("for included files", CHANGE);
    write_atomic(&nodes, "n1 IN A 10.5.0.1\nn2 IN A 10.5.0.2\n");
    wait_until("edited include", &s, || {
        a(&s, "n2.inc.hadoop") == ["10.5.0.2"]
    });
    // Broken include: kept; fixed include: served.
    write_atomic(&nodes, "n1 IN A 10.5.0.1\nn3 IN A 10.5.0\n");
    s.wait_log(&format!("{}:2:", nodes.display()), CHANGE);
    assert_eq!(a(&s, "n2.inc.hadoop"), ["10.5.0.2"]);
    write_atomic(&nodes, "n1 IN A 10.5.0.1\nn3 IN A 10.5.0.3\n");
    wait_until("fixed include", &s, || {
        a(&s, "n3.inc.hadoop") == ["10.5.0.3"]
    });
}

#[test]
fn no_watch_reloads_only_on_sighup() {
    let dir = TempDir::with_example_zones("reload-nowatch");
    let zone = dir.path().join("lihui.hadoop.zone");
    let s = start(dir.path(), &["--no-watch"]);
    write_atomic(&zone, &forward("2024010102", "quiet\tIN\tA\t10.0.0.9\n"));
    hold_for("unwatched edit", &s, Duration::from_millis(700), || {
        s.dig(&["quiet.lihui.hadoop", "A"]).status == "NXDOMAIN"
    });
    unsafe_kill(s.pid(), 1);
    wait_until("SIGHUP reload", &s, || {
        a(&s, "quiet.lihui.hadoop") == ["10.0.0.9"]
    });
    s.wait_log("reload (SIGHUP): 1 zone(s) changed", CHANGE);
    // A second SIGHUP re-reads every file even though nothing changed, and says so.
    unsafe_kill(s.pid(), 1);
    s.wait_log("reload (SIGHUP): reread 2 zone file(s)", CHANGE);
    assert_eq!(a(&s, "quiet.lihui.hadoop"), ["10.0.0.9"]);
}

#[test]
fn sighup_rescans_a_watched_directory() {
    let dir = TempDir::with_example_zones("reload-hup");
    let s = start(dir.path(), &[]);
    unsafe_kill(s.pid(), 1);
    s.wait_log("reload (SIGHUP): reread 2 zone file(s)", CHANGE);
    assert_eq!(a(&s, "lhslave01.lihui.hadoop"), ["192.168.1.5"]);
}

#[test]
fn poll_interval_notices_changes() {
    let dir = TempDir::with_example_zones("reload-poll");
    let zone = dir.path().join("lihui.hadoop.zone");
    let s = start(dir.path(), &["--poll-interval", "0.2"]);
    write_atomic(&zone, &forward("2024010102", "polled\tIN\tA\t10.0.0.8\n"));
    wait_until("polled change", &s, || {
        a(&s, "polled.lihui.hadoop") == ["10.0.0.8"]
    });
    s.wait_log("reload (poll): 1 zone(s) changed", CHANGE);
    // In place, same size: still noticed.
    let text = std::fs::read_to_string(&zone).expect("read");
    std::fs::write(&zone, text.replace("10.0.0.8", "10.0.0.7")).expect("write");
    wait_until("same-size change", &s, || {
        a(&s, "polled.lihui.hadoop") == ["10.0.0.7"]
    });
}

#[test]
fn auto_serial_bumps_the_served_serial() {
    auto_serial_bumps_from(today_base);
}

/// The date-based serials `--auto-serial` may serve after `old`: the server reads the clock
/// itself, so `today` is sampled before and after the change (the date may turn meanwhile).
fn bumps_after(old: u32, today: fn() -> u32, change: impl FnOnce()) -> [u32; 2] {
    let before = next_serial(old, today());
    change();
    [before, next_serial(old, today())]
}

fn auto_serial_bumps_from(today: fn() -> u32) {
    let dir = TempDir::with_example_zones("reload-autoserial");
    let zone = dir.path().join("lihui.hadoop.zone");
    let s = start(dir.path(), &["--auto-serial"]);
    assert_eq!(served_serial(&s, "lihui.hadoop"), 2024010101);
    // Content changed, serial not: bumped to a date-based serial.
    let may = bumps_after(2024010101, today, || {
        write_atomic(&zone, &forward(SERIAL, "auto1\tIN\tA\t10.0.0.1\n"));
        wait_until("first edit", &s, || {
            a(&s, "auto1.lihui.hadoop") == ["10.0.0.1"]
        });
    });
    let first = served_serial(&s, "lihui.hadoop");
    assert!(first > 2024010101 && first.is_multiple_of(100), "{first}");
    assert!(may.contains(&first), "{first} not in {may:?}");
    // Changed again, still the same serial in the file: bumped again.
    let may = bumps_after(first, today, || {
        write_atomic(
            &zone,
            &forward(SERIAL, "auto1\tIN\tA\t10.0.0.1\nauto2\tIN\tA\t10.0.0.2\n"),
        );
        wait_until("second edit", &s, || {
            a(&s, "auto2.lihui.hadoop") == ["10.0.0.2"]
        });
    });
    let second = served_serial(&s, "lihui.hadoop");
    assert!(may.contains(&second), "{second} not in {may:?}");
    // Saved again unchanged (and rescanned): not bumped.
    write_atomic(
        &zone,
        &forward(SERIAL, "auto1\tIN\tA\t10.0.0.1\nauto2\tIN\tA\t10.0.0.2\n"),
    );
    unsafe_kill(s.pid(), 1);
    s.wait_log("reload (SIGHUP): reread 2 zone file(s)", CHANGE);
    assert_eq!(served_serial(&s, "lihui.hadoop"), second);
    // Negative answers carry the bumped serial too.
    let nx = s.dig(&["nosuch.lihui.hadoop", "A"]);
    assert!(
        nx.authority.iter().any(|l| l.contains(&second.to_string())),
        "{}",
        nx.raw
    );
    assert!(!s.log().contains("did not increase ("), "{}", s.log());
}

/// Polls `f` until it returns true, for at most `CHANGE`.
#[track_caller]
fn wait_until(what: &str, s: &Server, f: impl FnMut() -> bool) {
    wait_within(what, s, CHANGE, f)
}
