//! Hands service output to JS as `'log'` events, only while someone listens: lines are gathered
//! in a bounded buffer and sent in one batch every 100 ms, so a flood costs the main thread one
//! call per tick, never one per line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::events::{Event, TapLine};
use crate::logs::format::Stream;
use crate::sync::lock;

/// Lines held between two ticks; past this, lines are counted as dropped (the log file still
/// gets them all).
pub(crate) const MAX_PENDING: usize = 10_000;
const TICK: Duration = Duration::from_millis(100);

#[derive(Default)]
pub(crate) struct LogTap {
    listening: AtomicBool,
    /// Whether a ticker task runs: at most one does, however often listening toggles.
    ticking: AtomicBool,
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    lines: Vec<TapLine>,
    dropped: u64,
}

/// What one stream's pump needs to feed the tap.
#[derive(Clone)]
pub(crate) struct TapSource {
    pub id: u64,
    pub name: Option<String>,
    pub pid: u32,
    pub stream: Stream,
}

impl LogTap {
    pub(crate) fn listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// Adds one read's worth of lines.
    pub(crate) fn push(&self, source: &TapSource, time: f64, lines: impl Iterator<Item = String>) {
        let mut p = lock(&self.pending);
        for text in lines {
            if p.lines.len() >= MAX_PENDING {
                p.dropped += 1;
                continue;
            }
            p.lines.push(TapLine {
                id: source.id,
                name: source.name.clone(),
                pid: source.pid,
                stream: source.stream.tag(),
                text,
                time,
            });
        }
    }

    fn take(&self) -> Option<Event> {
        let mut p = lock(&self.pending);
        if p.lines.is_empty() && p.dropped == 0 {
            return None;
        }
        let Pending { lines, dropped } = std::mem::take(&mut *p);
        Some(Event::Log { lines, dropped })
    }

    /// Turns the tap on or off. On: a ticker on the runtime sends a batch every 100 ms while
    /// listening lasts (then it sends what is left and ends). Turning it off and on again
    /// before the ticker noticed keeps the one ticker going.
    pub(crate) fn set_listening(
        self: &Arc<Self>,
        on: bool,
        emit: impl Fn(Event) + Send + 'static,
        rt: &tokio::runtime::Handle,
    ) {
        self.listening.store(on, Ordering::SeqCst);
        if !on || self.ticking.swap(true, Ordering::SeqCst) {
            return;
        }
        let tap = self.clone();
        rt.spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Some(e) = tap.take() {
                    emit(e);
                }
                if !tap.listening() {
                    tap.ticking.store(false, Ordering::SeqCst);
                    // Turned on again since the check: whoever did saw a ticker and left the
                    // work to this one, unless it already claimed it anew.
                    if !tap.listening() || tap.ticking.swap(true, Ordering::SeqCst) {
                        return;
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_is_bounded_and_counts_what_it_drops() {
        let tap = LogTap::default();
        let src = TapSource {
            id: 1,
            name: None,
            pid: 2,
            stream: Stream::Stdout,
        };
        tap.push(&src, 0.0, (0..MAX_PENDING + 5).map(|i| i.to_string()));
        match tap.take() {
            Some(Event::Log { lines, dropped }) => {
                assert_eq!(lines.len(), MAX_PENDING);
                assert_eq!(dropped, 5);
                assert_eq!(lines[0].stream, "out");
            }
            other => panic!("{other:?}"),
        }
        assert!(tap.take().is_none());
    }
}
