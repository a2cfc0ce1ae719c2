//! One managed service from `start()` until pm lets go of it: spawn, watch, stop on request,
//! and restart after a crash on the backoff schedule. Its state is published through a watch
//! channel that `list()` and the stop calls read.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use serde::Serialize;
use tokio::sync::{oneshot, watch};

use crate::backoff::Crashes;
use crate::context::Context;
use crate::events::Event;
use crate::launch::Launch;
use crate::options::StartSpec;
use crate::os::{Exit, Killer};
use crate::process::Running;

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
    /// The service's task has ended, after its last event was emitted. Until then it counts as
    /// alive: JS keeps its event loop running while any service is alive or any event is
    /// undelivered, so there is no moment when neither holds and a last event is lost.
    #[serde(skip)]
    pub ended: bool,
}

/// The shared handle on one service.
pub struct Entry {
    pub id: u64,
    pub spec: Arc<StartSpec>,
    /// How to spawn it, planned once at `start()`.
    pub launch: Arc<Launch>,
    status: watch::Sender<Info>,
    stop: watch::Sender<bool>,
    /// Ends the current process's tree; set while a process runs.
    killer: std::sync::Mutex<Option<Killer>>,
}

impl Entry {
    pub fn new(id: u64, spec: Arc<StartSpec>, launch: Arc<Launch>) -> Self {
        let info = Info {
            id,
            name: spec.name.clone(),
            script: spec.script.to_string_lossy().into_owned(),
            pid: None,
            state: State::Starting,
            started_at: None,
            restarts: 0,
            last_exit: None,
            next_start_at: None,
            error: None,
            ended: false,
        };
        Entry {
            id,
            spec,
            launch,
            status: watch::Sender::new(info),
            stop: watch::Sender::new(false),
            killer: std::sync::Mutex::new(None),
        }
    }

    pub fn info(&self) -> Info {
        self.status.borrow().clone()
    }

    /// Whether the service's task still runs (or is about to restart it).
    pub fn is_alive(&self) -> bool {
        !self.status.borrow().ended
    }

    pub fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    /// Resolves once pm is done with the process: every line it printed is written and every
    /// event about it emitted.
    pub async fn finished(&self) -> Info {
        let mut rx = self.status.subscribe();
        let info = rx.wait_for(|i| i.ended).await;
        info.map(|i| i.clone()).unwrap_or_else(|_| self.info())
    }

    /// Kills the current process group at once, from any thread: the last resort at exit.
    pub fn kill_now(&self) {
        if let Some(k) = self
            .killer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            k.kill_tree();
        }
    }

    fn set(&self, f: impl FnOnce(&mut Info)) {
        self.status.send_modify(f);
    }
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Marks the entry ended when its task returns, after its last event; and errored if the task
/// ended without saying how (a panic), so that nobody waits on it for ever.
struct FinalGuard(Arc<Entry>);

impl Drop for FinalGuard {
    fn drop(&mut self) {
        if !self.0.status.borrow().state.is_final() {
            self.0.kill_now();
            self.0.set(|i| {
                i.state = State::Errored;
                i.pid = None;
                i.error
                    .get_or_insert_with(|| "supervisor task ended".into());
            });
        }
        self.0.set(|i| i.ended = true);
    }
}

/// Resolves once a stop was requested (at once if it already was).
async fn stop_requested(rx: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send; drop it here, not in the caller's select.
    let _ = rx.wait_for(|s| *s).await;
}

/// Runs the service until it is stopped or ends for good. `first` gets the outcome of the
/// first spawn: the info of a running process, or why it could not start.
pub async fn run(
    entry: Arc<Entry>,
    ctx: Arc<Context>,
    first: oneshot::Sender<Result<Info, String>>,
) {
    let _guard = FinalGuard(entry.clone());
    let spec = entry.spec.clone();
    let (id, name) = (entry.id, spec.name.clone());
    let mut stop_rx = entry.stop.subscribe();
    let mut first = Some(first);
    let mut crashes = Crashes::new(spec.restart.clone());

    loop {
        entry.set(|i| {
            i.state = State::Starting;
            i.next_start_at = None;
        });
        // Each event is emitted after the state it reports is set, so a listener that reads
        // `list()` (or JS deciding whether to keep the event loop alive) sees it.
        let (exited, exit, ran_for) = match Running::start(id, &spec, &entry.launch, &ctx).await {
            Err(e) => {
                let message = e.to_string();
                let first_start = first.take();
                entry.set(|i| {
                    i.error = Some(message.clone());
                    if first_start.is_some() {
                        // A first start that fails is the caller's error, not a crash to retry.
                        i.state = State::Errored;
                    }
                });
                ctx.emit(Event::Error {
                    id,
                    name: name.clone(),
                    message: message.clone(),
                });
                if let Some(f) = first_start {
                    let _ = f.send(Err(message));
                    return;
                }
                (None, None, Duration::ZERO)
            }
            Ok(mut proc) => {
                let started = Instant::now();
                let pid = proc.pid;
                *entry.killer.lock().unwrap_or_else(|e| e.into_inner()) = Some(proc.killer());
                ctx.record.add(id, pid);
                entry.set(|i| {
                    i.state = State::Running;
                    i.pid = Some(pid);
                    i.started_at = Some(now_ms());
                    i.error = None;
                });
                ctx.emit(Event::Start {
                    id,
                    name: name.clone(),
                    pid,
                });
                if let Some(f) = first.take() {
                    let _ = f.send(Ok(entry.info()));
                }
                let (exit, requested) = tokio::select! {
                    exit = proc.wait() => (exit, false),
                    _ = stop_requested(&mut stop_rx) => {
                        entry.set(|i| i.state = State::Stopping);
                        (proc.stop(spec.stop_timeout).await, true)
                    }
                };
                let ran_for = started.elapsed();
                proc.finish().await;
                ctx.record.remove(id);
                *entry.killer.lock().unwrap_or_else(|e| e.into_inner()) = None;
                let signal = exit.signal.clone();
                entry.set(|i| {
                    i.pid = None;
                    i.last_exit = Some(LastExit {
                        pid,
                        code: exit.code,
                        signal: signal.clone(),
                        at: now_ms(),
                    });
                });
                let exited = Event::Exit {
                    id,
                    name: name.clone(),
                    pid,
                    code: exit.code,
                    signal,
                    requested,
                };
                if requested {
                    entry.set(|i| i.state = State::Stopped);
                    ctx.emit(exited);
                    ctx.emit(Event::Stop {
                        id,
                        name: name.clone(),
                        pid: Some(pid),
                    });
                    return;
                }
                (Some(exited), Some(exit), ran_for)
            }
        };

        // It crashed (or could not be started again): wait as the schedule says, then loop.
        let Some((attempt, delay)) = crashes.record(ran_for) else {
            let clean = exit.as_ref().is_some_and(Exit::clean);
            entry.set(|i| {
                i.state = if clean {
                    State::Stopped
                } else {
                    State::Errored
                }
            });
            ctx.emit_some(exited);
            return;
        };
        entry.set(|i| {
            i.state = State::Backoff;
            i.next_start_at = Some(now_ms() + delay.as_secs_f64() * 1000.0);
        });
        ctx.emit_some(exited);
        ctx.emit(Event::Restart {
            id,
            name: name.clone(),
            attempt,
            delay: delay.as_secs_f64() * 1000.0,
        });
        tokio::select! {
            _ = tokio::time::sleep(delay) => entry.set(|i| i.restarts += 1),
            _ = stop_requested(&mut stop_rx) => {
                entry.set(|i| {
                    i.state = State::Stopped;
                    i.next_start_at = None;
                });
                ctx.emit(Event::Stop { id, name, pid: None });
                return;
            }
        }
    }
}
