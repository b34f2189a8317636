//! Differential tests. `bind_and_clusterdns_agree` serves the zones of `tests/fixtures/diff/`
//! from BIND 9.18 `named` and from clusterdns, sends both the same few thousand queries with
//! `dig` and compares rcode, flags, EDNS and every section. `fast_and_general_paths_agree`
//! checks that the pre-encoded answers are byte-identical to the general path's.

mod conform;
mod dnssec;
mod paths;
mod raw;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::{parse_dig, Server, TempDir};
use clusterdns::dns::name::Name;
use clusterdns::query;
use clusterdns::source::loader;
use clusterdns::store::ZoneSet;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff")
}

/// Every zone file of the fixture directory with its origin.
fn fixture_zones() -> Vec<(PathBuf, Name)> {
    let files = loader::zone_files(&fixtures()).expect("tests/fixtures/diff");
    assert!(files.len() >= 5, "fixture zones missing: {files:?}");
    files
        .into_iter()
        .map(|p| {
            let o = loader::origin_from_path(&p).expect("NAME.zone");
            (p, o)
        })
        .collect()
}

/// Loads the fixture zones as the server does (pre-encoded answers included).
fn load_set(use_preencode: bool) -> (ZoneSet, Vec<Vec<Name>>) {
    let mut zones = Vec::new();
    let mut names = Vec::new();
    for (path, origin) in fixture_zones() {
        let mut z = loader::load_zone(&path, &origin)
            .unwrap_or_else(|e| panic!("{e}"))
            .zone;
        if use_preencode {
            query::prepare(&mut z);
        }
        names.push(z.nodes.iter().map(|n| n.name.clone()).collect());
        zones.push(Arc::new(z));
    }
    (ZoneSet::new(zones), names)
}

// ------------------------------------------------------------------------------------------
// BIND

/// A `named -g` serving the fixture zones on a free loopback port; killed on drop.
struct Named {
    child: Child,
    port: u16,
    _dir: TempDir,
}

/// A port free for both UDP and TCP on 127.0.0.1 right now.
fn free_port() -> u16 {
    for _ in 0..50 {
        let u = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = u.local_addr().expect("addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port");
}

impl Named {
    fn start(zone_dir: &Path, zones: &[(PathBuf, Name)]) -> Named {
        Named::start_with(zone_dir, zones, "")
    }

    /// [`Named::start`] with more statements in `options` (e.g. `server-id "x";`).
    fn start_with(zone_dir: &Path, zones: &[(PathBuf, Name)], options: &str) -> Named {
        let dir = TempDir::new("named");
        let port = free_port();
        let d = dir.path().display();
        let mut conf = format!(
            "options {{
  directory \"{d}\";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  pid-file \"{d}/named.pid\";
  session-keyfile \"{d}/session.key\";
  managed-keys-directory \"{d}\";
  dnssec-validation no;
  notify no;
  // The fixtures break integrity rules on purpose (dangling MX, CNAME targets, ...).
  check-integrity no;
  check-names primary ignore;
  check-mx ignore;
  check-wildcard no;
  check-sibling no;
  {options}
}};
"
        );
        for (path, origin) in zones {
            let file = zone_dir.join(path.file_name().expect("file name"));
            let o = origin.to_string();
            writeln!(
                conf,
                "zone \"{o}\" {{ type primary; file \"{}\"; }};",
                file.display()
            )
            .expect("write to string");
        }
        let conf_path = dir.path().join("named.conf");
        std::fs::write(&conf_path, conf).expect("write named.conf");
        let log_path = dir.path().join("named.log");
        let log = std::fs::File::create(&log_path).expect("named.log");
        let child = Command::new(named_binary())
            .args(["-g", "-n", "1", "-c"])
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "failed to start BIND named: {e}: this test needs bind9 installed \
                     (apt-get install bind9; .ci/run does it) and must not be skipped"
                )
            });
        let mut named = Named {
            child,
            port,
            _dir: dir,
        };
        let t0 = Instant::now();
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if text.contains("all zones loaded") && text.contains("running") {
                break;
            }
            if let Ok(Some(status)) = named.child.try_wait() {
                panic!("named exited with {status}:\n{text}");
            }
            if t0.elapsed() > Duration::from_secs(30) {
                panic!("named did not start within 30 s:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let loaded = text.matches(": loaded serial").count();
        // managed-keys-zone is counted too.
        assert!(
            loaded > zones.len(),
            "named loaded only {loaded} zones:\n{text}"
        );
        named
    }
}

fn named_binary() -> PathBuf {
    for p in ["/usr/sbin/named", "/usr/local/sbin/named"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    PathBuf::from("named")
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ------------------------------------------------------------------------------------------
// Queries and their comparison

/// One query: dig options, name, type.
#[derive(Debug, Clone)]
struct Q {
    opts: &'static str,
    name: String,
    qtype: &'static str,
}

impl Q {
    fn line(&self) -> String {
        format!("{} {} {}", self.opts, self.name, self.qtype)
    }
}

/// The part of a dig answer both servers must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    status: String,
    flags: BTreeSet<String>,
    edns: String,
    answer: BTreeSet<String>,
    authority: BTreeSet<String>,
    additional: BTreeSet<String>,
}

/// Normalizes a record line: names and type lower-cased, text RDATA kept as is.
fn norm_rr(line: &str) -> String {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 4 {
        return line.to_ascii_lowercase();
    }
    let rtype = f[3].to_ascii_uppercase();
    let rdata = f[4..].join(" ");
    let rdata = match rtype.as_str() {
        "TXT" | "SPF" | "HINFO" | "CAA" => rdata,
        _ => rdata.to_ascii_lowercase(),
    };
    format!(
        "{} {} {} {} {}",
        f[0].to_ascii_lowercase(),
        f[1],
        f[2],
        rtype,
        rdata
    )
}

fn outcome(block: &str) -> Outcome {
    let d = parse_dig(block);
    let edns = block
        .lines()
        .find(|l| l.starts_with("; EDNS:"))
        .unwrap_or("no EDNS")
        .to_string();
    let set = |v: &[String]| v.iter().map(|l| norm_rr(l)).collect::<BTreeSet<_>>();
    let status = if d.status.is_empty() {
        // Timeouts and errors: keep dig's own words.
        block
            .lines()
            .find(|l| l.starts_with(";; ") && !l.starts_with(";; global"))
            .unwrap_or("no answer")
            .to_string()
    } else {
        d.status.clone()
    };
    Outcome {
        status,
        flags: d.flags.iter().cloned().collect(),
        edns,
        answer: set(&d.answer),
        authority: set(&d.authority),
        additional: set(&d.additional),
    }
}

/// Runs a batch of queries with one dig process; one outcome per query, in order.
fn run_batch(port: u16, queries: &[Q], dir: &Path, tag: &str) -> Vec<(Outcome, String)> {
    let file = dir.join(format!("batch-{tag}-{port}.txt"));
    let text: String = queries.iter().map(|q| q.line() + "\n").collect();
    std::fs::write(&file, text).expect("write batch");
    let out = Command::new("dig")
        .arg("@127.0.0.1")
        .args(["-p", &port.to_string()])
        .args(["+nocookie", "+time=2", "+tries=2", "+nostats", "-f"])
        .arg(&file)
        .output()
        .expect("dig must be installed (apt-get install bind9-dnsutils)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let blocks: Vec<&str> = stdout
        .split("; <<>> DiG ")
        .filter(|b| !b.trim().is_empty())
        .collect();
    assert_eq!(
        blocks.len(),
        queries.len(),
        "dig printed {} answers for {} queries\nstderr: {}",
        blocks.len(),
        queries.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    blocks.iter().map(|b| (outcome(b), b.to_string())).collect()
}

/// Runs a batch, then asks again (up to 3 times) each query whose "answer" was not a response.
/// dig can receive its own query: Linux may autobind dig's UDP socket (SO_REUSEPORT) to the
/// port the server listens on with SO_REUSEPORT, and then the query is delivered to dig itself.
fn run_batch_checked(port: u16, queries: &[Q], dir: &Path, tag: &str) -> Vec<(Outcome, String)> {
    let mut out = run_batch(port, queries, dir, tag);
    for i in 0..out.len() {
        for attempt in 0..3 {
            if out[i].0.flags.contains("qr") {
                break;
            }
            let again = run_batch(
                port,
                &queries[i..i + 1],
                dir,
                &format!("{tag}-retry{attempt}"),
            );
            out[i] = again.into_iter().next().expect("one answer");
        }
    }
    out
}

/// Mixes the letter case of a name, deterministically.
fn mix_case(s: &str, seed: &mut u64) -> String {
    s.chars()
        .map(|c| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if (*seed >> 33) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// The query list: every fixture name with many types under several option sets, names that
/// do not exist at several depths, and names outside our zones.
fn queries(names: &[Vec<Name>]) -> Vec<Q> {
    const ALL: &[&str] = &[
        "A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "ANY", "DS", "SRV", "PTR", "CAA", "HINFO",
        "SSHFP", "DNAME",
    ];
    const SOME: &[&str] = &["A", "MX", "NS", "ANY", "TXT"];
    let mut existing = Vec::new();
    for zone in names {
        for n in zone {
            existing.push(n.to_string());
        }
    }
    let mut missing = Vec::new();
    for zone in names {
        let origin = zone[0].to_string();
        for prefix in ["nosuch.", "a.b.nosuch.", "x.y.z.w.nosuch."] {
            missing.push(format!("{prefix}{origin}"));
        }
    }
    for n in [
        // below empty non-terminals, wildcards, existing names, cuts
        "q.b.c.diff.test.",
        "q.c.diff.test.",
        "q.deep.diff.test.",
        "foo.wild.diff.test.",
        "a.b.wild.diff.test.",
        "x.exists.wild.diff.test.",
        "y.sub2.wild.diff.test.",
        "*.wild.diff.test.",
        "foo.wc.diff.test.",
        "a.b.wc.diff.test.",
        "foo.wc2.diff.test.",
        "foo.wc3.diff.test.",
        "foo.ew.diff.test.",
        "y.*.ew.diff.test.",
        "foo.wmx.diff.test.",
        "deep.x.sub.diff.test.",
        "nosuch.ns.sub.diff.test.",
        "x.deleg2.diff.test.",
        "x.deleg3.diff.test.",
        "x.www.diff.test.",
        "nosuch.child.diff.test.",
        "ns.nosuch.child.diff.test.",
        "99.64/26.0.0.10.in-addr.arpa.",
        "7.1.168.192.in-addr.arpa.",
        "nosuch.lihui.hadoop.",
        // outside every zone
        "example.com.",
        "test.",
        ".",
        "in-addr.arpa.",
        "diff.test.example.",
        "xdiff.test.",
    ] {
        missing.push(n.to_string());
    }
    missing.extend(conform::NAMES.iter().map(|n| n.to_string()));
    let mut qs = Vec::new();
    let mut push = |opts: &'static str, list: &[String], types: &[&'static str]| {
        for n in list {
            for t in types {
                qs.push(Q {
                    opts,
                    name: n.clone(),
                    qtype: t,
                });
            }
        }
    };
    push("+ignore", &existing, ALL);
    push("+ignore +norec", &existing, ALL);
    push("+ignore +noedns", &existing, SOME);
    push("+ignore +bufsize=512", &existing, SOME);
    push("+ignore +norec +bufsize=512", &existing, SOME);
    push("+ignore +norec +dnssec", &existing, &["A", "MX"]);
    push("+tcp", &existing, SOME);
    push("+tcp +norec", &existing, &["A", "MX", "ANY", "SRV"]);
    push(
        "+ignore",
        &missing,
        &["A", "MX", "NS", "DS", "ANY", "SOA", "DNAME", "CNAME"],
    );
    push("+ignore +norec", &missing, &["A", "TXT", "DS"]);
    push("+tcp +noedns", &missing, &["A"]);
    push("+tcp", &missing, &["ANY"]);
    push("+ignore +bufsize=512", &missing, &["A", "TXT"]);
    let mut seed = 42u64;
    let mixed: Vec<String> = existing
        .iter()
        .chain(missing.iter())
        .map(|n| mix_case(n, &mut seed))
        .collect();
    push("+ignore +norec", &mixed, &["A", "MX", "CNAME"]);
    push("+ignore +noedns", &mixed, &["TXT"]);
    // EDNS version 1 (BADVERS; no renegotiation), CD and AD bits, other classes.
    push("+ignore +edns=1 +noednsneg", &existing[..4], &["A", "SOA"]);
    push("+ignore +cdflag +adflag", &existing[..10], &["A"]);
    push("+ignore -c CH", &existing[..3], &["A"]);
    push("+ignore -c ANY", &existing[..3], &["A"]);
    qs
}

/// A deliberate difference from BIND: which responses it covers, and why we differ.
struct Difference {
    what: &'static str,
    why: &'static str,
    /// Given the query, BIND's outcome and ours: is this the documented difference?
    covers: fn(&Q, &Outcome, &Outcome) -> bool,
}

/// Every deliberate difference. Keep this list short; each entry must still occur.
const DIFFERENCES: &[Difference] = &[
    Difference {
        what: "addresses of the zone's name servers after a 12- or 13-name answer",
        why: "BIND 9.18 stops additional-section processing of the authority NS RRset once an \
              answer RRset with 12 or 13 target names has used up its per-message budget (an \
              internal detail of its CVE-2024-11187 limit, not a protocol rule); we still add \
              the name servers' addresses when they fit",
        covers: |_, bind, ours| {
            let ns_targets: BTreeSet<String> = ours
                .authority
                .iter()
                .filter(|l| l.split(' ').nth(3) == Some("NS"))
                .filter_map(|l| l.split(' ').nth(4).map(String::from))
                .collect();
            bind.status == ours.status
                && bind.flags == ours.flags
                && bind.answer == ours.answer
                && bind.authority == ours.authority
                && bind.answer.len() >= 12
                && bind.additional.is_subset(&ours.additional)
                && ours.additional.difference(&bind.additional).all(|l| {
                    let f: Vec<&str> = l.split(' ').collect();
                    matches!(f.get(3), Some(&"A") | Some(&"AAAA")) && ns_targets.contains(f[0])
                })
        },
    },
    Difference {
        what: "truncated UDP responses without EDNS",
        why: "BIND fills a truncated non-EDNS response with the records that fit, taken in random \
          order (rrset-order random), and echoes the query's AD bit there; we keep the first \
          records that fit (same counts) and never set AD (RFC 6840 5.7: only a validating \
          server sets AD)",
        covers: |q, bind, ours| {
            let mut bind_flags = bind.flags.clone();
            bind_flags.remove("ad");
            q.opts.contains("+noedns")
                && bind.flags.contains("tc")
                && bind_flags == ours.flags
                && bind.status == ours.status
                && bind.edns == ours.edns
                && bind.answer.len() == ours.answer.len()
                && bind.authority.len() == ours.authority.len()
                && bind.additional.len() == ours.additional.len()
        },
    },
    Difference {
        what: "a long DNAME chain from a mixed-case name without EDNS",
        why: "BIND compresses names case-sensitively, so the CNAMEs it synthesizes from a \
              mixed-case query name (whose first label keeps the query's case) compress worse \
              and a 13-record DNAME loop overflows 512 bytes (TC, 10 records); we compress \
              case-insensitively (RFC 1035 4.1.4) and the whole chain fits",
        covers: |q, bind, ours| {
            q.opts.contains("+noedns")
                && bind.flags.contains("tc")
                && !ours.flags.contains("tc")
                && bind.status == ours.status
                && bind.answer.is_subset(&ours.answer)
                && ours
                    .answer
                    .iter()
                    .all(|l| l.contains(" DNAME ") || l.contains(" CNAME "))
        },
    },
];

fn show(o: &Outcome) -> String {
    let mut s = format!("    status {} flags {:?} {}\n", o.status, o.flags, o.edns);
    for (sec, v) in [
        ("an", &o.answer),
        ("ns", &o.authority),
        ("ar", &o.additional),
    ] {
        for l in v {
            let _ = writeln!(s, "    {sec} {l}");
        }
    }
    s
}

#[test]
fn bind_and_clusterdns_agree() {
    let zones = fixture_zones();
    // Both servers read copies of the same files.
    let dir = TempDir::new("diff-zones");
    for (p, _) in &zones {
        std::fs::copy(p, dir.path().join(p.file_name().expect("file name"))).expect("copy");
    }
    let named = Named::start(dir.path(), &zones);
    let ours = Server::start(dir.path(), &["--no-watch"]);
    let (_, names) = load_set(false);
    let qs = queries(&names);
    assert!(qs.len() > 1000, "only {} queries", qs.len());
    let work = TempDir::new("diff-batches");
    // One dig per option set keeps the output easy to split; the two servers in parallel.
    let mut theirs = Vec::new();
    let mut mine = Vec::new();
    for chunk in qs.chunks(400) {
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| run_batch_checked(named.port, chunk, work.path(), "bind"));
            let b = s.spawn(|| run_batch_checked(ours.port, chunk, work.path(), "ours"));
            (
                a.join().expect("bind batch"),
                b.join().expect("clusterdns batch"),
            )
        });
        theirs.extend(a);
        mine.extend(b);
    }
    let mut matching = 0usize;
    let mut report = String::new();
    let mut unexpected = 0usize;
    let mut documented = vec![0usize; DIFFERENCES.len()];
    for ((q, (b, braw)), (o, oraw)) in qs.iter().zip(&theirs).zip(&mine) {
        if b == o {
            matching += 1;
            continue;
        }
        match DIFFERENCES.iter().position(|d| (d.covers)(q, b, o)) {
            Some(i) => {
                documented[i] += 1;
                let _ = writeln!(report, "DOCUMENTED {} ({})", q.line(), DIFFERENCES[i].what);
            }
            None => {
                unexpected += 1;
                let _ = writeln!(report, "MISMATCH {}", q.line());
            }
        }
        let _ = write!(report, "  bind:\n{}  clusterdns:\n{}", show(b), show(o));
        if !b.flags.contains("qr") || !o.flags.contains("qr") {
            let _ = write!(
                report,
                "  dig output from bind:\n{braw}\n  from clusterdns:\n{oraw}\n"
            );
        }
    }
    println!("{report}");
    for (d, n) in DIFFERENCES.iter().zip(&documented) {
        println!(
            "documented difference, {n} responses: {}: {}",
            d.what, d.why
        );
    }
    println!(
        "agreement with BIND 9.18: {matching}/{} responses identical, {} documented differences, {unexpected} unexpected",
        qs.len(),
        documented.iter().sum::<usize>(),
    );
    assert_eq!(unexpected, 0, "clusterdns differs from BIND:\n{report}");
    // A documented difference that no longer occurs is stale: remove it.
    for (d, n) in DIFFERENCES.iter().zip(&documented) {
        assert!(*n > 0, "documented difference never occurs now: {}", d.what);
    }
}
