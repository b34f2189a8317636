//! Integration tests of the zone-source side of issue 10 (faults a clumsy operator or a hostile
//! file causes), one per defect, against the real binary: a rescan failing for lack of file
//! descriptors is retried (2), a file still open for writing is never served half-written (3),
//! a replaced zone directory keeps live reload (4), two files for one zone are an error (5),
//! SIGTERM during a large read exits at once (7), a zone over a limit keeps its last good
//! version (8), a vanished file is withdrawn only after a grace period (9).

use crate::harness::*;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a change may take to be served before a test fails.
const CHANGE: Duration = Duration::from_secs(8);

/// A zone `t.test.` with serial `serial` and hosts `h{i}` -> 10.0.{i/256}.{i%256} for `hosts`.
fn zone(serial: u32, hosts: std::ops::Range<u32>) -> String {
    let mut z = format!(
        "$TTL 1h\n@ IN SOA ns root ( {serial} 1h 1h 1w 1h )\n@ IN NS ns\nns IN A 10.0.0.250\n"
    );
    z.push_str(&records(hosts));
    z
}

fn records(hosts: std::ops::Range<u32>) -> String {
    hosts
        .map(|i| format!("h{i} IN A 10.0.{}.{}\n", i / 256, i % 256))
        .collect()
}

fn addr(i: u32) -> String {
    format!("10.0.{}.{}", i / 256, i % 256)
}

fn a(s: &Server, name: &str) -> Vec<String> {
    s.dig(&[name, "A"]).answer_rdata()
}

fn start(dir: &Path, extra: &[&str]) -> Server {
    let s = Server::start(dir, extra);
    s.wait_log("watching", CHANGE);
    s
}

/// Defect 3: a writer that keeps the file open (a slow `cat > file`, `scp`) never gets the
/// prefix it wrote so far served; once it closes the file the whole new content is.
#[test]
fn half_written_zone_file_is_served_only_once_closed() {
    let dir = TempDir::new("hostile-half");
    let path = dir.path().join("t.test.zone");
    std::fs::write(&path, zone(1, 0..50)).expect("write");
    let s = start(dir.path(), &[]);
    assert_eq!(a(&s, "h49.t.test"), [addr(49)]);
    let mut f = std::fs::File::create(&path).expect("truncate");
    // A prefix that parses: serial 2 and the first ten hosts only.
    f.write_all(zone(2, 0..10).as_bytes()).expect("write");
    f.flush().expect("flush");
    hold_for(
        "the old version while a writer has the file open",
        &s,
        Duration::from_millis(2500),
        || a(&s, "h49.t.test") == [addr(49)],
    );
    f.write_all(records(10..60).as_bytes()).expect("write");
    drop(f);
    wait_until("the whole new content once closed", &s, || {
        a(&s, "h59.t.test") == [addr(59)]
    });
    assert_eq!(a(&s, "h49.t.test"), [addr(49)]);
}

/// Defect 4: the zone directory deleted and re-created, then swapped by rename: live reload
/// goes on, with a log line.
#[test]
fn replaced_zone_directory_keeps_live_reload() {
    let base = TempDir::new("hostile-dirswap");
    let zdir = base.path().join("zones");
    std::fs::create_dir(&zdir).expect("dir");
    std::fs::write(zdir.join("t.test.zone"), zone(1, 0..2)).expect("write");
    let s = start(&zdir, &[]);
    assert_eq!(a(&s, "h1.t.test"), [addr(1)]);
    // Deleted and re-created.
    std::fs::remove_dir_all(&zdir).expect("rm");
    std::fs::create_dir(&zdir).expect("re-create");
    std::fs::write(zdir.join("t.test.zone"), zone(2, 0..3)).expect("write");
    s.wait_log("was replaced", CHANGE);
    wait_until("the re-created directory's zone", &s, || {
        a(&s, "h2.t.test") == [addr(2)]
    });
    write_atomic(&zdir.join("t.test.zone"), &zone(3, 0..4));
    wait_until("an edit in the re-created directory", &s, || {
        a(&s, "h3.t.test") == [addr(3)]
    });
    // Swapped by rename, as Kubernetes swaps ConfigMap directories.
    let new = base.path().join("zones.new");
    std::fs::create_dir(&new).expect("dir");
    std::fs::write(new.join("t.test.zone"), zone(4, 0..5)).expect("write");
    std::fs::rename(&zdir, base.path().join("zones.old")).expect("move away");
    std::fs::rename(&new, &zdir).expect("swap in");
    wait_until("the swapped-in directory's zone", &s, || {
        a(&s, "h4.t.test") == [addr(4)]
    });
    write_atomic(&zdir.join("t.test.zone"), &zone(5, 0..6));
    wait_until("an edit in the swapped-in directory", &s, || {
        a(&s, "h5.t.test") == [addr(5)]
    });
}

/// Defect 5: a stray `T.test.zone` or `t.test..zone` next to `t.test.zone` is an error that
/// names both files; the zone keeps the version served until the stray is gone.
#[test]
fn two_files_for_one_zone_are_an_error_naming_both() {
    let dir = TempDir::new("hostile-twofiles");
    let real = dir.path().join("t.test.zone");
    std::fs::write(&real, zone(1, 0..2)).expect("write");
    let s = start(dir.path(), &[]);
    let mut serial = 1;
    for stray_name in ["T.test.zone", "t.test..zone"] {
        let stray = dir.path().join(stray_name);
        std::fs::write(&stray, zone(90, 100..101)).expect("write stray");
        s.wait_log(
            &format!("{} and {}", stray.display(), real.display()).replace(
                &format!("{} and {}", stray.display(), real.display()),
                &{
                    let mut names = [stray.display().to_string(), real.display().to_string()];
                    names.sort();
                    format!("{} and {}", names[0], names[1])
                },
            ),
            CHANGE,
        );
        serial += 1;
        write_atomic(&real, &zone(serial, 0..serial + 1));
        let last = serial;
        hold_for(
            "the version served while two files define the zone",
            &s,
            Duration::from_millis(1000),
            || a(&s, &format!("h{last}.t.test")).is_empty() && a(&s, "h100.t.test").is_empty(),
        );
        std::fs::remove_file(&stray).expect("rm stray");
        wait_until("the real file's edit once the stray is gone", &s, || {
            a(&s, &format!("h{last}.t.test")) == [addr(last)]
        });
    }
}

/// Defect 9: a file that disappears (vim's backup mode, `rm` + `cp`) keeps its zone served for
/// the grace period; if it comes back the new content is served; gone for good, withdrawn.
#[test]
fn vanished_zone_file_is_withdrawn_only_after_the_grace() {
    let dir = TempDir::new("hostile-grace");
    let path = dir.path().join("t.test.zone");
    std::fs::write(&path, zone(1, 0..2)).expect("write");
    let s = start(dir.path(), &[]);
    std::fs::rename(&path, dir.path().join("t.test.zone~")).expect("rename away");
    hold_for(
        "the zone during the grace",
        &s,
        Duration::from_millis(1200),
        || a(&s, "h1.t.test") == [addr(1)],
    );
    std::fs::write(&path, zone(2, 0..3)).expect("write back");
    wait_until("the new content of the file that came back", &s, || {
        a(&s, "h2.t.test") == [addr(2)]
    });
    let t0 = Instant::now();
    std::fs::remove_file(&path).expect("rm");
    wait_until("the zone withdrawn after the grace", &s, || {
        s.dig(&["h1.t.test", "A"]).status == "REFUSED"
    });
    assert!(
        t0.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        t0.elapsed()
    );
}

/// Defect 2: a rescan that fails for lack of file descriptors keeps the edit it was for and is
/// retried, so the edit is served once descriptors are back without another event.
#[test]
fn rescan_failing_for_lack_of_fds_is_retried() {
    let dir = TempDir::new("hostile-fds");
    let path = dir.path().join("t.test.zone");
    std::fs::write(&path, zone(1, 0..2)).expect("write");
    let s = start(dir.path(), &[]);
    // The TCP loops are up once one answers (they start after the UDP workers; a limit
    // lowered before then would stop the start, not the rescan this test is about).
    assert_eq!(s.dig(&["+tcp", "h1.t.test", "A"]).answer_rdata(), [addr(1)]);
    let pid = s.pid().to_string();
    let prlimit = |soft: &str| crate::harness::set_nofile(s.pid(), soft);
    let before = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &pid,
            "--nofile",
            "--raw",
            "--noheadings",
            "--output",
            "SOFT",
        ])
        .output()
        .expect("prlimit");
    let before = String::from_utf8_lossy(&before.stdout).trim().to_string();
    assert!(before.parse::<u64>().is_ok(), "soft limit {before:?}");
    // No new descriptor can be opened (0, 1 and 2 are taken).
    prlimit("3");
    write_atomic(&path, &zone(2, 0..3));
    s.wait_log("failed to rescan", CHANGE);
    prlimit(&before);
    wait_until("the edit, retried once descriptors are back", &s, || {
        a(&s, "h2.t.test") == [addr(2)]
    });
}

/// Defect 7: SIGTERM while a large zone is being read: the read is cancelled and the process
/// exits within a second.
#[test]
fn sigterm_during_a_large_zone_read_exits_within_a_second() {
    let dir = TempDir::new("hostile-sigterm");
    std::fs::write(dir.path().join("t.test.zone"), zone(1, 0..2)).expect("write");
    let s = start(dir.path(), &[]);
    let big = "$TTL 1h\n@ IN SOA ns root ( 1 1h 1h 1w 1h )\n@ IN NS ns\nns IN A 10.0.0.250\n$GENERATE 1-1000000 h$ A 10.0.0.1\n";
    write_atomic(&dir.path().join("big.test.zone"), big);
    // Let the reload start reading it.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        s.dig(&["big.test", "SOA"]).status,
        "REFUSED",
        "read already done:\n{}",
        s.log()
    );
    let t0 = Instant::now();
    let log = s.log.clone();
    let status = s.stop();
    let took = t0.elapsed();
    assert!(status.success(), "{status:?}");
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(took < Duration::from_secs(1), "exit took {took:?}:\n{log}");
}

/// Defect 8: an edit that takes a zone over a limit is rejected with `path:line` and the last
/// good version stays served.
#[test]
fn zone_over_a_limit_keeps_its_last_good_version() {
    let dir = TempDir::new("hostile-limit");
    let path = dir.path().join("t.test.zone");
    std::fs::write(&path, zone(1, 0..10)).expect("write");
    let s = start(
        dir.path(),
        &["--max-zone-records", "20", "--max-generate-records", "50"],
    );
    write_atomic(&path, &zone(2, 0..30));
    s.wait_log(
        &format!(
            "{}:22: more than 20 records in the zone; zone rejected",
            path.display()
        ),
        CHANGE,
    );
    write_atomic(
        &path,
        &format!("{}$GENERATE 1-60 g$ A 10.0.1.1\n", zone(3, 0..2)),
    );
    s.wait_log(
        &format!(
            "{}:7: $GENERATE: the zone's $GENERATE lines make more than 50 records",
            path.display()
        ),
        CHANGE,
    );
    assert_eq!(a(&s, "h9.t.test"), [addr(9)]);
    assert!(a(&s, "h29.t.test").is_empty());
    write_atomic(&path, &zone(4, 0..15));
    wait_until("a zone within the limits", &s, || {
        a(&s, "h14.t.test") == [addr(14)]
    });
}

/// Defect 7: while a large zone is being read, an edit to another zone is published at once.
#[test]
fn slow_zone_read_does_not_delay_other_zones() {
    let dir = TempDir::new("hostile-slow");
    let small = dir.path().join("t.test.zone");
    std::fs::write(&small, zone(1, 0..2)).expect("write");
    let s = start(dir.path(), &[]);
    let big = "$TTL 1h\n@ IN SOA ns root ( 1 1h 1h 1w 1h )\n@ IN NS ns\nns IN A 10.0.0.250\n$GENERATE 1-1000000 h$ A 10.0.0.1\n";
    write_atomic(&dir.path().join("big.test.zone"), big);
    std::thread::sleep(Duration::from_millis(300));
    write_atomic(&small, &zone(2, 0..3));
    let t0 = Instant::now();
    while a(&s, "h2.t.test") != [addr(2)] {
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "the small zone's edit waited for the big read:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    // The big zone was still being read: the edit did not wait for it.
    assert_eq!(s.dig(&["big.test", "SOA"]).status, "REFUSED", "{}", s.log());
}

/// Defect 3 with `--poll-interval` (no close events): a file written in place is read only
/// once its stamp held still for a poll, so a writer streaming it slowly (`scp`) never gets a
/// prefix served; a rename over the file is read at the next poll.
#[test]
fn polling_never_serves_a_file_still_being_written() {
    let dir = TempDir::new("hostile-pollhalf");
    let path = dir.path().join("t.test.zone");
    std::fs::write(&path, zone(1, 0..50)).expect("write");
    let s = Server::start(dir.path(), &["--poll-interval", "0.3"]);
    s.wait_log("polling", CHANGE);
    let mut f = std::fs::File::create(&path).expect("truncate");
    f.write_all(zone(2, 0..10).as_bytes()).expect("write");
    f.flush().expect("flush");
    // Ten more hosts every 100 ms for 2 s: the stamp never holds still for a poll.
    let t0 = Instant::now();
    let mut next = 10;
    while t0.elapsed() < Duration::from_secs(2) {
        f.write_all(records(next..next + 10).as_bytes())
            .expect("write");
        f.flush().expect("flush");
        next += 10;
        assert_eq!(
            a(&s, "h49.t.test"),
            [addr(49)],
            "a prefix was served:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    f.write_all(records(next..next + 1).as_bytes())
        .expect("write");
    drop(f);
    wait_until("the whole file once it held still", &s, || {
        a(&s, &format!("h{next}.t.test")) == [addr(next)]
    });
    write_atomic(&path, &zone(3, 0..1));
    wait_until("a rename over, at the next poll", &s, || {
        a(&s, "h49.t.test").is_empty()
    });
}

/// An edit that lands while the zone's previous version is still being read (a large zone
/// edited twice in quick succession, or `sed -i` whose temporary file starts a rescan) is
/// served once that read ends: the reload that skipped the zone looks at it again.
#[test]
fn an_edit_during_a_slow_read_is_not_lost() {
    let dir = TempDir::new("hostile-editduring");
    let path = dir.path().join("big.test.zone");
    let big = |serial: u32, marker: &str| {
        format!(
            "$TTL 1h\n@ IN SOA ns root ( {serial} 1h 1h 1w 1h )\n@ IN NS ns\nns IN A 10.0.0.250\n\
             {marker} IN A 10.0.0.9\n$GENERATE 1-300000 h$ A 10.0.0.1\n"
        )
    };
    write_atomic(&path, &big(1, "m1"));
    let s = start(dir.path(), &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while a(&s, "m1.big.test") != ["10.0.0.9"] {
        assert!(Instant::now() < deadline, "first load:\n{}", s.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    // Version 2 starts a read; version 3 lands while it is under way.
    write_atomic(&path, &big(2, "m2"));
    std::thread::sleep(Duration::from_millis(150));
    write_atomic(&path, &big(3, "m3"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while a(&s, "m3.big.test") != ["10.0.0.9"] {
        assert!(
            Instant::now() < deadline,
            "the edit made during a read was never served:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `f` until it returns true, for at most `CHANGE`.
#[track_caller]
fn wait_until(what: &str, s: &Server, f: impl FnMut() -> bool) {
    wait_within(what, s, CHANGE, f)
}
