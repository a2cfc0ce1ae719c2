//! The crash-restart schedule (`restartAt`, `restartOk`): how long to wait before the n-th
//! restart in a row, and when a crash counts as a first one again. Pure configuration, read
//! from the options here and counted by the lifecycle (`service::backoff`).

use std::time::Duration;

/// The delays when `restartAt` is not given: at once, then 100 ms, 500 ms, 1 s, 10 s, 30 s,
/// 1 min, 5 min, and every 15 minutes after that.
pub const DEFAULT_RESTART_AT_MS: [u64; 9] =
    [0, 100, 500, 1000, 10_000, 30_000, 60_000, 300_000, 900_000];

/// How long a process must have run for its crash to start the schedule over, when
/// `restartOk` is not given: 30 minutes.
pub const DEFAULT_RESTART_OK: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    delays: Vec<Duration>,
    reset_after: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::new(None, None)
    }
}

impl Schedule {
    /// `delays: Some(vec![])` turns restarts off.
    pub fn new(delays: Option<Vec<Duration>>, reset_after: Option<Duration>) -> Self {
        Schedule {
            delays: delays.unwrap_or_else(|| {
                DEFAULT_RESTART_AT_MS
                    .iter()
                    .map(|ms| Duration::from_millis(*ms))
                    .collect()
            }),
            reset_after: reset_after.unwrap_or(DEFAULT_RESTART_OK),
        }
    }

    /// The wait before restarting after crash number `streak` in a row (0 = the first crash);
    /// past the end the last delay repeats. `None` when restarts are off.
    pub fn delay(&self, streak: u32) -> Option<Duration> {
        let last = self.delays.len().checked_sub(1)?;
        Some(self.delays[(streak as usize).min(last)])
    }

    /// The streak number of a crash, given the previous crash's streak (`None` if this is the
    /// first crash since start) and how long the process ran before it: a run of at least
    /// `reset_after` makes it a first crash again.
    pub fn streak_after(&self, previous: Option<u32>, ran_for: Duration) -> u32 {
        match previous {
            Some(n) if ran_for < self.reset_after => n.saturating_add(1),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn the_default_schedule_is_the_seeds() {
        let s = Schedule::default();
        let got: Vec<_> = (0..11).map(|n| s.delay(n).unwrap()).collect();
        let want: Vec<_> = [
            0, 100, 500, 1000, 10_000, 30_000, 60_000, 300_000, 900_000, 900_000, 900_000,
        ]
        .iter()
        .map(|v| ms(*v))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn the_last_delay_repeats() {
        let s = Schedule::new(Some(vec![ms(0), ms(100), ms(300)]), None);
        assert_eq!(s.delay(2), Some(ms(300)));
        assert_eq!(s.delay(50), Some(ms(300)));
        assert_eq!(s.delay(u32::MAX), Some(ms(300)));
    }

    #[test]
    fn an_empty_schedule_turns_restarts_off() {
        assert_eq!(Schedule::new(Some(vec![]), None).delay(0), None);
    }

    #[test]
    fn a_long_run_starts_the_schedule_over() {
        let s = Schedule::new(None, Some(ms(1000)));
        assert_eq!(s.streak_after(None, ms(1)), 0);
        assert_eq!(s.streak_after(Some(0), ms(999)), 1);
        assert_eq!(s.streak_after(Some(4), ms(999)), 5);
        assert_eq!(s.streak_after(Some(4), ms(1000)), 0);
        assert_eq!(s.streak_after(Some(u32::MAX), ms(0)), u32::MAX);
    }
}
