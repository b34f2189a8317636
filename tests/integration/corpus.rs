//! Agreement with BIND 9.18 on the zone-file corpus (`<repo>/../shared/corpus`): every case is
//! loaded in-process exactly as `clusterdns check --print` loads it, the verdict is compared with
//! BIND's, and accepted zones are compared record by record with BIND's canonical dump after
//! the normalisation `check_zones.py` applies. The corpus is `$CARGO_MANIFEST_DIR/../shared/corpus`
//! (`CLUSTERDNS_CORPUS` points elsewhere); where it is absent the test is skipped with a
//! message, except under CI (`CI` set), where it fails.

use std::path::{Path, PathBuf};

use clusterdns::check::print_zone;
use clusterdns::dns::name::Name;
use clusterdns::source::loader;

/// Agreement required, in percent.
const FLOOR: f64 = 98.0;

fn corpus_dir() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CLUSTERDNS_CORPUS") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.join("zones/MANIFEST.tsv").is_file().then_some(p)
}

struct Case {
    id: String,
    path: String,
    origin: String,
    workdir: String,
    verdict: String,
}

fn manifest(zones: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(zones.join("MANIFEST.tsv")).expect("read MANIFEST.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .expect("manifest column")
    };
    let (id, path, origin, workdir, verdict) = (
        col("id"),
        col("path"),
        col("origin"),
        col("workdir"),
        col("verdict"),
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| v.get(i).copied().unwrap_or("").to_string();
            Case {
                id: get(id),
                path: get(path),
                origin: get(origin),
                workdir: get(workdir),
                verdict: get(verdict),
            }
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// The normalisation of check_zones.py.

/// Drops `;` comments outside quotes and joins parenthesised continuation lines.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut q, mut esc) = (false, false);
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if esc {
            cur.push(ch);
            esc = false;
        } else if ch == '\\' {
            cur.push(ch);
            esc = true;
        } else if q {
            cur.push(ch);
            if ch == '"' {
                q = false;
            }
        } else if ch == '"' {
            cur.push(ch);
            q = true;
        } else if ch == ';' {
            while chars.peek().is_some_and(|&c| c != '\n') {
                chars.next();
            }
        } else if ch == '(' {
            depth += 1;
            cur.push(' ');
        } else if ch == ')' {
            depth = depth.saturating_sub(1);
            cur.push(' ');
        } else if ch == '\n' {
            if depth > 0 {
                cur.push(' ');
            } else {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(ch);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Collapses whitespace runs outside quotes to one space (and trims).
fn collapse_ws(s: &str) -> String {
    let mut out = String::new();
    let (mut q, mut esc, mut pend) = (false, false, false);
    for ch in s.trim().chars() {
        if esc {
            out.push(ch);
            esc = false;
            continue;
        }
        if ch == '\\' {
            if pend {
                out.push(' ');
                pend = false;
            }
            out.push(ch);
            esc = true;
            continue;
        }
        if !q && matches!(ch, ' ' | '\t' | '\r' | '\n') {
            pend = true;
            continue;
        }
        if pend {
            out.push(' ');
            pend = false;
        }
        if ch == '"' {
            q = !q;
        }
        out.push(ch);
    }
    out
}

fn absname(name: &str, origin: &str) -> String {
    if name == "@" {
        return origin.to_string();
    }
    if let Some(stripped) = name.strip_suffix('.') {
        let bs = stripped.chars().rev().take_while(|&c| c == '\\').count();
        if bs % 2 == 0 {
            return name.to_string();
        }
    }
    if origin == "." {
        format!("{name}.")
    } else {
        format!("{name}.{origin}")
    }
}

/// Splits off the first whitespace-separated token.
fn split1(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some((&s[..end], s[end..].trim_start()))
}

const CLASSES: &[&str] = &["IN", "CH", "CHAOS", "HS", "HESIOD", "NONE", "ANY"];

fn is_class(t: &str) -> bool {
    let u = t.to_uppercase();
    CLASSES.contains(&u.as_str())
        || (u.len() > 5 && u.starts_with("CLASS") && u[5..].chars().all(|c| c.is_ascii_digit()))
}

/// Sorted normalised `owner ttl class type rdata` lines, and the lines that did not parse.
fn normalize(text: &str, origin: &str) -> (Vec<String>, usize) {
    let mut recs = Vec::new();
    let mut bad = 0;
    let mut cur_origin = origin.to_string();
    let mut last_owner: Option<String> = None;
    let (mut default_ttl, mut last_ttl, mut last_cls): (
        Option<String>,
        Option<String>,
        Option<String>,
    ) = (None, None, None);
    for raw in logical_lines(text) {
        let line = raw.trim_end_matches(['\r', '\n']);
        let s = line.trim();
        if s.is_empty() || s.starts_with(';') {
            continue;
        }
        if s.starts_with('$') {
            let toks: Vec<&str> = s.split_whitespace().collect();
            if toks[0].eq_ignore_ascii_case("$ORIGIN") && toks.len() > 1 {
                cur_origin = absname(&toks[1].to_lowercase(), &cur_origin);
            } else if toks[0].eq_ignore_ascii_case("$TTL")
                && toks.len() > 1
                && toks[1].chars().all(|c| c.is_ascii_digit())
            {
                default_ttl = Some(toks[1].to_string());
            }
            continue;
        }
        let (owner, mut rest) = if line.starts_with([' ', '\t']) {
            (last_owner.clone(), s)
        } else {
            let Some((o, r)) = split1(s) else { continue };
            let o = absname(&o.to_lowercase(), &cur_origin);
            last_owner = Some(o.clone());
            (Some(o), r)
        };
        let Some(owner) = owner else {
            bad += 1;
            continue;
        };
        let (mut ttl, mut cls): (Option<String>, Option<String>) = (None, None);
        for _ in 0..2 {
            let Some((t, r2)) = split1(rest) else { break };
            if ttl.is_none() && t.chars().all(|c| c.is_ascii_digit()) {
                ttl = Some(t.to_string());
                rest = r2;
            } else if cls.is_none() && is_class(t) {
                cls = Some(t.to_uppercase());
                rest = r2;
            } else {
                break;
            }
        }
        let Some((rtype, rdata)) = split1(rest) else {
            bad += 1;
            continue;
        };
        let ttl = ttl.or_else(|| default_ttl.clone().or_else(|| last_ttl.clone()));
        let cls = cls.or_else(|| last_cls.clone()).or(Some("IN".to_string()));
        last_ttl = ttl.clone();
        last_cls = cls.clone();
        let rdata = collapse_ws(rdata);
        let parts = [
            owner,
            ttl.unwrap_or_else(|| "-".into()),
            cls.unwrap_or_else(|| "-".into()),
            rtype.to_uppercase(),
            rdata,
        ];
        recs.push(
            parts
                .iter()
                .filter(|p| !p.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    recs.sort();
    (recs, bad)
}

fn expected_dump(zones: &Path, id: &str) -> Option<String> {
    let plain = zones.join("expected").join(format!("{id}.zone"));
    if let Ok(b) = std::fs::read(&plain) {
        return Some(String::from_utf8_lossy(&b).into_owned());
    }
    let gz = zones.join("expected").join(format!("{id}.zone.gz"));
    let out = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(&gz)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs one case in its working directory; `Err` explains a disagreement, `Ok(false)` means
/// the case could not be judged (an expected dump we cannot read).
fn run_case(zones: &Path, c: &Case) -> Result<bool, String> {
    let workdir = zones.join(&c.workdir);
    let abspath = zones.join(&c.path);
    let rel = abspath
        .strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .unwrap_or(abspath.clone());
    let origin =
        Name::from_ascii(&c.origin).map_err(|e| format!("bad origin {}: {e}", c.origin))?;
    // $INCLUDE paths resolve against the working directory, as for BIND.
    std::env::set_current_dir(&workdir)
        .map_err(|e| format!("cannot enter {}: {e}", workdir.display()))?;
    let loaded = loader::load_zone(&rel, &origin);
    let got = if loaded.is_ok() { "ok" } else { "reject" };
    if got != c.verdict {
        let why = match &loaded {
            Err(e) => e.errors.first().map(|d| d.to_string()).unwrap_or_default(),
            Ok(_) => String::new(),
        };
        return Err(format!("verdict: oracle={} got={got} {why}", c.verdict));
    }
    let Ok(l) = loaded else { return Ok(true) };
    let Some(expected) = expected_dump(zones, &c.id) else {
        return Ok(false);
    };
    let mut out = Vec::new();
    print_zone(&l.zone, &mut out).map_err(|e| e.to_string())?;
    let (exp, _) = normalize(&expected, &c.origin);
    let (ours, bad) = normalize(&String::from_utf8_lossy(&out), &c.origin);
    if exp == ours && bad == 0 {
        return Ok(true);
    }
    let missing = exp.iter().find(|r| !ours.contains(r));
    let extra = ours.iter().find(|r| !exp.contains(r));
    Err(format!(
        "records: first missing {missing:?}, first extra {extra:?}"
    ))
}

#[test]
fn agrees_with_bind_on_the_corpus() {
    let Some(dir) = corpus_dir() else {
        let why = "no ../shared/corpus next to the repository; set CLUSTERDNS_CORPUS";
        assert!(
            std::env::var_os("CI").is_none(),
            "corpus: missing under CI ({why})"
        );
        eprintln!("corpus: skipped ({why})");
        return;
    };
    let zones = dir.join("zones");
    let cases = manifest(&zones);
    let cwd = std::env::current_dir().expect("cwd");
    let (mut passed, mut judged) = (0usize, 0usize);
    let mut failures = Vec::new();
    for c in &cases {
        match run_case(&zones, c) {
            Ok(true) => {
                passed += 1;
                judged += 1;
            }
            Ok(false) => {}
            Err(why) => {
                judged += 1;
                failures.push(format!("{}: {why}", c.id));
            }
        }
    }
    std::env::set_current_dir(cwd).ok();
    let pct = 100.0 * passed as f64 / judged.max(1) as f64;
    eprintln!(
        "corpus: {passed} of {judged} cases agree with BIND 9.18 ({pct:.2}%), {} skipped",
        cases.len() - judged
    );
    for f in &failures {
        eprintln!("  FAIL {}", f.chars().take(300).collect::<String>());
    }
    assert!(pct >= FLOOR, "agreement {pct:.2}% is below {FLOOR}%");
}

#[test]
fn normalisation_matches_check_zones_py() {
    let (recs, bad) = normalize(
        "$ORIGIN Example.\n$TTL 300\n@ IN SOA a b ( 1 2\n 3 4 5 ) ; c\nwww  A   1.2.3.4\n\tTXT \"a  b\"\n",
        "example.",
    );
    assert_eq!(bad, 0);
    assert_eq!(
        recs,
        vec![
            "example. 300 IN SOA a b 1 2 3 4 5",
            "www.example. 300 IN A 1.2.3.4",
            "www.example. 300 IN TXT \"a  b\"",
        ]
    );
}
