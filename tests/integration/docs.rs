//! The generated completions and man pages match the clap definitions (regenerate with
//! `cargo run --example gen_docs`).

#[path = "../../examples/gen_docs.rs"]
mod gen_docs;

#[test]
fn generated_docs_are_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = gen_docs::generate().expect("generate");
    assert!(files.len() >= 5);
    for (path, want) in files {
        let have = std::fs::read(root.join(&path)).unwrap_or_default();
        assert!(
            have == want,
            "{} is out of date: run `cargo run --example gen_docs`",
            path.display()
        );
    }
}
