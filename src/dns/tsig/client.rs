//! TSIG on the client side (RFC 8945 5.1, 5.3.1): signing a request we send (the SOA, IXFR and
//! AXFR queries of secondary mode) and checking the answers, one message after another with
//! the running MAC (messages without a TSIG, at most 99 in a row, count into the next MAC).

use ring::hmac;

use super::{bump_arcount, ct_eq, find, time48, tsig_rr, variables, TsigKey, FUDGE};

/// Signs request `msg` (complete, no TSIG yet) with `key` at `now`: appends the TSIG record
/// and returns the check for its answers.
pub fn sign_request<'k>(msg: &mut Vec<u8>, key: &'k TsigKey, now: u64) -> ResponseCheck<'k> {
    let id = u16::from_be_bytes([
        msg.first().copied().unwrap_or(0),
        msg.get(1).copied().unwrap_or(0),
    ]);
    let mut ctx = hmac::Context::with_key(&key.key);
    ctx.update(msg);
    let time = time48(now);
    variables(
        &mut ctx,
        key.name.wire(),
        key.alg.wire(),
        &time,
        FUDGE,
        0,
        &[],
    );
    let mac = ctx.sign();
    let rr = tsig_rr(
        key.name.wire(),
        key.alg.wire(),
        &time,
        mac.as_ref(),
        id,
        0,
        &[],
    );
    msg.extend_from_slice(&rr);
    bump_arcount(msg);
    ResponseCheck {
        key,
        prior_mac: mac.as_ref().to_vec(),
        first: true,
        pending: Vec::new(),
        unsigned: 0,
    }
}

/// Checks the TSIG of each answer to a signed request, in order.
pub struct ResponseCheck<'k> {
    key: &'k TsigKey,
    prior_mac: Vec<u8>,
    first: bool,
    /// Unsigned messages since the last signed one (they count into its MAC).
    pending: Vec<u8>,
    unsigned: usize,
}

impl ResponseCheck<'_> {
    /// Checks the next answer `msg` at `now`: `Err` says why it must be rejected.
    pub fn check(&mut self, msg: &[u8], now: u64) -> Result<(), String> {
        let found = match find(msg) {
            Ok(Some(f)) => f,
            Ok(None) if !self.first && self.unsigned < 99 => {
                self.pending.extend_from_slice(msg);
                self.unsigned += 1;
                return Ok(());
            }
            Ok(None) => return Err("answer not signed".into()),
            Err(()) => return Err("malformed TSIG in the answer".into()),
        };
        if !found.key_name.eq_ignore_ascii_case(self.key.name.wire()) {
            return Err("answer signed with another key".into());
        }
        if found.error != 0 {
            return Err(format!("answer carries TSIG error {}", found.error));
        }
        let mut ctx = hmac::Context::with_key(&self.key.key);
        ctx.update(&(self.prior_mac.len() as u16).to_be_bytes());
        ctx.update(&self.prior_mac);
        ctx.update(&self.pending);
        let mut head = msg[..found.start].to_vec();
        head[0..2].copy_from_slice(&found.orig_id.to_be_bytes());
        let ar = u16::from_be_bytes([head[10], head[11]]).saturating_sub(1);
        head[10..12].copy_from_slice(&ar.to_be_bytes());
        ctx.update(&head);
        let time = time48(found.time);
        if self.first {
            variables(
                &mut ctx,
                found.key_name,
                found.alg,
                &time,
                found.fudge,
                found.error,
                found.other,
            );
        } else {
            ctx.update(&time);
            ctx.update(&found.fudge.to_be_bytes());
        }
        let mac = ctx.sign();
        let m = found.mac.len();
        if m == 0 || m > mac.as_ref().len() || !ct_eq(&mac.as_ref()[..m], found.mac) {
            return Err("bad TSIG MAC in the answer (BADSIG)".into());
        }
        if now.abs_diff(found.time) > found.fudge as u64 {
            return Err("answer signed outside the time fudge (BADTIME)".into());
        }
        self.prior_mac = found.mac.to_vec();
        self.first = false;
        self.pending.clear();
        self.unsigned = 0;
        Ok(())
    }
}
