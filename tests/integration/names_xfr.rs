//! Issue 14 against a real BIND secondary: the synthesized PTRs of an `auto_ptr` reverse zone
//! are transferred and served by BIND, and follow a forward-zone edit by NOTIFY; a node added
//! by a TSIG-signed `nsupdate` reaches BIND's copy of the forward zone by IXFR.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::bind::{free_port, Named};
use crate::harness::{dig, nsupdate, Server, TempDir};
use crate::peers::serial_at;

const SECRET_B64: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const REV: &str = "1.168.192.in-addr.arpa";

/// Polls `f` for at most `limit`; panics with `what` and `log()` when it never holds.
#[track_caller]
fn wait_for(limit: Duration, what: &str, log: impl Fn() -> String, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what}: not seen within {limit:?}; log:\n{}", log());
}

/// The RDATA a server answers for `args` (one try of at most a second).
fn rdata(port: u16, args: &[&str]) -> Vec<String> {
    let mut a = args.to_vec();
    a.extend(["+time=1", "+tries=1"]);
    dig(port, &a).answer_rdata()
}

/// Starts BIND on `port` (loopback only, `recursion no; notify no;`) as a secondary of `zone`
/// from clusterdns on `primary`; returns once BIND answers the zone's SOA.
fn bind_secondary(dir: &Path, port: u16, primary: u16, zone: &str) -> Named {
    let d = dir.display();
    let conf = format!(
        "options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; session-keyfile \"{d}/s.key\";\n\
         listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n\
         recursion no; notify no; }};\ncontrols {{ }};\n\
         zone \"{zone}\" {{ type secondary; primaries port {primary} {{ 127.0.0.1; }}; file \"sec.db\"; }};\n"
    );
    let conf_path = dir.join("named.conf");
    std::fs::write(&conf_path, conf).expect("write named.conf");
    Named::start(&conf_path, port, zone)
}

#[test]
fn bind_secondary_of_an_auto_ptr_reverse_zone_serves_the_synthesized_ptrs() {
    let zones = TempDir::with_example_zones("names-xfr-ptr");
    // The reverse file without its PTRs: every PTR is synthesized.
    let rev = zones.path().join(format!("{REV}.zone"));
    let text = std::fs::read_to_string(&rev).expect("read reverse zone");
    let kept: String = text
        .lines()
        .filter(|l| !l.contains("PTR"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(kept.len() < text.len(), "the example file has PTRs");
    std::fs::write(&rev, kept).expect("write reverse zone");

    let bind_port = free_port();
    let notify_to = format!("127.0.0.1:{bind_port}");
    let s = Server::start(
        zones.path(),
        &[
            "--auto-ptr",
            "--allow-transfer",
            "127.0.0.0/8",
            "--also-notify",
            &notify_to,
        ],
    );
    let dir = TempDir::new("names-xfr-ptr-named");
    let named = bind_secondary(dir.path(), bind_port, s.port, REV);
    assert_eq!(serial_at(named.port, REV), Some(2024010101));
    s.wait_log(&format!("AXFR of {REV}."), Duration::from_secs(5));
    let ptr = dig(named.port, &["-x", "192.168.1.5", "+time=1", "+tries=1"]);
    assert_eq!(ptr.status, "NOERROR", "{}", ptr.raw);
    assert!(
        ptr.has_flag("aa"),
        "BIND answers authoritatively: {}",
        ptr.raw
    );
    assert_eq!(
        ptr.answer_rdata(),
        ["lhslave01.lihui.hadoop."],
        "{}",
        ptr.raw
    );
    assert_eq!(
        rdata(named.port, &["-x", "192.168.1.6"]),
        ["lhslave02.lihui.hadoop."]
    );

    // A node added to the forward zone: the reverse zone's serial moves with it, NOTIFY
    // reaches BIND, which transfers and serves the new PTR.
    let fwd = zones.path().join("lihui.hadoop.zone");
    let text = std::fs::read_to_string(&fwd).expect("read forward zone");
    assert!(text.contains("2024010101"), "{text}");
    let text = text.replace("2024010101", "2024010102") + "lhslave03\tIN\tA\t192.168.1.7\n";
    std::fs::write(&fwd, text).expect("write forward zone");
    wait_for(
        Duration::from_secs(10),
        "BIND serves the PTR of the new node",
        || s.log(),
        || rdata(named.port, &["-x", "192.168.1.7"]) == ["lhslave03.lihui.hadoop."],
    );
    let served = serial_at(s.port, REV).expect("our reverse serial");
    assert!(served > 2024010101, "the reverse serial moved: {served}");
    assert_eq!(serial_at(named.port, REV), Some(served));
    let log = s.log();
    assert!(
        log.contains(&format!("NOTIFY of {REV}. serial {served}")),
        "{log}"
    );
    assert!(
        log.contains(&format!("IXFR of {REV}. (serial {served})"))
            && log.contains("1 change(s) from serial 2024010101"),
        "BIND took the new PTR by IXFR:\n{log}"
    );
    // The old PTRs are still there.
    assert_eq!(
        rdata(named.port, &["-x", "192.168.1.5"]),
        ["lhslave01.lihui.hadoop."]
    );
}

#[test]
fn bind_secondary_receives_a_signed_nsupdate_by_ixfr() {
    let zones = TempDir::with_example_zones("names-xfr-upd");
    let bind_port = free_port();
    let config = zones.path().join("clusterdns.toml");
    std::fs::write(
        &config,
        format!(
            "[[key]]\nname = \"upd\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET_B64}\"\n\
             [[zone]]\nname = \"lihui.hadoop\"\nfile = \"lihui.hadoop.zone\"\n\
             allow_update = [\"key:upd\"]\nallow_transfer = [\"127.0.0.1\"]\n\
             also_notify = [\"127.0.0.1:{bind_port}\"]\n"
        ),
    )
    .expect("write config");
    let s = Server::with_config(&config, &[]);
    let dir = TempDir::new("names-xfr-upd-named");
    let named = bind_secondary(dir.path(), bind_port, s.port, "lihui.hadoop");
    assert_eq!(serial_at(named.port, "lihui.hadoop"), Some(2024010101));
    s.wait_log("AXFR of lihui.hadoop.", Duration::from_secs(5));

    let key = format!("hmac-sha256:upd:{SECRET_B64}");
    let (ok, out) = nsupdate(
        s.port,
        &["-y", &key],
        "zone lihui.hadoop\nupdate add lhslave03.lihui.hadoop 300 A 192.168.1.7\nsend\n",
    );
    assert!(ok, "{out}\n{}", s.log());
    assert_eq!(
        rdata(s.port, &["lhslave03.lihui.hadoop", "A"]),
        ["192.168.1.7"]
    );
    wait_for(
        Duration::from_secs(10),
        "BIND serves the updated node",
        || s.log(),
        || rdata(named.port, &["lhslave03.lihui.hadoop", "A"]) == ["192.168.1.7"],
    );
    assert_eq!(serial_at(named.port, "lihui.hadoop"), Some(2024010102));
    let log = s.log();
    assert!(
        log.contains("NOTIFY of lihui.hadoop. serial 2024010102"),
        "{log}"
    );
    assert!(
        log.contains("IXFR of lihui.hadoop. (serial 2024010102)")
            && log.contains("1 change(s) from serial 2024010101"),
        "BIND took the update by IXFR:\n{log}"
    );
}
