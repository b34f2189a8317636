//! The master-file reader (RFC 1035 section 5, RFC 2308 `$TTL`, BIND's `$INCLUDE` and
//! `$GENERATE`): a byte lexer, directive handling and record assembly, producing records that
//! carry their `file:line`, plus every error and warning found, never only the first. This
//! file holds what callers see; `state` assembles records, `directives` and `generate`
//! handle the `$` lines, `lexer` splits the bytes.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::dns::name::Name;

mod directives;
mod error;
mod generate;
mod lexer;
mod limits;
mod state;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_limits;
#[cfg(test)]
mod tests_mutate;

pub use limits::{Cancel, Limits};
use state::{FileCtx, State};

/// How much of a zone file is read at a time.
const READ_CHUNK: usize = 1 << 20;

/// Stop reporting after this many errors in one zone.
pub(crate) const MAX_ERRORS: usize = 100;
/// Deepest `$INCLUDE` nesting accepted (BIND allows 20).
pub(crate) const MAX_INCLUDE_DEPTH: usize = 20;
/// Largest `$GENERATE` range expansion, to keep a typo from exhausting memory.
pub(crate) const MAX_GENERATE: u64 = 10_000_000;
pub use limits::DEFAULT_MAX_RRSET;

/// One resource record as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub owner: Name,
    pub ttl: u32,
    pub class: u16,
    pub rtype: u16,
    pub rdata: Box<[u8]>,
    /// Index into [`Parsed::files`].
    pub file: u16,
    pub line: u32,
}

/// Where a message points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub path: PathBuf,
    pub line: u32,
    pub message: String,
}

impl Diag {
    /// A message about `line` of the file with index `file` in `files` (see [`Record::file`]).
    pub(crate) fn in_file(files: &[PathBuf], file: u16, line: u32, message: String) -> Diag {
        Diag {
            path: files.get(file as usize).cloned().unwrap_or_default(),
            line,
            message,
        }
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        }
    }
}

/// The outcome of reading one zone's master file (and what it includes).
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<Record>,
    pub errors: Vec<Diag>,
    pub warnings: Vec<Diag>,
    /// Every file read, the top file first (`Record::file` indexes this).
    pub files: Vec<PathBuf>,
    /// Errors beyond [`MAX_ERRORS`] that were counted but not kept.
    pub suppressed: usize,
    /// The read failed for a reason that may pass (an I/O error such as running out of file
    /// descriptors, or cancellation): the file's content is unknown, not wrong.
    pub transient: bool,
}

/// Options for reading a zone.
#[derive(Debug, Clone)]
pub struct Options {
    pub origin: Name,
    /// Class of the zone (IN).
    pub class: u16,
    /// The bounds of the read.
    pub limits: Limits,
    /// Stops the read when set (shutdown).
    pub cancel: Cancel,
}

impl Options {
    pub fn new(origin: Name) -> Options {
        Options {
            origin,
            class: 1,
            limits: Limits::default(),
            cancel: Cancel::default(),
        }
    }
}

/// Reads the master file at `path` for the zone described by `opts`.
pub fn parse_file(path: &Path, opts: &Options) -> Parsed {
    let mut st = State::new(opts);
    st.include(path, None, opts.origin.clone(), None, 0);
    st.finish()
}

/// Like [`parse_file`], but hands each record to `sink` as soon as it is read instead of
/// collecting them (`Parsed::records` stays empty): a large zone is never held twice.
pub fn parse_file_with(path: &Path, opts: &Options, sink: &mut dyn FnMut(Record)) -> Parsed {
    let mut st = State::new(opts);
    st.sink = Some(sink);
    st.include(path, None, opts.origin.clone(), None, 0);
    st.finish()
}

/// Reads master-file text held in memory (`path` is used for messages and `$INCLUDE`).
pub fn parse_str(text: &[u8], path: &Path, opts: &Options) -> Parsed {
    let mut st = State::new(opts);
    st.files.push(path.to_path_buf());
    let mut ctx = FileCtx {
        file: 0,
        origin: opts.origin.clone(),
        last_owner: Vec::new(),
        depth: 0,
    };
    st.parse_buffer(text, &mut ctx, 1, true);
    st.finish()
}
