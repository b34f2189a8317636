//! BIND's `$GENERATE range lhs [ttl] [class] type rhs`: the range, the `$` templates with
//! their `${offset,width,base}` modifiers, and the records they expand to.

use super::error::ReadError;
use super::lexer::RawTok;
use super::state::{lossy, FileCtx, Head, State};
use super::MAX_GENERATE;
use crate::dns::rdata::{self, Tok};

impl State<'_> {
    /// `$GENERATE range lhs [ttl] [class] type rhs`.
    pub(super) fn generate(
        &mut self,
        toks: &[Tok<'_>],
        _raw: &[RawTok],
        line: u32,
        ctx: &mut FileCtx,
    ) {
        let file = ctx.file;
        if toks.len() < 4 {
            self.error(file, line, ReadError::GenerateArguments);
            return;
        }
        let Some((start, stop, step)) = parse_range(toks[1].text) else {
            self.error(
                file,
                line,
                ReadError::GenerateRange(lossy(toks[1].text).into_owned()),
            );
            return;
        };
        if (stop - start) / step > MAX_GENERATE {
            self.error(
                file,
                line,
                ReadError::GenerateTooLarge(lossy(toks[1].text).into_owned()),
            );
            return;
        }
        let count = (stop - start) / step + 1;
        let max = self.opts.limits.max_generate;
        if self.generated + count > max {
            self.stop(file, line, ReadError::GenerateTotal(max));
            return;
        }
        self.generated += count;
        // The zone's record cap, checked before expanding (a 10M-record line is rejected at
        // once, not after building 10M records).
        let max_records = self.opts.limits.max_records;
        if self.records + count > max_records {
            self.stop(file, line, ReadError::TooManyRecords(max_records));
            return;
        }
        let lhs = toks[2];
        let Some(head) = self.ttl_class_type(&toks[3..], file, line) else {
            return;
        };
        let rest = &toks[3 + head.consumed..];
        if rest.is_empty() {
            self.error(file, line, ReadError::GenerateNoRhs);
            return;
        }
        let mut v = start;
        let mut made = 0u32;
        while v <= stop {
            made = made.wrapping_add(1);
            if made.is_multiple_of(4096) && self.cancelled(file, line) {
                return;
            }
            let owner_text = match expand_template(lhs.text, v) {
                Ok(s) => s,
                Err(e) => {
                    self.error(file, line, e.into());
                    return;
                }
            };
            let mut rhs_texts = Vec::with_capacity(rest.len());
            for t in rest {
                match expand_template(t.text, v) {
                    Ok(s) => rhs_texts.push((s, t.quoted)),
                    Err(e) => {
                        self.error(file, line, e.into());
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
                        ReadError::GenerateOwner {
                            text: lossy(&owner_text).into_owned(),
                            err: e,
                        },
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
            if self.out.errors.len() > errs || self.stopped {
                return;
            }
            v += step;
        }
    }
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

/// Why a `$GENERATE` template could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GenerateError {
    #[error("unterminated ${{")]
    Unterminated,
    #[error("bad ${{}} modifier")]
    NotUtf8,
    #[error("bad offset in ${{{0}}}")]
    Offset(String),
    #[error("bad width in ${{{0}}}")]
    Width(String),
    #[error("bad modifier ${{{0}}}")]
    Modifier(String),
    #[error("${{{0}}}: width out of range")]
    WidthRange(String),
    #[error("${{{0}}}: out of range")]
    ModifierRange(String),
    #[error("bad base in ${{{0}}}")]
    Base(String),
    #[error("$: out of range")]
    Range,
}

/// Expands a `$GENERATE` template: `$`, `${offset[,width[,base]]}`, `\$`.
pub(crate) fn expand_template(t: &[u8], value: u64) -> Result<Vec<u8>, GenerateError> {
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
                .ok_or(GenerateError::Unterminated)?
                + i;
            let spec = std::str::from_utf8(&t[i + 2..end]).map_err(|_| GenerateError::NotUtf8)?;
            let mut parts = spec.split(',');
            let offset: i64 = parts
                .next()
                .unwrap_or("0")
                .trim()
                .parse()
                .map_err(|_| GenerateError::Offset(spec.to_string()))?;
            let width: usize = match parts.next() {
                Some(w) => w
                    .trim()
                    .parse()
                    .map_err(|_| GenerateError::Width(spec.to_string()))?,
                None => 0,
            };
            let base = parts.next().unwrap_or("d").trim();
            if parts.next().is_some() {
                return Err(GenerateError::Modifier(spec.to_string()));
            }
            // BIND computes in a C int: leaving its range is an error, negative values
            // print as unsigned in the non-decimal bases.
            if width > 255 {
                return Err(GenerateError::WidthRange(spec.to_string()));
            }
            let v = (value as i64).saturating_add(offset);
            if v > i32::MAX as i64 || v < i32::MIN as i64 {
                return Err(GenerateError::ModifierRange(spec.to_string()));
            }
            let u = v as i32 as u32;
            let s = match base {
                "d" => format!("{v:0width$}"),
                "o" => format!("{u:0width$o}"),
                "x" => format!("{u:0width$x}"),
                "X" => format!("{u:0width$X}"),
                "n" | "N" => nibbles(u, width, base == "N"),
                _ => return Err(GenerateError::Base(spec.to_string())),
            };
            out.extend_from_slice(s.as_bytes());
            i = end + 1;
            continue;
        }
        if value > i32::MAX as u64 {
            return Err(GenerateError::Range);
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
