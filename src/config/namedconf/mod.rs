//! BIND's named.conf: reading it (and the files it includes, and `tsig-keygen` key files)
//! into a resolved model, with `path:line` errors and warnings for what clusterdns skips.

mod grammar;
mod lexer;
mod lists;
mod model;
mod resolve;
mod view;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use model::{
    Acl, AddressMatch, AddressMatchList, ForwardMode, Key, Listen, MatchElement, NamedConf, Notify,
    Options, Remote, Zone, ZoneKind,
};

/// Most errors reported for one read; the rest are counted, not listed.
const MAX_ERRORS: usize = 100;

/// A file and a line in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub path: Arc<Path>,
    pub line: u32,
}

impl Loc {
    fn file(path: &Path) -> Loc {
        Loc {
            path: Arc::from(path),
            line: 0,
        }
    }

    fn at(&self, line: u32) -> Loc {
        Loc {
            path: self.path.clone(),
            line,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// One problem in a named.conf, each naming `path:line`.
#[derive(Debug, thiserror::Error)]
pub enum NamedConfError {
    #[error("failed to read {path:?}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{loc}: failed to read include file {path:?}: {source}")]
    Include {
        loc: Loc,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: unterminated string")]
    UnterminatedString(Loc),
    #[error("{0}: unterminated comment")]
    UnterminatedComment(Loc),
    #[error("{loc}: unexpected end of file: missing '}}' for the '{{' on line {open}")]
    UnclosedBrace { loc: Loc, open: u32 },
    #[error("{0}: unexpected '}}' (unbalanced brace)")]
    UnexpectedClose(Loc),
    #[error("{loc}: missing ';' before {before}")]
    MissingSemicolon { loc: Loc, before: String },
    #[error("{loc}: unexpected {found}")]
    Unexpected { loc: Loc, found: String },
    #[error("{loc}: expected {what}")]
    ExpectedValue { loc: Loc, what: String },
    #[error("{loc}: undefined acl '{name}'")]
    UnknownAcl { loc: Loc, name: String },
    #[error("{loc}: undefined primaries list '{name}'")]
    UnknownPrimaries { loc: Loc, name: String },
    #[error("{loc}: {message}")]
    Invalid { loc: Loc, message: String },
    #[error("... and {0} more errors")]
    More(usize),
}

/// Every error found in one read of a named.conf (at most [`MAX_ERRORS`] listed).
#[derive(Debug, thiserror::Error)]
pub struct NamedConfErrors(pub Vec<NamedConfError>);

impl fmt::Display for NamedConfErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Collects errors up to the cap.
#[derive(Debug, Default)]
struct Errors {
    list: Vec<NamedConfError>,
    dropped: usize,
}

impl Errors {
    fn push(&mut self, e: NamedConfError) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(e);
        } else {
            self.dropped += 1;
        }
    }

    fn finish(mut self) -> Result<(), NamedConfErrors> {
        if self.list.is_empty() {
            return Ok(());
        }
        if self.dropped > 0 {
            self.list.push(NamedConfError::More(self.dropped));
        }
        Err(NamedConfErrors(self.list))
    }
}

/// Reads the named.conf at `path` and every file it includes. Relative includes are looked
/// for beside the including file, then in the current directory (where BIND looks).
pub fn read_named_conf(path: &Path) -> Result<NamedConf, NamedConfErrors> {
    let base = std::env::current_dir().unwrap_or_default();
    read_named_conf_with(path, &base, &|p: &Path| std::fs::read_to_string(p))
}

/// Reads the named.conf at `path` with `read` for every file (tests hand in a map), looking
/// for relative includes beside the including file, then in `base_dir`.
pub fn read_named_conf_with(
    path: &Path,
    base_dir: &Path,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Result<NamedConf, NamedConfErrors> {
    read_tracked(path, base_dir, read).1
}

/// Reads the named.conf at `path` as [`read_named_conf`] does; also gives every file read or
/// looked for (the named.conf first), even when the read failed, so they can be watched.
pub fn read_named_conf_tracked(path: &Path) -> (Vec<PathBuf>, Result<NamedConf, NamedConfErrors>) {
    let base = std::env::current_dir().unwrap_or_default();
    read_tracked(path, &base, &|p: &Path| std::fs::read_to_string(p))
}

fn read_tracked(
    path: &Path,
    base_dir: &Path,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
) -> (Vec<PathBuf>, Result<NamedConf, NamedConfErrors>) {
    let mut errors = Errors::default();
    let mut grammar = grammar::Grammar {
        read,
        base_dir: base_dir.to_path_buf(),
        errors: &mut errors,
        files: Vec::new(),
    };
    let stmts = grammar.parse_file(path, None, 0);
    let files = std::mem::take(&mut grammar.files);
    let mut conf = resolve::resolve(&stmts, &mut errors);
    conf.files = files.clone();
    (files, errors.finish().map(|()| conf))
}

/// Reads a BIND key file (as `tsig-keygen` writes it: `key` statements alone).
pub fn read_key_file(path: &Path) -> Result<Vec<Key>, NamedConfErrors> {
    read_named_conf(path).map(|conf| conf.keys)
}
