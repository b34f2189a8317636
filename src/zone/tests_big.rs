//! Unit tests of large RRsets: built in linear time, duplicates merged, and an RRset over the
//! limit rejected with `path:line` instead of silently cut.

use std::time::{Duration, Instant};

use crate::dns::name::Name;
use crate::zone::ZoneBuilder;
use crate::zonefile::{parse_file_with, Options};

const HEAD: &str = "$TTL 1h\n@ SOA ns r 1 1 1 1 1\n@ NS ns\nns A 10.0.0.1\n";

fn text(n: usize, twice: bool) -> String {
    let mut t = String::from(HEAD);
    for i in 0..n {
        let line = format!("big A 10.{}.{}.{}\n", i >> 16, (i >> 8) & 255, i & 255);
        t.push_str(&line);
        if twice {
            t.push_str(&line);
        }
    }
    t
}

fn build(text: &str, max: u32) -> Result<crate::zone::Zone, Vec<String>> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("clusterdns-bigset-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("t.zone");
    std::fs::write(&path, text).expect("write");
    let origin = Name::from_ascii("t.").expect("origin");
    let mut zb = ZoneBuilder::new(&origin, 0).max_rrset(max);
    let parsed = parse_file_with(&path, &Options::new(origin), &mut |r| zb.push(r));
    let r = zb.finish(parsed, &mut Vec::new());
    let _ = std::fs::remove_dir_all(&dir);
    r.map_err(|e| e.errors.iter().map(|d| d.to_string()).collect())
}

#[test]
fn a_60k_record_rrset_is_built_in_linear_time_with_duplicates_merged() {
    let t0 = Instant::now();
    let z = build(&text(60_000, true), 65_535).expect("builds");
    // Quadratic building took minutes here (7.5 s for 65k in a release build).
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    let owner = Name::from_ascii("big.t.").expect("name");
    let set = z.rrset_at(owner.wire(), crate::dns::rdata::A).expect("A");
    assert_eq!(set.count, 60_000);
    assert_eq!(set.rdatas().count(), 60_000);
    assert_eq!(set.rdatas().nth(59_999), Some(&[10, 0, 234, 95][..]));
}

#[test]
fn an_rrset_over_the_limit_is_an_error_at_its_first_record_past() {
    let errs = build(&text(70_000, false), 65_535).expect_err("rejected");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].ends_with("t.zone:65540: big.t. A: RRset over the limit of 65535 records (16777216 bytes of RDATA at most); zone rejected"),
        "{errs:?}"
    );
    // The default limit.
    let errs =
        build(&text(4_001, false), crate::zonefile::DEFAULT_MAX_RRSET).expect_err("rejected");
    assert!(
        errs[0].contains("t.zone:4005: big.t. A: RRset over the limit of 4000"),
        "{errs:?}"
    );
    assert!(build(&text(4_000, false), crate::zonefile::DEFAULT_MAX_RRSET).is_ok());
}
