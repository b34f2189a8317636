//! DNSSEC against BIND: a fixture zone signed at test time (`dnssec-keygen`, `dnssec-signzone`
//! into a temp dir, with NSEC, NSEC3 and NSEC3 opt-out), served by BIND and clusterdns, queried with and without DO over UDP
//! and TCP with small and large EDNS sizes; every answer compared as in
//! `bind_and_clusterdns_agree`.

use std::path::{Path, PathBuf};
use std::process::Command;

use std::fmt::Write as _;

use super::{run_batch_checked, show, Named, Outcome, Q};
use crate::harness::{Server, TempDir};
use clusterdns::dns::name::Name;

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dnssec/signed.test.zone")
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (needs bind9-utils)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs the fixture as `origin` into `dir/<origin>.zone` with fresh keys; `nsec3` adds
/// dnssec-signzone's NSEC3 arguments.
pub(super) fn sign(dir: &Path, origin: &str, nsec3: &[&str]) -> PathBuf {
    let keys = dir.join(format!("keys-{origin}"));
    std::fs::create_dir_all(&keys).expect("key dir");
    let unsigned = keys.join("unsigned.zone");
    std::fs::copy(source(), &unsigned).expect("copy fixture");
    for extra in [&[][..], &["-f", "KSK"][..]] {
        run(Command::new("dnssec-keygen")
            .args(["-q", "-a", "ECDSAP256SHA256", "-K"])
            .arg(&keys)
            .args(extra)
            .arg(origin));
    }
    let signed = dir.join(format!("{origin}.zone"));
    // In the key directory: dnssec-signzone writes its dsset file to the current one.
    run(Command::new("dnssec-signzone")
        .current_dir(&keys)
        .args(["-q", "-S", "-K"])
        .arg(&keys)
        .args(["-o", origin])
        .args(nsec3)
        .arg("-f")
        .arg(&signed)
        .arg(&unsigned));
    signed
}

fn queries(origin: &str) -> Vec<Q> {
    let names: Vec<String> = [
        "",
        "ns1.",
        "www.",
        "alias.",
        "walias.",
        "x.wild.",
        "a.b.wild.",
        "*.wild.",
        "wild.",
        "ent.",
        "b.ent.",
        "a.b.ent.",
        "nosuch.",
        "a.nosuch.",
        "zzz.",
        "x.d.",
        "d.",
        "a.b.d.",
        "big.",
        "loop.",
        "q.wl.",
        "x.wmx.",
        "secure.",
        "ns.secure.",
        "x.secure.",
        "insecure.",
        "x.insecure.",
        "mail.",
        "0.",
        "~.",
    ]
    .iter()
    .map(|p| format!("{p}{origin}."))
    .collect();
    const TYPES: &[&str] = &[
        "A", "MX", "TXT", "NS", "SOA", "DS", "NSEC", "DNSKEY", "CNAME", "ANY", "RRSIG", "DNAME",
        "AAAA",
    ];
    let mut qs = Vec::new();
    for opts in [
        "+ignore +dnssec",
        "+ignore +dnssec +norec",
        "+tcp +dnssec",
        "+ignore +dnssec +bufsize=512",
        "+ignore +dnssec +bufsize=600",
        "+tcp +dnssec +norec",
        "+ignore +dnssec +noedns",
        "+ignore +norec",
    ] {
        for n in &names {
            for t in TYPES {
                qs.push(Q {
                    opts,
                    name: n.clone(),
                    qtype: t,
                });
            }
        }
    }
    qs
}

#[test]
fn signed_zone_answers_as_bind() {
    let dir = TempDir::new("dnssec-zones");
    // The same fixture signed three ways: NSEC, NSEC3 (no salt, no extra iterations), NSEC3
    // with salt, iterations and opt-out.
    let chains: [(&str, &[&str]); 3] = [
        ("signed.test", &[]),
        ("nsec3.test", &["-3", "-", "-H", "0"]),
        ("optout.test", &["-3", "aabbccdd", "-H", "2", "-A"]),
    ];
    let mut zones = Vec::new();
    let mut qs = Vec::new();
    for (origin, args) in chains {
        let path = sign(dir.path(), origin, args);
        zones.push((path, Name::from_ascii(origin).expect("origin")));
        qs.extend(queries(origin));
    }
    let named = Named::start_with(dir.path(), &zones, "");
    let ours = Server::start(dir.path(), &["--no-watch"]);
    let work = TempDir::new("dnssec-batches");
    let theirs = run_batch_checked(named.port, &qs, work.path(), "bind");
    let mine = run_batch_checked(ours.port, &qs, work.path(), "ours");
    let (same, report) = outcome_differs(&qs, &theirs, &mine);
    println!("{report}");
    // The one deliberate difference: BIND 9.18 compresses less (it writes the zone name of an
    // SOA owner or a CNAME target in full rather than point into a question name of two or
    // more labels below the zone) and adds an EDE option to SERVFAIL, so a denial or a CNAME
    // loop with its NSEC proofs that fits a small EDNS size for us overflows for BIND (TC,
    // empty sections).
    let mut documented = 0;
    for ((q, (b, _)), (o, _)) in qs.iter().zip(&theirs).zip(&mine) {
        if b != o
            && q.opts.contains("+bufsize=")
            && b.flags.contains("tc")
            && !o.flags.contains("tc")
            && b.status == o.status
            && b.answer.is_empty()
            && b.authority.is_empty()
            && o.authority
                .iter()
                .any(|l| l.contains(" NSEC ") || l.contains(" NSEC3 "))
            && (o.answer.is_empty() || b.status == "SERVFAIL")
        {
            documented += 1;
        }
    }
    println!(
        "DNSSEC (NSEC, NSEC3, NSEC3 opt-out) agreement with BIND 9.18: {same}/{} identical, {documented} documented \
         differences (a denial or loop that fits a small EDNS size only with our compression), {} unexpected",
        qs.len(),
        qs.len() - same - documented
    );
    assert_eq!(
        same + documented,
        qs.len(),
        "clusterdns differs from BIND:\n{report}"
    );
}

/// Compares two runs of `qs`: how many outcomes are identical, and a report of the others.
fn outcome_differs(
    qs: &[Q],
    theirs: &[(Outcome, String)],
    mine: &[(Outcome, String)],
) -> (usize, String) {
    let mut same = 0;
    let mut report = String::new();
    for ((q, (b, _)), (o, _)) in qs.iter().zip(theirs).zip(mine) {
        if b == o {
            same += 1;
            continue;
        }
        let _ = write!(
            report,
            "MISMATCH {}\n  bind:\n{}  clusterdns:\n{}",
            q.line(),
            show(b),
            show(o)
        );
    }
    (same, report)
}
