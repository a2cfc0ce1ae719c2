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
use crate::error::{ErrorKind, PmError};
use crate::events::{Event, TailLine};
use crate::os::Exit;
use crate::service::backoff::Crashes;
use crate::start::checks::RestartPolicy;
use crate::start::options::StartSpec;
use crate::start::schedule::Schedule;

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
    /// The last lines it wrote (stdout and stderr, as in its log), for a crash report.
    pub last_lines: Vec<TailLine>,
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
    /// The current process said it is ready (`ready()`); false again after each restart.
    pub ready: bool,
    /// Memory of the process and its children in bytes, when `list()` read it.
    pub memory: Option<u64>,
    /// Seconds of CPU the current process used so far, when `list()` read it.
    pub cpu: Option<f64>,
    /// The log file's absolute path.
    pub log: Option<String>,
    /// Its process exited with code 0 by itself and pm will not start it again (`restart:
    /// 'on-failure'` or `'never'`, or restarts off): a one-shot task that is done.
    pub completed: bool,
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
        /// The last lines it wrote.
        last_lines: Vec<TailLine>,
    },
    StopRequested,
    BackoffElapsed,
    /// The process said it is ready.
    Ready,
    /// `waitReady`: the process did not say it is ready within `readyTimeout`.
    ReadyTimedOut,
    /// The process and its children use `bytes` of memory, more than `limit` (`maxMemory`).
    MemoryExceeded {
        bytes: u64,
        limit: u64,
    },
    /// Its `healthCheck` failed this many times in a row; `probe` says what failed last.
    Unhealthy {
        probe: String,
        failures: u32,
    },
    /// A service it waits for (`dependsOn`) failed for good: it will not start.
    DependencyFailed {
        message: String,
    },
}

/// What the driver does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Spawn,
    /// Wait for the process to exit, or for a stop request; with `ready_within`, also for its
    /// `ready()` (an `Input::ReadyTimedOut` when that time passed first).
    Watch {
        ready_within: Option<Duration>,
    },
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
    pub settle: Option<Result<(), PmError>>,
}

/// What a service's options say about its life.
#[derive(Debug, Clone)]
pub struct Policy {
    pub grace: Duration,
    pub schedule: Schedule,
    /// Settle the caller only once the service is ready, within `ready_timeout`.
    pub wait_ready: bool,
    /// The service counts as ready only once it says so or a check sees it (`waitReady`,
    /// `readyWhen`): its first process must get there within `ready_timeout`.
    pub needs_readiness: bool,
    pub ready_timeout: Duration,
    pub max_restarts: Option<u32>,
    /// Which exits are restarted.
    pub restart: RestartPolicy,
}

pub struct Lifecycle {
    info: Info,
    policy: Policy,
    crashes: Crashes,
    /// Why the current stop was asked for, when pm asked on its own.
    stopping_for: Option<StopReason>,
    /// Whether the caller of `start()` still waits for the first outcome.
    unsettled: bool,
    /// Whether a process was spawned before (the first must get ready within the timeout).
    spawned_before: bool,
    running_since: Option<Instant>,
}

/// Why pm stops a process on its own.
#[derive(Debug, Clone, PartialEq)]
enum StopReason {
    /// It grew past `maxMemory`: start it again once it is gone.
    Memory,
    /// Its `healthCheck` failed: start it again once it is gone.
    Unhealthy,
    /// It did not get ready in time: it ends errored, with this message.
    NotReady(String),
}

impl Lifecycle {
    pub fn new(id: u64, name: Option<String>, script: String, policy: Policy) -> Self {
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
                ready: false,
                memory: None,
                cpu: None,
                log: None,
                completed: false,
            },
            crashes: Crashes::new(policy.schedule.clone()),
            policy,
            stopping_for: None,
            unsettled: true,
            spawned_before: false,
            running_since: None,
        }
    }

    /// The machine for a service started with `spec`.
    pub fn for_spec(id: u64, spec: &StartSpec) -> Self {
        let mut machine = Lifecycle::new(
            id,
            spec.name.clone(),
            spec.script.to_string_lossy().into_owned(),
            Policy {
                grace: spec.stop_timeout,
                schedule: spec.restart.clone(),
                wait_ready: spec.wait_ready,
                needs_readiness: spec.needs_readiness(),
                ready_timeout: spec.ready_timeout,
                max_restarts: spec.max_restarts,
                restart: spec.restart_policy,
            },
        );
        machine.info.log = spec.log.as_ref().map(|p| p.to_string_lossy().into_owned());
        machine
    }

    pub fn info(&self) -> &Info {
        &self.info
    }

    /// An `Info` with every field, for the contract test (`contract.rs`).
    pub fn sample_info() -> Info {
        Lifecycle::for_spec(0, &StartSpec::sample()).info
    }

    /// The first step: spawn.
    pub fn begin(&self) -> Step {
        self.step(Vec::new(), Next::Spawn, None)
    }

    fn step(&self, events: Vec<Event>, next: Next, settle: Option<Result<(), PmError>>) -> Step {
        Step {
            events,
            next,
            settle,
        }
    }

    fn settle(&mut self, outcome: Result<(), PmError>) -> Option<Result<(), PmError>> {
        std::mem::take(&mut self.unsettled).then_some(outcome)
    }

    /// What `input` does to the service: its new state, the events that report it, and what
    /// to do next. One method per input, each for the states where it can happen.
    pub fn on(&mut self, input: Input) -> Step {
        match (self.info.state, input) {
            (State::Starting, Input::Spawned { pid }) => self.spawned(pid),
            (State::Starting, Input::SpawnFailed { message }) => self.spawn_failed(message),
            (State::Starting, Input::StopRequested) => self.stopped_before_spawn(),
            (State::Starting, Input::DependencyFailed { message }) => {
                self.dependency_failed(message)
            }
            (State::Running, Input::Ready) => self.ready(),
            (State::Running, Input::ReadyTimedOut) => self.ready_timed_out(),
            (State::Running, Input::MemoryExceeded { bytes, limit }) => {
                self.memory_exceeded(bytes, limit)
            }
            (State::Running, Input::Unhealthy { probe, failures }) => {
                self.unhealthy(probe, failures)
            }
            (State::Running, Input::StopRequested) => {
                self.stopping_for = None;
                self.stop_it()
            }
            // Asked to stop while pm was already stopping it on its own: it stays stopped.
            (State::Stopping, Input::StopRequested) => {
                self.stopping_for = None;
                let grace = self.policy.grace;
                self.step(Vec::new(), Next::Stop { grace }, None)
            }
            (
                state @ (State::Running | State::Stopping),
                Input::Exited {
                    exit,
                    killed,
                    last_lines,
                },
            ) => self.exited(state == State::Stopping, exit, killed, last_lines),
            (State::Backoff, Input::BackoffElapsed) => {
                self.info.restarts += 1;
                self.info.state = State::Starting;
                self.info.next_start_at = None;
                self.step(Vec::new(), Next::Spawn, None)
            }
            (State::Backoff, Input::StopRequested) => {
                self.info.next_start_at = None;
                self.stopped_without_process(None)
            }
            // Anything else cannot happen with a driver that follows `Next`; stay put.
            (state, input) => {
                debug_assert!(false, "lifecycle: {input:?} in state {state:?}");
                let next = if state.is_final() {
                    Next::Done
                } else {
                    Next::Watch { ready_within: None }
                };
                self.step(Vec::new(), next, None)
            }
        }
    }

    fn ids(&self) -> (u64, Option<String>) {
        (self.info.id, self.info.name.clone())
    }

    fn spawned(&mut self, pid: u32) -> Step {
        let (id, name) = self.ids();
        self.running_since = Some(Instant::now());
        self.info.state = State::Running;
        self.info.pid = Some(pid);
        self.info.started_at = Some(now_ms());
        self.info.error = None;
        self.info.ready = false;
        let start = vec![Event::Start { id, name, pid }];
        // The first process must get ready in time; a restarted one is waited for as long as
        // it takes (its dependents wait too).
        let first = !std::mem::replace(&mut self.spawned_before, true);
        let ready_within =
            (self.policy.needs_readiness && first).then_some(self.policy.ready_timeout);
        let settle = if self.policy.wait_ready && self.unsettled {
            None
        } else {
            self.settle(Ok(()))
        };
        self.step(start, Next::Watch { ready_within }, settle)
    }

    fn ready(&mut self) -> Step {
        let (id, name) = self.ids();
        let pid = self.info.pid.unwrap_or(0);
        self.info.ready = true;
        let settle = self.settle(Ok(()));
        let ready = vec![Event::Ready { id, name, pid }];
        self.step(ready, Next::Watch { ready_within: None }, settle)
    }

    fn ready_timed_out(&mut self) -> Step {
        let (id, name) = self.ids();
        let message = format!(
            "{} did not get ready within its readyTimeout of {} ms; it was stopped",
            self.who(),
            self.policy.ready_timeout.as_millis()
        );
        self.info.error = Some(message.clone());
        self.stopping_for = Some(StopReason::NotReady(message.clone()));
        // A caller waiting for readiness (`waitReady`) hears of it by its rejection, once the
        // process is gone (`exited`); otherwise the app hears of it as an 'error' event.
        let mut step = self.stop_it();
        if !(self.policy.wait_ready && self.unsettled) {
            step.events.push(Event::Error { id, name, message });
        }
        step
    }

    fn unhealthy(&mut self, probe: String, failures: u32) -> Step {
        self.stopping_for = Some(StopReason::Unhealthy);
        let warning = Event::Warning {
            message: format!(
                "{} failed its healthCheck {failures} time{} in a row ({probe}); restarting it",
                self.who(),
                if failures == 1 { "" } else { "s" }
            ),
        };
        let mut step = self.stop_it();
        step.events.push(warning);
        step
    }

    /// A dependency failed for good before this service could spawn: it ends errored.
    fn dependency_failed(&mut self, message: String) -> Step {
        let (id, name) = self.ids();
        let message = format!("{} will not start: {message}", self.who());
        self.info.state = State::Errored;
        self.info.error = Some(message.clone());
        let settle = self.settle(Err(PmError::new(ErrorKind::Dependency, message.clone())));
        // Both reports, unlike a failed spawn: dependents are often started together and
        // awaited as a group (or not at all), and the app must hear which one will never run.
        let events = vec![Event::Error { id, name, message }];
        self.step(events, Next::Done, settle)
    }

    fn memory_exceeded(&mut self, bytes: u64, limit: u64) -> Step {
        self.stopping_for = Some(StopReason::Memory);
        let warning = Event::Warning {
            message: format!(
                "{} uses {bytes} bytes of memory with its children, more than its \
                 maxMemory of {limit}; restarting it",
                self.who()
            ),
        };
        let mut step = self.stop_it();
        step.events.push(warning);
        step
    }

    /// The polite request now, SIGKILL after the grace period.
    fn stop_it(&mut self) -> Step {
        self.info.state = State::Stopping;
        let grace = self.policy.grace;
        self.step(Vec::new(), Next::Stop { grace }, None)
    }

    fn spawn_failed(&mut self, message: String) -> Step {
        let (id, name) = self.ids();
        self.info.error = Some(message.clone());
        let error = Event::Error {
            id,
            name,
            message: message.clone(),
        };
        if self.unsettled {
            // A first start that fails is the caller's error, not a crash to retry: its
            // rejection reports it (no 'error' event as well, which unheard would be a warning
            // for an error the caller handled).
            self.info.state = State::Errored;
            let settle = self.settle(Err(PmError::new(ErrorKind::Spawn, message)));
            return self.step(Vec::new(), Next::Done, settle);
        }
        let mut step = self.crashed(None, Duration::ZERO);
        step.events.insert(0, error);
        step
    }

    /// Stopped before it could spawn (a restart waiting for its old self).
    fn stopped_before_spawn(&mut self) -> Step {
        let settle = self.settle(Ok(()));
        self.stopped_without_process(settle)
    }

    /// Stopped for good while no process ran.
    fn stopped_without_process(&mut self, settle: Option<Result<(), PmError>>) -> Step {
        let (id, name) = self.ids();
        self.info.state = State::Stopped;
        let stop = Event::Stop {
            id,
            name,
            pid: None,
        };
        self.step(vec![stop], Next::Done, settle)
    }

    /// The process exited; `requested`: pm had asked it to stop.
    fn exited(
        &mut self,
        requested: bool,
        exit: Exit,
        killed: bool,
        last_lines: Vec<TailLine>,
    ) -> Step {
        let (id, name) = self.ids();
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
            last_lines: last_lines.clone(),
        });
        let mut step = if requested {
            self.after_requested_exit(pid, killed)
        } else {
            self.crashed(Some(&exit), ran_for)
        };
        let exited = Event::Exit {
            id,
            name,
            pid,
            code: exit.code,
            signal: exit.signal,
            requested,
            killed,
            completed: self.info.completed,
            last_lines,
        };
        step.events.insert(0, exited);
        step
    }

    /// After an exit pm asked for: stopped for good, or started again (`maxMemory`), or
    /// errored (not ready in time).
    fn after_requested_exit(&mut self, pid: u32, killed: bool) -> Step {
        let (id, name) = self.ids();
        let mut events = Vec::new();
        if killed {
            events.push(self.overran());
        }
        let settle = match self.stopping_for.take() {
            Some(reason @ (StopReason::Memory | StopReason::Unhealthy)) => {
                self.info.state = State::Starting;
                self.info.restarts += 1;
                events.push(Event::Restart {
                    id,
                    name,
                    attempt: 1,
                    delay: 0.0,
                    reason: if reason == StopReason::Memory {
                        "memory"
                    } else {
                        "unhealthy"
                    },
                });
                return self.step(events, Next::Spawn, None);
            }
            Some(StopReason::NotReady(message)) => {
                self.info.state = State::Errored;
                self.info.error = Some(message.clone());
                self.settle(Err(PmError::new(ErrorKind::NotReady, message)))
            }
            None => {
                self.info.state = State::Stopped;
                // A stop before a waitReady service got ready settles its caller too.
                self.settle(Ok(()))
            }
        };
        events.push(Event::Stop {
            id,
            name,
            pid: Some(pid),
        });
        self.step(events, Next::Done, settle)
    }

    /// How messages name the service.
    fn who(&self) -> String {
        match &self.info.name {
            Some(n) => format!("service \"{n}\""),
            None => format!("service {}", self.info.script),
        }
    }

    fn overran(&self) -> Event {
        let who = self.who();
        Event::Warning {
            message: format!(
                "{who} did not exit within its grace period (stopTimeout: {} ms) and was killed \
                 (SIGKILL); give it a longer stopTimeout, or make its onstopping finish sooner",
                self.policy.grace.as_millis()
            ),
        }
    }

    /// After an exit pm did not ask for (or a failed restart): back off and start again as the
    /// schedule says, or end for good.
    fn crashed(&mut self, exit: Option<&Exit>, ran_for: Duration) -> Step {
        let (id, name) = (self.info.id, self.info.name.clone());
        let clean = exit.is_some_and(Exit::clean);
        match (self.policy.restart, clean) {
            (RestartPolicy::OnFailure | RestartPolicy::Never, true) => return self.done(true),
            (RestartPolicy::Never, false) => return self.done(false),
            _ => {}
        }
        match self.crashes.record(ran_for) {
            Some((attempt, delay)) => {
                self.info.state = State::Backoff;
                self.info.next_start_at = Some(now_ms() + delay.as_secs_f64() * 1000.0);
                if self.policy.max_restarts.is_some_and(|max| attempt > max) {
                    let max = self.policy.max_restarts.unwrap_or(0);
                    let message = format!(
                        "{} crashed {attempt} times in a row without a stable run \
                         (maxRestarts: {max}); pm gave up on it",
                        self.who()
                    );
                    self.info.state = State::Errored;
                    self.info.error = Some(message.clone());
                    return self.step(vec![Event::Error { id, name, message }], Next::Done, None);
                }
                let restart = Event::Restart {
                    id,
                    name,
                    attempt,
                    delay: delay.as_secs_f64() * 1000.0,
                    reason: "crash",
                };
                self.step(vec![restart], Next::Backoff { delay }, None)
            }
            None => self.done(clean),
        }
    }

    /// The process exited by itself and will not be restarted: done (a clean exit, the task
    /// completed) or errored.
    fn done(&mut self, clean: bool) -> Step {
        self.info.completed = clean;
        self.info.state = if clean {
            State::Stopped
        } else {
            State::Errored
        };
        self.step(Vec::new(), Next::Done, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::sleep;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn policy(restart_at: &[u64]) -> Policy {
        Policy {
            grace: ms(200),
            schedule: Schedule::new(
                Some(restart_at.iter().map(|v| ms(*v)).collect()),
                Some(ms(1000)),
            ),
            wait_ready: false,
            needs_readiness: false,
            ready_timeout: ms(3000),
            max_restarts: None,
            restart: RestartPolicy::Always,
        }
    }

    fn with(policy: Policy) -> Lifecycle {
        Lifecycle::new(7, Some("svc".into()), "/app/svc.js".into(), policy)
    }

    fn machine(restart_at: &[u64]) -> Lifecycle {
        with(policy(restart_at))
    }

    const WATCH: Next = Next::Watch { ready_within: None };

    fn exit(code: i32) -> Input {
        Input::Exited {
            exit: Exit {
                code: Some(code),
                signal: None,
            },
            killed: false,
            last_lines: Vec::new(),
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
                Event::Ready { .. } => "ready",
                _ => "other",
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_crash_backs_off_on_the_schedule_and_a_stable_run_resets_it() {
        let mut m = machine(&[0, 100, 300]);
        assert_eq!(m.begin().next, Next::Spawn);
        let s = m.on(Input::Spawned { pid: 10 });
        assert_eq!((kinds(&s), s.next), (vec!["start"], WATCH));
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
            last_lines: Vec::new(),
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
        assert_eq!(
            (kinds(&s), s.next),
            (vec![], Next::Done),
            "the rejection is the report"
        );
        assert_eq!(s.settle, Some(Err(PmError::new(ErrorKind::Spawn, "nope"))));
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

    #[tokio::test(start_paused = true)]
    async fn wait_ready_settles_at_ready_and_each_spawn_must_say_it_again() {
        let mut m = with(Policy {
            wait_ready: true,
            needs_readiness: true,
            ..policy(&[0])
        });
        let s = m.on(Input::Spawned { pid: 10 });
        assert_eq!(
            s.next,
            Next::Watch {
                ready_within: Some(ms(3000))
            }
        );
        assert_eq!(s.settle, None, "start() waits for ready()");
        let s = m.on(Input::Ready);
        assert_eq!((kinds(&s), s.next), (vec!["ready"], WATCH));
        assert_eq!(s.settle, Some(Ok(())));
        assert!(m.info().ready);
        // After a crash the new process is not ready until it says so; nobody waits on it.
        m.on(exit(1));
        m.on(Input::BackoffElapsed);
        let s = m.on(Input::Spawned { pid: 11 });
        assert!(!m.info().ready);
        assert_eq!(s.next, WATCH);
    }

    #[tokio::test(start_paused = true)]
    async fn not_ready_in_time_rejects_stops_and_ends_errored() {
        let mut m = with(Policy {
            wait_ready: true,
            needs_readiness: true,
            ..policy(&[0])
        });
        m.on(Input::Spawned { pid: 10 });
        let s = m.on(Input::ReadyTimedOut);
        assert!(
            kinds(&s).is_empty(),
            "the waiting caller's rejection is the report"
        );
        assert_eq!(s.next, Next::Stop { grace: ms(200) });
        assert_eq!(s.settle, None, "the caller hears once the process is gone");
        let s = m.on(exit(0));
        assert_eq!((kinds(&s), s.next), (vec!["exit", "stop"], Next::Done));
        match &s.settle {
            Some(Err(e)) => assert!(
                e.kind == ErrorKind::NotReady && e.message.contains("readyTimeout of 3000 ms"),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(m.info().state, State::Errored);
    }

    #[tokio::test(start_paused = true)]
    async fn max_restarts_gives_up_after_that_many_restarts_in_a_row() {
        let mut m = with(Policy {
            max_restarts: Some(3),
            ..policy(&[0])
        });
        m.on(Input::Spawned { pid: 10 });
        for pid in 11..14 {
            let s = m.on(exit(1));
            assert_eq!(kinds(&s), ["exit", "restart"]);
            m.on(Input::BackoffElapsed);
            m.on(Input::Spawned { pid });
        }
        let s = m.on(exit(1));
        assert_eq!((kinds(&s), s.next), (vec!["exit", "error"], Next::Done));
        assert_eq!(m.info().state, State::Errored);
        assert!(m.info().error.as_ref().unwrap().contains("maxRestarts: 3"));
        assert_eq!(m.info().restarts, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn over_max_memory_is_a_polite_stop_then_a_spawn() {
        let mut m = machine(&[0]);
        m.on(Input::Spawned { pid: 10 });
        let s = m.on(Input::MemoryExceeded {
            bytes: 9 << 20,
            limit: 8 << 20,
        });
        assert_eq!(
            (kinds(&s), s.next),
            (vec!["warning"], Next::Stop { grace: ms(200) })
        );
        let s = m.on(exit(0));
        assert_eq!((kinds(&s), s.next), (vec!["exit", "restart"], Next::Spawn));
        match &s.events[1] {
            Event::Restart { reason, .. } => assert_eq!(*reason, "memory"),
            e => panic!("{e:?}"),
        }
        assert_eq!((m.info().state, m.info().restarts), (State::Starting, 1));
        // A stop that comes while pm stops it for memory ends it for good.
        m.on(Input::Spawned { pid: 11 });
        m.on(Input::MemoryExceeded { bytes: 9, limit: 8 });
        m.on(Input::StopRequested);
        let s = m.on(exit(0));
        assert_eq!((kinds(&s), s.next), (vec!["exit", "stop"], Next::Done));
    }

    fn ended_with(restart: RestartPolicy, code: i32) -> (Step, Lifecycle) {
        let mut m = with(Policy {
            restart,
            ..policy(&[0])
        });
        m.on(Input::Spawned { pid: 10 });
        (m.on(exit(code)), m)
    }

    #[tokio::test(start_paused = true)]
    async fn restart_on_failure_leaves_a_clean_exit_completed_and_restarts_a_failed_one() {
        let (s, m) = ended_with(RestartPolicy::OnFailure, 0);
        assert_eq!((kinds(&s), s.next), (vec!["exit"], Next::Done));
        assert_eq!((m.info().state, m.info().completed), (State::Stopped, true));
        match &s.events[0] {
            Event::Exit { completed, .. } => assert!(*completed, "the exit says it completed"),
            e => panic!("{e:?}"),
        }
        let (s, m) = ended_with(RestartPolicy::OnFailure, 2);
        assert_eq!(kinds(&s), ["exit", "restart"]);
        assert!(!m.info().completed);
        // 'always' (the default) restarts a clean exit too.
        let (s, _) = ended_with(RestartPolicy::Always, 0);
        assert_eq!(kinds(&s), ["exit", "restart"]);
    }

    #[tokio::test(start_paused = true)]
    async fn restart_never_ends_completed_or_errored() {
        let (s, m) = ended_with(RestartPolicy::Never, 0);
        assert_eq!(s.next, Next::Done);
        assert_eq!((m.info().state, m.info().completed), (State::Stopped, true));
        let (s, m) = ended_with(RestartPolicy::Never, 1);
        assert_eq!((kinds(&s), s.next), (vec!["exit"], Next::Done));
        assert_eq!(
            (m.info().state, m.info().completed),
            (State::Errored, false)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unhealthy_service_is_stopped_politely_and_started_again() {
        let mut m = machine(&[0]);
        m.on(Input::Spawned { pid: 10 });
        let s = m.on(Input::Unhealthy {
            probe: "http://127.0.0.1:1/h: connection refused".into(),
            failures: 3,
        });
        assert_eq!(
            (kinds(&s), s.next),
            (vec!["warning"], Next::Stop { grace: ms(200) })
        );
        match &s.events[0] {
            Event::Warning { message } => assert!(
                message.contains("\"svc\"")
                    && message.contains("3 times")
                    && message.contains("127.0.0.1:1"),
                "{message}"
            ),
            e => panic!("{e:?}"),
        }
        let s = m.on(exit(0));
        assert_eq!((kinds(&s), s.next), (vec!["exit", "restart"], Next::Spawn));
        match &s.events[1] {
            Event::Restart { reason, .. } => assert_eq!(*reason, "unhealthy"),
            e => panic!("{e:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_dependency_ends_the_dependent_errored_and_rejects_its_start() {
        let mut m = machine(&[0]);
        let s = m.on(Input::DependencyFailed {
            message: "\"migrate\" exited with code 1".into(),
        });
        assert_eq!(
            (kinds(&s), s.next),
            (vec!["error"], Next::Done),
            "an 'error' event as well as the rejection"
        );
        assert_eq!(m.info().state, State::Errored);
        match &s.settle {
            Some(Err(e)) => assert!(
                e.kind == ErrorKind::Dependency && e.message.contains("migrate"),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ready_when_without_wait_ready_settles_at_spawn_but_times_the_first_readiness() {
        let mut m = with(Policy {
            needs_readiness: true,
            ..policy(&[0])
        });
        let s = m.on(Input::Spawned { pid: 10 });
        assert_eq!(s.settle, Some(Ok(())), "start() does not wait");
        assert_eq!(
            s.next,
            Next::Watch {
                ready_within: Some(ms(3000))
            }
        );
        let s = m.on(Input::ReadyTimedOut);
        assert_eq!(kinds(&s), ["error"]);
        let s = m.on(exit(0));
        assert_eq!(s.settle, None, "settled already");
        assert_eq!(m.info().state, State::Errored);
        // A restarted process is waited for as long as it takes.
        let mut m = with(Policy {
            needs_readiness: true,
            ..policy(&[0])
        });
        m.on(Input::Spawned { pid: 10 });
        m.on(Input::Ready);
        m.on(exit(1));
        m.on(Input::BackoffElapsed);
        assert_eq!(m.on(Input::Spawned { pid: 11 }).next, WATCH);
    }

    #[tokio::test(start_paused = true)]
    async fn the_exit_event_and_last_exit_carry_the_last_lines() {
        let mut m = machine(&[0]);
        m.on(Input::Spawned { pid: 10 });
        let lines = vec![TailLine {
            stream: "err",
            text: "Error: boom".into(),
        }];
        let s = m.on(Input::Exited {
            exit: Exit {
                code: Some(1),
                signal: None,
            },
            killed: false,
            last_lines: lines.clone(),
        });
        match &s.events[0] {
            Event::Exit { last_lines, .. } => assert_eq!(last_lines, &lines),
            e => panic!("{e:?}"),
        }
        assert_eq!(m.info().last_exit.as_ref().unwrap().last_lines, lines);
    }
}
