//! The name server identifier (RFC 5001): the configured identity, parsed from text or hex,
//! and appended in place to the OPT record of a response whose query asked for it.

use crate::dns::wire::{HEADER, OPT_LEN, OPT_NSID};

/// Longest identity accepted (BIND's `server-id` is a name-length string; RFC 5001 sets no
/// limit, but it has to fit in every UDP response).
pub const MAX_NSID: usize = 128;

/// A `--nsid` value that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NsidError {
    #[error("--nsid is empty")]
    Empty,
    #[error("--nsid is longer than {MAX_NSID} bytes")]
    TooLong,
    #[error("--nsid {0:?}: 0x must be followed by an even number of hex digits")]
    BadHex(String),
}

/// The identity from `--nsid`: `0x` and hex digits for raw bytes, otherwise the text itself.
pub fn parse(text: &str) -> Result<Box<[u8]>, NsidError> {
    let bytes: Vec<u8> = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => {
            if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(NsidError::BadHex(text.to_string()));
            }
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                .collect::<Result<_, _>>()
                .map_err(|_| NsidError::BadHex(text.to_string()))?
        }
        None => text.as_bytes().to_vec(),
    };
    match bytes.len() {
        0 => Err(NsidError::Empty),
        n if n > MAX_NSID => Err(NsidError::TooLong),
        _ => Ok(bytes.into_boxed_slice()),
    }
}

/// Bytes the NSID option adds to a response.
pub(super) fn reply_len(nsid: &[u8]) -> usize {
    4 + nsid.len()
}

/// Adds an NSID option carrying `nsid` to the OPT record that starts at `opt_at` and ends
/// the `len`-byte response in `out`, as its first option (before a cookie, as BIND orders
/// them); returns the new length. The response is left alone when there is no OPT record
/// there or no room.
pub(super) fn append(out: &mut [u8], opt_at: usize, len: usize, nsid: &[u8]) -> usize {
    let end = len + reply_len(nsid);
    if opt_at < HEADER || opt_at + OPT_LEN > len || end > out.len() {
        return len;
    }
    if out[opt_at..opt_at + 3] != [0, 0, 41] {
        return len;
    }
    let rdlen = u16::from_be_bytes([out[opt_at + 9], out[opt_at + 10]]) as usize;
    if opt_at + OPT_LEN + rdlen != len {
        return len;
    }
    let new = (rdlen + reply_len(nsid)) as u16;
    out[opt_at + 9..opt_at + 11].copy_from_slice(&new.to_be_bytes());
    let at = opt_at + OPT_LEN;
    out.copy_within(at..len, at + reply_len(nsid));
    out[at..at + 2].copy_from_slice(&OPT_NSID.to_be_bytes());
    out[at + 2..at + 4].copy_from_slice(&(nsid.len() as u16).to_be_bytes());
    out[at + 4..at + reply_len(nsid)].copy_from_slice(nsid);
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_and_hex() {
        assert_eq!(&*parse("ns1").unwrap(), b"ns1");
        assert_eq!(&*parse("0x6e7331").unwrap(), b"ns1");
        assert_eq!(&*parse("0XFF00").unwrap(), &[0xff, 0]);
        assert_eq!(parse(""), Err(NsidError::Empty));
        assert!(matches!(parse("0x123"), Err(NsidError::BadHex(_))));
        assert!(matches!(parse("0xzz"), Err(NsidError::BadHex(_))));
        assert_eq!(parse(&"a".repeat(MAX_NSID + 1)), Err(NsidError::TooLong));
    }

    #[test]
    fn appends_to_the_opt_record() {
        let mut out = vec![0u8; 64];
        let opt_at = HEADER;
        out[opt_at..opt_at + OPT_LEN].copy_from_slice(&[0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]);
        let len = opt_at + OPT_LEN;
        let n = append(&mut out, opt_at, len, b"ns1");
        assert_eq!(n, len + 7);
        assert_eq!(&out[opt_at + 9..opt_at + 11], &[0, 7]);
        assert_eq!(&out[len..n], &[0, 3, 0, 3, b'n', b's', b'1']);
        // A second goes first.
        let m = append(&mut out, opt_at, n, b"x");
        assert_eq!(&out[opt_at + 9..opt_at + 11], &[0, 12]);
        assert_eq!(
            &out[len..m],
            &[0, 3, 0, 1, b'x', 0, 3, 0, 3, b'n', b's', b'1']
        );
        let n = m;
        // No OPT where it is said to start: unchanged.
        assert_eq!(append(&mut out, opt_at + 1, n, b"x"), n);
        // No room: unchanged.
        assert_eq!(append(&mut out[..n + 2], opt_at, n, b"ns1"), n);
    }
}
