//! Unit tests of the reader's bounds: NUL bytes as BIND treats them, token and record text
//! limits, record, byte and `$GENERATE` totals, and cancellation.

use std::path::Path;

use crate::dns::name::Name;
use crate::zonefile::*;

const HEAD: &str = "$TTL 1h\n@ SOA ns r 1 1 1 1 1\n@ NS ns\nns A 10.0.0.1\n";

fn opts() -> Options {
    Options::new(Name::from_ascii("t.").expect("origin"))
}

fn parse_with(text: &[u8], o: &Options) -> Parsed {
    parse_str(text, Path::new("t.zone"), o)
}

fn errors(p: &Parsed) -> Vec<String> {
    p.errors.iter().map(|d| d.to_string()).collect()
}

#[track_caller]
fn nul_case(tail: &[u8], accepted: bool) {
    nul_case_at(tail, accepted, 5)
}

#[track_caller]
fn nul_case_at(tail: &[u8], accepted: bool, line: u32) {
    let mut text = HEAD.as_bytes().to_vec();
    text.extend_from_slice(tail);
    let p = parse_with(&text, &opts());
    if accepted {
        assert!(p.errors.is_empty(), "{:?}", errors(&p));
    } else {
        let e = errors(&p);
        assert!(
            e.iter().any(|m| m.starts_with(&format!("t.zone:{line}: "))),
            "{tail:?}: {e:?}"
        );
    }
}

#[test]
fn nul_bytes_rejected_as_bind_does() {
    // named-checkzone 9.18: syntax error / unexpected token for each of these.
    nul_case(b"a\0b A 10.0.0.2\n", false);
    nul_case(b"t TXT a\0b\n", false);
    nul_case(b"\0\n", false);
    nul_case(b"a\\\0b A 10.0.0.2\n", false);
    nul_case_at(b"t ( TXT\n a\0b )\n", false, 6);
    // ... and it accepts them inside quotes and comments.
    nul_case(b"t TXT \"a\0b\"\n", true);
    nul_case(b"t A 10.0.0.2 ; com\0ment\n", true);
}

#[test]
fn oversized_token_is_an_error_quoting_at_most_100_bytes() {
    let mut o = opts();
    o.limits.max_token = 1000;
    let text = format!("{HEAD}t TXT {}\nu A 10.0.0.3\n", "x".repeat(5000));
    let p = parse_with(text.as_bytes(), &o);
    let e = errors(&p);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t.zone:5: token 'xxx"), "{}", e[0]);
    assert!(e[0].contains("5000 bytes"), "{}", e[0]);
    assert!(e[0].len() < 200, "quotes too much: {} bytes", e[0].len());
    // The rest of the file is still read (every error reported).
    assert_eq!(p.records.len(), 4);
}

#[test]
fn record_text_over_the_limit_stops_the_read_without_growing() {
    let dir = std::env::temp_dir().join(format!("clusterdns-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("t.zone");
    let mut text = HEAD.as_bytes().to_vec();
    text.extend(std::iter::repeat_n(b'x', 3 << 20));
    text.extend_from_slice(b" A 10.0.0.9\n");
    std::fs::write(&path, &text).expect("write");
    let mut o = opts();
    o.limits.max_record_text = 4096;
    let p = parse_file(&path, &o);
    let e = errors(&p);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].ends_with(":5: record text longer than 4096 bytes; zone rejected"),
        "{e:?}"
    );
    // A file of NUL bytes without a newline: bounded errors, no growth, no panic.
    std::fs::write(&path, vec![0u8; 3 << 20]).expect("write");
    let p = parse_file(&path, &opts());
    // One line read in many chunks: its error is said once, not once per chunk.
    assert_eq!(errors(&p).len(), 1, "{:?}", errors(&p));
    assert!(p.errors.len() <= MAX_ERRORS);
    // The zone's total bytes.
    std::fs::write(&path, &text[..HEAD.len()]).expect("write");
    let mut o = opts();
    o.limits.max_zone_bytes = 20;
    let p = parse_file(&path, &o);
    assert!(
        errors(&p)[0].contains("zone text larger than 20 bytes"),
        "{:?}",
        errors(&p)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn records_over_the_zone_total_reject_it_at_the_first_one_past() {
    let mut o = opts();
    o.limits.max_records = 10;
    let mut text = HEAD.to_string();
    for i in 0..20 {
        text.push_str(&format!("h{i} A 10.0.1.{i}\n"));
    }
    let p = parse_with(text.as_bytes(), &o);
    assert_eq!(
        errors(&p),
        ["t.zone:12: more than 10 records in the zone; zone rejected"]
    );
}

#[test]
fn generate_total_is_checked_before_expanding() {
    let mut o = opts();
    o.limits.max_generate = 100;
    let text = format!("{HEAD}$GENERATE 1-60 h$ A 10.0.2.$\n$GENERATE 1-60 g$ A 10.0.3.$\n");
    let p = parse_with(text.as_bytes(), &o);
    assert_eq!(
        errors(&p),
        ["t.zone:6: $GENERATE: the zone's $GENERATE lines make more than 100 records; zone rejected"]
    );
    assert_eq!(p.records.len(), 63);
    // Three 10M-record lines under the default caps: the first takes the zone over 10M
    // records, so it is rejected before anything is expanded.
    let line = "$GENERATE 0-9999999 a$ A 10.0.0.1\n";
    let text = format!("{HEAD}{line}{line}{line}");
    let t0 = std::time::Instant::now();
    let p = parse_with(text.as_bytes(), &opts());
    assert_eq!(
        errors(&p),
        ["t.zone:5: more than 10000000 records in the zone; zone rejected"]
    );
    assert_eq!(p.records.len(), 3);
    assert!(t0.elapsed() < std::time::Duration::from_secs(5));
    // A 10M-record line over a smaller cap: rejected at once, nothing expanded.
    let text = format!("{HEAD}$GENERATE 0-9999999 a$ A 10.0.0.1\n");
    let mut o = opts();
    o.limits.max_generate = 9_999_999;
    let t0 = std::time::Instant::now();
    let p = parse_with(text.as_bytes(), &o);
    assert_eq!(p.records.len(), 3);
    assert!(t0.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_cancelled_read_stops_with_an_error() {
    let o = opts();
    o.cancel.cancel();
    let text = format!("{HEAD}$GENERATE 1-100000 h$ A 10.0.2.1\n");
    let p = parse_with(text.as_bytes(), &o);
    assert!(p.records.len() < 100_000);
    assert!(
        errors(&p).iter().any(|e| e.contains("read cancelled")),
        "{:?}",
        errors(&p)
    );
}
