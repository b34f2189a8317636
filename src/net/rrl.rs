//! Response-rate limiting on UDP, with BIND's semantics: each worker keeps a fixed-size table
//! of credit accounts keyed by client prefix (/24, /56) and response kind -- answers per
//! (name, type), NXDOMAIN and errors per prefix -- credited `rate` per second, with debt capped
//! at `window` seconds of rate. A response over budget is dropped, or every `slip`-th sent
//! truncated (TC=1, question only) so a real client retries over TCP. Judged on the response
//! bytes; no allocation and no lock per packet (the table is the worker's own).

use std::hash::Hasher;
use std::net::IpAddr;

use crate::config::RrlConfig;
use crate::dns::name;
use crate::dns::wire::{hf, rcode, HEADER};

/// Accounts per worker (a power of two), in buckets of `WAYS`.
const ENTRIES: usize = 8192;
const WAYS: usize = 4;

/// What to do with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Send,
    Drop,
    /// Send it truncated: the caller keeps the first `len` bytes (header and question, TC set).
    Slip(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Answer = 1,
    Nxdomain = 2,
    Error = 3,
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    /// 0: unused.
    key: u64,
    /// Second (of the worker's clock) the balance was last credited.
    sec: u32,
    balance: i64,
    limited: u32,
}

/// One worker's rate limiter.
pub(super) struct Rrl {
    cfg: RrlConfig,
    table: Box<[Entry]>,
}

impl Rrl {
    pub(super) fn new(cfg: &RrlConfig) -> Rrl {
        Rrl {
            cfg: cfg.clone(),
            table: vec![Entry::default(); ENTRIES].into_boxed_slice(),
        }
    }

    /// Judges the response `resp` (already written) to `peer` at second `now`. `exempt`: the
    /// client is known genuine (a valid server cookie).
    pub(super) fn judge(
        &mut self,
        peer: IpAddr,
        resp: &mut [u8],
        now: u32,
        exempt: bool,
    ) -> Action {
        if exempt || resp.len() < HEADER || self.cfg.exempt.iter().any(|p| p.contains(peer)) {
            return Action::Send;
        }
        let rc = resp[3] & 0x0f;
        let kind = match rc {
            rcode::NOERROR => Kind::Answer,
            rcode::NXDOMAIN => Kind::Nxdomain,
            _ => Kind::Error,
        };
        let rate = match kind {
            Kind::Answer => self.cfg.responses_per_second,
            Kind::Nxdomain => self.cfg.nxdomains_per_second,
            Kind::Error => self.cfg.errors_per_second,
        } as i64;
        if rate == 0 {
            return Action::Send;
        }
        let qd = u16::from_be_bytes([resp[4], resp[5]]);
        let qend = if qd == 1 {
            name::wire_len(&resp[HEADER..])
                .map(|n| HEADER + n + 4)
                .filter(|&e| e <= resp.len())
        } else {
            None
        };
        let mut h = rustc_hash::FxHasher::default();
        h.write_u8(kind as u8);
        match peer {
            IpAddr::V4(a) => {
                h.write_u32(
                    prefix_bits(u32::from(a) as u128, 32, self.cfg.ipv4_prefix_length) as u32,
                )
            }
            IpAddr::V6(a) => {
                h.write_u128(prefix_bits(u128::from(a), 128, self.cfg.ipv6_prefix_length))
            }
        }
        if let (Kind::Answer, Some(e)) = (kind, qend) {
            // Answers are accounted per name and type (the question, in lower case).
            for &b in &resp[HEADER..e - 2] {
                h.write_u8(b.to_ascii_lowercase());
            }
        }
        let key = h.finish() | 1;
        let limit = self.account(key, now, rate);
        if !limit {
            return Action::Send;
        }
        let slip = self.cfg.slip;
        let e = self.entry_mut(key);
        e.limited = e.limited.wrapping_add(1);
        if slip == 0 || !e.limited.is_multiple_of(slip) {
            return Action::Drop;
        }
        // A truncated reply with the question only: a real client retries over TCP.
        let Some(qend) = qend else {
            return Action::Drop;
        };
        let flags = u16::from_be_bytes([resp[2], resp[3]]) | hf::TC;
        resp[2..4].copy_from_slice(&flags.to_be_bytes());
        resp[6..12].fill(0);
        Action::Slip(qend)
    }

    /// Charges one response to account `key`; true when it is over budget.
    fn account(&mut self, key: u64, now: u32, rate: i64) -> bool {
        let window = self.cfg.window as i64;
        let e = self.entry_mut(key);
        if e.key != key {
            *e = Entry {
                key,
                sec: now,
                balance: rate,
                limited: 0,
            };
        } else if now > e.sec {
            let credit = (now - e.sec) as i64 * rate;
            e.balance = (e.balance + credit).min(rate);
            e.sec = now;
        }
        e.balance = (e.balance - 1).max(-window * rate);
        e.balance < 0
    }

    /// The account for `key`, or the slot to reuse for it (the least recently credited of its
    /// bucket).
    fn entry_mut(&mut self, key: u64) -> &mut Entry {
        let base = (key as usize >> 3) & (ENTRIES - 1) & !(WAYS - 1);
        let bucket = &self.table[base..base + WAYS];
        let i = bucket
            .iter()
            .position(|e| e.key == key)
            .or_else(|| bucket.iter().position(|e| e.key == 0))
            .unwrap_or_else(|| (0..WAYS).min_by_key(|&i| bucket[i].sec).unwrap_or(0));
        &mut self.table[base + i]
    }
}

/// The top `len` bits of a `bits`-wide address.
fn prefix_bits(a: u128, bits: u8, len: u8) -> u128 {
    let len = len.min(bits);
    if len == 0 {
        0
    } else {
        a >> (bits - len)
    }
}

#[cfg(test)]
mod tests;
