//! The named.conf lexer: text into words, quoted strings and punctuation, each with its line.
//! Comments (`#`, `//`, `/* */`) are dropped here.

use super::{Loc, NamedConfError};

/// One lexical token of a named.conf file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    /// An unquoted word: a keyword, a number, an address, a name.
    Word(String),
    /// A `"quoted string"`, without its quotes.
    Str(String),
    Open,
    Close,
    Semi,
    Bang,
}

/// Splits `text` into tokens with their line numbers. `loc` names the file (its line is
/// ignored); an unterminated string or comment is an error at the line where it starts.
pub(super) fn lex(text: &str, loc: &Loc) -> Result<Vec<(Tok, u32)>, NamedConfError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut line: u32 = 1;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => i += 1,
            b'#' => i = skip_line(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_line(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = line;
                i += 2;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(NamedConfError::UnterminatedComment(loc.at(start)));
                        }
                        Some(b'*') if bytes.get(i + 1) == Some(&b'/') => {
                            i += 2;
                            break;
                        }
                        Some(b'\n') => {
                            line += 1;
                            i += 1;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'{' => {
                out.push((Tok::Open, line));
                i += 1;
            }
            b'}' => {
                out.push((Tok::Close, line));
                i += 1;
            }
            b';' => {
                out.push((Tok::Semi, line));
                i += 1;
            }
            b'!' => {
                out.push((Tok::Bang, line));
                i += 1;
            }
            b'"' => {
                let start = line;
                let mut s = Vec::new();
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Err(NamedConfError::UnterminatedString(loc.at(start))),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') if i + 1 < bytes.len() => {
                            if bytes[i + 1] == b'\n' {
                                line += 1;
                            }
                            s.push(bytes[i + 1]);
                            i += 2;
                        }
                        Some(&b) => {
                            if b == b'\n' {
                                line += 1;
                            }
                            s.push(b);
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Str(String::from_utf8_lossy(&s).into_owned()), start));
            }
            _ => {
                let start = i;
                while i < bytes.len() && !ends_word(bytes, i) {
                    // `\}` and `\{` are part of a word (dyndb's bracketed text uses them).
                    i += if bytes[i] == b'\\' && i + 1 < bytes.len() && bytes[i + 1] != b'\n' {
                        2
                    } else {
                        1
                    };
                }
                out.push((
                    Tok::Word(String::from_utf8_lossy(&bytes[start..i]).into_owned()),
                    line,
                ));
            }
        }
    }
    Ok(out)
}

fn skip_line(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

fn ends_word(bytes: &[u8], i: usize) -> bool {
    match bytes[i] {
        b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c | b'{' | b'}' | b';' | b'"' | b'#' => true,
        b'/' => matches!(bytes.get(i + 1), Some(b'/') | Some(b'*')),
        _ => false,
    }
}
