//! The master-file reader (RFC 1035 section 5, RFC 2308 `$TTL`, BIND's `$INCLUDE` and
//! `$GENERATE`): a byte lexer, directive handling and record assembly, producing records that
//! carry their `file:line`, plus every error and warning found, never only the first.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::dns::name::{self, Name};
use crate::dns::rdata::{self, Tok};

/// How much of a zone file is read at a time.
const READ_CHUNK: usize = 1 << 20;

/// Stop reporting after this many errors in one zone.
pub const MAX_ERRORS: usize = 100;
/// Deepest `$INCLUDE` nesting accepted (BIND allows 20).
pub const MAX_INCLUDE_DEPTH: usize = 20;
/// Largest `$GENERATE` range expansion, to keep a typo from exhausting memory.
pub const MAX_GENERATE: u64 = 10_000_000;

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
}

/// Options for reading a zone.
#[derive(Debug, Clone)]
pub struct Options {
    pub origin: Name,
    /// Class of the zone (IN).
    pub class: u16,
}

impl Options {
    pub fn new(origin: Name) -> Options {
        Options { origin, class: 1 }
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

struct State<'o> {
    opts: &'o Options,
    /// How much of a file is read at a time ([`READ_CHUNK`]; tests use less).
    read_chunk: usize,
    /// Where records go when streaming (see [`parse_file_with`]).
    sink: Option<&'o mut dyn FnMut(Record)>,
    out: Parsed,
    files: Vec<PathBuf>,
    /// `$TTL` value, if any.
    default_ttl: Option<u32>,
    /// The TTL of the last record (RFC 1035 semantics when there is no `$TTL`).
    last_ttl: Option<u32>,
    /// The chain of files being read, to catch `$INCLUDE` loops.
    stack: Vec<PathBuf>,
    /// Scratch buffers reused across records.
    namebuf: Vec<u8>,
    rdbuf: Vec<u8>,
}

/// Per-file lexical context: the current origin and owner are scoped to a file.
struct FileCtx {
    file: u16,
    origin: Name,
    /// The last owner name in wire form (empty when there is none yet); a reused buffer.
    last_owner: Vec<u8>,
    depth: usize,
}

impl<'o> State<'o> {
    fn new(opts: &'o Options) -> State<'o> {
        State {
            opts,
            sink: None,
            read_chunk: READ_CHUNK,
            out: Parsed::default(),
            files: Vec::new(),
            default_ttl: None,
            last_ttl: None,
            stack: Vec::new(),
            namebuf: Vec::with_capacity(256),
            rdbuf: Vec::with_capacity(512),
        }
    }

    fn finish(mut self) -> Parsed {
        self.out.files = self.files;
        self.out
    }

    fn error(&mut self, file: u16, line: u32, message: String) {
        if self.out.errors.len() >= MAX_ERRORS {
            self.out.suppressed += 1;
            return;
        }
        let path = self.files.get(file as usize).cloned().unwrap_or_default();
        self.out.errors.push(Diag {
            path,
            line,
            message,
        });
    }

    fn warn(&mut self, file: u16, line: u32, message: String) {
        if self.out.warnings.len() >= MAX_ERRORS {
            return;
        }
        let path = self.files.get(file as usize).cloned().unwrap_or_default();
        self.out.warnings.push(Diag {
            path,
            line,
            message,
        });
    }

    /// Reads `path` as a file of its own (the top file, or an `$INCLUDE`).
    fn include(
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

    /// Reads one file's text. `owner` is the owner a leading indented record inherits (an
    /// included file continues with the including file's last owner, as in BIND).
    /// Reads a file in chunks, so a large zone is never held whole in memory: each chunk is
    /// parsed up to its last complete record, and the rest is carried into the next one.
    fn parse_reader(&mut self, mut file: std::fs::File, ctx: &mut FileCtx) -> std::io::Result<()> {
        use std::io::Read;
        let mut buf: Vec<u8> = Vec::new();
        let mut line = 1u32;
        loop {
            // Read at least CHUNK more; a record longer than the buffer doubles it.
            let want = self.read_chunk.max(buf.len());
            let n = (&mut file).take(want as u64).read_to_end(&mut buf)?;
            let last = n < want;
            let (consumed, next_line) = self.parse_buffer(&buf, ctx, line, last);
            if last {
                return Ok(());
            }
            buf.drain(..consumed);
            line = next_line;
        }
    }

    /// Parses the records in `text`, which starts at line `line`. Unless `last`, a record cut
    /// by the end of `text` is left alone: returns how many bytes were used and the line the
    /// rest starts at.
    fn parse_buffer(
        &mut self,
        text: &[u8],
        ctx: &mut FileCtx,
        line: u32,
        last: bool,
    ) -> (usize, u32) {
        if ctx.depth == 0 && self.sink.is_none() {
            // At most one record per line: size the output once instead of growing it.
            let lines = text.iter().filter(|&&c| c == b'\n').count();
            self.out.records.reserve(lines + 1);
        }
        let file = ctx.file;
        let mut lex = Lexer::chunk(text, line, last);
        let mut toks: Vec<RawTok> = Vec::with_capacity(16);
        let mut tokbuf: Vec<Tok<'_>> = Vec::with_capacity(16);
        loop {
            match lex.next_record(&mut toks) {
                LexResult::Eof => return (text.len(), lex.line),
                LexResult::Partial { start, line } => return (start, line),
                LexResult::Error(line, msg) => self.error(file, line, msg),
                LexResult::Record { line, indented } => {
                    if toks.is_empty() {
                        continue;
                    }
                    tokbuf.clear();
                    tokbuf.extend(toks.iter().map(|t| Tok {
                        text: &text[t.start as usize..t.end as usize],
                        quoted: t.quoted,
                    }));
                    self.record(&tokbuf, &toks, line, indented, ctx);
                }
            }
        }
    }

    fn record(
        &mut self,
        toks: &[Tok<'_>],
        raw: &[RawTok],
        line: u32,
        indented: bool,
        ctx: &mut FileCtx,
    ) {
        let first = toks[0];
        if !indented && !first.quoted && first.text.first() == Some(&b'$') {
            self.directive(toks, raw, line, ctx);
            return;
        }
        let mut i = 0usize;
        if indented {
            if ctx.last_owner.is_empty() {
                self.error(ctx.file, line, "no current owner name".to_string());
                return;
            }
        } else {
            i = 1;
            match name::parse_into(first.text, Some(ctx.origin.wire()), &mut self.namebuf) {
                // The new owner becomes the current one without copying.
                Ok(()) => std::mem::swap(&mut self.namebuf, &mut ctx.last_owner),
                Err(e) => {
                    self.error(
                        ctx.file,
                        line,
                        format!("bad owner name '{}': {e}", lossy(first.text)),
                    );
                    return;
                }
            }
        }
        let owner = Name::from_wire_unchecked(&ctx.last_owner);
        let Some(head) = self.ttl_class_type(&toks[i..], ctx.file, line) else {
            return;
        };
        i += head.consumed;
        self.finish_record(owner, head, &toks[i..], ctx, line);
    }

    fn finish_record(
        &mut self,
        owner: Name,
        head: Head,
        rtoks: &[Tok<'_>],
        ctx: &FileCtx,
        line: u32,
    ) {
        let Head {
            ttl, class, rtype, ..
        } = head;
        if let Some(c) = class {
            if c != self.opts.class {
                let mut s = String::new();
                rdata::class_to_text(c, &mut s);
                self.error(
                    ctx.file,
                    line,
                    format!("class '{s}' does not match the zone's class"),
                );
                return;
            }
        }
        if rdata::is_meta(rtype) {
            self.error(
                ctx.file,
                line,
                format!(
                    "type '{}': invalid use of a meta type",
                    rdata::type_name(rtype)
                ),
            );
            return;
        }
        if rtype == rdata::NS && owner.wire().starts_with(b"\x01*") {
            self.error(
                ctx.file,
                line,
                format!("{owner}: invalid NS owner name (wildcard)"),
            );
            return;
        }
        let mut rd = std::mem::take(&mut self.rdbuf);
        let res = rdata::parse_rdata(rtype, rtoks, &ctx.origin, &mut rd);
        if let Err(e) = res {
            self.rdbuf = rd;
            self.error(ctx.file, line, format!("{}: {e}", rdata::type_name(rtype)));
            return;
        }
        let rdata: Box<[u8]> = rd.as_slice().into();
        self.rdbuf = rd;
        let ttl = match ttl {
            Some(t) => {
                self.last_ttl = Some(t);
                t
            }
            None => match (self.default_ttl, self.last_ttl) {
                (Some(d), _) => d,
                (None, Some(l)) => l,
                (None, None) => {
                    if rtype == rdata::SOA && rdata.len() >= 4 {
                        let m = &rdata[rdata.len() - 4..];
                        let min = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
                        self.warn(
                            ctx.file,
                            line,
                            "no TTL specified; using SOA MINTTL instead".to_string(),
                        );
                        // BIND then uses MINTTL as if it were a $TTL.
                        self.default_ttl = Some(min);
                        min
                    } else {
                        self.error(
                            ctx.file,
                            line,
                            "no TTL specified; zone rejected".to_string(),
                        );
                        return;
                    }
                }
            },
        };
        if ttl > 0x7fff_ffff {
            self.warn(
                ctx.file,
                line,
                format!("TTL {ttl} > MAXTTL, setting TTL to 0"),
            );
        }
        let ttl = if ttl > 0x7fff_ffff { 0 } else { ttl };
        let rec = Record {
            owner,
            ttl,
            class: self.opts.class,
            rtype,
            rdata,
            file: ctx.file,
            line,
        };
        match self.sink.as_mut() {
            Some(sink) => sink(rec),
            None => self.out.records.push(rec),
        }
    }

    fn name(&mut self, text: &[u8], origin: &Name) -> Result<Name, name::NameError> {
        name::parse_into(text, Some(origin.wire()), &mut self.namebuf)?;
        Ok(Name::from_wire_unchecked(&self.namebuf))
    }

    /// Reads `[ttl] [class] type` in either order.
    fn ttl_class_type(&mut self, toks: &[Tok<'_>], file: u16, line: u32) -> Option<Head> {
        let mut ttl = None;
        let mut class = None;
        let mut i = 0;
        loop {
            let Some(t) = toks.get(i) else {
                self.error(
                    file,
                    line,
                    "unexpected end of line (expected a type)".to_string(),
                );
                return None;
            };
            if !t.quoted && ttl.is_none() && t.text.first().is_some_and(u8::is_ascii_digit) {
                match rdata::parse_ttl(t.text) {
                    Some(v) => ttl = Some(v),
                    None => {
                        self.error(file, line, format!("bad TTL '{}'", lossy(t.text)));
                        return None;
                    }
                }
                i += 1;
                continue;
            }
            if !t.quoted && class.is_none() {
                if let Some(c) = rdata::class_from_text(t.text) {
                    // "ANY" and friends are classes only where a type cannot be meant.
                    class = Some(c);
                    i += 1;
                    continue;
                }
            }
            match rdata::type_from_text(t.text) {
                Some(rtype) if !t.quoted => {
                    return Some(Head {
                        ttl,
                        class,
                        rtype,
                        consumed: i + 1,
                    })
                }
                _ => {
                    self.error(file, line, format!("unknown RR type '{}'", lossy(t.text)));
                    return None;
                }
            }
        }
    }

    fn directive(&mut self, toks: &[Tok<'_>], raw: &[RawTok], line: u32, ctx: &mut FileCtx) {
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
    fn resolve_include(&self, file: u16, fname: &str) -> PathBuf {
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

    /// `$GENERATE range lhs [ttl] [class] type rhs`.
    fn generate(&mut self, toks: &[Tok<'_>], _raw: &[RawTok], line: u32, ctx: &mut FileCtx) {
        let file = ctx.file;
        if toks.len() < 4 {
            self.error(file, line, "$GENERATE: too few arguments".to_string());
            return;
        }
        let Some((start, stop, step)) = parse_range(toks[1].text) else {
            self.error(
                file,
                line,
                format!("$GENERATE: bad range '{}'", lossy(toks[1].text)),
            );
            return;
        };
        if (stop - start) / step > MAX_GENERATE {
            self.error(
                file,
                line,
                format!("$GENERATE: range '{}' too large", lossy(toks[1].text)),
            );
            return;
        }
        let lhs = toks[2];
        let Some(head) = self.ttl_class_type(&toks[3..], file, line) else {
            return;
        };
        let rest = &toks[3 + head.consumed..];
        if rest.is_empty() {
            self.error(file, line, "$GENERATE: missing right-hand side".to_string());
            return;
        }
        let mut v = start;
        while v <= stop {
            let owner_text = match expand_template(lhs.text, v) {
                Ok(s) => s,
                Err(e) => {
                    self.error(file, line, format!("$GENERATE: {e}"));
                    return;
                }
            };
            let mut rhs_texts = Vec::with_capacity(rest.len());
            for t in rest {
                match expand_template(t.text, v) {
                    Ok(s) => rhs_texts.push((s, t.quoted)),
                    Err(e) => {
                        self.error(file, line, format!("$GENERATE: {e}"));
                        return;
                    }
                }
            }
            let owner = match self.name(&owner_text, &ctx.origin) {
                Ok(n) => n,
                Err(e) => {
                    self.error(
                        file,
                        line,
                        format!("$GENERATE: bad owner name '{}': {e}", lossy(&owner_text)),
                    );
                    return;
                }
            };
            let rtoks: Vec<Tok<'_>> = rhs_texts
                .iter()
                .map(|(s, q)| Tok {
                    text: s,
                    quoted: *q,
                })
                .collect();
            let errs = self.out.errors.len();
            self.finish_record(owner, Head { ..head }, &rtoks, ctx, line);
            if self.out.errors.len() > errs {
                return;
            }
            v += step;
        }
    }
}

#[derive(Clone, Copy)]
struct Head {
    ttl: Option<u32>,
    class: Option<u16>,
    rtype: u16,
    consumed: usize,
}

/// A path made absolute and free of `..` where possible, to recognise `$INCLUDE` loops.
fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn lossy(t: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(t)
}

fn parse_range(t: &[u8]) -> Option<(u64, u64, u64)> {
    let (range, step) = match t.iter().position(|&c| c == b'/') {
        Some(p) => (&t[..p], rdata::parse_dec(&t[p + 1..])?),
        None => (t, 1),
    };
    let dash = range.iter().position(|&c| c == b'-')?;
    let start = rdata::parse_dec(&range[..dash])?;
    let stop = rdata::parse_dec(&range[dash + 1..])?;
    if step == 0 || start > stop || stop > u32::MAX as u64 {
        return None;
    }
    Some((start, stop, step))
}

/// Expands a `$GENERATE` template: `$`, `${offset[,width[,base]]}`, `\$`.
pub fn expand_template(t: &[u8], value: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(t.len() + 8);
    let mut i = 0;
    while i < t.len() {
        let c = t[i];
        if c == b'\\' {
            if let Some(&n) = t.get(i + 1) {
                if n == b'$' {
                    // An escaped dollar stays escaped for the name reader.
                    out.extend_from_slice(b"\\$");
                } else {
                    out.push(b'\\');
                    out.push(n);
                }
                i += 2;
                continue;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c != b'$' {
            out.push(c);
            i += 1;
            continue;
        }
        if t.get(i + 1) == Some(&b'{') {
            let end = t[i..]
                .iter()
                .position(|&c| c == b'}')
                .ok_or("unterminated ${")?
                + i;
            let spec = std::str::from_utf8(&t[i + 2..end]).map_err(|_| "bad ${} modifier")?;
            let mut parts = spec.split(',');
            let offset: i64 = parts
                .next()
                .unwrap_or("0")
                .trim()
                .parse()
                .map_err(|_| format!("bad offset in ${{{spec}}}"))?;
            let width: usize = match parts.next() {
                Some(w) => w
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad width in ${{{spec}}}"))?,
                None => 0,
            };
            let base = parts.next().unwrap_or("d").trim();
            if parts.next().is_some() {
                return Err(format!("bad modifier ${{{spec}}}"));
            }
            // BIND computes in a C int: leaving its range is an error, negative values
            // print as unsigned in the non-decimal bases.
            if width > 255 {
                return Err(format!("${{{spec}}}: width out of range"));
            }
            let v = (value as i64).saturating_add(offset);
            if v > i32::MAX as i64 || v < i32::MIN as i64 {
                return Err(format!("${{{spec}}}: out of range"));
            }
            let u = v as i32 as u32;
            let s = match base {
                "d" => format!("{v:0width$}"),
                "o" => format!("{u:0width$o}"),
                "x" => format!("{u:0width$x}"),
                "X" => format!("{u:0width$X}"),
                "n" | "N" => nibbles(u, width, base == "N"),
                _ => return Err(format!("bad base in ${{{spec}}}")),
            };
            out.extend_from_slice(s.as_bytes());
            i = end + 1;
            continue;
        }
        if value > i32::MAX as u64 {
            return Err("$: out of range".to_string());
        }
        out.extend_from_slice(value.to_string().as_bytes());
        i += 1;
    }
    Ok(out)
}

/// Nibble form used for ip6.arpa: least significant nibble first, dot separated. As in
/// BIND, `width` counts output characters, dots included (so it can end with a dot).
fn nibbles(mut v: u32, mut width: usize, upper: bool) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut s = String::new();
    loop {
        s.push(digits[(v & 15) as usize] as char);
        v >>= 4;
        width = width.saturating_sub(1);
        if width > 0 || v != 0 {
            s.push('.');
            width = width.saturating_sub(1);
        }
        if v == 0 && width == 0 {
            return s;
        }
    }
}

// ------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy)]
struct RawTok {
    start: u32,
    end: u32,
    quoted: bool,
}

enum LexResult {
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
    Error(u32, String),
}

struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
    line: u32,
    /// No more text follows `b` (otherwise a record cut by its end is `Partial`).
    last: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer over one chunk of a file that starts at line `line`.
    fn chunk(b: &'a [u8], line: u32, last: bool) -> Lexer<'a> {
        Lexer {
            b,
            pos: 0,
            line,
            last,
        }
    }

    /// Collects the tokens of the next logical record (a line, or several joined by parentheses).
    fn next_record(&mut self, toks: &mut Vec<RawTok>) -> LexResult {
        toks.clear();
        let b = self.b;
        if self.pos >= b.len() {
            return LexResult::Eof;
        }
        if b.len() > u32::MAX as usize {
            self.pos = b.len();
            return LexResult::Error(0, "file too large".to_string());
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
                    return LexResult::Error(
                        paren_line,
                        "unbalanced parentheses (missing ')')".to_string(),
                    );
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
                            "unbalanced parentheses (extra ')')".to_string(),
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
                                return LexResult::Error(line, "unbalanced quotes".to_string());
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
                            b'\\' => {
                                if b.get(i + 1).is_some_and(|&n| n != b'\n') {
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

    fn skip_line(&mut self) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, origin: &str) -> Parsed {
        parse_str(
            text.as_bytes(),
            Path::new("t.zone"),
            &Options::new(Name::from_ascii(origin).unwrap()),
        )
    }

    fn lines(p: &Parsed) -> Vec<String> {
        p.records
            .iter()
            .map(|r| {
                let mut s = format!("{} {} ", r.owner, r.ttl);
                rdata::type_to_text(r.rtype, &mut s);
                s.push(' ');
                rdata::write_rdata(r.rtype, &r.rdata, &mut s);
                s
            })
            .collect()
    }

    #[test]
    fn classic_tutorial_zone() {
        let p = parse(
            "$TTL 1D\n@\tIN SOA\tlhmaster.lihui.hadoop. root.lihui.hadoop. (\n\t\t\t0\t; serial\n\t\t\t1D\t; refresh\n\t\t\t1H\t; retry\n\t\t\t1W\t; expire\n\t\t\t3H )\t; minimum\n\tNS\tlhmaster\nlhmaster\tA\t192.168.1.4\nlhslave01 IN A 192.168.1.5\n",
            "lihui.hadoop.",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            lines(&p),
            vec![
                "lihui.hadoop. 86400 SOA lhmaster.lihui.hadoop. root.lihui.hadoop. 0 86400 3600 604800 10800",
                "lihui.hadoop. 86400 NS lhmaster.lihui.hadoop.",
                "lhmaster.lihui.hadoop. 86400 A 192.168.1.4",
                "lhslave01.lihui.hadoop. 86400 A 192.168.1.5",
            ]
        );
        assert_eq!(p.records[3].line, 10);
    }

    #[test]
    fn every_error_with_its_line() {
        let p = parse(
            "$TTL 60\n@ SOA a b 1 2 3 4 5\nx AX 1.2.3.4\ny A 1.2.3.999\nz A 1.2.3.4\n",
            "ex.",
        );
        let msgs: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "t.zone:3: unknown RR type 'AX'",
                "t.zone:4: A: bad IPv4 address '1.2.3.999'"
            ]
        );
        assert_eq!(p.records.len(), 2);
    }

    #[test]
    fn origin_ttl_and_inheritance() {
        let p = parse("$ORIGIN sub\n$TTL 1h\na 30 IN A 1.1.1.1\n  IN 40 TXT \"x y\"\n$ORIGIN other.\nb A 2.2.2.2\n", "ex.");
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            lines(&p),
            vec![
                "a.sub.ex. 30 A 1.1.1.1",
                "a.sub.ex. 40 TXT \"x y\"",
                "b.other. 3600 A 2.2.2.2"
            ]
        );
    }

    #[test]
    fn rfc1035_ttl_without_dollar_ttl() {
        let p = parse(
            "@ 100 SOA a b 1 2 3 4 5\nx A 1.1.1.1\ny 7 A 1.1.1.2\nz A 1.1.1.3\n",
            "ex.",
        );
        let ttls: Vec<u32> = p.records.iter().map(|r| r.ttl).collect();
        assert_eq!(ttls, vec![100, 100, 7, 7]);
    }

    #[test]
    fn generate() {
        let p = parse(
            "$TTL 5\n$GENERATE 1-3/2 host$ A 10.0.0.${10}\n$GENERATE 10-11 ${0,4,x} PTR h$.\n",
            "ex.",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            lines(&p),
            vec![
                "host1.ex. 5 A 10.0.0.11",
                "host3.ex. 5 A 10.0.0.13",
                "000a.ex. 5 PTR h10.",
                "000b.ex. 5 PTR h11."
            ]
        );
        assert_eq!(expand_template(b"${0,3,n}", 0x12).unwrap(), b"2.1");
        assert_eq!(expand_template(b"${0,6,n}", 0x12).unwrap(), b"2.1.0.");
        assert_eq!(
            expand_template(b"${-2000,0,n}", 1024).unwrap(),
            b"0.3.c.f.f.f.f.f"
        );
        assert!(expand_template(b"${2147483647}", 1).is_err());
        assert_eq!(expand_template(b"a\\$", 1).unwrap(), b"a\\$");
    }

    #[test]
    fn lexer_errors_do_not_stop_the_file() {
        let p = parse("$TTL 5\na TXT \"open\nb A 1.2.3.4\nc A (1.2.3.4\n", "ex.");
        let msgs: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "t.zone:2: unbalanced quotes",
                "t.zone:4: unbalanced parentheses (missing ')')"
            ]
        );
        assert_eq!(lines(&p), vec!["b.ex. 5 A 1.2.3.4"]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 12345u64;
        for _ in 0..200 {
            let mut v = Vec::new();
            for _ in 0..200 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let alphabet = b"\\\"();$ \n\tA1.@x";
                v.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            let _ = parse_str(&v, Path::new("g"), &Options::new(Name::root()));
        }
    }

    /// A file read in chunks gives exactly what the same text read whole gives: records cut by
    /// a chunk boundary (in parentheses, in quotes, mid-token) and line numbers included.
    #[test]
    fn chunked_reading_matches_whole_text() {
        let mut text = String::from("$TTL 60\n@ SOA ns h ( 1\n 2 3 4 5 )\n@ NS ns\n");
        let mut i = 0;
        while text.len() < 3 * READ_CHUNK + 1000 {
            match i % 5 {
                0 => text.push_str(&format!("h{i} A 10.0.{}.{}\n", (i / 250) % 250, i % 250)),
                1 => text.push_str(&format!("t{i} TXT ( \"a b\"\n  \"c;d\" ) ; comment\n")),
                2 => text.push_str(&format!("  AAAA 2001:db8::{:x}\n", i % 65536)),
                3 => text.push_str(&format!("bad{i} A 1.2.3\n")),
                _ => text.push_str(&format!("m{i} MX ( 10\n\n h{} )\n", i - 4)),
            }
            i += 1;
        }
        let dir = std::env::temp_dir().join(format!("cdns-chunk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.zone");
        std::fs::write(&path, &text).unwrap();
        let opts = Options::new(Name::from_ascii("ex.").unwrap());
        let whole = parse_str(text.as_bytes(), &path, &opts);
        assert!(whole.records.len() > 50_000);
        let lines = |p: &Parsed| p.errors.iter().map(|d| d.line).collect::<Vec<_>>();
        // The real chunk size, then small odd ones that cut every kind of record.
        for chunk in [READ_CHUNK, 4093, 509, 7] {
            let mut st = State::new(&opts);
            st.read_chunk = chunk;
            st.include(&path, None, opts.origin.clone(), None, 0);
            let chunked = st.finish();
            assert_eq!(chunked.records, whole.records, "chunk {chunk}");
            assert_eq!(lines(&chunked), lines(&whole), "chunk {chunk}");
            assert_eq!(chunked.suppressed, whole.suppressed, "chunk {chunk}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn include_scopes_origin() {
        let dir = std::env::temp_dir().join(format!("cdns-inc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("inc.db"), "$ORIGIN deep.ex.\nx A 1.1.1.1\n").unwrap();
        std::fs::write(
            dir.join("main.zone"),
            "$TTL 5\n$INCLUDE inc.db sub\ny A 2.2.2.2\n$INCLUDE inc.db\n",
        )
        .unwrap();
        let p = parse_file(
            &dir.join("main.zone"),
            &Options::new(Name::from_ascii("ex.").unwrap()),
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            lines(&p),
            vec![
                "x.deep.ex. 5 A 1.1.1.1",
                "y.ex. 5 A 2.2.2.2",
                "x.deep.ex. 5 A 1.1.1.1"
            ]
        );
        std::fs::write(dir.join("loop.zone"), "$INCLUDE loop.zone\n").unwrap();
        let p = parse_file(
            &dir.join("loop.zone"),
            &Options::new(Name::from_ascii("ex.").unwrap()),
        );
        assert!(p.errors[0].message.contains("loop"), "{:?}", p.errors);
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// Table-driven checks of each directive and each error case: the exact records read, or the
/// exact `path:line: message` lines reported.
#[cfg(test)]
mod table_tests {
    use super::*;

    fn read(text: &str) -> Parsed {
        let o = Name::from_ascii("ex.").unwrap();
        parse_str(text.as_bytes(), Path::new("z.db"), &Options::new(o))
    }

    fn show(p: &Parsed) -> Vec<String> {
        p.records
            .iter()
            .map(|r| {
                let mut s = format!("{} {} ", r.owner, r.ttl);
                rdata::class_to_text(r.class, &mut s);
                s.push(' ');
                rdata::type_to_text(r.rtype, &mut s);
                s.push(' ');
                rdata::write_rdata(r.rtype, &r.rdata, &mut s);
                s
            })
            .collect()
    }

    /// The file reads without errors into exactly these records.
    #[track_caller]
    fn ok(text: &str, want: &[&str]) {
        let p = read(text);
        let errs: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert!(errs.is_empty(), "unexpected errors for {text:?}: {errs:?}");
        assert_eq!(show(&p), want, "records of {text:?}");
    }

    /// The file reports exactly these errors (each a `path:line: message`), in order.
    #[track_caller]
    fn errs(text: &str, want: &[&str]) {
        let p = read(text);
        let got: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(got, want, "errors of {text:?}");
    }

    #[test]
    fn origin_directive() {
        ok(
            "$TTL 1\n$ORIGIN sub\na A 1.2.3.4\n",
            &["a.sub.ex. 1 IN A 1.2.3.4"],
        );
        ok(
            "$TTL 1\n$ORIGIN other.\n@ A 1.2.3.4\n",
            &["other. 1 IN A 1.2.3.4"],
        );
        ok(
            "$TTL 1\n$origin Sub.\na A 1.2.3.4\n",
            &["a.Sub. 1 IN A 1.2.3.4"],
        );
        errs("$ORIGIN\n", &["z.db:1: $ORIGIN without a name"]);
        errs(
            "$ORIGIN a..b.\n",
            &["z.db:1: bad $ORIGIN 'a..b.': empty label"],
        );
        errs("$ORIGIN a. b\n", &["z.db:1: extra input text 'b'"]);
    }

    #[test]
    fn ttl_directive() {
        ok("$TTL 1h30m\na A 1.2.3.4\n", &["a.ex. 5400 IN A 1.2.3.4"]);
        ok("$TTL 1W\na A 1.2.3.4\n", &["a.ex. 604800 IN A 1.2.3.4"]);
        errs("$TTL x\na 1 A 1.2.3.4\n", &["z.db:1: bad $TTL 'x'"]);
        errs("$TTL\n", &["z.db:1: $TTL without a value"]);
        errs("$TTL 1 2\n", &["z.db:1: extra input text '2'"]);
        let p = read("$TTL 4294967295\na A 1.2.3.4\n");
        assert_eq!(show(&p), ["a.ex. 0 IN A 1.2.3.4"]);
        assert_eq!(
            p.warnings[0].to_string(),
            "z.db:1: $TTL 4294967295 > MAXTTL, setting $TTL to 0"
        );
    }

    #[test]
    fn ttl_inheritance() {
        // RFC 1035: the last explicit TTL carries over when there is no $TTL.
        ok(
            "a 10 A 1.1.1.1\nb A 1.1.1.2\nc 20 A 1.1.1.3\nd A 1.1.1.4\n",
            &[
                "a.ex. 10 IN A 1.1.1.1",
                "b.ex. 10 IN A 1.1.1.2",
                "c.ex. 20 IN A 1.1.1.3",
                "d.ex. 20 IN A 1.1.1.4",
            ],
        );
        // $TTL wins over the last TTL.
        ok(
            "$TTL 5\na 10 A 1.1.1.1\nb A 1.1.1.2\n",
            &["a.ex. 10 IN A 1.1.1.1", "b.ex. 5 IN A 1.1.1.2"],
        );
        // No TTL at all: the SOA MINIMUM serves as $TTL (explicit TTLs do not change it).
        ok(
            "@ SOA ns h 1 2 3 4 7\na 2 A 1.1.1.1\nb A 1.1.1.2\n",
            &[
                "ex. 7 IN SOA ns.ex. h.ex. 1 2 3 4 7",
                "a.ex. 2 IN A 1.1.1.1",
                "b.ex. 7 IN A 1.1.1.2",
            ],
        );
        errs(
            "a A 1.1.1.1\n",
            &["z.db:1: no TTL specified; zone rejected"],
        );
        errs("$TTL 1\na 1x A 1.1.1.1\n", &["z.db:2: bad TTL '1x'"]);
    }

    #[test]
    fn class_and_ttl_in_either_order() {
        ok(
            "a 1 IN A 1.1.1.1\nb IN 2 A 1.1.1.2\nc CLASS1 3 A 1.1.1.3\nd in 4 a 1.1.1.4\n",
            &[
                "a.ex. 1 IN A 1.1.1.1",
                "b.ex. 2 IN A 1.1.1.2",
                "c.ex. 3 IN A 1.1.1.3",
                "d.ex. 4 IN A 1.1.1.4",
            ],
        );
        errs(
            "$TTL 1\na CH A 1.1.1.1\n",
            &["z.db:2: class 'CH' does not match the zone's class"],
        );
        errs(
            "$TTL 1\na IN IN A 1.1.1.1\n",
            &["z.db:2: unknown RR type 'IN'"],
        );
    }

    #[test]
    fn owners_and_escapes() {
        ok(
            "$TTL 1\na\\.b A 1.1.1.1\n\\065x A 1.1.1.2\n  A 1.1.1.3\n@ TXT \"q\\\"\\092\\010\"\n",
            &[
                "a\\.b.ex. 1 IN A 1.1.1.1",
                "Ax.ex. 1 IN A 1.1.1.2",
                "Ax.ex. 1 IN A 1.1.1.3",
                "ex. 1 IN TXT \"q\\\"\\\\\\010\"",
            ],
        );
        let long = "a".repeat(64);
        errs(
            &format!("$TTL 1\n{long} A 1.1.1.1\n"),
            &[&format!("z.db:2: bad owner name '{long}': label too long")],
        );
        let many = "abcdefghi.".repeat(26);
        errs(
            &format!("$TTL 1\n{many} A 1.1.1.1\n"),
            &[&format!("z.db:2: bad owner name '{many}': name too long")],
        );
        errs("$TTL 1\n  A 1.1.1.1\n", &["z.db:2: no current owner name"]);
        errs(
            "$TTL 1\na\\256 A 1.1.1.1\n",
            &["z.db:2: bad owner name 'a\\256': bad escape"],
        );
    }

    #[test]
    fn rfc3597_generic_data() {
        ok(
            "$TTL 1\na TYPE65280 \\# 2 ABcd\nb A \\# 4 01020304\nc TYPE1 \\# 4 0A000001\nd NULL \\# 0\n",
            &[
                "a.ex. 1 IN TYPE65280 \\# 2 ABCD",
                "b.ex. 1 IN A 1.2.3.4",
                "c.ex. 1 IN A 10.0.0.1",
                "d.ex. 1 IN NULL \\# 0",
            ],
        );
        errs(
            "$TTL 1\na A \\# 3 010203\n",
            &["z.db:2: A: \\# data is not valid A RDATA"],
        );
        errs(
            "$TTL 1\na TYPE999 \\# 2 01\n",
            &["z.db:2: TYPE999: \\# length 2 does not match 1 bytes of data"],
        );
        errs(
            "$TTL 1\na TYPE999 \\# 1 0g\n",
            &["z.db:2: TYPE999: bad hex '0g'"],
        );
        errs("$TTL 1\na TYPE999 1\n", &["z.db:2: TYPE999: type TYPE999 has no known text form; use \\# syntax (RFC 3597), not '1'"]);
    }

    #[test]
    fn rdata_errors_name_the_token() {
        errs(
            "$TTL 1\na A 1.2.3\nb AAAA 1::2::3\nc MX x y\nd A 1.2.3.4 5\ne MX 10\n",
            &[
                "z.db:2: A: bad IPv4 address '1.2.3'",
                "z.db:3: AAAA: bad IPv6 address '1::2::3'",
                "z.db:4: MX: bad number 'x'",
                "z.db:5: A: extra input text '5'",
                "z.db:6: MX: unexpected end of input (expected a name)",
            ],
        );
        errs("$TTL 1\na AX 1.2.3.4\n", &["z.db:2: unknown RR type 'AX'"]);
        errs(
            "$TTL 1\na A\n",
            &["z.db:2: A: unexpected end of input (expected an IPv4 address)"],
        );
        errs(
            "$TTL 1\na IN AXFR 1\nb TYPE200 \\# 0\n",
            &[
                "z.db:2: type 'AXFR': invalid use of a meta type",
                "z.db:3: type 'TYPE200': invalid use of a meta type",
            ],
        );
        errs(
            "$TTL 1\n* NS ns\n",
            &["z.db:2: *.ex.: invalid NS owner name (wildcard)"],
        );
    }

    #[test]
    fn lexer_errors() {
        errs(
            "$TTL 1\na TXT \"x\nb A 1.1.1.1\n",
            &["z.db:2: unbalanced quotes"],
        );
        errs(
            "$TTL 1\na A ( 1.1.1.1\n",
            &["z.db:2: unbalanced parentheses (missing ')')"],
        );
        errs(
            "$TTL 1\na A 1.1.1.1 )\n",
            &["z.db:2: unbalanced parentheses (extra ')')"],
        );
        errs("$FOO 1\n", &["z.db:1: unknown directive '$FOO'"]);
    }

    #[test]
    fn every_error_is_reported_up_to_the_cap() {
        let text: String = (0..150)
            .map(|i| format!("h{i} 1 A 1.2.3.{}\n", 300 + i))
            .collect();
        let p = read(&text);
        assert_eq!(p.errors.len(), MAX_ERRORS);
        assert_eq!(p.suppressed, 150 - MAX_ERRORS);
        assert_eq!(
            p.errors[7].to_string(),
            "z.db:8: A: bad IPv4 address '1.2.3.307'"
        );
    }

    #[test]
    fn generate_directive() {
        ok(
            "$TTL 1\n$GENERATE 1-3/2 h$ A 10.0.0.$\n",
            &["h1.ex. 1 IN A 10.0.0.1", "h3.ex. 1 IN A 10.0.0.3"],
        );
        ok(
            "$TTL 1\n$GENERATE 9-10 ${1,3,d}-${0,2,x}-${0,3,X}-${0,0,o} TXT x\n",
            &[
                "010-09-009-11.ex. 1 IN TXT \"x\"",
                "011-0a-00A-12.ex. 1 IN TXT \"x\"",
            ],
        );
        ok(
            "$TTL 1\n$GENERATE 18-18 ${0,0,n} PTR h\n",
            &["2.1.ex. 1 IN PTR h.ex."],
        );
        ok(
            "$TTL 1\n$GENERATE 26-26 ${0,0,N} PTR h\n",
            &["A.1.ex. 1 IN PTR h.ex."],
        );
        // `\$` is a literal dollar sign.
        ok(
            "$TTL 1\n$GENERATE 1-1 a\\$$ A 1.1.1.$\n",
            &["a\\$1.ex. 1 IN A 1.1.1.1"],
        );
        // TTL and class after the owner template, in either order.
        ok(
            "$GENERATE 1-1 a$ 7 IN A 1.1.1.1\n$GENERATE 2-2 a$ IN 8 A 1.1.1.2\n",
            &["a1.ex. 7 IN A 1.1.1.1", "a2.ex. 8 IN A 1.1.1.2"],
        );
        errs(
            "$TTL 1\n$GENERATE 3-1 a$ A 1.1.1.1\n",
            &["z.db:2: $GENERATE: bad range '3-1'"],
        );
        errs(
            "$TTL 1\n$GENERATE 1-1 a$\n",
            &["z.db:2: $GENERATE: too few arguments"],
        );
        errs(
            "$TTL 1\n$GENERATE 1-1 a$ TXT x${2147483647}\n",
            &["z.db:2: $GENERATE: ${2147483647}: out of range"],
        );
        errs(
            "$TTL 1\n$GENERATE 1-2 a$ A 1.1.1.${0,1,q}\n",
            &["z.db:2: $GENERATE: bad base in ${0,1,q}"],
        );
    }

    #[test]
    fn include_directive() {
        let dir = std::env::temp_dir().join(format!("cdns-tbl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let o = Name::from_ascii("ex.").unwrap();
        let run = |main: &str| {
            std::fs::write(dir.join("main.db"), main).unwrap();
            let p = parse_file(&dir.join("main.db"), &Options::new(o.clone()));
            let errs: Vec<String> = p
                .errors
                .iter()
                .map(|d| d.to_string().replace(&format!("{}/", dir.display()), ""))
                .collect();
            (show(&p), errs)
        };
        std::fs::write(
            dir.join("inc.db"),
            "  A 1.1.1.1\n$ORIGIN deep.ex.\nx A 2.2.2.2\n",
        )
        .unwrap();
        // The included file inherits the owner, and its $ORIGIN does not leak back.
        let (recs, errs) = run("$TTL 1\nown A 9.9.9.9\n$INCLUDE inc.db sub\ny A 3.3.3.3\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            recs,
            [
                "own.ex. 1 IN A 9.9.9.9",
                "own.ex. 1 IN A 1.1.1.1",
                "x.deep.ex. 1 IN A 2.2.2.2",
                "y.ex. 1 IN A 3.3.3.3"
            ]
        );
        let (_, errs) = run("$TTL 1\n$INCLUDE missing.db\n$INCLUDE\n$INCLUDE inc.db a. b\n");
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs[0].starts_with("main.db:2: failed to read included file missing.db:"),
            "{errs:?}"
        );
        assert_eq!(errs[1], "main.db:3: $INCLUDE without a file name");
        assert_eq!(errs[2], "main.db:4: extra input text 'b'");
        let (_, errs) = run("$INCLUDE main.db\n");
        assert_eq!(errs, ["main.db:1: $INCLUDE loop: main.db includes itself"]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn hostile_input_never_panics() {
        let o = Options::new(Name::root());
        // One very long line, unterminated quotes and parentheses, binary bytes.
        let mut long = b"a 1 TXT ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 10 << 20));
        let p = parse_str(&long, Path::new("g"), &o);
        assert_eq!(
            p.errors[0].to_string(),
            "g:1: TXT: character-string too long (10485760 bytes)"
        );
        for text in [
            &b"a 1 TXT \"abc"[..],
            b"a 1 A (1.1.1.1",
            b"\xff\xfe\x00\x01(\"\\",
            b"$GENERATE 0-4294967295 a$ A 1.1.1.1",
        ] {
            let _ = parse_str(text, Path::new("g"), &o);
        }
        let mut seed = 7u64;
        for _ in 0..300 {
            let v: Vec<u8> = (0..300)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            let _ = parse_str(&v, Path::new("g"), &o);
        }
    }
}
