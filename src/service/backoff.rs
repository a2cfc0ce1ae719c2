//! The run of crashes of one service: which restart in a row this is and what it waits, by the
//! schedule (`start::schedule`). Pure; the lifecycle keeps one per service.

use std::time::Duration;

use crate::start::schedule::Schedule;

/// The run of crashes of one service since it was started: what the next restart waits.
#[derive(Debug, Clone)]
pub(crate) struct Crashes {
    schedule: Schedule,
    streak: Option<u32>,
}

impl Crashes {
    pub(crate) fn new(schedule: Schedule) -> Self {
        Crashes {
            schedule,
            streak: None,
        }
    }

    /// Records a crash after the process ran for `ran_for`: the attempt number (1 for the first
    /// restart in a row) and the delay before it, or `None` when restarts are off.
    pub(crate) fn record(&mut self, ran_for: Duration) -> Option<(u32, Duration)> {
        let n = self.schedule.streak_after(self.streak, ran_for);
        self.streak = Some(n);
        self.schedule
            .delay(n)
            .map(|delay| (n.saturating_add(1), delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    /// The schedule against tokio's paused clock: run times and delays measured as the
    /// supervisor measures them, without waiting for real.
    #[tokio::test(start_paused = true)]
    async fn crashes_follow_the_schedule_and_a_stable_run_resets_it() {
        use tokio::time::{sleep, Instant};
        let mut crashes = Crashes::new(Schedule::new(
            Some(vec![ms(0), ms(100), ms(300), ms(600)]),
            Some(ms(1000)),
        ));
        let mut waited = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            sleep(ms(50)).await; // the process runs briefly, then crashes
            let (_, delay) = crashes.record(started.elapsed()).unwrap();
            let before = Instant::now();
            sleep(delay).await;
            waited.push(before.elapsed());
        }
        assert_eq!(waited, [ms(0), ms(100), ms(300), ms(600), ms(600)]);

        // A run of at least restartOk makes the next crash a first one again.
        let started = Instant::now();
        sleep(ms(1000)).await;
        assert_eq!(crashes.record(started.elapsed()), Some((1, ms(0))));
        let started = Instant::now();
        sleep(ms(999)).await;
        assert_eq!(crashes.record(started.elapsed()), Some((2, ms(100))));
    }

    #[test]
    fn no_restarts_when_the_schedule_is_empty() {
        let mut crashes = Crashes::new(Schedule::new(Some(vec![]), None));
        assert_eq!(crashes.record(ms(5)), None);
    }
}
