//! TSIG (RFC 8945): keys (`NAME:ALG:BASE64`), verifying a signed request, and signing the
//! responses to it, one message after another with the running MAC (multi-message transfers),
//! including the unsigned BADKEY/BADSIG and signed BADTIME error answers.

use std::fmt;
use std::str::FromStr;

use ring::hmac;

use crate::dns::name::{self, Name};
use crate::dns::rdata;

/// TSIG error codes (in the TSIG RR, with rcode NOTAUTH in the header).
pub mod err {
    pub const BADSIG: u16 = 16;
    pub const BADKEY: u16 = 17;
    pub const BADTIME: u16 = 18;
}

/// The class of TSIG records (ANY).
const CLASS_ANY: u16 = 255;
/// Fudge we put in our signatures (seconds), as BIND, NSD and Knot.
const FUDGE: u16 = 300;

/// The HMAC algorithms we sign and verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    HmacSha1,
    HmacSha256,
    HmacSha512,
}

impl Algorithm {
    /// The algorithm's name in wire form (lower case).
    pub fn wire(self) -> &'static [u8] {
        match self {
            Algorithm::HmacSha1 => b"\x09hmac-sha1\x00",
            Algorithm::HmacSha256 => b"\x0bhmac-sha256\x00",
            Algorithm::HmacSha512 => b"\x0bhmac-sha512\x00",
        }
    }

    fn from_wire(w: &[u8]) -> Option<Algorithm> {
        [
            Algorithm::HmacSha1,
            Algorithm::HmacSha256,
            Algorithm::HmacSha512,
        ]
        .into_iter()
        .find(|a| a.wire().eq_ignore_ascii_case(w))
    }

    fn ring(self) -> hmac::Algorithm {
        match self {
            Algorithm::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::HmacSha256 => hmac::HMAC_SHA256,
            Algorithm::HmacSha512 => hmac::HMAC_SHA512,
        }
    }

    /// Length of a full MAC.
    fn mac_len(self) -> usize {
        match self {
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha512 => 64,
        }
    }
}

impl FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Algorithm, String> {
        match s.trim_end_matches('.').to_ascii_lowercase().as_str() {
            "hmac-sha1" => Ok(Algorithm::HmacSha1),
            "hmac-sha256" => Ok(Algorithm::HmacSha256),
            "hmac-sha512" => Ok(Algorithm::HmacSha512),
            other => Err(format!(
                "unsupported TSIG algorithm {other:?} (hmac-sha1, hmac-sha256, hmac-sha512)"
            )),
        }
    }
}

/// A shared secret: its name (lower case), algorithm and key.
#[derive(Clone)]
pub struct TsigKey {
    pub name: Name,
    pub alg: Algorithm,
    key: hmac::Key,
    /// SHA-256 of the secret: two keys are equal when name, algorithm and secret are (a
    /// re-read config file with a new secret is a change), without keeping the secret itself.
    fingerprint: [u8; 32],
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        write!(f, "TsigKey({} {:?})", self.name, self.alg)
    }
}

impl PartialEq for TsigKey {
    fn eq(&self, o: &TsigKey) -> bool {
        self.name == o.name && self.alg == o.alg && self.fingerprint == o.fingerprint
    }
}

impl TsigKey {
    pub fn new(name: &Name, alg: Algorithm, secret: &[u8]) -> TsigKey {
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, secret).as_ref());
        TsigKey {
            name: name.to_lowercase(),
            alg,
            key: hmac::Key::new(alg.ring(), secret),
            fingerprint,
        }
    }
}

impl FromStr for TsigKey {
    type Err = String;
    /// `NAME:ALG:BASE64SECRET`, e.g. `xfr-key:hmac-sha256:c2VjcmV0...`.
    fn from_str(s: &str) -> Result<TsigKey, String> {
        let mut parts = s.splitn(3, ':');
        let (Some(n), Some(a), Some(b)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "bad TSIG key {s:?}: expected NAME:ALG:BASE64SECRET"
            ));
        };
        let name = Name::from_ascii(n).map_err(|e| format!("bad TSIG key name {n:?}: {e}"))?;
        let alg: Algorithm = a.parse()?;
        let secret = data_encoding::BASE64
            .decode(b.trim().as_bytes())
            .map_err(|e| format!("bad TSIG secret of key {n:?}: {e}"))?;
        Ok(TsigKey::new(&name, alg, &secret))
    }
}

/// The TSIG record of a message, as found (offsets into the message).
#[derive(Debug, Clone)]
struct Found<'a> {
    /// Where the TSIG RR starts (the message without it ends here).
    start: usize,
    key_name: &'a [u8],
    alg: &'a [u8],
    time: u64,
    fudge: u16,
    mac: &'a [u8],
    orig_id: u16,
    error: u16,
    other: &'a [u8],
}

/// What a request's TSIG says.
pub enum Verified<'k> {
    /// No TSIG record.
    Unsigned,
    /// Signed with `key`, MAC and time good: sign the answers with the returned signer.
    Valid(Signer<'k>),
    /// Signed, but not acceptably: answer NOTAUTH with this (unsigned) TSIG record (BADKEY,
    /// BADSIG) and never any data. BADTIME comes as `Valid` with [`Signer::error`] set.
    Bad { error: u16, response_tsig: Vec<u8> },
    /// The TSIG record itself is malformed (or not last): FORMERR.
    Malformed,
}

/// Signs the messages of one response stream (RFC 8945 5.3: the first over the request's MAC,
/// each later one over the previous message's MAC).
pub struct Signer<'k> {
    key: &'k TsigKey,
    prior_mac: Vec<u8>,
    first: bool,
    orig_id: u16,
    error: u16,
    other: Vec<u8>,
}

impl Signer<'_> {
    /// The key the request was signed with.
    pub fn key_name(&self) -> &Name {
        &self.key.name
    }

    /// Bytes a TSIG record adds to a message (reserve this much when filling one).
    pub fn reserve(&self) -> usize {
        tsig_rr_len(
            self.key.name.wire(),
            self.key.alg,
            self.key.alg.mac_len(),
            6,
        )
    }

    /// Signs the complete message `msg` (header counts final, no TSIG yet): appends the TSIG
    /// record and counts it in ARCOUNT.
    pub fn sign(&mut self, msg: &mut Vec<u8>, now: u64) {
        self.sign_at(msg, 0, now);
    }

    /// Like [`Signer::sign`] for the message that starts at `buf[from..]` (after a TCP length
    /// prefix, say): the bytes before `from` are neither signed nor changed.
    pub fn sign_at(&mut self, buf: &mut Vec<u8>, from: usize, now: u64) {
        let mut ctx = hmac::Context::with_key(&self.key.key);
        ctx.update(&(self.prior_mac.len() as u16).to_be_bytes());
        ctx.update(&self.prior_mac);
        ctx.update(buf.get(from..).unwrap_or_default());
        let time = time48(now);
        if self.first {
            variables(
                &mut ctx,
                self.key.name.wire(),
                self.key.alg.wire(),
                &time,
                FUDGE,
                self.error,
                &self.other,
            );
        } else {
            ctx.update(&time);
            ctx.update(&FUDGE.to_be_bytes());
        }
        let mac = ctx.sign();
        let rr = tsig_rr(
            self.key.name.wire(),
            self.key.alg.wire(),
            &time,
            mac.as_ref(),
            self.orig_id,
            self.error,
            if self.first { &self.other } else { &[] },
        );
        buf.extend_from_slice(&rr);
        if let Some(msg) = buf.get_mut(from..) {
            bump_arcount(msg);
        }
        self.prior_mac = mac.as_ref().to_vec();
        self.first = false;
    }
}

/// Appends the TSIG record `rr` (a `Verified::Bad` answer's, or one just made) to the
/// complete message `msg` and counts it in ARCOUNT.
pub fn append_record(msg: &mut Vec<u8>, rr: &[u8]) {
    msg.extend_from_slice(rr);
    bump_arcount(msg);
}

fn bump_arcount(msg: &mut [u8]) {
    if msg.len() >= 12 {
        let ar = u16::from_be_bytes([msg[10], msg[11]]).wrapping_add(1);
        msg[10..12].copy_from_slice(&ar.to_be_bytes());
    }
}

fn time48(now: u64) -> [u8; 6] {
    let b = now.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// The TSIG variables (RFC 8945 4.3.3) fed to the MAC.
fn variables(
    ctx: &mut hmac::Context,
    key_name: &[u8],
    alg: &[u8],
    time: &[u8; 6],
    fudge: u16,
    error: u16,
    other: &[u8],
) {
    ctx.update(&lower(key_name));
    ctx.update(&CLASS_ANY.to_be_bytes());
    ctx.update(&0u32.to_be_bytes());
    ctx.update(&lower(alg));
    ctx.update(time);
    ctx.update(&fudge.to_be_bytes());
    ctx.update(&error.to_be_bytes());
    ctx.update(&(other.len() as u16).to_be_bytes());
    ctx.update(other);
}

fn tsig_rr_len(key_name: &[u8], alg: Algorithm, mac: usize, other: usize) -> usize {
    key_name.len() + 10 + alg.wire().len() + 6 + 2 + 2 + mac + 2 + 2 + 2 + other
}

/// A TSIG resource record in wire form (names uncompressed).
fn tsig_rr(
    key_name: &[u8],
    alg: &[u8],
    time: &[u8; 6],
    mac: &[u8],
    orig_id: u16,
    error: u16,
    other: &[u8],
) -> Vec<u8> {
    let mut rd = Vec::with_capacity(alg.len() + 16 + mac.len() + other.len());
    rd.extend_from_slice(alg);
    rd.extend_from_slice(time);
    rd.extend_from_slice(&FUDGE.to_be_bytes());
    rd.extend_from_slice(&(mac.len() as u16).to_be_bytes());
    rd.extend_from_slice(mac);
    rd.extend_from_slice(&orig_id.to_be_bytes());
    rd.extend_from_slice(&error.to_be_bytes());
    rd.extend_from_slice(&(other.len() as u16).to_be_bytes());
    rd.extend_from_slice(other);
    let mut rr = Vec::with_capacity(key_name.len() + 10 + rd.len());
    rr.extend_from_slice(key_name);
    rr.extend_from_slice(&rdata::TSIG.to_be_bytes());
    rr.extend_from_slice(&CLASS_ANY.to_be_bytes());
    rr.extend_from_slice(&0u32.to_be_bytes());
    rr.extend_from_slice(&(rd.len() as u16).to_be_bytes());
    rr.extend_from_slice(&rd);
    rr
}

/// Verifies the TSIG of request `msg` against `keys` at time `now` (seconds since the epoch).
pub fn verify<'k>(msg: &[u8], keys: &'k [TsigKey], now: u64) -> Verified<'k> {
    let found = match find(msg) {
        Ok(Some(f)) => f,
        Ok(None) => return Verified::Unsigned,
        Err(()) => return Verified::Malformed,
    };
    let alg = Algorithm::from_wire(found.alg);
    let key = alg.and_then(|a| {
        keys.iter()
            .find(|k| k.alg == a && k.name.wire().eq_ignore_ascii_case(found.key_name))
    });
    let unsigned_error = |error: u16| Verified::Bad {
        error,
        response_tsig: tsig_rr(
            found.key_name,
            found.alg,
            &time48(found.time),
            &[],
            found.orig_id,
            error,
            &[],
        ),
    };
    let Some(key) = key else {
        return unsigned_error(err::BADKEY);
    };
    let full = key.alg.mac_len();
    let m = found.mac.len();
    if m > full || m < 10.max(full / 2) {
        return unsigned_error(err::BADSIG);
    }
    let mut ctx = hmac::Context::with_key(&key.key);
    let mut head = msg[..found.start].to_vec();
    head[0..2].copy_from_slice(&found.orig_id.to_be_bytes());
    let ar = u16::from_be_bytes([head[10], head[11]]).saturating_sub(1);
    head[10..12].copy_from_slice(&ar.to_be_bytes());
    ctx.update(&head);
    variables(
        &mut ctx,
        found.key_name,
        found.alg,
        &time48(found.time),
        found.fudge,
        found.error,
        found.other,
    );
    let mac = ctx.sign();
    if !ct_eq(&mac.as_ref()[..m], found.mac) {
        return unsigned_error(err::BADSIG);
    }
    let mut signer = Signer {
        key,
        prior_mac: found.mac.to_vec(),
        first: true,
        orig_id: found.orig_id,
        error: 0,
        other: Vec::new(),
    };
    if now.abs_diff(found.time) > found.fudge as u64 {
        // A signed BADTIME: the caller answers NOTAUTH, signed, without data.
        signer.error = err::BADTIME;
        signer.other = time48(now).to_vec();
    }
    Verified::Valid(signer)
}

impl Signer<'_> {
    /// The TSIG error the answer must carry (0, or BADTIME: answer NOTAUTH without data).
    pub fn error(&self) -> u16 {
        self.error
    }
}

fn lower(w: &[u8]) -> Vec<u8> {
    w.to_ascii_lowercase()
}

/// Compares in time independent of where the bytes differ.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Finds the TSIG record: `Ok(None)` when there is none, `Err` when one is malformed or is
/// not the last record of the message.
fn find(msg: &[u8]) -> Result<Option<Found<'_>>, ()> {
    use crate::dns::wire::skip_name;
    let u16_at = |at: usize| -> Result<u16, ()> {
        Ok(u16::from_be_bytes([
            *msg.get(at).ok_or(())?,
            *msg.get(at + 1).ok_or(())?,
        ]))
    };
    if msg.len() < 12 {
        return Err(());
    }
    let counts: Vec<usize> = (0..4)
        .map(|i| u16_at(4 + 2 * i).map(|c| c as usize))
        .collect::<Result<_, _>>()?;
    let mut pos = 12;
    for _ in 0..counts[0] {
        pos = skip_name(msg, pos).ok_or(())? + 4;
    }
    let total = counts[1] + counts[2] + counts[3];
    for i in 0..total {
        let start = pos;
        let n = skip_name(msg, pos).ok_or(())?;
        let t = u16_at(n)?;
        let rdlen = u16_at(n + 8)? as usize;
        let rd = n + 10;
        let end = rd + rdlen;
        if end > msg.len() {
            return Err(());
        }
        pos = end;
        if t != rdata::TSIG {
            continue;
        }
        if i + 1 != total || end != msg.len() || msg[start] & 0xc0 != 0 {
            return Err(()); // not last, or a compressed key name
        }
        let key_name = &msg[start..n];
        let al = name::wire_len(&msg[rd..end]).ok_or(())?;
        let alg = &msg[rd..rd + al];
        let p = rd + al;
        let tb = msg.get(p..p + 6).ok_or(())?;
        let time = tb.iter().fold(0u64, |a, &b| (a << 8) | b as u64);
        let fudge = u16_at(p + 6)?;
        let ml = u16_at(p + 8)? as usize;
        let mac = msg.get(p + 10..p + 10 + ml).ok_or(())?;
        let q = p + 10 + ml;
        let orig_id = u16_at(q)?;
        let error = u16_at(q + 2)?;
        let ol = u16_at(q + 4)? as usize;
        let other = msg.get(q + 6..q + 6 + ol).ok_or(())?;
        if q + 6 + ol != end {
            return Err(());
        }
        return Ok(Some(Found {
            start,
            key_name,
            alg,
            time,
            fudge,
            mac,
            orig_id,
            error,
            other,
        }));
    }
    Ok(None)
}

/// `msg` without its TSIG record (ARCOUNT lowered, the original ID restored), for answering
/// a verified request as if unsigned; `None` when it has none or it is malformed.
pub fn without_tsig(msg: &[u8]) -> Option<Vec<u8>> {
    let found = find(msg).ok()??;
    let mut head = msg[..found.start].to_vec();
    head[0..2].copy_from_slice(&found.orig_id.to_be_bytes());
    let ar = u16::from_be_bytes([head[10], head[11]]).saturating_sub(1);
    head[10..12].copy_from_slice(&ar.to_be_bytes());
    Some(head)
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

mod client;
pub use client::{sign_request, ResponseCheck};

#[cfg(test)]
mod tests;
