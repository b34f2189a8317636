//! The master-file lexer: splits bytes into the tokens of one record at a time, handling
//! quotes, escapes, comments, parentheses and line continuation, and telling where a chunk
//! of a file ends mid-record.

#[derive(Debug, Clone, Copy)]
pub(super) struct RawTok {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) quoted: bool,
}

/// Why the lexer could not split a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(super) enum LexError {
    #[error("file too large")]
    TooLarge,
    #[error("unbalanced parentheses (missing ')')")]
    MissingParen,
    #[error("unbalanced parentheses (extra ')')")]
    ExtraParen,
    #[error("unbalanced quotes")]
    UnbalancedQuotes,
    /// BIND's lexer ends a token at a NUL byte and reports a syntax error.
    #[error("syntax error (NUL byte outside quotes)")]
    Nul,
}

pub(super) enum LexResult {
    Eof,
    /// The buffer ends inside the record that starts at `start` (only when more text follows).
    Partial {
        start: usize,
        line: u32,
    },
    /// The tokens of one logical record are in the caller's buffer.
    Record {
        line: u32,
        indented: bool,
    },
    /// A record that cannot be split, at this line (0: the file as a whole).
    Error(u32, LexError),
}

pub(super) struct Lexer<'a> {
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
    pub(super) line: u32,
    /// No more text follows `b` (otherwise a record cut by its end is `Partial`).
    pub(super) last: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer over one chunk of a file that starts at line `line`.
    pub(super) fn chunk(b: &'a [u8], line: u32, last: bool) -> Lexer<'a> {
        Lexer {
            b,
            pos: 0,
            line,
            last,
        }
    }

    /// Collects the tokens of the next logical record (a line, or several joined by parentheses).
    pub(super) fn next_record(&mut self, toks: &mut Vec<RawTok>) -> LexResult {
        toks.clear();
        let b = self.b;
        if self.pos >= b.len() {
            return LexResult::Eof;
        }
        if b.len() > u32::MAX as usize {
            self.pos = b.len();
            return LexResult::Error(0, LexError::TooLarge);
        }
        let start_line = self.line;
        let start = self.pos;
        let indented = matches!(b[self.pos], b' ' | b'\t');
        let mut depth = 0u32;
        let mut paren_line = 0u32;
        loop {
            let Some(&c) = b.get(self.pos) else {
                if !self.last {
                    return LexResult::Partial {
                        start,
                        line: start_line,
                    };
                }
                if depth > 0 {
                    return LexResult::Error(paren_line, LexError::MissingParen);
                }
                return LexResult::Record {
                    line: start_line,
                    indented,
                };
            };
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    if depth == 0 {
                        return LexResult::Record {
                            line: start_line,
                            indented,
                        };
                    }
                }
                b';' => {
                    while self.pos < b.len() && b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'(' => {
                    if depth == 0 {
                        paren_line = self.line;
                    }
                    depth += 1;
                    self.pos += 1;
                }
                b')' => {
                    self.pos += 1;
                    if depth == 0 {
                        self.skip_line();
                        return LexResult::Error(
                            self.line.saturating_sub(1).max(start_line),
                            LexError::ExtraParen,
                        );
                    }
                    depth -= 1;
                }
                b'"' => {
                    let s = self.pos + 1;
                    let mut i = s;
                    loop {
                        match b.get(i) {
                            None if !self.last => {
                                return LexResult::Partial {
                                    start,
                                    line: start_line,
                                };
                            }
                            None | Some(b'\n') => {
                                let line = self.line;
                                self.pos = i;
                                self.skip_line();
                                return LexResult::Error(line, LexError::UnbalancedQuotes);
                            }
                            Some(b'\\') => i += 2,
                            Some(b'"') => break,
                            Some(_) => i += 1,
                        }
                    }
                    toks.push(RawTok {
                        start: s as u32,
                        end: i as u32,
                        quoted: true,
                    });
                    self.pos = i + 1;
                }
                _ => {
                    let s = self.pos;
                    let mut i = s;
                    while let Some(&c) = b.get(i) {
                        match c {
                            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' => break,
                            0 => {
                                let line = self.line;
                                self.pos = i;
                                self.skip_line();
                                return LexResult::Error(line, LexError::Nul);
                            }
                            b'\\' => {
                                if b.get(i + 1) == Some(&0) {
                                    i += 1;
                                } else if b.get(i + 1).is_some_and(|&n| n != b'\n') {
                                    i += 2;
                                } else {
                                    i += 1;
                                }
                            }
                            _ => i += 1,
                        }
                    }
                    let i = i.min(b.len());
                    toks.push(RawTok {
                        start: s as u32,
                        end: i as u32,
                        quoted: false,
                    });
                    self.pos = i;
                }
            }
        }
    }

    pub(super) fn skip_line(&mut self) {
        while self.pos < self.b.len() {
            let c = self.b[self.pos];
            self.pos += 1;
            if c == b'\n' {
                self.line += 1;
                return;
            }
        }
    }
}
