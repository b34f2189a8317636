//! What the reader reports about a zone file: one typed error (or warning) per rule, worded
//! as BIND words it, turned into a [`super::Diag`] with the file and line it is about.

use super::generate::GenerateError;
use super::lexer::LexError;
use super::MAX_INCLUDE_DEPTH;
use crate::dns::name::NameError;
use crate::dns::rdata::RdataError;

/// One problem found while reading a zone file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReadError {
    #[error(transparent)]
    Lex(#[from] LexError),
    #[error("$INCLUDE nested too deeply (more than {MAX_INCLUDE_DEPTH} levels)")]
    IncludeDepth,
    #[error("too many included files")]
    TooManyFiles,
    /// The top file is not a regular file.
    #[error("not a regular file")]
    NotAFile,
    #[error("{0}: not a regular file")]
    IncludedNotAFile(String),
    #[error("failed to read zone file: {0}")]
    OpenZone(String),
    #[error("failed to read included file {path}: {err}")]
    OpenIncluded { path: String, err: String },
    #[error("failed to read {path}: {err}")]
    Read { path: String, err: String },
    #[error("$INCLUDE loop: {0} includes itself")]
    IncludeLoop(String),
    /// A directive without its argument (`what` names it).
    #[error("{directive} without {what}")]
    MissingArgument {
        directive: &'static str,
        what: &'static str,
    },
    #[error("bad $ORIGIN '{text}': {err}")]
    BadOrigin { text: String, err: NameError },
    #[error("bad $INCLUDE origin '{text}': {err}")]
    BadIncludeOrigin { text: String, err: NameError },
    #[error("bad $TTL '{0}'")]
    BadDefaultTtl(String),
    #[error("$TTL {0} > MAXTTL, setting $TTL to 0")]
    DefaultTtlTooLarge(u32),
    #[error("unknown directive '{0}'")]
    UnknownDirective(String),
    #[error("extra input text '{0}'")]
    Extra(String),
    #[error("no current owner name")]
    NoOwner,
    #[error("bad owner name '{text}': {err}")]
    BadOwner { text: String, err: NameError },
    #[error("class '{0}' does not match the zone's class")]
    ClassMismatch(String),
    #[error("type '{0}': invalid use of a meta type")]
    MetaType(String),
    #[error("{0}: invalid NS owner name (wildcard)")]
    WildcardNs(String),
    #[error("{rtype}: {err}")]
    Rdata { rtype: String, err: RdataError },
    #[error("no TTL specified; using SOA MINTTL instead")]
    NoTtlUsingMinimum,
    #[error("no TTL specified; zone rejected")]
    NoTtl,
    #[error("TTL {0} > MAXTTL, setting TTL to 0")]
    TtlTooLarge(u32),
    #[error("bad TTL '{0}'")]
    BadTtl(String),
    #[error("unexpected end of line (expected a type)")]
    NoType,
    #[error("unknown RR type '{0}'")]
    UnknownType(String),
    #[error("$GENERATE: too few arguments")]
    GenerateArguments,
    #[error("$GENERATE: bad range '{0}'")]
    GenerateRange(String),
    #[error("$GENERATE: range '{0}' too large")]
    GenerateTooLarge(String),
    #[error("$GENERATE: missing right-hand side")]
    GenerateNoRhs,
    #[error("$GENERATE: {0}")]
    Generate(#[from] GenerateError),
    #[error("token '{quoted}' is {len} bytes, over the limit of {max}")]
    TokenTooLong {
        quoted: String,
        len: usize,
        max: usize,
    },
    #[error("record text longer than {0} bytes; zone rejected")]
    RecordTooLong(usize),
    #[error("more than {0} records in the zone; zone rejected")]
    TooManyRecords(u64),
    #[error("zone text larger than {0} bytes; zone rejected")]
    ZoneTooLarge(u64),
    #[error("$GENERATE: the zone's $GENERATE lines make more than {0} records; zone rejected")]
    GenerateTotal(u64),
    #[error("read cancelled (shutting down)")]
    Cancelled,
    #[error("$GENERATE: bad owner name '{text}': {err}")]
    GenerateOwner { text: String, err: NameError },
}
