//! The life of one service as a pure state machine: what happened to it (spawned, could not be
//! spawned, exited, asked to stop, backoff over) → its new state, the events that report it, and
//! what to do next. No processes, no clocks of its own beyond tokio's `Instant` (paused in
//! tests), no I/O: the driver in `service` (mod.rs) runs it.
//!
//! Ordering rules it guarantees by construction:
//! - every event of a step reports the state the step ends in, and the driver publishes that
//!   state before it emits them (a listener that reads `list()` sees what the event says);
//! - `Next::Done` comes with the service's last event, in the same step: the driver emits it,
//!   then releases the service's hold on Node's event loop through the same ordered channel.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::clock::now_ms;
use crate::events::Event;
use crate::os::Exit;
use crate::service::backoff::{Crashes, Schedule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Starting,
    Running,
    /// Waiting to restart after a crash.
    Backoff,
    Stopping,
    Stopped,
    Errored,
}

impl State {
    /// pm is done with the process: nothing runs and nothing will restart it.
    pub fn is_final(self) -> bool {
        matches!(self, State::Stopped | State::Errored)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastExit {
    pub pid: u32,
    pub code: Option<i32>,
    pub signal: Option<String>,
    /// ms since the Unix epoch.
    pub at: f64,
}

/// A snapshot of one managed process, as `list()` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub id: u64,
    pub name: Option<String>,
    pub script: String,
    pub pid: Option<u32>,
    pub state: State,
    /// When the current (or last) process was spawned, in ms since the Unix epoch.
    pub started_at: Option<f64>,
    pub restarts: u32,
    pub last_exit: Option<LastExit>,
    /// While in backoff: when the next start is due, in ms since the Unix epoch.
    pub next_start_at: Option<f64>,
    /// Why the process is errored, if it is.
    pub error: Option<String>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Spawned {
        pid: u32,
    },
    SpawnFailed {
        message: String,
    },
    /// The process exited and its output is written. `killed`: pm SIGKILLed it at the end of
    /// its grace period.
    Exited {
        exit: Exit,
        killed: bool,
    },
    StopRequested,
    BackoffElapsed,
}

/// What the driver does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Spawn,
    /// Wait for the process to exit, or for a stop request.
    Watch,
    /// Stop the running process: the polite request, SIGKILL after `grace`.
    Stop {
        grace: Duration,
    },
    /// Wait `delay` before starting again, unless a stop request comes first.
    Backoff {
        delay: Duration,
    },
    /// pm is done with the service.
    Done,
}

/// The outcome of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub events: Vec<Event>,
    pub next: Next,
    /// Set once, on the step that settles the caller of `start()`/`restart()`: the spawn's
    /// outcome (`Ok` also when the service was stopped before it could spawn).
    pub settle: Option<Result<(), String>>,
}

pub struct Lifecycle {
    info: Info,
    grace: Duration,
    crashes: Crashes,
    /// Whether the caller of `start()` still waits for the first outcome.
    unsettled: bool,
    running_since: Option<Instant>,
}

impl Lifecycle {
    pub fn new(
        id: u64,
        name: Option<String>,
        script: String,
        grace: Duration,
        schedule: Schedule,
    ) -> Self {
        Lifecycle {
            info: Info {
                id,
                name,
                script,
                pid: None,
                state: State::Starting,
                started_at: None,
                restarts: 0,
                last_exit: None,
                next_start_at: None,
                error: None,
            },
            grace,
            crashes: Crashes::new(schedule),
            unsettled: true,
            running_since: None,
        }
    }

    pub fn info(&self) -> &Info {
        &self.info
    }

    /// The first step: spawn.
    pub fn begin(&self) -> Step {
        self.step(Vec::new(), Next::Spawn, None)
    }

    fn step(&self, events: Vec<Event>, next: Next, settle: Option<Result<(), String>>) -> Step {
        Step {
            events,
            next,
            settle,
        }
    }

    fn settle(&mut self, outcome: Result<(), String>) -> Option<Result<(), String>> {
        std::mem::take(&mut self.unsettled).then_some(outcome)
    }

    pub fn on(&mut self, input: Input) -> Step {
        let (id, name) = (self.info.id, self.info.name.clone());
        match (self.info.state, input) {
            (State::Starting, Input::Spawned { pid }) => {
                self.running_since = Some(Instant::now());
                self.info.state = State::Running;
                self.info.pid = Some(pid);
                self.info.started_at = Some(now_ms());
                self.info.error = None;
                let settle = self.settle(Ok(()));
                self.step(vec![Event::Start { id, name, pid }], Next::Watch, settle)
            }
            (State::Starting, Input::SpawnFailed { message }) => {
                self.info.error = Some(message.clone());
                let error = Event::Error {
                    id,
                    name,
                    message: message.clone(),
                };
                if self.unsettled {
                    // A first start that fails is the caller's error, not a crash to retry.
                    self.info.state = State::Errored;
                    let settle = self.settle(Err(message));
                    return self.step(vec![error], Next::Done, settle);
                }
                let mut step = self.crashed(None, Duration::ZERO);
                step.events.insert(0, error);
                step
            }
            (State::Starting, Input::StopRequested) => {
                // Stopped before it could spawn (a restart waiting for its old self).
                self.info.state = State::Stopped;
                let settle = self.settle(Ok(()));
                self.step(
                    vec![Event::Stop {
                        id,
                        name,
                        pid: None,
                    }],
                    Next::Done,
                    settle,
                )
            }
            (State::Running, Input::StopRequested) => {
                self.info.state = State::Stopping;
                let grace = self.grace;
                self.step(Vec::new(), Next::Stop { grace }, None)
            }
            (state @ (State::Running | State::Stopping), Input::Exited { exit, killed }) => {
                let requested = state == State::Stopping;
                let pid = self.info.pid.take().unwrap_or(0);
                let ran_for = self
                    .running_since
                    .take()
                    .map(|t| t.elapsed())
                    .unwrap_or_default();
                self.info.last_exit = Some(LastExit {
                    pid,
                    code: exit.code,
                    signal: exit.signal.clone(),
                    at: now_ms(),
                });
                let exited = Event::Exit {
                    id,
                    name: name.clone(),
                    pid,
                    code: exit.code,
                    signal: exit.signal.clone(),
                    requested,
                    killed,
                };
                if requested {
                    self.info.state = State::Stopped;
                    let mut events = vec![exited];
                    if killed {
                        events.push(self.overran());
                    }
                    events.push(Event::Stop {
                        id,
                        name,
                        pid: Some(pid),
                    });
                    return self.step(events, Next::Done, None);
                }
                let mut step = self.crashed(Some(&exit), ran_for);
                step.events.insert(0, exited);
                step
            }
            (State::Backoff, Input::BackoffElapsed) => {
                self.info.restarts += 1;
                self.info.state = State::Starting;
                self.info.next_start_at = None;
                self.step(Vec::new(), Next::Spawn, None)
            }
            (State::Backoff, Input::StopRequested) => {
                self.info.state = State::Stopped;
                self.info.next_start_at = None;
                self.step(
                    vec![Event::Stop {
                        id,
                        name,
                        pid: None,
                    }],
                    Next::Done,
                    None,
                )
            }
            // Anything else cannot happen with a driver that follows `Next`; stay put.
            (state, input) => {
                debug_assert!(false, "lifecycle: {input:?} in state {state:?}");
                let next = if state.is_final() {
                    Next::Done
                } else {
                    Next::Watch
                };
                self.step(Vec::new(), next, None)
            }
        }
    }

    fn overran(&self) -> Event {
        let who = match &self.info.name {
            Some(n) => format!("service \"{n}\""),
            None => format!("service {}", self.info.script),
        };
        Event::Warning {
            message: format!(
                "{who} did not exit within its grace period (stopTimeout: {} ms) and was killed \
                 (SIGKILL); give it a longer stopTimeout, or make its onstopping finish sooner",
                self.grace.as_millis()
            ),
        }
    }

    /// After an exit pm did not ask for (or a failed restart): back off and start again as the
    /// schedule says, or end for good.
    fn crashed(&mut self, exit: Option<&Exit>, ran_for: Duration) -> Step {
        let (id, name) = (self.info.id, self.info.name.clone());
        match self.crashes.record(ran_for) {
            Some((attempt, delay)) => {
                self.info.state = State::Backoff;
                self.info.next_start_at = Some(now_ms() + delay.as_secs_f64() * 1000.0);
                let restart = Event::Restart {
                    id,
                    name,
                    attempt,
                    delay: delay.as_secs_f64() * 1000.0,
                };
                self.step(vec![restart], Next::Backoff { delay }, None)
            }
            None => {
                self.info.state = if exit.is_some_and(Exit::clean) {
                    State::Stopped
                } else {
                    State::Errored
                };
                self.step(Vec::new(), Next::Done, None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::sleep;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn machine(restart_at: &[u64]) -> Lifecycle {
        Lifecycle::new(
            7,
            Some("svc".into()),
            "/app/svc.js".into(),
            ms(200),
            Schedule::new(
                Some(restart_at.iter().map(|v| ms(*v)).collect()),
                Some(ms(1000)),
            ),
        )
    }

    fn exit(code: i32) -> Input {
        Input::Exited {
            exit: Exit {
                code: Some(code),
                signal: None,
            },
            killed: false,
        }
    }

    fn kinds(step: &Step) -> Vec<&'static str> {
        step.events
            .iter()
            .map(|e| match e {
                Event::Start { .. } => "start",
                Event::Exit { .. } => "exit",
                Event::Restart { .. } => "restart",
                Event::Stop { .. } => "stop",
                Event::Error { .. } => "error",
                Event::Warning { .. } => "warning",
                _ => "other",
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_crash_backs_off_on_the_schedule_and_a_stable_run_resets_it() {
        let mut m = machine(&[0, 100, 300]);
        assert_eq!(m.begin().next, Next::Spawn);
        let s = m.on(Input::Spawned { pid: 10 });
        assert_eq!((kinds(&s), s.next), (vec!["start"], Next::Watch));
        assert_eq!(s.settle, Some(Ok(())), "start() settles at the first spawn");
        assert_eq!((m.info().state, m.info().pid), (State::Running, Some(10)));

        let mut delays = Vec::new();
        for pid in 11..14 {
            sleep(ms(50)).await;
            let s = m.on(exit(1));
            assert_eq!(kinds(&s), ["exit", "restart"]);
            assert_eq!(
                m.info().state,
                State::Backoff,
                "the events report the backoff"
            );
            assert!(m.info().next_start_at.is_some() && m.info().pid.is_none());
            let Next::Backoff { delay } = s.next else {
                panic!("{:?}", s.next)
            };
            delays.push(delay);
            sleep(delay).await;
            assert_eq!(m.on(Input::BackoffElapsed).next, Next::Spawn);
            let s = m.on(Input::Spawned { pid });
            assert_eq!(s.settle, None, "only the first spawn settles the caller");
        }
        assert_eq!(delays, [ms(0), ms(100), ms(300)]);
        assert_eq!(m.info().restarts, 3);

        sleep(ms(1000)).await; // a stable run: the next crash is a first one again
        let s = m.on(exit(1));
        assert_eq!(s.next, Next::Backoff { delay: ms(0) });
    }

    #[tokio::test(start_paused = true)]
    async fn a_requested_stop_ends_with_exit_then_stop_and_done() {
        let mut m = machine(&[0]);
        m.on(Input::Spawned { pid: 10 });
        let s = m.on(Input::StopRequested);
        assert_eq!(s.next, Next::Stop { grace: ms(200) });
        assert_eq!(m.info().state, State::Stopping);
        assert!(s.events.is_empty());
        let s = m.on(exit(0));
        assert_eq!((kinds(&s), s.next), (vec!["exit", "stop"], Next::Done));
        assert_eq!(m.info().state, State::Stopped);
        match &s.events[0] {
            Event::Exit {
                requested, killed, ..
            } => assert!(*requested && !*killed),
            e => panic!("{e:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_kill_at_the_end_of_the_grace_period_is_reported_and_warned() {
        let mut m = machine(&[0]);
        m.on(Input::Spawned { pid: 10 });
        m.on(Input::StopRequested);
        let s = m.on(Input::Exited {
            exit: Exit {
                code: None,
                signal: Some("SIGKILL".into()),
            },
            killed: true,
        });
        assert_eq!(kinds(&s), ["exit", "warning", "stop"]);
        match (&s.events[0], &s.events[1]) {
            (Event::Exit { killed, .. }, Event::Warning { message }) => {
                assert!(*killed);
                assert!(
                    message.contains("\"svc\"") && message.contains("200 ms"),
                    "{message}"
                );
            }
            e => panic!("{e:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_first_spawn_that_fails_is_the_callers_error_a_later_one_a_crash() {
        let mut m = machine(&[0]);
        let s = m.on(Input::SpawnFailed {
            message: "nope".into(),
        });
        assert_eq!((kinds(&s), s.next), (vec!["error"], Next::Done));
        assert_eq!(s.settle, Some(Err("nope".into())));
        assert_eq!(m.info().state, State::Errored);

        let mut m = machine(&[0, 500]);
        m.on(Input::Spawned { pid: 10 });
        m.on(exit(1));
        m.on(Input::BackoffElapsed);
        let s = m.on(Input::SpawnFailed {
            message: "gone".into(),
        });
        assert_eq!(kinds(&s), ["error", "restart"]);
        assert_eq!(s.next, Next::Backoff { delay: ms(500) });
        assert_eq!(m.info().error.as_deref(), Some("gone"));
    }

    #[tokio::test(start_paused = true)]
    async fn without_restarts_a_clean_exit_is_stopped_and_a_failed_one_errored() {
        for (code, state) in [(0, State::Stopped), (3, State::Errored)] {
            let mut m = machine(&[]);
            m.on(Input::Spawned { pid: 10 });
            let s = m.on(exit(code));
            assert_eq!((kinds(&s), s.next), (vec!["exit"], Next::Done));
            assert_eq!(m.info().state, state);
            assert_eq!(m.info().last_exit.as_ref().unwrap().code, Some(code));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_in_backoff_or_before_the_first_spawn_ends_at_once() {
        let mut m = machine(&[60_000]);
        m.on(Input::Spawned { pid: 10 });
        m.on(exit(1));
        let s = m.on(Input::StopRequested);
        assert_eq!((kinds(&s), s.next), (vec!["stop"], Next::Done));
        assert_eq!(m.info().state, State::Stopped);
        assert!(m.info().next_start_at.is_none());

        // A restart's replacement stopped while it waits for its old self.
        let mut m = machine(&[0]);
        let s = m.on(Input::StopRequested);
        assert_eq!((kinds(&s), s.next), (vec!["stop"], Next::Done));
        assert_eq!(s.settle, Some(Ok(())), "the restart() that made it settles");
    }

    #[tokio::test(start_paused = true)]
    async fn every_path_ends_in_done_with_a_final_state() {
        // Whatever the inputs, a step that says Done leaves a final state: the driver sends
        // the Ended marker (the keep-alive release) right after that step's events.
        let scripts: Vec<Vec<Input>> = vec![
            vec![Input::SpawnFailed {
                message: "x".into(),
            }],
            vec![Input::Spawned { pid: 1 }, Input::StopRequested, exit(0)],
            vec![Input::Spawned { pid: 1 }, exit(0), Input::StopRequested],
            vec![Input::StopRequested],
        ];
        for inputs in scripts {
            let mut m = machine(&[5]);
            let mut last = m.begin();
            for i in inputs {
                last = m.on(i);
            }
            assert_eq!(last.next, Next::Done);
            assert!(m.info().state.is_final());
        }
    }
}
