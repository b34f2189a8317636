//! The corpus test: every named.conf that BIND 9.18's `named-checkconf` accepts in BIND's own
//! test suite (`../shared/corpus/namedconf`, outside the project) must read without error.

use std::path::{Path, PathBuf};

use super::read_named_conf_with;

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/namedconf");
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

#[test]
fn every_accepted_corpus_file_reads() {
    let Some(dir) = corpus_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "named.conf corpus missing under ../shared/corpus/namedconf"
        );
        eprintln!("skipped: no named.conf corpus at ../shared/corpus/namedconf");
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("read MANIFEST.tsv");
    let (mut accepted, mut rejected, mut also_rejected) = (0, 0, 0);
    let mut failures = Vec::new();
    for line in manifest.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(file), Some(verdict)) = (cols.next(), cols.next()) else {
            continue;
        };
        let path = dir.join("src").join(file);
        // As if run from the file's own directory, like named-checkconf in the corpus.
        let base = path.parent().unwrap_or(&dir).to_path_buf();
        let result = read_named_conf_with(&path, &base, &|p: &Path| std::fs::read_to_string(p));
        match (verdict, result) {
            ("accept", Ok(_)) => accepted += 1,
            ("accept", Err(e)) => failures.push(format!("{file}:\n{e}")),
            (_, Ok(_)) => rejected += 1,
            (_, Err(_)) => {
                rejected += 1;
                also_rejected += 1;
            }
        }
    }
    eprintln!(
        "named.conf corpus: {accepted} accepted files read; {also_rejected} of {rejected} rejected files also rejected"
    );
    assert!(
        failures.is_empty(),
        "{} accepted files fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(accepted > 0, "no accepted files in the corpus");
}
