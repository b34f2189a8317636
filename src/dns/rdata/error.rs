//! Why RDATA text could not be read: a typed error whose message names the offending token,
//! worded as BIND words it where the corpus check compares verdicts.

use super::text::lossy;
use crate::dns::name::NameError;

/// RDATA of this size or more makes BIND fail with "ran out of space" (`DNS_RDATA_MAXLENGTH`).
pub(crate) const MAX_RDATA: usize = 65512;

/// Error while reading RDATA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdataError {
    /// The tokens ended before a field (`what` says which).
    #[error("unexpected end of input (expected {0})")]
    End(&'static str),
    /// A token that is not a valid `what`.
    #[error("bad {what} '{text}'")]
    Bad { what: &'static str, text: String },
    /// A number too large for its field.
    #[error("{what} '{text}' out of range")]
    OutOfRange { what: &'static str, text: String },
    /// A mnemonic the table does not have.
    #[error("unknown {what} '{text}'")]
    Unknown { what: &'static str, text: String },
    /// A value outside what its field allows, with the reason.
    #[error("'{text}' out of range ({why})")]
    Range { text: String, why: &'static str },
    /// A value outside what its field allows.
    #[error("'{0}' out of range")]
    RangeOf(String),
    #[error("bad name '{text}': {err}")]
    Name { text: String, err: NameError },
    #[error("bad escape in '{0}'")]
    Escape(String),
    #[error("extra input text '{0}'")]
    Extra(String),
    #[error("syntax error near '{0}'{1}")]
    Syntax(String, &'static str),
    #[error("type {rtype} has no known text form; use \\# syntax (RFC 3597), not '{text}'")]
    NoTextForm { rtype: String, text: String },
    #[error("\\# data is not valid {0} RDATA")]
    BadGeneric(String),
    #[error("ran out of space (RDATA of {0} bytes; BIND needs it under {MAX_RDATA})")]
    TooLong(usize),
    #[error("character-string too long ({0} bytes)")]
    StringTooLong(usize),
    /// A digest whose length does not match its type: `short` when it has too few bytes.
    #[error("{} (digest is {got} bytes, expected {want})", if *.short { "unexpected end of input" } else { "extra input data" })]
    DigestLength {
        got: usize,
        want: usize,
        short: bool,
    },
    /// Any other rule of one type's syntax, with BIND's words.
    #[error("{0}")]
    Invalid(String),
}

impl RdataError {
    pub(crate) fn bad(what: &'static str, text: &[u8]) -> RdataError {
        RdataError::Bad {
            what,
            text: lossy(text).into_owned(),
        }
    }

    pub(crate) fn out_of_range(what: &'static str, text: &[u8]) -> RdataError {
        RdataError::OutOfRange {
            what,
            text: lossy(text).into_owned(),
        }
    }

    pub(crate) fn unknown(what: &'static str, text: &[u8]) -> RdataError {
        RdataError::Unknown {
            what,
            text: lossy(text).into_owned(),
        }
    }

    pub(crate) fn range(text: &[u8], why: &'static str) -> RdataError {
        RdataError::Range {
            text: lossy(text).into_owned(),
            why,
        }
    }

    pub(crate) fn name(text: &[u8], err: NameError) -> RdataError {
        RdataError::Name {
            text: lossy(text).into_owned(),
            err,
        }
    }

    pub(crate) fn extra(text: &[u8]) -> RdataError {
        RdataError::Extra(lossy(text).into_owned())
    }

    pub(crate) fn syntax(text: &[u8], hint: &'static str) -> RdataError {
        RdataError::Syntax(lossy(text).into_owned(), hint)
    }
}

impl From<String> for RdataError {
    fn from(s: String) -> RdataError {
        RdataError::Invalid(s)
    }
}

impl From<&str> for RdataError {
    fn from(s: &str) -> RdataError {
        RdataError::Invalid(s.to_string())
    }
}
