//! One small pseudo-random generator (xorshift64*) for what needs cheap, reproducible or
//! per-thread randomness without a dependency: weighted service answers on the query path,
//! health-check timer jitter, and the seeded mutation tests. Not for secrets (cookies use
//! SipHash with a random key).

/// xorshift64* (Vigna): a 64-bit state, never zero.
#[derive(Debug, Clone, Copy)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from `seed` (a zero seed is replaced: the state must not be zero).
    pub const fn new(seed: u64) -> XorShift {
        XorShift(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64-bit draw.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A draw in `0..n` (0 when `n` is 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The iteration count and time budget of a seeded mutation test: `default` iterations within
/// 4 s, or `CLUSTERDNS_MUTATE_ITERS` of them within an hour for a longer run.
#[cfg(test)]
pub(crate) fn mutate_budget(default: usize) -> (usize, std::time::Duration) {
    let iters: usize = std::env::var("CLUSTERDNS_MUTATE_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    let secs = if iters > default { 3600 } else { 4 };
    (iters, std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_reproducible_and_spread() {
        let (mut a, mut b) = (XorShift::new(42), XorShift::new(42));
        let mut seen = [0u32; 4];
        for _ in 0..4000 {
            let x = a.next_u64();
            assert_eq!(x, b.next_u64());
            seen[(x % 4) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
        assert_eq!(XorShift::new(0).below(0), 0);
    }
}
