//! The reader's state while it reads a zone: the files open, `$TTL` and the last TTL, the
//! origin and owner per file, and the assembly of one record (owner, TTL, class, type,
//! RDATA) from the lexer's tokens, with the diagnostics collected on the way.

use std::path::{Path, PathBuf};

use super::error::ReadError;
use super::lexer::{LexResult, Lexer, RawTok};
use super::{Diag, Options, Parsed, Record, MAX_ERRORS, READ_CHUNK};
use crate::dns::name::{self, Name};
use crate::dns::rdata::{self, Tok};

pub(super) struct State<'o> {
    pub(super) opts: &'o Options,
    /// How much of a file is read at a time ([`READ_CHUNK`]; tests use less).
    pub(super) read_chunk: usize,
    /// Where records go when streaming (see [`parse_file_with`]).
    pub(super) sink: Option<&'o mut dyn FnMut(Record)>,
    pub(super) out: Parsed,
    pub(super) files: Vec<PathBuf>,
    /// `$TTL` value, if any.
    pub(super) default_ttl: Option<u32>,
    /// The TTL of the last record (RFC 1035 semantics when there is no `$TTL`).
    pub(super) last_ttl: Option<u32>,
    /// The chain of files being read, to catch `$INCLUDE` loops.
    pub(super) stack: Vec<PathBuf>,
    /// Scratch buffers reused across records.
    pub(super) namebuf: Vec<u8>,
    pub(super) rdbuf: Vec<u8>,
    /// Records made so far, all files and `$GENERATE` lines counted.
    pub(super) records: u64,
    /// Bytes of zone text read so far.
    pub(super) bytes: u64,
    /// Records the `$GENERATE` lines asked for so far.
    pub(super) generated: u64,
    /// A limit was hit or the read was cancelled: read nothing more.
    pub(super) stopped: bool,
}

/// Per-file lexical context: the current origin and owner are scoped to a file.
pub(super) struct FileCtx {
    pub(super) file: u16,
    pub(super) origin: Name,
    /// The last owner name in wire form (empty when there is none yet); a reused buffer.
    pub(super) last_owner: Vec<u8>,
    pub(super) depth: usize,
}

impl<'o> State<'o> {
    pub(super) fn new(opts: &'o Options) -> State<'o> {
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
            records: 0,
            bytes: 0,
            generated: 0,
            stopped: false,
        }
    }

    pub(super) fn finish(mut self) -> Parsed {
        self.out.files = self.files;
        self.out
    }

    pub(super) fn error(&mut self, file: u16, line: u32, e: ReadError) {
        if self.out.errors.len() >= MAX_ERRORS {
            self.out.suppressed += 1;
            return;
        }
        let d = Diag::in_file(&self.files, file, line, capped(e.to_string()));
        // One line cut into many chunks (megabytes without a newline) says the same thing once.
        if self.out.errors.last() == Some(&d) {
            return;
        }
        self.out.errors.push(d);
    }

    /// Reports an error that ends the read (a limit, or cancellation).
    pub(super) fn stop(&mut self, file: u16, line: u32, e: ReadError) {
        if !self.stopped {
            self.stopped = true;
            self.error(file, line, e);
        }
    }

    /// Stops the read if it was cancelled; true if it must end.
    pub(super) fn cancelled(&mut self, file: u16, line: u32) -> bool {
        if self.opts.cancel.is_cancelled() {
            self.out.transient = true;
            self.stop(file, line, ReadError::Cancelled);
        }
        self.stopped
    }

    pub(super) fn warn(&mut self, file: u16, line: u32, e: ReadError) {
        if self.out.warnings.len() >= MAX_ERRORS {
            return;
        }
        let d = Diag::in_file(&self.files, file, line, capped(e.to_string()));
        self.out.warnings.push(d);
    }

    /// Reads a file in chunks, so a large zone is never held whole in memory: each chunk is
    /// parsed up to its last complete record, and the rest is carried into the next one. An
    /// included file continues with the including file's last owner, as in BIND.
    pub(super) fn parse_reader(
        &mut self,
        mut file: std::fs::File,
        ctx: &mut FileCtx,
    ) -> std::io::Result<()> {
        use std::io::Read;
        let mut buf: Vec<u8> = Vec::new();
        let mut line = 1u32;
        let limits = &self.opts.limits;
        let (max_bytes, max_text) = (limits.max_zone_bytes, limits.max_record_text);
        loop {
            if self.cancelled(ctx.file, line) {
                return Ok(());
            }
            // Read at least CHUNK more; a record longer than the buffer doubles it (up to the
            // record text limit, checked below before the next read).
            let want = self.read_chunk.max(buf.len());
            let n = (&mut file).take(want as u64).read_to_end(&mut buf)?;
            self.bytes += n as u64;
            if self.bytes > max_bytes {
                self.stop(ctx.file, line, ReadError::ZoneTooLarge(max_bytes));
                return Ok(());
            }
            let last = n < want;
            let (consumed, next_line) = self.parse_buffer(&buf, ctx, line, last);
            if last || self.stopped {
                return Ok(());
            }
            buf.drain(..consumed);
            line = next_line;
            if buf.len() > max_text {
                self.stop(ctx.file, line, ReadError::RecordTooLong(max_text));
                return Ok(());
            }
        }
    }

    /// Parses the records in `text`, which starts at line `line`. Unless `last`, a record cut
    /// by the end of `text` is left alone: returns how many bytes were used and the line the
    /// rest starts at.
    pub(super) fn parse_buffer(
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
        let max_token = self.opts.limits.max_token;
        loop {
            if self.stopped {
                return (text.len(), lex.line);
            }
            match lex.next_record(&mut toks) {
                LexResult::Eof => return (text.len(), lex.line),
                LexResult::Partial { start, line } => return (start, line),
                LexResult::Error(line, e) => self.error(file, line, e.into()),
                LexResult::Record { line, indented } => {
                    if toks.is_empty() {
                        continue;
                    }
                    if let Some(t) = toks.iter().find(|t| (t.end - t.start) as usize > max_token) {
                        let tok = &text[t.start as usize..t.end as usize];
                        let e = ReadError::TokenTooLong {
                            quoted: super::limits::quote(tok),
                            len: tok.len(),
                            max: max_token,
                        };
                        self.error(file, line, e);
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

    pub(super) fn record(
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
                self.error(ctx.file, line, ReadError::NoOwner);
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
                        ReadError::BadOwner {
                            text: lossy(first.text).into_owned(),
                            err: e,
                        },
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

    pub(super) fn finish_record(
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
                self.error(ctx.file, line, ReadError::ClassMismatch(s));
                return;
            }
        }
        if rdata::is_meta(rtype) {
            self.error(ctx.file, line, ReadError::MetaType(rdata::type_name(rtype)));
            return;
        }
        if rtype == rdata::NS && owner.wire().starts_with(b"\x01*") {
            self.error(ctx.file, line, ReadError::WildcardNs(owner.to_string()));
            return;
        }
        let mut rd = std::mem::take(&mut self.rdbuf);
        let res = rdata::parse_rdata(rtype, rtoks, &ctx.origin, &mut rd);
        if let Err(e) = res {
            self.rdbuf = rd;
            self.error(
                ctx.file,
                line,
                ReadError::Rdata {
                    rtype: rdata::type_name(rtype),
                    err: e,
                },
            );
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
                        self.warn(ctx.file, line, ReadError::NoTtlUsingMinimum);
                        // BIND then uses MINTTL as if it were a $TTL.
                        self.default_ttl = Some(min);
                        min
                    } else {
                        self.error(ctx.file, line, ReadError::NoTtl);
                        return;
                    }
                }
            },
        };
        if ttl > 0x7fff_ffff {
            self.warn(ctx.file, line, ReadError::TtlTooLarge(ttl));
        }
        let ttl = if ttl > 0x7fff_ffff { 0 } else { ttl };
        self.records += 1;
        if self.records > self.opts.limits.max_records {
            self.stop(
                ctx.file,
                line,
                ReadError::TooManyRecords(self.opts.limits.max_records),
            );
            return;
        }
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

    pub(super) fn name(&mut self, text: &[u8], origin: &Name) -> Result<Name, name::NameError> {
        name::parse_into(text, Some(origin.wire()), &mut self.namebuf)?;
        Ok(Name::from_wire_unchecked(&self.namebuf))
    }

    /// Reads `[ttl] [class] type` in either order.
    pub(super) fn ttl_class_type(
        &mut self,
        toks: &[Tok<'_>],
        file: u16,
        line: u32,
    ) -> Option<Head> {
        let mut ttl = None;
        let mut class = None;
        let mut i = 0;
        loop {
            let Some(t) = toks.get(i) else {
                self.error(file, line, ReadError::NoType);
                return None;
            };
            if !t.quoted && ttl.is_none() && t.text.first().is_some_and(u8::is_ascii_digit) {
                match rdata::parse_ttl(t.text) {
                    Some(v) => ttl = Some(v),
                    None => {
                        self.error(file, line, ReadError::BadTtl(lossy(t.text).into_owned()));
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
                    self.error(
                        file,
                        line,
                        ReadError::UnknownType(lossy(t.text).into_owned()),
                    );
                    return None;
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
pub(super) struct Head {
    pub(super) ttl: Option<u32>,
    pub(super) class: Option<u16>,
    pub(super) rtype: u16,
    pub(super) consumed: usize,
}

/// A path made absolute and free of `..` where possible, to recognise `$INCLUDE` loops.
pub(super) fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A message cut to `MAX_MESSAGE` bytes: the tokens it quotes are cut to 100 bytes where the
/// reader words it; this also bounds what the RDATA parsers quote.
fn capped(mut m: String) -> String {
    const MAX_MESSAGE: usize = 400;
    if m.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !m.is_char_boundary(end) {
            end -= 1;
        }
        m.truncate(end);
        m.push_str("...");
    }
    m
}

/// A token for an error message: at most `QUOTE` (100) bytes of it, then `...`.
pub(super) fn lossy(t: &[u8]) -> std::borrow::Cow<'_, str> {
    let q = super::limits::QUOTE;
    if t.len() <= q {
        return String::from_utf8_lossy(t);
    }
    let mut s = String::from_utf8_lossy(&t[..q]).into_owned();
    s.push_str("...");
    std::borrow::Cow::Owned(s)
}
