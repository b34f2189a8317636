//! DNS wire format on the query path: parsing a query (header, question, EDNS OPT) without
//! allocating, and a bounded message writer with name compression.

use crate::dns::name;
use crate::dns::rdata;

pub const HEADER: usize = 12;

/// Header flag bits (in the 16-bit flags word).
pub mod hf {
    pub const QR: u16 = 0x8000;
    pub const AA: u16 = 0x0400;
    pub const TC: u16 = 0x0200;
    pub const RD: u16 = 0x0100;
    pub const RA: u16 = 0x0080;
    pub const AD: u16 = 0x0020;
    pub const CD: u16 = 0x0010;
}

/// The opcode bits of the header flags.
pub const OPCODE: u16 = 0x7800;

/// Response codes.
pub mod rcode {
    pub const NOERROR: u8 = 0;
    pub const FORMERR: u8 = 1;
    pub const SERVFAIL: u8 = 2;
    pub const NXDOMAIN: u8 = 3;
    pub const NOTIMP: u8 = 4;
    pub const REFUSED: u8 = 5;
    /// A name that should not exist does (RFC 6672: a DNAME substitution too long).
    pub const YXDOMAIN: u8 = 6;
    /// Not authorized: what BIND answers to a TSIG-signed query whose key it does not know.
    pub const NOTAUTH: u8 = 9;
    /// Extended rcode 16 (upper bits 1 in OPT).
    pub const BADVERS: u16 = 16;
}

/// EDNS(0) as the client sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub payload: u16,
    pub version: u8,
    pub dnssec_ok: bool,
    /// The client asks for the server's identity (an NSID option, RFC 5001).
    pub nsid: bool,
    /// The client sent an edns-tcp-keepalive option (RFC 7828; stream transports answer it).
    pub keepalive: bool,
}

/// A parsed query. Names are slices of the packet (client's letter case).
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub id: u16,
    pub flags: u16,
    pub qname: &'a [u8],
    pub qtype: u16,
    pub qclass: u16,
    /// Header and question bytes, as received.
    pub question: &'a [u8],
    pub edns: Option<Edns>,
    /// The COOKIE option's data (RFC 7873), when the OPT record carries one of a valid length:
    /// an 8-byte client cookie, optionally followed by an 8-32 byte server cookie.
    pub cookie: Option<&'a [u8]>,
}

/// EDNS option code of DNS cookies (RFC 7873).
pub const OPT_COOKIE: u16 = 10;
/// EDNS option code of the name server identifier (RFC 5001).
pub const OPT_NSID: u16 = 3;
/// EDNS option code of edns-tcp-keepalive (RFC 7828).
pub const OPT_KEEPALIVE: u16 = 11;

impl Query<'_> {
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    pub fn rd(&self) -> bool {
        self.flags & hf::RD != 0
    }
}

/// What to do with a packet that is not a well-formed query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject<'a> {
    /// Too short to answer, or a response: say nothing.
    Drop,
    /// Answer with this rcode; `question` is echoed when it parsed; `edns` when an OPT parsed.
    Error {
        id: u16,
        flags: u16,
        rcode: u8,
        question: Option<&'a [u8]>,
        edns: Option<Edns>,
    },
}

fn u16_at(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]))
}

/// Parses a query. Never panics, whatever the bytes.
pub fn parse_query(p: &[u8]) -> Result<Query<'_>, Reject<'_>> {
    if p.len() < HEADER {
        return Err(Reject::Drop);
    }
    let id = u16::from_be_bytes([p[0], p[1]]);
    let flags = u16::from_be_bytes([p[2], p[3]]);
    if flags & hf::QR != 0 {
        return Err(Reject::Drop);
    }
    let qd = u16::from_be_bytes([p[4], p[5]]);
    let an = u16::from_be_bytes([p[6], p[7]]);
    let ns = u16::from_be_bytes([p[8], p[9]]);
    let ar = u16::from_be_bytes([p[10], p[11]]);
    let opcode = ((flags >> 11) & 0xf) as u8;
    // Not a QUERY: BIND parses the message (FORMERR when malformed), then answers NOTIMP
    // echoing only the opcode (no RD or CD), without the question but with an OPT when the
    // query had one.
    let notimp = opcode != 0;
    let echo = if notimp { flags & OPCODE } else { flags };
    let formerr = |question, edns| Reject::Error {
        id,
        flags: echo,
        rcode: rcode::FORMERR,
        question: if notimp { None } else { question },
        edns: if notimp { None } else { edns },
    };
    if notimp && qd == 0 {
        return Err(Reject::Error {
            id,
            flags: echo,
            rcode: rcode::NOTIMP,
            question: None,
            edns: None,
        });
    }
    if qd != 1 {
        return Err(formerr(None, None));
    }
    // The question name must be uncompressed (nothing precedes it to point at).
    let Some(nlen) = name::wire_len(&p[HEADER..]) else {
        return Err(formerr(None, None));
    };
    let qname = &p[HEADER..HEADER + nlen];
    let qend = HEADER + nlen + 4;
    let (Some(qtype), Some(qclass)) = (u16_at(p, HEADER + nlen), u16_at(p, HEADER + nlen + 2))
    else {
        return Err(formerr(None, None));
    };
    let question = &p[..qend];
    // Skip answer and authority records (a query should have none, but tolerate them).
    let mut pos = qend;
    for _ in 0..(an as usize + ns as usize) {
        pos = skip_rr(p, pos).ok_or(formerr(Some(question), None))?;
    }
    let mut edns = None;
    let mut cookie = None;
    let mut tsig = false;
    for _ in 0..ar {
        let start = pos;
        let nl = skip_name(p, pos).ok_or(formerr(Some(question), None))?;
        let t = u16_at(p, nl).ok_or(formerr(Some(question), None))?;
        let end = skip_rr(p, start).ok_or(formerr(Some(question), None))?;
        if t == rdata::OPT {
            if edns.is_some() || nl != start + 1 || p[start] != 0 {
                // Two OPTs, or an OPT not owned by the root: FORMERR (RFC 6891 6.1.1).
                return Err(formerr(Some(question), None));
            }
            let payload = u16_at(p, nl + 2).unwrap_or(512);
            let version = p[nl + 5];
            let do_bit = p[nl + 6] & 0x80 != 0;
            edns = Some(Edns {
                payload,
                version,
                dnssec_ok: do_bit,
                nsid: has_option(&p[nl + 10..end], OPT_NSID),
                keepalive: has_option(&p[nl + 10..end], OPT_KEEPALIVE),
            });
            cookie = find_cookie(&p[nl + 10..end]).map_err(|()| formerr(Some(question), edns))?;
        } else if t == rdata::TSIG {
            // No keys are configured, so every TSIG key is unknown: NOTAUTH below.
            tsig = true;
        }
        pos = end;
    }
    if pos != p.len() {
        // Trailing garbage after the last record.
        return Err(formerr(Some(question), edns));
    }
    if notimp {
        return Err(Reject::Error {
            id,
            flags: echo,
            rcode: rcode::NOTIMP,
            question: None,
            edns,
        });
    }
    if tsig {
        // BIND answers a query signed with a key it does not know with NOTAUTH (RFC 8945
        // 5.2.2, BADKEY); without TSIG support no key is known.
        return Err(Reject::Error {
            id,
            flags,
            rcode: rcode::NOTAUTH,
            question: Some(question),
            edns,
        });
    }
    Ok(Query {
        id,
        flags,
        qname,
        qtype,
        qclass,
        question,
        edns,
        cookie,
    })
}

/// Is there an option `code` among the OPT RDATA `options` (well formed up to it)?
fn has_option(options: &[u8], code: u16) -> bool {
    let mut at = 0;
    while let (Some(c), Some(len)) = (u16_at(options, at), u16_at(options, at + 2)) {
        if c == code {
            return true;
        }
        at += 4 + len as usize;
    }
    false
}

/// The COOKIE option among the OPT RDATA `options`; `Err` when one has a length RFC 7873
/// section 5.2.2 forbids (FORMERR), or the options run past the RDATA.
fn find_cookie(options: &[u8]) -> Result<Option<&[u8]>, ()> {
    let mut at = 0;
    let mut found = None;
    while at < options.len() {
        let (Some(code), Some(len)) = (u16_at(options, at), u16_at(options, at + 2)) else {
            return Err(());
        };
        let data = options.get(at + 4..at + 4 + len as usize).ok_or(())?;
        if code == OPT_COOKIE {
            if !(len == 8 || (16..=40).contains(&len)) {
                return Err(());
            }
            found = Some(data);
        }
        at += 4 + len as usize;
    }
    Ok(found)
}

/// Skips a possibly compressed name; returns the offset after it.
pub(crate) fn skip_name(p: &[u8], mut pos: usize) -> Option<usize> {
    let mut total = 0usize;
    loop {
        let len = *p.get(pos)? as usize;
        match len & 0xc0 {
            0x00 => {
                pos += 1 + len;
                total += 1 + len;
                if total > name::MAX_NAME {
                    return None;
                }
                if len == 0 {
                    return (pos <= p.len()).then_some(pos);
                }
            }
            0xc0 => {
                p.get(pos + 1)?;
                return Some(pos + 2);
            }
            _ => return None,
        }
    }
}

fn skip_rr(p: &[u8], pos: usize) -> Option<usize> {
    let n = skip_name(p, pos)?;
    let rdlen = u16_at(p, n + 8)? as usize;
    let end = n + 10 + rdlen;
    (end <= p.len()).then_some(end)
}

/// The message did not fit in the size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// Most names remembered for compression in one message.
const MAX_COMP: usize = 64;

/// A response being written into a caller-provided buffer, never past `limit` bytes.
pub struct Writer<'b> {
    buf: &'b mut [u8],
    pub len: usize,
    limit: usize,
    comp: [u16; MAX_COMP],
    ncomp: usize,
}

impl<'b> Writer<'b> {
    /// A writer over `buf`; at most `limit` bytes (clamped to the buffer) will be written.
    pub fn new(buf: &'b mut [u8], limit: usize) -> Writer<'b> {
        let limit = limit.min(buf.len());
        Writer {
            buf,
            len: 0,
            limit,
            comp: [0; MAX_COMP],
            ncomp: 0,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.min(self.buf.len());
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }

    /// Cuts the message back to `len` bytes, forgetting compression targets past it.
    pub fn truncate(&mut self, len: usize) {
        self.len = len;
        while self.ncomp > 0 && self.comp[self.ncomp - 1] as usize >= len {
            self.ncomp -= 1;
        }
    }

    pub fn put(&mut self, b: &[u8]) -> Result<(), Full> {
        let end = self.len + b.len();
        if end > self.limit {
            return Err(Full);
        }
        self.buf[self.len..end].copy_from_slice(b);
        self.len = end;
        Ok(())
    }

    pub fn put_u16(&mut self, v: u16) -> Result<(), Full> {
        self.put(&v.to_be_bytes())
    }

    pub fn put_u32(&mut self, v: u32) -> Result<(), Full> {
        self.put(&v.to_be_bytes())
    }

    pub fn set_u16(&mut self, at: usize, v: u16) {
        self.buf[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }

    pub fn get_u16(&self, at: usize) -> u16 {
        u16::from_be_bytes([self.buf[at], self.buf[at + 1]])
    }

    /// Remembers that an uncompressed name starts at `at` (its suffixes become targets too).
    pub fn remember_name(&mut self, at: usize) {
        let mut pos = at;
        loop {
            let l = self.buf[pos] as usize;
            if l == 0 || l & 0xc0 != 0 || pos > 0x3fff {
                return;
            }
            if self.ncomp < MAX_COMP {
                self.comp[self.ncomp] = pos as u16;
                self.ncomp += 1;
            }
            pos += 1 + l;
        }
    }

    /// Does the (possibly compressed) name at packet offset `at` equal `name` (case-insensitive)?
    fn name_at_eq(&self, mut at: usize, name: &[u8]) -> bool {
        let mut i = 0usize;
        let mut hops = 0;
        loop {
            let Some(&l) = self.buf[..self.len].get(at) else {
                return false;
            };
            if l & 0xc0 == 0xc0 {
                let Some(&lo) = self.buf[..self.len].get(at + 1) else {
                    return false;
                };
                at = ((l as usize & 0x3f) << 8) | lo as usize;
                hops += 1;
                if hops > 64 {
                    return false;
                }
                continue;
            }
            let l = l as usize;
            let Some(&nl) = name.get(i) else { return false };
            if nl as usize != l {
                return false;
            }
            if l == 0 {
                return true;
            }
            let (Some(a), Some(b)) = (
                self.buf[..self.len].get(at + 1..at + 1 + l),
                name.get(i + 1..i + 1 + l),
            ) else {
                return false;
            };
            if !a.eq_ignore_ascii_case(b) {
                return false;
            }
            at += 1 + l;
            i += 1 + l;
        }
    }

    /// Writes `name` (uncompressed wire), compressing against names already written.
    pub fn put_name(&mut self, name: &[u8], compress: bool) -> Result<(), Full> {
        let start = self.len;
        let mut i = 0usize;
        while i < name.len() && name[i] != 0 {
            if compress {
                let suffix = &name[i..];
                let mut hit = None;
                for k in 0..self.ncomp {
                    let off = self.comp[k] as usize;
                    if self.name_at_eq(off, suffix) {
                        hit = Some(off);
                        break;
                    }
                }
                if let Some(off) = hit {
                    self.put_u16(0xc000 | off as u16)?;
                    if compress {
                        self.remember_prefix(start, i);
                    }
                    return Ok(());
                }
            }
            let l = name[i] as usize;
            self.put(&name[i..i + 1 + l])?;
            i += 1 + l;
        }
        self.put(&[0])?;
        if compress {
            self.remember_prefix(start, i);
        }
        Ok(())
    }

    /// Remembers the literal labels written at `start` (the first `prefix_len` bytes of a name).
    fn remember_prefix(&mut self, start: usize, prefix_len: usize) {
        let mut pos = start;
        while pos < start + prefix_len && pos <= 0x3fff {
            if self.ncomp < MAX_COMP {
                self.comp[self.ncomp] = pos as u16;
                self.ncomp += 1;
            }
            pos += 1 + self.buf[pos] as usize;
        }
    }

    /// Writes one resource record; names inside RDATA are compressed for RFC 1035 types.
    pub fn put_rr(
        &mut self,
        owner: Owner<'_>,
        rtype: u16,
        class: u16,
        ttl: u32,
        rd: &[u8],
    ) -> Result<(), Full> {
        match owner {
            Owner::Pointer(off) => self.put_u16(0xc000 | off)?,
            Owner::Name(n) => self.put_name(n, true)?,
        }
        self.put_u16(rtype)?;
        self.put_u16(class)?;
        self.put_u32(ttl)?;
        let len_at = self.len;
        self.put_u16(0)?;
        match rdata::compressible_fields(rtype) {
            Some(fields) => self.put_fields(fields, rd)?,
            None => self.put(rd)?,
        }
        let rdlen = (self.len - len_at - 2) as u16;
        self.set_u16(len_at, rdlen);
        Ok(())
    }

    fn put_fields(&mut self, fields: &[rdata::F], rd: &[u8]) -> Result<(), Full> {
        let mut p = 0usize;
        for f in fields {
            if let rdata::F::Dn(compress) = *f {
                let Some(l) = rd.get(p..).and_then(name::wire_len) else {
                    return self.put(&rd[p.min(rd.len())..]);
                };
                self.put_name(&rd[p..p + l], compress)?;
                p += l;
                continue;
            }
            // Fields other than names are copied; one of unknown length takes the rest.
            let n = f.wire_len(rd, p).unwrap_or(rd.len() - p);
            let end = (p + n).min(rd.len());
            self.put(&rd[p..end])?;
            p = end;
        }
        if p < rd.len() {
            self.put(&rd[p..])?;
        }
        Ok(())
    }

    /// Appends an OPT record advertising `payload` with extended rcode bits and DO.
    pub fn put_opt(&mut self, payload: u16, ext_rcode: u8, dnssec_ok: bool) -> Result<(), Full> {
        self.put(&[0])?;
        self.put_u16(rdata::OPT)?;
        self.put_u16(payload)?;
        self.put(&[ext_rcode, 0, if dnssec_ok { 0x80 } else { 0 }, 0])?;
        self.put_u16(0)
    }
}

/// How a record's owner is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    /// A compression pointer (e.g. to the question name at offset 12).
    Pointer(u16),
    /// An uncompressed wire name, compressed when written.
    Name(&'a [u8]),
}

/// Size of an OPT record without options.
pub const OPT_LEN: usize = 11;

#[cfg(test)]
mod tests;
