//! DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018): checking the server
//! cookie a client presents and appending a fresh one to the OPT record of the response. The
//! secret is random, drawn once per process. No allocation: the option is written in place.

use std::hash::Hasher;
use std::net::IpAddr;
use std::sync::OnceLock;

use crate::dns::wire::OPT_COOKIE;

/// Bytes the COOKIE option adds to a response: code, length, client (8) and server (16) cookie.
pub(super) const REPLY_LEN: usize = 4 + 8 + 16;
/// A server cookie is accepted for an hour after it was made and five minutes ahead of our
/// clock (RFC 9018 section 4.3).
const MAX_AGE: u32 = 3600;
const MAX_AHEAD: u32 = 300;

/// The process's cookie secret (128 bits from the kernel's random source, drawn on first use).
fn secret() -> &'static [u64; 2] {
    static SECRET: OnceLock<[u64; 2]> = OnceLock::new();
    SECRET.get_or_init(|| {
        let mut b = [0u8; 16];
        // SAFETY: getrandom writes at most b.len() bytes into the buffer we own.
        let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
        if n != b.len() as isize {
            // No random source: fall back on std's randomly keyed hasher state.
            let r = std::collections::hash_map::RandomState::new();
            let h = std::hash::BuildHasher::hash_one(&r, std::time::SystemTime::now());
            b[..8].copy_from_slice(&h.to_le_bytes());
            b[8..].copy_from_slice(&std::hash::BuildHasher::hash_one(&r, h).to_le_bytes());
        }
        let k0 = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        let k1 = u64::from_le_bytes(b[8..].try_into().unwrap_or_default());
        [k0, k1]
    })
}

/// Seconds since the Unix epoch, mod 2^32 (serial arithmetic below).
pub(super) fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// The RFC 9018 hash: SipHash-2-4 over client cookie | version | reserved | timestamp |
/// client address.
fn hash(client: &[u8], ts: u32, ip: IpAddr) -> [u8; 8] {
    let k = secret();
    #[allow(deprecated)] // std's SipHasher is SipHash-2-4, which RFC 9018 specifies.
    let mut h = std::hash::SipHasher::new_with_keys(k[0], k[1]);
    h.write(client);
    h.write(&[1, 0, 0, 0]);
    h.write(&ts.to_be_bytes());
    match ip {
        IpAddr::V4(a) => h.write(&a.octets()),
        IpAddr::V6(a) => h.write(&a.octets()),
    }
    h.finish().to_le_bytes()
}

/// Is the server cookie in `cookie` (the option data: client cookie, then server cookie) one
/// we made for `ip` within the accepted age?
pub(super) fn valid(cookie: &[u8], ip: IpAddr, now: u32) -> bool {
    if cookie.len() != 8 + 16 || cookie[8] != 1 {
        return false;
    }
    let ts = u32::from_be_bytes([cookie[12], cookie[13], cookie[14], cookie[15]]);
    let age = now.wrapping_sub(ts) as i32;
    if age > MAX_AGE as i32 || age < -(MAX_AHEAD as i32) {
        return false;
    }
    hash(&cookie[..8], ts, ip) == cookie[16..24]
}

/// Appends a COOKIE option (the client cookie and a fresh server cookie) to the OPT record
/// that ends the `len`-byte response in `out`; returns the new length. The response is left
/// alone when it does not end with an empty OPT record or the buffer has no room.
pub(super) fn append(out: &mut [u8], len: usize, cookie: &[u8], ip: IpAddr, now: u32) -> usize {
    let end = len + REPLY_LEN;
    // An OPT record without options: root owner, type 41, ..., rdlength 0.
    if len < crate::dns::wire::HEADER + 11
        || end > out.len()
        || out[len - 11..len - 8] != [0, 0, 41]
        || out[len - 2..len] != [0, 0]
    {
        return len;
    }
    out[len - 2..len].copy_from_slice(&(REPLY_LEN as u16).to_be_bytes());
    out[len..len + 2].copy_from_slice(&OPT_COOKIE.to_be_bytes());
    out[len + 2..len + 4].copy_from_slice(&24u16.to_be_bytes());
    out[len + 4..len + 12].copy_from_slice(&cookie[..8]);
    out[len + 12..len + 16].copy_from_slice(&[1, 0, 0, 0]);
    out[len + 16..len + 20].copy_from_slice(&now.to_be_bytes());
    out[len + 20..end].copy_from_slice(&hash(&cookie[..8], now, ip));
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_cookie_validates_for_its_client_only() {
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let client = [1u8, 2, 3, 4, 5, 6, 7, 8];
        // A response ending with an empty OPT.
        let mut out = vec![0u8; 64];
        let len = 12 + 11;
        out[12..23].copy_from_slice(&[0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]);
        let n = append(&mut out, len, &client, ip, 1_000_000);
        assert_eq!(n, len + REPLY_LEN);
        assert_eq!(&out[21..23], &[0, 28]);
        let presented = &out[len + 4..n];
        assert_eq!(&presented[..8], &client);
        assert!(valid(presented, ip, 1_000_010));
        assert!(!valid(
            presented,
            "127.0.0.2".parse().expect("ip"),
            1_000_010
        ));
        assert!(!valid(presented, ip, 1_000_000 + MAX_AGE + 1), "too old");
        let mut forged = presented.to_vec();
        forged[23] ^= 1;
        assert!(!valid(&forged, ip, 1_000_010));
        assert!(!valid(&client, ip, 1_000_000), "client cookie only");
    }
}
