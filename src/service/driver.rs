//! The driver of one service: runs the pure `Lifecycle` machine against a real process. Each
//! turn publishes the machine's state, emits the events that report it, settles the caller,
//! then does what the machine said next (spawn, watch, stop, back off) and feeds back what
//! happened.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::events::Event;
use crate::service::context::Context;
use crate::service::entry::Entry;
use crate::service::instance::{Running, Strays};
use crate::service::lifecycle::{Input, Lifecycle, Next, State, Step};
use crate::service::probe;
use crate::start::checks::ReadyWhen;

/// Whatever way the driver ends (a panic included), the service ends properly: its process
/// tree is killed if one is left, it reads as errored if it did not reach a final state, its
/// `Ended` marker is sent after its last event, and it leaves the live set.
struct EndGuard {
    entry: Arc<Entry>,
    ctx: Arc<Context>,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        let entry = &self.entry;
        if !entry.status.borrow().state.is_final() {
            entry.kill_now();
            entry.status.send_modify(|i| {
                i.state = State::Errored;
                i.pid = None;
                i.error
                    .get_or_insert_with(|| "supervisor task ended".into());
            });
        }
        if entry.outcome.borrow().is_none() {
            let why = crate::error::PmError::new(
                crate::error::ErrorKind::Stopped,
                "the supervisor task ended before the process started",
            );
            entry.outcome.send_replace(Some(Err(why)));
        }
        self.ctx.ended(entry);
        entry.ended.send_replace(true);
    }
}

/// Resolves once a stop was requested (at once if it already was).
async fn stop_requested(rx: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send; drop it here, not in the caller's select.
    let _ = rx.wait_for(|s| *s).await;
}

/// Runs the service until pm is done with it.
pub(crate) async fn run(entry: Arc<Entry>, ctx: Arc<Context>) {
    let _guard = EndGuard {
        entry: entry.clone(),
        ctx: ctx.clone(),
    };
    let mut driver = Driver {
        machine: Lifecycle::for_spec(entry.id, &entry.spec),
        stop_rx: entry.stop.subscribe(),
        running: None,
        spawns: 0,
        strays: None,
        entry,
        ctx,
    };
    let mut step = driver.begin().await;
    loop {
        driver.publish(&mut step);
        if step.next != Next::Spawn {
            driver.end_strays();
        }
        let input = match step.next {
            Next::Done => return,
            Next::Spawn => driver.spawn().await,
            Next::Watch { ready_within } => driver.watch(ready_within).await,
            Next::Stop { grace } => driver.stop(grace).await,
            Next::Backoff { delay } => driver.back_off(delay).await,
        };
        step = driver.machine.on(input);
    }
}

struct Driver {
    entry: Arc<Entry>,
    ctx: Arc<Context>,
    machine: Lifecycle,
    stop_rx: watch::Receiver<bool>,
    running: Option<Running>,
    /// Processes spawned so far: each spawn's marker is its own.
    spawns: u64,
    /// The marker of a process that exited on its own, whose strays are still to be ended
    /// (once its restart is under way: `end_strays`).
    strays: Option<String>,
}

impl Driver {
    /// A restart waits for its old self to be gone (and a sweep of a killed run's leftovers
    /// to end); a stop meanwhile means it never spawns, and it still ends only after its old
    /// self, so that whoever waits for it (stop, restart) finds nothing running.
    async fn begin(&mut self) -> Step {
        let old_ones_gone = async {
            for old in &self.entry.after {
                old.finished().await;
            }
        };
        tokio::select! {
            _ = async { old_ones_gone.await; self.ctx.swept().await } => self.machine.begin(),
            _ = stop_requested(&mut self.stop_rx) => {
                for old in &self.entry.after {
                    old.finished().await;
                }
                self.machine.on(Input::StopRequested)
            }
        }
    }

    /// The state first, then the events that report it, then the caller.
    fn publish(&self, step: &mut Step) {
        self.entry.status.send_replace(self.machine.info().clone());
        self.ctx.state_changed();
        for event in step.events.drain(..) {
            self.ctx.emit(event);
        }
        if let Some(outcome) = step.settle.take() {
            let outcome = outcome.map(|()| self.machine.info().clone());
            self.entry.outcome.send_replace(Some(outcome));
        }
    }

    /// Its dependencies first (`dependsOn`), then the spawn; a stop ends either wait.
    async fn spawn(&mut self) -> Input {
        self.spawns += 1;
        let marker = crate::leftovers::strays::marker(
            &self.ctx.record.run_marker(),
            self.entry.id,
            self.spawns,
        );
        let strays = self.strays.take();
        let (entry, ctx) = (&self.entry, &self.ctx);
        let cancel = stop_requested(&mut self.stop_rx);
        tokio::pin!(cancel);
        let spawned = async {
            tokio::select! {
                waited = wait_for_dependencies(entry, ctx) => {
                    if let Err(message) = waited {
                        return Err(Input::DependencyFailed { message });
                    }
                }
                _ = &mut cancel => return Ok(None),
            }
            // On disk before the process exists, kept until `add` below.
            let recorded = ctx.record.before_spawn();
            Running::start(entry.id, &entry.spec, &entry.launch, ctx, marker, cancel)
                .await
                .map(|started| started.map(|proc| (proc, recorded)))
                .map_err(|e| Input::SpawnFailed { message: e.message })
        };
        let spawned = spawned.await;
        // The last process's strays once this spawn is done (see `finish`).
        if let Some(marker) = strays {
            drop(ctx.strays.end(marker));
        }
        match spawned {
            Ok(None) => Input::StopRequested,
            Ok(Some((mut proc, _recorded))) => {
                let pid = proc.pid;
                entry.attach(
                    pid,
                    proc.killer(),
                    proc.channel(),
                    proc.tail(),
                    proc.take_piped(),
                );
                ctx.record.add(entry.id, pid);
                self.running = Some(proc);
                Input::Spawned { pid }
            }
            Err(input) => input,
        }
    }

    /// Waits for the process to exit, a stop request, its readiness, or one of pm's own
    /// reasons to stop it: not ready in time, unhealthy, over its memory limit.
    async fn watch(&mut self, ready_within: Option<Duration>) -> Input {
        let spec = self.entry.spec.clone();
        let ready = self.machine.info().ready;
        let proc = self.running.as_mut().expect("a process runs while watched");
        let pid = proc.pid;
        let mut ready_rx = proc.ready();
        let mut memory = spec
            .max_memory
            .map(|limit| (self.ctx.sampler.watch(pid, limit), limit));
        // A probe for readiness until the service is ready; a health check once it is (or at
        // once, for a service that needs no readiness).
        let ready_probe = match (&spec.ready_when, ready) {
            (Some(ReadyWhen::Probe { target, every }), false) => Some((target, *every)),
            _ => None,
        };
        let health = spec
            .health_check
            .as_ref()
            .filter(|_| ready || !spec.needs_readiness());
        let watched = tokio::select! {
            exit = proc.wait() => Ok(exit),
            _ = stop_requested(&mut self.stop_rx) => Err(Input::StopRequested),
            _ = said_ready(&mut ready_rx), if !ready => Err(Input::Ready),
            _ = async {
                match ready_probe {
                    Some((target, every)) => probe::until_ready(target, every).await,
                    None => std::future::pending().await,
                }
            } => Err(Input::Ready),
            _ = sleep_or_never(ready_within) => Err(Input::ReadyTimedOut),
            why = async {
                match health {
                    Some(h) => probe::until_unhealthy(h).await,
                    None => std::future::pending().await,
                }
            } => Err(Input::Unhealthy {
                probe: why,
                failures: health.map_or(0, |h| h.failures),
            }),
            bytes = async {
                match memory.as_mut() {
                    Some((watch, _)) => watch.over().await,
                    None => std::future::pending().await,
                }
            } => Err(Input::MemoryExceeded {
                bytes,
                limit: memory.as_ref().map_or(0, |(_, l)| *l),
            }),
        };
        drop(memory);
        match watched {
            Ok(exit) => {
                let proc = self.running.take().expect("it ran");
                let last_lines = self.finish(proc, Strays::Later).await;
                Input::Exited {
                    exit,
                    killed: false,
                    last_lines,
                }
            }
            Err(input) => input,
        }
    }

    async fn stop(&mut self, grace: Duration) -> Input {
        let mut proc = self.running.take().expect("a process runs while stopped");
        let (exit, killed) = proc.stop(grace, self.entry.spec.stop_signal).await;
        let last_lines = self.finish(proc, Strays::Now).await;
        Input::Exited {
            exit,
            killed,
            last_lines,
        }
    }

    async fn back_off(&mut self, delay: Duration) -> Input {
        // At once means at once: no trip through the timer wheel (its tick is 1 ms).
        if delay.is_zero() && !*self.stop_rx.borrow() {
            return Input::BackoffElapsed;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => Input::BackoffElapsed,
            _ = stop_requested(&mut self.stop_rx) => Input::StopRequested,
        }
    }

    /// After the process exited: what is left of its tree is killed (for a stop, also what
    /// left its group, before the stop is over), its output written, its record removed.
    /// Returns its last lines.
    async fn finish(&mut self, proc: Running, strays: Strays) -> Vec<crate::events::TailLine> {
        self.entry.detach_channel();
        let tail = proc.tail();
        self.strays = proc.finish(&self.ctx, strays).await;
        self.entry.detach_killer();
        self.ctx.record.remove(self.entry.id);
        tail.last_lines()
    }

    /// Ends what the last process left behind outside its group, if that is still to do.
    fn end_strays(&mut self) {
        if let Some(marker) = self.strays.take() {
            drop(self.ctx.strays.end(marker));
        }
    }
}

/// How long a service may wait for a dependency that pm does not run at all before the app
/// hears of it: dependencies may be started after their dependents, in any order.
const MISSING_DEPENDENCY_GRACE: Duration = Duration::from_secs(1);

/// Waits until the service's `dependsOn` services are ready (or completed); an error once one
/// failed for good. If one of them is not even registered after a grace period, says so once
/// (an `'error'` event) and goes on waiting.
async fn wait_for_dependencies(entry: &Entry, ctx: &Context) -> Result<(), String> {
    let deps = &entry.spec.depends_on;
    let ready = ctx.dependencies_ready(deps);
    tokio::pin!(ready);
    tokio::select! {
        done = &mut ready => return done,
        _ = tokio::time::sleep(MISSING_DEPENDENCY_GRACE) => {}
    }
    let missing = ctx.unknown_services(deps);
    if !missing.is_empty() {
        let quoted: Vec<String> = missing.iter().map(|n| format!("\"{n}\"")).collect();
        let those = if missing.len() == 1 {
            "it is"
        } else {
            "they are"
        };
        ctx.emit(Event::Error {
            id: entry.id,
            name: entry.spec.name.clone(),
            message: format!(
                "waits for {}, which pm does not run (dependsOn); it starts once {those} \
                 started and ready",
                quoted.join(", ")
            ),
        });
    }
    ready.await
}

/// Resolves once the process said it is ready (over its channel, or by its ready line); never
/// when it has no way to say so (no channel, no `readyWhen: { log }`).
async fn said_ready(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|r| *r).await.is_err() {
        std::future::pending().await
    }
}

async fn sleep_or_never(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
