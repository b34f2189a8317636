//! The RDATA field kinds. A layout in the type table is a list of [`F`]; each kind is one
//! type implementing [`Field`], which keeps reading it from master-file tokens, printing it
//! in BIND's form and its wire length together, and [`F`] is generated from one list that
//! pairs each descriptor with its kind, so adding a field kind touches that list and its
//! `impl` only.

mod encoded;
mod mnemonic;
mod plain;

use super::custom;
use super::text::lossy;
use super::{RdataError, Tok};
use crate::dns::name::Name;

/// What one field kind knows.
pub(super) trait Field {
    /// Reads the field from `r` and appends its wire form to `out` (which holds the fields
    /// before it: some kinds depend on them).
    fn read(&self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError>;

    /// Prints the field that starts at `rd[p..]` (`rd` is the whole RDATA); returns where the
    /// next field starts, `None` when the bytes are not a valid field of this kind.
    fn print(&self, rd: &[u8], p: usize, out: &mut String) -> Option<usize>;

    /// The field's length at `rd[p..]` when it can be told without printing (numbers and
    /// names, what the encoder and the additional-section lookup need); `None` otherwise.
    fn wire_len(&self, _rd: &[u8], _p: usize) -> Option<usize> {
        None
    }
}

/// Declares [`F`] and its dispatch from one list of `descriptor => kind`.
macro_rules! field_kinds {
    ($( $(#[$meta:meta])* $v:ident $(($p:ident: $t:ty))? => $kind:expr, )*) => {
        /// A field of an RDATA layout. The same descriptor drives reading (text to wire),
        /// printing (wire to BIND's text) and validation of RDATA given as `\# len hex`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum F {
            $( $(#[$meta])* $v $(($t))?, )*
        }

        impl F {
            pub(super) fn read(self, r: &mut Reader<'_, '_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
                match self {
                    $( F::$v $(($p))? => Field::read(&$kind, r, out), )*
                }
            }

            pub(super) fn print(self, rd: &[u8], p: usize, out: &mut String) -> Option<usize> {
                match self {
                    $( F::$v $(($p))? => Field::print(&$kind, rd, p, out), )*
                }
            }

            /// See [`Field::wire_len`].
            pub(crate) fn wire_len(self, rd: &[u8], p: usize) -> Option<usize> {
                match self {
                    $( F::$v $(($p))? => Field::wire_len(&$kind, rd, p), )*
                }
            }
        }
    };
}

field_kinds! {
    U8 => plain::Uint(1),
    U16 => plain::Uint(2),
    U32 => plain::Uint(4),
    /// u32 written in master files with optional TTL units (SOA timers, RRSIG original TTL).
    Period => plain::Period,
    /// A domain name; `true` when it may be compressed on the wire (RFC 3597 section 4).
    Dn(_compress: bool) => plain::Dn,
    Ip4 => plain::Ip4,
    Ip6 => plain::Ip6,
    /// One character-string.
    Str => plain::Str,
    /// One or more character-strings up to the end of the RDATA.
    Strs => plain::Strs,
    /// Zero or one character-string at the end (ISDN subaddress).
    OptStr => plain::OptStr,
    /// A character-string of at least 4 decimal digits (X25).
    Digits => plain::Digits,
    /// One token without a length byte, to the end of the RDATA, printed quoted (CAA value,
    /// URI target).
    Text => plain::Text { quoted: false },
    /// Base64 up to the end of the RDATA, at least one token, printed in 56-column chunks.
    B64 => encoded::Base64(encoded::B64Form::Required),
    /// Like `B64` but may be empty (KEY, SINK, IPSECKEY).
    B64Opt => encoded::Base64(encoded::B64Form::Optional),
    /// Base64 to the end, printed without splitting (HHIT, BRID).
    B64Flat => encoded::Base64(encoded::B64Form::Flat),
    /// Hex up to the end of the RDATA, at least one token, printed in 56-column chunks.
    Hex => encoded::HexData(encoded::HexForm::Plain),
    /// Hex with a length byte; `-` when empty (NSEC3 and NSEC3PARAM salt).
    Salt => encoded::Salt,
    /// Base32hex with a length byte (NSEC3 next hashed owner name).
    B32 => encoded::Base32,
    /// NSEC-style type bitmap up to the end of the RDATA, possibly empty (NSEC3, CSYNC).
    Bitmap => encoded::Bitmap(encoded::BitmapForm::Nsec3),
    /// A type bitmap that must list at least one type (NSEC).
    NsecBitmap => encoded::Bitmap(encoded::BitmapForm::Nsec),
    /// NXT-style bitmap (types 1-127) up to the end of the RDATA.
    NxtBitmap => encoded::Bitmap(encoded::BitmapForm::Nxt),
    /// RRSIG signer name: at most as many labels as the labels field (third byte) says.
    Signer => plain::Signer,
    /// RRSIG/SIG time: `YYYYMMDDHHMMSS` or seconds.
    Time => plain::Time,
    /// A record type mnemonic (u16).
    Type => plain::Type,
    /// DNSSEC algorithm (u8): mnemonic or number in, number out.
    Alg => mnemonic::alg(false),
    /// DNSSEC algorithm (u8) printed as its mnemonic (CERT).
    AlgName => mnemonic::alg(true),
    /// CERT type (u16), mnemonic in and out.
    CertType => mnemonic::CertType,
    /// KEY/DNSKEY flags (u16): number or mnemonics.
    KeyFlags => mnemonic::KeyFlags,
    /// KEY/DNSKEY protocol (u8): number or mnemonic.
    Proto => mnemonic::PROTO,
    /// DS digest type (u8): number or mnemonic.
    DigestType => mnemonic::DIGEST_TYPE,
    /// DS digest: hex to the end, length checked against the digest type before it.
    Digest => encoded::HexData(encoded::HexForm::DsDigest),
    /// SSHFP fingerprint: hex to the end (may be empty), length checked against the type.
    Fingerprint => encoded::HexData(encoded::HexForm::Fingerprint),
    /// RKEY flags: a u16 that must be zero.
    RkeyFlags => mnemonic::RkeyFlags,
    /// A string that must be quoted, no length byte, to the end (URI target).
    QText => plain::Text { quoted: true },
    /// ZONEMD digest: hex to the end, length checked against the hash algorithm before it.
    ZoneDigest => encoded::HexData(encoded::HexForm::ZoneDigest),
    /// KEY/DNSKEY public key: base64 to the end, absent when the flags say "no key".
    KeyData => encoded::KeyData,
    Eui48 => plain::Eui(6),
    Eui64 => plain::Eui(8),
    /// Four 16-bit hex groups (L64, NID).
    Locator64 => plain::Locator64,
    /// `0x`-prefixed hex (NSAP).
    Nsap => plain::Nsap,
    /// CAA tag: a character-string of letters and digits, printed bare.
    Tag => plain::Tag,
    /// DSYNC scheme (u8): `NOTIFY` or a number.
    Scheme => mnemonic::SCHEME,
    /// AMTRELAY discovery-optional bit and relay type, one byte.
    AmtType => mnemonic::AmtType,
    /// IPSECKEY/AMTRELAY gateway whose form is given by the byte at offset `n & 0x7f`; with
    /// `n & 0x80` only the low 7 bits of that byte count and "no gateway" may omit the `.`.
    Gateway(at: u8) => mnemonic::Gateway(at),
    /// DOA data: base64 or `-` for none, printed unsplit.
    DoaData => encoded::DoaData,
    /// Irregular layouts handled by a function of their own (whole RDATA).
    Loc => custom::LOC,
    Apl => custom::APL,
    Wks => custom::WKS,
    Svcb => custom::SVCB,
    A6 => custom::A6,
    Hip => custom::HIP,
    Atma => custom::ATMA,
}

/// The RDATA tokens being read, and the origin that completes relative names.
pub(super) struct Reader<'a, 'b> {
    pub(super) toks: &'b [Tok<'a>],
    pub(super) pos: usize,
    pub(super) origin: &'b Name,
}

impl<'a, 'b> Reader<'a, 'b> {
    pub(super) fn new(toks: &'b [Tok<'a>], origin: &'b Name) -> Self {
        Reader {
            toks,
            pos: 0,
            origin,
        }
    }

    /// The next token; `what` names the field for the message when there is none.
    pub(super) fn next(&mut self, what: &'static str) -> Result<Tok<'a>, RdataError> {
        let t = self
            .toks
            .get(self.pos)
            .copied()
            .ok_or(RdataError::End(what))?;
        self.pos += 1;
        Ok(t)
    }

    /// The next token if there is one.
    pub(super) fn next_opt(&mut self) -> Option<Tok<'a>> {
        let t = self.toks.get(self.pos).copied()?;
        self.pos += 1;
        Some(t)
    }

    /// The next token as an unquoted decimal number up to `max`.
    pub(super) fn num(&mut self, max: u64, what: &'static str) -> Result<u64, RdataError> {
        let t = self.next(what)?;
        match super::parse_dec(t.text) {
            Some(v) if v <= max && !t.quoted => Ok(v),
            Some(_) if !t.quoted => Err(RdataError::out_of_range(what, t.text)),
            _ => Err(RdataError::bad(what, t.text)),
        }
    }

    /// Concatenates the remaining tokens (base64/hex spread over several tokens); returns
    /// how many there were.
    pub(super) fn rest(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.toks.len() - self.pos;
        for t in &self.toks[self.pos..] {
            buf.extend_from_slice(t.text);
        }
        self.pos = self.toks.len();
        n
    }

    /// Every remaining token, for the kinds that read the whole RDATA themselves.
    pub(super) fn take_all(&mut self) -> &'b [Tok<'a>] {
        let s = &self.toks[self.pos..];
        self.pos = self.toks.len();
        s
    }
}

/// The `lossy` text of a token, for messages.
pub(super) fn shown(t: &[u8]) -> String {
    lossy(t).into_owned()
}
