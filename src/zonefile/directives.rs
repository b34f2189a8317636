//! The `$ORIGIN`, `$TTL` and `$INCLUDE` directives, and reading an included file in its own
//! scope.

use std::path::{Path, PathBuf};

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
                self.error(
                    f,
                    l,
                    format!("$INCLUDE nested too deeply (more than {MAX_INCLUDE_DEPTH} levels)"),
                );
            }
            return;
        }
        let Ok(idx) = u16::try_from(self.files.len()) else {
            if let Some((f, l)) = from {
                self.error(f, l, "too many included files".to_string());
            }
            return;
        };
        self.files.push(path.to_path_buf());
        // Only regular files: a device or FIFO could never end.
        let regular = std::fs::metadata(path).map(|m| m.is_file());
        if let Ok(false) = regular {
            match from {
                Some((f, l)) => self.error(f, l, format!("{}: not a regular file", path.display())),
                None => self.error(idx, 0, "not a regular file".to_string()),
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
                    self.error(idx, 0, format!("failed to read {}: {e}", path.display()));
                }
                self.stack.pop();
            }
            Err(e) => match from {
                Some((f, l)) => self.error(
                    f,
                    l,
                    format!("failed to read included file {}: {e}", path.display()),
                ),
                None => self.error(idx, 0, format!("failed to read zone file: {e}")),
            },
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
                    self.error(ctx.file, line, "$ORIGIN without a name".to_string());
                    return;
                };
                match self.name(t.text, &ctx.origin) {
                    Ok(n) => ctx.origin = n,
                    Err(e) => self.error(
                        ctx.file,
                        line,
                        format!("bad $ORIGIN '{}': {e}", lossy(t.text)),
                    ),
                }
                if toks.len() > 2 {
                    self.error(
                        ctx.file,
                        line,
                        format!("extra input text '{}'", lossy(toks[2].text)),
                    );
                }
            }
            b"$TTL" => {
                let Some(t) = toks.get(1) else {
                    self.error(ctx.file, line, "$TTL without a value".to_string());
                    return;
                };
                match rdata::parse_ttl(t.text) {
                    Some(v) => {
                        let v = if v > 0x7fff_ffff {
                            self.warn(
                                ctx.file,
                                line,
                                format!("$TTL {v} > MAXTTL, setting $TTL to 0"),
                            );
                            0
                        } else {
                            v
                        };
                        self.default_ttl = Some(v);
                    }
                    None => self.error(ctx.file, line, format!("bad $TTL '{}'", lossy(t.text))),
                }
                if toks.len() > 2 {
                    self.error(
                        ctx.file,
                        line,
                        format!("extra input text '{}'", lossy(toks[2].text)),
                    );
                }
            }
            b"$INCLUDE" => {
                let Some(t) = toks.get(1) else {
                    self.error(ctx.file, line, "$INCLUDE without a file name".to_string());
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
                                format!("bad $INCLUDE origin '{}': {e}", lossy(o.text)),
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
                        format!("$INCLUDE loop: {} includes itself", path.display()),
                    );
                    return;
                }
                if let Some(extra) = toks.get(3) {
                    self.error(
                        ctx.file,
                        line,
                        format!("extra input text '{}'", lossy(extra.text)),
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
                format!("unknown directive '{}'", lossy(toks[0].text)),
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
