//! How long an event loop gathers queries before answering them (`--tcp-coalesce-us`).
//!
//! Every wake-up of a sleeping loop costs a cross-CPU interrupt in the client's `send` and a
//! halt/resume of the loop's CPU (in a VM, exits on both sides), and every answer sent to a
//! sleeping client costs the same again. Under concurrent load a loop that, once it has
//! answered a batch and nothing is ready, sleeps a while outside `epoll_wait` is woken by
//! nobody meanwhile and answers what arrived together: one wake-up on each side for many
//! queries. The price is latency, at most the sleep.
//!
//! The sleep has to fit the clients. Clients that send at their own pace (a population of
//! resolvers, a stub pipelining over DoT) keep arriving during any sleep, and the longer it
//! is, the more is gathered. Clients that wait for their answers (a closed loop) have all
//! replied soon after the answers went out, and sleeping longer gathers nothing while they
//! wait. A timer cannot tell the two apart cheaply (every check is another wake-up), so
//! every other sleep is a probe of half the length: if the full sleep gathers clearly more
//! than the probe did (1.5x), arrivals continue and the sleep grows back to the ceiling; if it
//! gathers about as much (at most 1.1x), the clients were waiting and the sleep halves. Below
//! `OFF_BELOW` gathering is not worth its latency (the clients' own turn-around is the batch):
//! the loop answers at once for `OFF_BATCHES` batches, then probes again from the ceiling.
//! Nothing gathered by either sleep counts as waiting clients too. See `docs/performance.md`
//! for the figures.

use std::time::Duration;

/// A sleep this short gathers what the clients' turn-around would batch anyway: stop.
const OFF_BELOW: Duration = Duration::from_micros(200);

/// Batches answered at once, after gathering stopped, before it is tried again.
const OFF_BATCHES: u32 = 2000;

/// One loop's gathering state.
#[derive(Debug)]
pub(super) struct Gather {
    /// The ceiling (`--tcp-coalesce-us`); zero: never gather.
    max: Duration,
    /// The full sleep now.
    full: Duration,
    /// This sleep is the half-length probe.
    probing: bool,
    /// What the last probe gathered.
    probe_count: usize,
    /// Batches left to answer without gathering (it did not pay).
    off: u32,
}

impl Gather {
    pub(super) fn new(max: Duration) -> Gather {
        Gather {
            max,
            full: max,
            probing: true,
            probe_count: 0,
            off: 0,
        }
    }

    /// Whether a loop whose last batch had `last` ready descriptors should gather now: only
    /// after a batch of two or more (a lone client is never held), and not while it is off.
    pub(super) fn wanted(&mut self, last: usize) -> bool {
        if last < 2 || self.max.is_zero() {
            return false;
        }
        if self.off > 0 {
            self.off -= 1;
            if self.off == 0 {
                (self.full, self.probing) = (self.max, true);
            }
            return false;
        }
        true
    }

    /// How long to sleep this time.
    pub(super) fn sleep(&self) -> Duration {
        if self.probing {
            self.full / 2
        } else {
            self.full
        }
    }

    /// What the sleep just taken gathered (ready descriptors after it).
    pub(super) fn gathered(&mut self, count: usize) {
        if self.probing {
            self.probe_count = count;
        } else if count * 10 <= self.probe_count * 11 {
            // At most 1.1x the probe's: the extra half gathered (about) nothing.
            self.full /= 2;
            if self.full < OFF_BELOW.min(self.max) {
                self.off = OFF_BATCHES;
            }
        } else if count * 2 >= self.probe_count * 3 {
            // 1.5x the probe's or more: arrivals go on; sleep longer.
            self.full = (self.full * 2).min(self.max);
        }
        self.probing = !self.probing;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Runs `cycles` sleeps, each gathering what `arrivals(sleep)` says.
    fn run(g: &mut Gather, cycles: usize, arrivals: impl Fn(Duration) -> usize) {
        for _ in 0..cycles {
            let n = arrivals(g.sleep());
            g.gathered(n);
        }
    }

    #[test]
    fn steady_arrivals_keep_the_full_sleep() {
        // 20 queries a millisecond, whatever the loop does.
        let mut g = Gather::new(us(1000));
        run(&mut g, 40, |s| (s.as_micros() as usize) / 50);
        assert_eq!(g.full, us(1000));
        assert!(g.sleep() == us(1000) || g.sleep() == us(500));
    }

    /// Batches a loop would answer without gathering, out of `batches`.
    fn skipped(g: &mut Gather, batches: u32) -> u32 {
        (0..batches).filter(|_| !g.wanted(5)).count() as u32
    }

    #[test]
    fn waiting_clients_turn_it_off_for_a_while_then_it_probes_again() {
        // 20 clients that each reply 100 µs after their answer: every sleep of 100 µs or
        // more gathers all 20, a shorter one half.
        let mut g = Gather::new(us(1000));
        let mut cycles = 0;
        while g.wanted(5) {
            let n = if g.sleep() >= us(100) { 20 } else { 10 };
            g.gathered(n);
            cycles += 1;
            assert!(cycles < 20, "never stopped gathering");
        }
        assert!(g.full < OFF_BELOW);
        assert_eq!(skipped(&mut g, OFF_BATCHES - 1), OFF_BATCHES - 1);
        assert_eq!(
            (g.full, g.probing),
            (us(1000), true),
            "probes again from the ceiling"
        );
        assert!(g.wanted(5));
    }

    #[test]
    fn it_grows_back_when_arrivals_resume() {
        let mut g = Gather::new(us(1000));
        g.gathered(5); // the probe
        g.gathered(5); // the full sleep: no more than the probe
        assert_eq!(g.full, us(500));
        run(&mut g, 40, |s| (s.as_micros() as usize) / 10);
        assert_eq!(g.full, us(1000));
    }

    #[test]
    fn zero_is_off_and_lone_clients_are_not_held() {
        assert!(!Gather::new(Duration::ZERO).wanted(10));
        let mut g = Gather::new(us(1000));
        assert!(!g.wanted(1));
        assert!(g.wanted(2));
    }

    #[test]
    fn a_ceiling_below_the_off_threshold_still_gathers_until_it_shrinks() {
        let mut g = Gather::new(us(100));
        assert!(g.wanted(3));
        run(&mut g, 2, |_| 3);
        assert_eq!(skipped(&mut g, 10), 10, "off after the first shrink");
    }
}
