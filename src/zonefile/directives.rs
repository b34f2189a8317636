//! The `$ORIGIN`, `$TTL` and `$INCLUDE` directives, and reading an included file in its own
//! scope.

use std::path::{Path, PathBuf};

use super::error::ReadError;
use super::lexer::RawTok;
use super::state::{canonical, lossy, FileCtx, State};
use super::MAX_INCLUDE_DEPTH;
use crate::dns::name::Name;
use crate::dns::rdata::{self, Tok};

impl State<'_> {
    /// Reads `path` as a file of its own (the top file, or an `$INCLUDE`).
    pub(super) fn include(
        &mut self,
        path: &Path,
        from: Option<(u16, u32)>,
        origin: Name,
        owner: Option<Name>,
        depth: usize,
    ) {
        if depth > MAX_INCLUDE_DEPTH {
            if let Some((f, l)) = from {
                self.error(f, l, ReadError::IncludeDepth);
            }
            return;
        }
        let Ok(idx) = u16::try_from(self.files.len()) else {
            if let Some((f, l)) = from {
                self.error(f, l, ReadError::TooManyFiles);
            }
            return;
        };
        self.files.push(path.to_path_buf());
        // Only regular files: a device or FIFO could never end.
        let regular = std::fs::metadata(path).map(|m| m.is_file());
        if let Ok(false) = regular {
            match from {
                Some((f, l)) => self.error(
                    f,
                    l,
                    ReadError::IncludedNotAFile(path.display().to_string()),
                ),
                None => self.error(idx, 0, ReadError::NotAFile),
            }
            return;
        }
        match std::fs::File::open(path) {
            Ok(file) => {
                self.stack.push(canonical(path));
                let mut ctx = FileCtx {
                    file: idx,
                    origin,
                    last_owner: owner.map(|o| o.wire().to_vec()).unwrap_or_default(),
                    depth,
                };
                if let Err(e) = self.parse_reader(file, &mut ctx) {
                    self.out.transient = true;
                    self.error(
                        idx,
                        0,
                        ReadError::Read {
                            path: path.display().to_string(),
                            err: e.to_string(),
                        },
                    );
                }
                self.stack.pop();
            }
            Err(e) => {
                // Out of file descriptors, or memory: worth another try; a missing file is not.
                if e.kind() != std::io::ErrorKind::NotFound {
                    self.out.transient = true;
                }
                match from {
                    Some((f, l)) => self.error(
                        f,
                        l,
                        ReadError::OpenIncluded {
                            path: path.display().to_string(),
                            err: e.to_string(),
                        },
                    ),
                    None => self.error(idx, 0, ReadError::OpenZone(e.to_string())),
                }
            }
        }
    }

    pub(super) fn directive(
        &mut self,
        toks: &[Tok<'_>],
        raw: &[RawTok],
        line: u32,
        ctx: &mut FileCtx,
    ) {
        let d = toks[0].text.to_ascii_uppercase();
        match d.as_slice() {
            b"$ORIGIN" => {
                let Some(t) = toks.get(1) else {
                    self.error(
                        ctx.file,
                        line,
                        ReadError::MissingArgument {
                            directive: "$ORIGIN",
                            what: "a name",
                        },
                    );
                    return;
                };
                match self.name(t.text, &ctx.origin) {
                    Ok(n) => ctx.origin = n,
                    Err(e) => self.error(
                        ctx.file,
                        line,
                        ReadError::BadOrigin {
                            text: lossy(t.text).into_owned(),
                            err: e,
                        },
                    ),
                }
                if toks.len() > 2 {
                    self.error(
                        ctx.file,
                        line,
                        ReadError::Extra(lossy(toks[2].text).into_owned()),
                    );
                }
            }
            b"$TTL" => {
                let Some(t) = toks.get(1) else {
                    self.error(
                        ctx.file,
                        line,
                        ReadError::MissingArgument {
                            directive: "$TTL",
                            what: "a value",
                        },
                    );
                    return;
                };
                match rdata::parse_ttl(t.text) {
                    Some(v) => {
                        let v = if v > 0x7fff_ffff {
                            self.warn(ctx.file, line, ReadError::DefaultTtlTooLarge(v));
                            0
                        } else {
                            v
                        };
                        self.default_ttl = Some(v);
                    }
                    None => self.error(
                        ctx.file,
                        line,
                        ReadError::BadDefaultTtl(lossy(t.text).into_owned()),
                    ),
                }
                if toks.len() > 2 {
                    self.error(
                        ctx.file,
                        line,
                        ReadError::Extra(lossy(toks[2].text).into_owned()),
                    );
                }
            }
            b"$INCLUDE" => {
                let Some(t) = toks.get(1) else {
                    self.error(
                        ctx.file,
                        line,
                        ReadError::MissingArgument {
                            directive: "$INCLUDE",
                            what: "a file name",
                        },
                    );
                    return;
                };
                // BIND uses the file name as written: escapes are not interpreted.
                let fname = t.text.to_vec();
                let origin = match toks.get(2) {
                    Some(o) => match self.name(o.text, &ctx.origin) {
                        Ok(n) => n,
                        Err(e) => {
                            self.error(
                                ctx.file,
                                line,
                                ReadError::BadIncludeOrigin {
                                    text: lossy(o.text).into_owned(),
                                    err: e,
                                },
                            );
                            return;
                        }
                    },
                    None => ctx.origin.clone(),
                };
                let path = self.resolve_include(ctx.file, &String::from_utf8_lossy(&fname));
                if self.stack.contains(&canonical(&path)) {
                    self.error(
                        ctx.file,
                        line,
                        ReadError::IncludeLoop(path.display().to_string()),
                    );
                    return;
                }
                if let Some(extra) = toks.get(3) {
                    self.error(
                        ctx.file,
                        line,
                        ReadError::Extra(lossy(extra.text).into_owned()),
                    );
                    return;
                }
                let owner = (!ctx.last_owner.is_empty())
                    .then(|| Name::from_wire_unchecked(&ctx.last_owner));
                self.include(&path, Some((ctx.file, line)), origin, owner, ctx.depth + 1);
            }
            b"$GENERATE" => self.generate(toks, raw, line, ctx),
            _ => self.error(
                ctx.file,
                line,
                ReadError::UnknownDirective(lossy(toks[0].text).into_owned()),
            ),
        }
    }

    /// Relative `$INCLUDE` paths are tried against the including file's directory, then the
    /// working directory (BIND's rule).
    pub(super) fn resolve_include(&self, file: u16, fname: &str) -> PathBuf {
        let p = Path::new(fname);
        if p.is_absolute() {
            return p.to_path_buf();
        }
        if let Some(dir) = self.files.get(file as usize).and_then(|f| f.parent()) {
            let cand = dir.join(p);
            if cand.exists() {
                return cand;
            }
        }
        p.to_path_buf()
    }
}
