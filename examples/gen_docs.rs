//! Generates the shell completions and man pages from the clap definitions:
//! `cargo run --example gen_docs` writes `contrib/completions/` and `contrib/man/`. The
//! integration test `docs::generated_docs_are_current` regenerates them and compares.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use clusterdns::config::cli::Cli;

/// Every generated file: path under the repository root, and contents.
pub fn generate() -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    for (shell, file) in [
        (Shell::Bash, "clusterdns.bash"),
        (Shell::Zsh, "_clusterdns"),
        (Shell::Fish, "clusterdns.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "clusterdns", &mut buf);
        out.push((Path::new("contrib/completions").join(file), buf));
    }
    let cmd = Cli::command();
    let mut pages = vec![("clusterdns.1".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = format!("clusterdns-{}", sub.get_name());
        pages.push((
            format!("{name}.1"),
            sub.clone().display_name(name.clone()).bin_name(name),
        ));
    }
    for (file, c) in pages {
        let mut buf = Vec::new();
        clap_mangen::Man::new(c).render(&mut buf)?;
        out.push((Path::new("contrib/man").join(file), buf));
    }
    Ok(out)
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, bytes) in generate()? {
        let p = root.join(&path);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(&p, bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
