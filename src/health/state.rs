//! One member's health as its checks report it: down after failing for `down_after`, up after
//! `up_after` consecutive successes; unknown (answered as up) until the first result.

use std::time::{Duration, Instant};

/// The state machine of one member.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    /// `None` until the first check result.
    up: Option<bool>,
    /// When the current run of failures began (while up).
    failing_since: Option<Instant>,
    /// Consecutive successes (while down).
    successes: u32,
}

impl Tracker {
    /// Takes one check result at `now`; returns the new state when it changed (the first
    /// result always sets one).
    pub fn observe(
        &mut self,
        ok: bool,
        now: Instant,
        down_after: Duration,
        up_after: u32,
    ) -> Option<bool> {
        match self.up {
            None => {
                self.up = Some(ok);
                self.failing_since = None;
                self.successes = 0;
                Some(ok)
            }
            Some(true) if ok => {
                self.failing_since = None;
                None
            }
            Some(true) => {
                let since = *self.failing_since.get_or_insert(now);
                if now.duration_since(since) >= down_after {
                    self.up = Some(false);
                    self.failing_since = None;
                    self.successes = 0;
                    Some(false)
                } else {
                    None
                }
            }
            Some(false) if ok => {
                self.successes += 1;
                if self.successes >= up_after {
                    self.up = Some(true);
                    self.successes = 0;
                    Some(true)
                } else {
                    None
                }
            }
            Some(false) => {
                self.successes = 0;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_after_the_window_up_after_the_count() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let (down, up) = (ms(300), 2);
        let mut t = Tracker::default();
        assert_eq!(t.observe(true, t0, down, up), Some(true));
        assert_eq!(t.observe(false, t0 + ms(100), down, up), None);
        assert_eq!(t.observe(false, t0 + ms(300), down, up), None);
        assert_eq!(
            t.observe(true, t0 + ms(350), down, up),
            None,
            "a success resets"
        );
        assert_eq!(t.observe(false, t0 + ms(400), down, up), None);
        assert_eq!(t.observe(false, t0 + ms(699), down, up), None);
        assert_eq!(t.observe(false, t0 + ms(700), down, up), Some(false));
        assert_eq!(t.observe(true, t0 + ms(800), down, up), None);
        assert_eq!(
            t.observe(false, t0 + ms(900), down, up),
            None,
            "a failure resets"
        );
        assert_eq!(t.observe(true, t0 + ms(1000), down, up), None);
        assert_eq!(t.observe(true, t0 + ms(1100), down, up), Some(true));
        let mut first_down = Tracker::default();
        assert_eq!(first_down.observe(false, t0, down, up), Some(false));
    }
}
