//! Domain names in uncompressed wire format: parsing from master-file text, printing in
//! BIND's presentation form, case folding and label arithmetic used by the zone index.

use std::fmt;

/// Longest name in wire format (RFC 1035 3.1).
pub const MAX_NAME: usize = 255;
/// Longest label (RFC 1035 2.3.4).
pub const MAX_LABEL: usize = 63;

/// An owned domain name in wire format (length-prefixed labels ending with the root label).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Box<[u8]>);

/// Why a textual name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty label")]
    EmptyLabel,
    #[error("label too long")]
    LabelTooLong,
    #[error("name too long")]
    NameTooLong,
    #[error("bad escape")]
    BadEscape,
    #[error("empty name")]
    Empty,
}

impl Name {
    /// The root name `.`.
    pub fn root() -> Name {
        Name(Box::new([0]))
    }

    /// Wraps wire bytes that are known to be a valid uncompressed name.
    pub fn from_wire_unchecked(wire: &[u8]) -> Name {
        Name(wire.into())
    }

    /// Parses presentation text relative to `origin` (absolute when it ends in an unescaped dot).
    pub fn parse(text: &[u8], origin: Option<&Name>) -> Result<Name, NameError> {
        let mut buf = Vec::with_capacity(text.len() + 2 + origin.map_or(0, |o| o.len()));
        parse_into(text, origin.map(|o| o.wire()), &mut buf)?;
        Ok(Name(buf.into_boxed_slice()))
    }

    /// Parses an absolute name given as a string (tests and CLI arguments).
    pub fn from_ascii(text: &str) -> Result<Name, NameError> {
        let root = Name::root();
        if text == "." {
            return Ok(root);
        }
        Name::parse(text.as_bytes(), Some(&root))
    }

    pub fn wire(&self) -> &[u8] {
        &self.0
    }

    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    pub fn label_count(&self) -> usize {
        labels(&self.0).count()
    }

    /// ASCII-lowercased copy.
    pub fn to_lowercase(&self) -> Name {
        Name(self.0.to_ascii_lowercase().into_boxed_slice())
    }

    /// True when `self` equals `other` or lies below it (case-insensitive).
    pub fn is_subdomain_of(&self, other: &Name) -> bool {
        is_subdomain(&self.0, &other.0)
    }

    /// The name with its first label removed (`None` for the root).
    pub fn parent(&self) -> Option<Name> {
        parent(&self.0).map(|p| Name(p.into()))
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_name(&self.0, &mut s);
        f.write_str(&s)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

/// Iterates the labels of a wire name (without the root label).
pub fn labels(wire: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let len = *wire.get(pos)? as usize;
        if len == 0 {
            return None;
        }
        let l = wire.get(pos + 1..pos + 1 + len)?;
        pos += 1 + len;
        Some(l)
    })
}

/// Length of the uncompressed wire name at the start of `buf`, if valid.
pub fn wire_len(buf: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    loop {
        let len = *buf.get(pos)? as usize;
        if len > MAX_LABEL {
            return None;
        }
        pos += 1 + len;
        if pos > MAX_NAME {
            return None;
        }
        if len == 0 {
            return if pos <= buf.len() { Some(pos) } else { None };
        }
    }
}

/// The wire name with its first label removed.
pub fn parent(wire: &[u8]) -> Option<&[u8]> {
    let len = *wire.first()? as usize;
    if len == 0 {
        return None;
    }
    wire.get(1 + len..)
}

/// Case-insensitive suffix test on label boundaries.
pub fn is_subdomain(name: &[u8], zone: &[u8]) -> bool {
    if zone.len() > name.len() {
        return false;
    }
    let mut n = name;
    loop {
        if n.len() == zone.len() {
            return n.eq_ignore_ascii_case(zone);
        }
        match parent(n) {
            Some(p) if p.len() >= zone.len() => n = p,
            _ => return false,
        }
    }
}

fn is_special(c: u8) -> bool {
    matches!(c, b'"' | b'(' | b')' | b'.' | b';' | b'\\' | b'@' | b'$')
}

/// Appends the presentation form of a wire name (absolute, with trailing dot).
pub fn write_name(wire: &[u8], out: &mut String) {
    let mut any = false;
    for label in labels(wire) {
        any = true;
        for &c in label {
            if is_special(c) {
                out.push('\\');
                out.push(c as char);
            } else if (0x21..=0x7e).contains(&c) {
                out.push(c as char);
            } else {
                push_ddd(out, c);
            }
        }
        out.push('.');
    }
    if !any {
        out.push('.');
    }
}

/// Appends `\DDD`.
pub(crate) fn push_ddd(out: &mut String, c: u8) {
    out.push('\\');
    out.push((b'0' + c / 100) as char);
    out.push((b'0' + (c / 10) % 10) as char);
    out.push((b'0' + c % 10) as char);
}

/// Parses `text` (which may contain `\X` and `\DDD` escapes) into `out` as a wire name.
/// A relative name is completed with `origin`; `@` alone is the origin.
pub fn parse_into(text: &[u8], origin: Option<&[u8]>, out: &mut Vec<u8>) -> Result<(), NameError> {
    out.clear();
    parse_append(text, origin, out)
}

/// Like [`parse_into`] but appends the name to `out` (RDATA assembly); on error `out` is left
/// with its original length.
pub fn parse_append(
    text: &[u8],
    origin: Option<&[u8]>,
    out: &mut Vec<u8>,
) -> Result<(), NameError> {
    let base = out.len();
    let r = parse_at(text, origin, out, base);
    if r.is_err() {
        out.truncate(base);
    }
    r
}

fn parse_at(
    text: &[u8],
    origin: Option<&[u8]>,
    out: &mut Vec<u8>,
    base: usize,
) -> Result<(), NameError> {
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if text == b"@" {
        let o = origin.ok_or(NameError::Empty)?;
        out.extend_from_slice(o);
        return Ok(());
    }
    if text == b"." {
        out.push(0);
        return Ok(());
    }
    let mut label_start = out.len();
    out.push(0);
    let mut i = 0usize;
    let mut absolute = false;
    while i < text.len() {
        let c = text[i];
        if c == b'.' {
            let llen = out.len() - label_start - 1;
            if llen == 0 {
                return Err(NameError::EmptyLabel);
            }
            out[label_start] = llen as u8;
            i += 1;
            if i == text.len() {
                absolute = true;
                break;
            }
            label_start = out.len();
            out.push(0);
            if out.len() - base > MAX_NAME {
                return Err(NameError::NameTooLong);
            }
            continue;
        }
        let byte = if c == b'\\' {
            let d = text.get(i + 1).ok_or(NameError::BadEscape)?;
            if d.is_ascii_digit() {
                let ds = text.get(i + 1..i + 4).ok_or(NameError::BadEscape)?;
                if !ds.iter().all(u8::is_ascii_digit) {
                    return Err(NameError::BadEscape);
                }
                let v = (ds[0] - b'0') as u32 * 100
                    + (ds[1] - b'0') as u32 * 10
                    + (ds[2] - b'0') as u32;
                if v > 255 {
                    return Err(NameError::BadEscape);
                }
                i += 4;
                v as u8
            } else {
                i += 2;
                *d
            }
        } else {
            i += 1;
            c
        };
        out.push(byte);
        if out.len() - label_start - 1 > MAX_LABEL {
            return Err(NameError::LabelTooLong);
        }
    }
    if absolute {
        out.push(0);
    } else {
        let llen = out.len() - label_start - 1;
        out[label_start] = llen as u8;
        match origin {
            Some(o) => out.extend_from_slice(o),
            None => out.push(0),
        }
    }
    if out.len() - base > MAX_NAME {
        return Err(NameError::NameTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn rt(text: &str, origin: &str, want: &str) {
        let o = Name::from_ascii(origin).unwrap();
        let n = Name::parse(text.as_bytes(), Some(&o)).unwrap();
        assert_eq!(n.to_string(), want);
    }

    #[test]
    fn parse_and_print() {
        rt("www", "example.com.", "www.example.com.");
        rt("@", "example.com.", "example.com.");
        rt("a.b.", "example.com.", "a.b.");
        rt(".", "example.com.", ".");
        rt("a\\.b", "c.", "a\\.b.c.");
        rt("a\\032b", "c.", "a\\032b.c.");
        rt("\\065", "c.", "A.c.");
    }

    #[test]
    fn errors() {
        let o = Name::root();
        assert_eq!(Name::parse(b"a..b", Some(&o)), Err(NameError::EmptyLabel));
        let long = "a".repeat(64);
        assert_eq!(
            Name::parse(long.as_bytes(), Some(&o)),
            Err(NameError::LabelTooLong)
        );
        let many = "abcdefghi.".repeat(26);
        assert_eq!(
            Name::parse(many.as_bytes(), Some(&o)),
            Err(NameError::NameTooLong)
        );
        assert_eq!(Name::parse(b"a\\2", Some(&o)), Err(NameError::BadEscape));
        assert_eq!(Name::parse(b"a\\256", Some(&o)), Err(NameError::BadEscape));
    }

    #[test]
    fn subdomains() {
        let a = Name::from_ascii("x.Lihui.hadoop.").unwrap();
        let z = Name::from_ascii("lihui.HADOOP.").unwrap();
        assert!(a.is_subdomain_of(&z));
        assert!(z.is_subdomain_of(&z));
        assert!(!z.is_subdomain_of(&a));
        assert!(a.is_subdomain_of(&Name::root()));
        assert_eq!(a.parent().unwrap().to_string(), "Lihui.hadoop.");
        assert_eq!(a.label_count(), 3);
    }
}
