//! What the query path needs to answer a health-checked service name beyond its RRset: the
//! per-member answer variants a `weighted` name draws from, and the `fail_closed` SERVFAIL.
//! Built by `health::overlay` with each published zone set, never mutated after.

use super::NodeId;

/// One service name in a published zone set.
#[derive(Debug, Clone, Default)]
pub struct ServiceAnswer {
    /// Index of the zone in the set's `zones()`.
    pub zone: u32,
    /// The service name's node in that zone (flagged `flag::SERVICE`).
    pub node: NodeId,
    /// Every member is down and the service fails closed: A/AAAA/ANY get SERVFAIL.
    pub servfail: bool,
    /// Per-answer draws for A queries (`weighted` only; empty: answer the RRset).
    pub a: Variants,
    /// Per-answer draws for AAAA queries.
    pub aaaa: Variants,
}

/// Pre-rendered answer sections, one per member, drawn by weight.
#[derive(Debug, Clone, Default)]
pub struct Variants {
    /// Running sums of the weights: variant `i` covers `[cum[i-1], cum[i])`.
    cum: Box<[u32]>,
    /// Each variant's answer section: one RR whose owner points at the question.
    blobs: Box<[Box<[u8]>]>,
}

impl Variants {
    /// Variants from (weight, answer RR) pairs; weights of 0 never get drawn.
    pub fn new(items: Vec<(u32, Box<[u8]>)>) -> Variants {
        let mut sum = 0u32;
        let mut cum = Vec::with_capacity(items.len());
        let mut blobs = Vec::with_capacity(items.len());
        for (w, b) in items {
            sum = sum.saturating_add(w);
            cum.push(sum);
            blobs.push(b);
        }
        Variants {
            cum: cum.into(),
            blobs: blobs.into(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.cum.last().is_none_or(|&t| t == 0)
    }

    /// The variant a uniform random `r` draws (by weight); `None` when empty.
    #[inline]
    pub fn pick(&self, r: u64) -> Option<&[u8]> {
        let total = *self.cum.last()? as u64;
        if total == 0 {
            return None;
        }
        // Multiply-shift maps r onto [0, total) without a division.
        let x = (((r >> 32) * total) >> 32) as u32;
        let i = self.cum.partition_point(|&c| c <= x);
        self.blobs.get(i).map(|b| &b[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_weights() {
        let v = Variants::new(vec![
            (1, Box::new([1])),
            (3, Box::new([2])),
            (0, Box::new([3])),
        ]);
        let mut counts = [0u32; 4];
        for i in 0..4000u64 {
            // r evenly spread over the whole range: shares within one draw of exact.
            let b = v.pick(i * (u64::MAX / 4000)).expect("some");
            counts[b[0] as usize] += 1;
        }
        assert_eq!(counts[3], 0, "weight 0 never drawn");
        assert!(counts[1].abs_diff(1000) <= 1, "{counts:?}");
        assert!(counts[2].abs_diff(3000) <= 1, "{counts:?}");
        assert!(Variants::default().pick(5).is_none());
        assert!(Variants::new(vec![(0, Box::new([1]))]).is_empty());
    }
}
