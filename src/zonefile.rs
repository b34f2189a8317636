//! The master-file reader (RFC 1035 section 5, RFC 2308 `$TTL`, BIND's `$INCLUDE` and
//! `$GENERATE`): a byte lexer, directive handling and record assembly, producing records that
//! carry their `file:line`, plus every error and warning found, never only the first.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::name::{self, Name};
use crate::rdata::{self, Tok};

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

impl Parsed {
    pub fn location(&self, r: &Record) -> String {
        let p = self
            .files
            .get(r.file as usize)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        format!("{p}:{}", r.line)
    }
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
    st.include(path, None, opts.origin.clone(), 0);
    st.finish()
}

/// Like [`parse_file`], but hands each record to `sink` as soon as it is read instead of
/// collecting them (`Parsed::records` stays empty): a large zone is never held twice.
pub fn parse_file_with(path: &Path, opts: &Options, sink: &mut dyn FnMut(Record)) -> Parsed {
    let mut st = State::new(opts);
    st.sink = Some(sink);
    st.include(path, None, opts.origin.clone(), 0);
    st.finish()
}

/// Reads master-file text held in memory (`path` is used for messages and `$INCLUDE`).
pub fn parse_str(text: &[u8], path: &Path, opts: &Options) -> Parsed {
    let mut st = State::new(opts);
    st.files.push(path.to_path_buf());
    st.parse_buffer(text, 0, opts.origin.clone(), 0);
    st.finish()
}

struct State<'o> {
    opts: &'o Options,
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
    last_owner: Option<Name>,
    depth: usize,
}

impl<'o> State<'o> {
    fn new(opts: &'o Options) -> State<'o> {
        State {
            opts,
            sink: None,
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
    fn include(&mut self, path: &Path, from: Option<(u16, u32)>, origin: Name, depth: usize) {
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
        match std::fs::read(path) {
            Ok(bytes) => {
                self.stack.push(path.to_path_buf());
                self.parse_buffer(&bytes, idx, origin, depth);
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

    fn parse_buffer(&mut self, text: &[u8], file: u16, origin: Name, depth: usize) {
        let mut ctx = FileCtx {
            file,
            origin,
            last_owner: None,
            depth,
        };
        let mut lex = Lexer::new(text);
        let mut toks: Vec<RawTok> = Vec::with_capacity(16);
        loop {
            match lex.next_record(&mut toks) {
                LexResult::Eof => break,
                LexResult::Error(line, msg) => self.error(file, line, msg),
                LexResult::Record { line, indented } => {
                    if toks.is_empty() {
                        continue;
                    }
                    self.record(text, &toks, line, indented, &mut ctx);
                }
            }
        }
    }

    fn record(
        &mut self,
        text: &[u8],
        raw: &[RawTok],
        line: u32,
        indented: bool,
        ctx: &mut FileCtx,
    ) {
        let toks: Vec<Tok<'_>> = raw
            .iter()
            .map(|t| Tok {
                text: &text[t.start as usize..t.end as usize],
                quoted: t.quoted,
            })
            .collect();
        let first = toks[0];
        if !indented && !first.quoted && first.text.first() == Some(&b'$') {
            self.directive(&toks, raw, line, ctx);
            return;
        }
        let mut i = 0usize;
        let owner = if indented {
            match &ctx.last_owner {
                Some(o) => o.clone(),
                None => {
                    self.error(ctx.file, line, "no current owner name".to_string());
                    return;
                }
            }
        } else {
            i = 1;
            match self.name(first.text, &ctx.origin) {
                Ok(n) => n,
                Err(e) => {
                    self.error(
                        ctx.file,
                        line,
                        format!("bad owner name '{}': {e}", lossy(first.text)),
                    );
                    return;
                }
            }
        };
        ctx.last_owner = Some(owner.clone());
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
                        self.last_ttl = Some(min);
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
                let mut fname = Vec::new();
                if rdata::unescape_into(t.text, &mut fname).is_none() {
                    self.error(ctx.file, line, format!("bad file name '{}'", lossy(t.text)));
                    return;
                }
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
                if self.stack.contains(&path) {
                    self.error(
                        ctx.file,
                        line,
                        format!("$INCLUDE loop: {} includes itself", path.display()),
                    );
                    return;
                }
                self.include(&path, Some((ctx.file, line)), origin, ctx.depth + 1);
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
            let v = value as i64 + offset;
            if v < 0 {
                return Err(format!("negative value from ${{{spec}}}"));
            }
            let v = v as u64;
            let s = match base {
                "d" => format!("{v:0width$}"),
                "o" => format!("{v:0width$o}"),
                "x" => format!("{v:0width$x}"),
                "X" => format!("{v:0width$X}"),
                "n" | "N" => nibbles(v, width, base == "N"),
                _ => return Err(format!("bad base in ${{{spec}}}")),
            };
            out.extend_from_slice(s.as_bytes());
            i = end + 1;
            continue;
        }
        out.extend_from_slice(value.to_string().as_bytes());
        i += 1;
    }
    Ok(out)
}

/// Nibble form used for ip6.arpa: least significant nibble first, dot separated.
fn nibbles(v: u64, width: usize, upper: bool) -> String {
    let hex = if upper {
        format!("{v:X}")
    } else {
        format!("{v:x}")
    };
    let mut digits: Vec<char> = hex.chars().rev().collect();
    while digits.len() < width {
        digits.push('0');
    }
    let mut s = String::new();
    for (k, d) in digits.iter().enumerate() {
        if k > 0 {
            s.push('.');
        }
        s.push(*d);
    }
    s
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
}

impl<'a> Lexer<'a> {
    fn new(b: &'a [u8]) -> Lexer<'a> {
        Lexer { b, pos: 0, line: 1 }
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
        let indented = matches!(b[self.pos], b' ' | b'\t');
        let mut depth = 0u32;
        let mut paren_line = 0u32;
        loop {
            let Some(&c) = b.get(self.pos) else {
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
            "$TTL 5\n$GENERATE 1-3/2 host$ A 10.0.0.${10,3}\n$GENERATE 10-11 ${0,4,x} PTR h$.\n",
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
        assert_eq!(expand_template(b"${0,3,n}", 0x12).unwrap(), b"2.1.0");
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
