//! The named.conf grammar: tokens into a tree of statements (`item... ;`, where an item is a
//! word, a string, `!` or a `{ statement... }` block), with `include` files spliced in.

use std::path::{Path, PathBuf};

use super::lexer::{lex, Tok};
use super::{Errors, Loc, NamedConfError};

/// Deepest include nesting followed before giving up (a loop of includes ends here).
const MAX_INCLUDE_DEPTH: usize = 32;

/// One item of a statement, with where it stands.
#[derive(Debug, Clone)]
pub(super) enum Item {
    /// A word or a string; `quoted` tells which.
    Value {
        text: String,
        quoted: bool,
        loc: Loc,
    },
    Bang(Loc),
    Block(Vec<Stmt>, Loc),
}

impl Item {
    pub(super) fn loc(&self) -> &Loc {
        match self {
            Item::Value { loc, .. } | Item::Bang(loc) | Item::Block(_, loc) => loc,
        }
    }

    /// The text of a word or string, `None` for `!` and blocks.
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Item::Value { text, .. } => Some(text),
            _ => None,
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Item::Value {
                text, quoted: true, ..
            } => format!("'\"{text}\"'"),
            Item::Value { text, .. } => format!("'{text}'"),
            Item::Bang(_) => "'!'".to_string(),
            Item::Block(..) => "'{'".to_string(),
        }
    }
}

/// One statement: its items up to the closing `;`.
#[derive(Debug, Clone)]
pub(super) struct Stmt {
    pub(super) items: Vec<Item>,
    pub(super) loc: Loc,
}

impl Stmt {
    /// The statement's keyword (its first word), lowercased.
    pub(super) fn keyword(&self) -> String {
        self.items
            .first()
            .and_then(Item::text)
            .unwrap_or("")
            .to_ascii_lowercase()
    }
}

/// Reads files through `read` and parses them, following includes.
pub(super) struct Grammar<'a> {
    pub(super) read: &'a dyn Fn(&Path) -> std::io::Result<String>,
    /// Where relative includes are looked for after the including file's own directory.
    pub(super) base_dir: PathBuf,
    pub(super) errors: &'a mut Errors,
    /// Every file read or looked for, in order (for watching them).
    pub(super) files: Vec<PathBuf>,
}

impl Grammar<'_> {
    /// Parses the file at `path`; `from` is the include statement that named it, if any.
    pub(super) fn parse_file(
        &mut self,
        path: &Path,
        from: Option<&Loc>,
        depth: usize,
    ) -> Vec<Stmt> {
        let text = match (self.read)(path) {
            Ok(text) => text,
            Err(source) => {
                let path = path.to_path_buf();
                self.files.push(path.clone());
                self.errors.push(match from {
                    Some(loc) => NamedConfError::Include {
                        loc: loc.clone(),
                        path,
                        source,
                    },
                    None => NamedConfError::Open { path, source },
                });
                return Vec::new();
            }
        };
        self.parse_text(&text, path, depth)
    }

    /// Parses `text` as the content of the file `path`.
    pub(super) fn parse_text(&mut self, text: &str, path: &Path, depth: usize) -> Vec<Stmt> {
        self.files.push(path.to_path_buf());
        let file = Loc::file(path);
        let tokens = match lex(text, &file) {
            Ok(tokens) => tokens,
            Err(e) => {
                self.errors.push(e);
                return Vec::new();
            }
        };
        let last_line = tokens.last().map_or(1, |t| t.1);
        let mut cursor = Cursor {
            tokens: &tokens,
            pos: 0,
            file,
            last_line,
        };
        match self.body(&mut cursor, None, depth) {
            Ok(stmts) => stmts,
            Err(e) => {
                self.errors.push(e);
                Vec::new()
            }
        }
    }

    /// Statements up to the `}` closing a block opened at `open` (or to the end of the file
    /// when `open` is `None`).
    fn body(
        &mut self,
        c: &mut Cursor,
        open: Option<&Loc>,
        depth: usize,
    ) -> Result<Vec<Stmt>, NamedConfError> {
        let mut stmts = Vec::new();
        loop {
            match c.peek() {
                None => {
                    return match open {
                        Some(open) => Err(NamedConfError::UnclosedBrace {
                            loc: c.file.at(c.last_line),
                            open: open.line,
                        }),
                        None => Ok(stmts),
                    };
                }
                Some((Tok::Close, line)) => {
                    let loc = c.file.at(line);
                    c.pos += 1;
                    return match open {
                        Some(_) => Ok(stmts),
                        None => Err(NamedConfError::UnexpectedClose(loc)),
                    };
                }
                Some((Tok::Semi, line)) => {
                    return Err(NamedConfError::Unexpected {
                        loc: c.file.at(line),
                        found: "';'".into(),
                    });
                }
                Some(_) => {}
            }
            let stmt = self.statement(c, depth)?;
            if stmt.keyword() == "include" {
                self.include(stmt, &mut stmts, depth);
            } else {
                stmts.push(stmt);
            }
        }
    }

    /// One statement, up to and including its `;`.
    fn statement(&mut self, c: &mut Cursor, depth: usize) -> Result<Stmt, NamedConfError> {
        let mut items: Vec<Item> = Vec::new();
        let start = c.peek().map_or(c.last_line, |t| t.1);
        loop {
            let Some((tok, line)) = c.peek() else {
                return Err(NamedConfError::MissingSemicolon {
                    loc: c.file.at(c.last_line),
                    before: "end of file".into(),
                });
            };
            let loc = c.file.at(line);
            c.pos += 1;
            match tok {
                Tok::Semi => {
                    return Ok(Stmt {
                        items,
                        loc: c.file.at(start),
                    })
                }
                Tok::Close => {
                    return Err(NamedConfError::MissingSemicolon {
                        loc,
                        before: "'}'".into(),
                    });
                }
                Tok::Open if is_raw(&items) => {
                    c.skip_raw(&loc)?;
                    items.push(Item::Block(Vec::new(), loc));
                }
                Tok::Open => {
                    let body = self.body(c, Some(&loc), depth)?;
                    items.push(Item::Block(body, loc));
                }
                Tok::Bang => items.push(Item::Bang(loc)),
                Tok::Word(w) => items.push(Item::Value {
                    text: w.clone(),
                    quoted: false,
                    loc,
                }),
                Tok::Str(s) => items.push(Item::Value {
                    text: s.clone(),
                    quoted: true,
                    loc,
                }),
            }
        }
    }

    /// Splices the statements of the file an `include "FILE";` names into `into`.
    fn include(&mut self, stmt: Stmt, into: &mut Vec<Stmt>, depth: usize) {
        let name = match stmt.items.as_slice() {
            [_, Item::Value { text, .. }] => text.clone(),
            [_] => {
                self.errors.push(NamedConfError::ExpectedValue {
                    loc: stmt.loc,
                    what: "a file name after 'include'".into(),
                });
                return;
            }
            [_, other, ..] => {
                let (loc, found) = (other.loc().clone(), other.describe());
                self.errors.push(NamedConfError::Unexpected { loc, found });
                return;
            }
            [] => return,
        };
        if depth >= MAX_INCLUDE_DEPTH {
            self.errors.push(NamedConfError::Invalid {
                loc: stmt.loc,
                message: format!("include \"{name}\" nested too deeply (a loop of includes?)"),
            });
            return;
        }
        if has_wildcard(&name) {
            for path in glob(&self.resolve(&stmt.loc, &name, &mut None)) {
                into.extend(self.parse_file(&path, Some(&stmt.loc), depth + 1));
            }
            return;
        }
        let mut text = None;
        let path = self.resolve(&stmt.loc, &name, &mut text);
        into.extend(match text {
            Some(text) => self.parse_text(&text, &path, depth + 1),
            None => self.parse_file(&path, Some(&stmt.loc), depth + 1),
        });
    }

    /// An included file's path: absolute as written; relative, the including file's directory
    /// if it holds the file, else the caller's base directory (BIND's working directory).
    /// When the file beside the including one was read to find out, `text` gets its content.
    fn resolve(&self, loc: &Loc, name: &str, text: &mut Option<String>) -> PathBuf {
        let path = Path::new(name);
        if path.is_absolute() {
            return path.to_path_buf();
        }
        if let Some(dir) = loc.path.parent() {
            let beside = dir.join(path);
            if has_wildcard(name) {
                if !glob(&beside).is_empty() {
                    return beside;
                }
            } else if let Ok(content) = (self.read)(&beside) {
                *text = Some(content);
                return beside;
            }
        }
        self.base_dir.join(path)
    }
}

/// Whether the block that follows `items` is free text for a driver (`dyndb NAME LIB { ... }`),
/// not statements.
fn is_raw(items: &[Item]) -> bool {
    items
        .first()
        .and_then(Item::text)
        .is_some_and(|w| w.eq_ignore_ascii_case("dyndb"))
}

/// A position in one file's tokens.
struct Cursor<'t> {
    tokens: &'t [(Tok, u32)],
    pos: usize,
    file: Loc,
    last_line: u32,
}

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<(&'t Tok, u32)> {
        self.tokens.get(self.pos).map(|(t, l)| (t, *l))
    }

    /// Skips to the `}` that closes the `{` at `open`, whatever lies between.
    fn skip_raw(&mut self, open: &Loc) -> Result<(), NamedConfError> {
        let mut depth = 1;
        while let Some((tok, _)) = self.peek() {
            self.pos += 1;
            match tok {
                Tok::Open => depth += 1,
                Tok::Close if depth == 1 => return Ok(()),
                Tok::Close => depth -= 1,
                _ => {}
            }
        }
        Err(NamedConfError::UnclosedBrace {
            loc: self.file.at(self.last_line),
            open: open.line,
        })
    }
}

fn has_wildcard(name: &str) -> bool {
    name.contains(['*', '?'])
}

/// The files a wildcard include names (`zone*.conf`; wildcards in the last component only),
/// sorted, as BIND's glob(3) gives them.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (
        pattern.parent(),
        pattern.file_name().and_then(|n| n.to_str()),
    ) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| wildcard_match(name.as_bytes(), n.as_bytes()))
        })
        .map(|e| dir.join(e.file_name()))
        .collect();
    found.sort();
    found
}

/// `*` and `?` matching of a whole file name.
fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| wildcard_match(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && wildcard_match(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && wildcard_match(rest, &name[1..]),
    }
}
