//! One managed service from its registration until pm lets go of it: the shared handle
//! (`Entry`) that the registry, `list()` and the stop calls use, and the driver that runs the
//! pure `Lifecycle` machine against a real process.

pub(crate) mod backoff;
pub(crate) mod instance;
pub(crate) mod ipc;
pub mod lifecycle;

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::context::Context;
use crate::os::{Channel, Killer};
use crate::service::instance::Running;
use crate::service::lifecycle::{Info, Input, Lifecycle, Next, Policy, State};
use crate::start::launch::Launch;
use crate::start::options::StartSpec;

/// How the first spawn went, for every caller waiting on it (`start()`, joined `restart()`s).
pub type Outcome = Result<Info, String>;

/// The shared handle on one service.
pub struct Entry {
    pub id: u64,
    pub spec: Arc<StartSpec>,
    /// How to spawn it, planned once at `start()`.
    pub launch: Arc<Launch>,
    /// The services this one replaces (a restart): it spawns only once they all ended, so old
    /// and new never overlap.
    after: Vec<Arc<Entry>>,
    status: watch::Sender<Info>,
    outcome: watch::Sender<Option<Outcome>>,
    stop: watch::Sender<bool>,
    /// Set once the driver is done and the service's last event was sent.
    ended: watch::Sender<bool>,
    /// Ends the current process's tree; set while a process runs.
    killer: Mutex<Option<Killer>>,
    /// The current process's IPC channel, for `send()`; set while a process runs.
    channel: Mutex<Option<Channel>>,
}

impl Entry {
    pub fn new(id: u64, spec: Arc<StartSpec>, launch: Arc<Launch>, after: Vec<Arc<Entry>>) -> Self {
        let machine = lifecycle_for(id, &spec);
        Entry {
            id,
            spec,
            launch,
            after,
            status: watch::Sender::new(machine.info().clone()),
            outcome: watch::Sender::new(None),
            stop: watch::Sender::new(false),
            ended: watch::Sender::new(false),
            killer: Mutex::new(None),
            channel: Mutex::new(None),
        }
    }

    pub fn info(&self) -> Info {
        self.status.borrow().clone()
    }

    pub fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    /// A restart's replacement that has not spawned yet and is not being stopped: a second
    /// restart of the same name joins it instead of starting another.
    pub fn awaits_turn(&self) -> bool {
        !self.after.is_empty()
            && !*self.stop.borrow()
            && self.outcome.borrow().is_none()
            && self.status.borrow().state == State::Starting
    }

    /// Resolves with how the first spawn went.
    pub async fn first_outcome(&self) -> Outcome {
        let mut rx = self.outcome.subscribe();
        let got = rx.wait_for(Option::is_some).await.map(|o| o.clone());
        match got {
            Ok(Some(outcome)) => outcome,
            _ => Err("the supervisor stopped before the process started".into()),
        }
    }

    /// Resolves once pm is done with the service: every line it printed is written and every
    /// event about it sent.
    pub async fn finished(&self) -> Info {
        let mut rx = self.ended.subscribe();
        let _ = rx.wait_for(|e| *e).await;
        self.info()
    }

    /// Kills the current process tree at once, from any thread: the last resort at exit.
    pub fn kill_now(&self) {
        if let Some(k) = self.killer().as_ref() {
            k.kill_tree();
        }
    }

    fn killer(&self) -> std::sync::MutexGuard<'_, Option<Killer>> {
        self.killer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn channel(&self) -> std::sync::MutexGuard<'_, Option<Channel>> {
        self.channel.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `message` for the current process's `process.on('message')`; false when it has
    /// no channel (not running, or not a Node or Python service).
    pub fn send(&self, message: &[u8]) -> bool {
        match self.channel().as_ref() {
            Some(channel) => {
                channel.send(message.to_vec());
                true
            }
            None => false,
        }
    }

    /// Whether this service is running and ready for its dependents: it said `ready()`, or it
    /// runs and does not use `waitReady`.
    pub fn ready_for_dependents(&self) -> bool {
        let info = self.status.borrow();
        info.state == State::Running && (info.ready || !self.spec.wait_ready)
    }

    /// Reads the memory and CPU figures of the current process into its info, for `list()`.
    pub fn info_with_metrics(&self) -> Info {
        let mut info = self.info();
        if let Some(pid) = info.pid {
            info.memory = crate::os::procinfo::tree_memory(pid);
            info.cpu = crate::os::procinfo::cpu_seconds(pid);
        }
        info
    }
}

fn lifecycle_for(id: u64, spec: &StartSpec) -> Lifecycle {
    let mut machine = Lifecycle::new(
        id,
        spec.name.clone(),
        spec.script.to_string_lossy().into_owned(),
        Policy {
            grace: spec.stop_timeout,
            schedule: spec.restart.clone(),
            wait_ready: spec.wait_ready,
            ready_timeout: spec.ready_timeout,
            max_restarts: spec.max_restarts,
        },
    );
    machine.set_log(spec.log.as_ref().map(|p| p.to_string_lossy().into_owned()));
    machine
}

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
            let why = "the supervisor task ended before the process started";
            entry.outcome.send_replace(Some(Err(why.into())));
        }
        self.ctx.ended(entry.id);
        entry.ended.send_replace(true);
    }
}

/// Resolves once a stop was requested (at once if it already was).
async fn stop_requested(rx: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send; drop it here, not in the caller's select.
    let _ = rx.wait_for(|s| *s).await;
}

/// Runs the service until pm is done with it.
pub async fn run(entry: Arc<Entry>, ctx: Arc<Context>) {
    let _guard = EndGuard {
        entry: entry.clone(),
        ctx: ctx.clone(),
    };
    let id = entry.id;
    let mut machine = lifecycle_for(id, &entry.spec);
    let mut stop_rx = entry.stop.subscribe();
    let mut running: Option<Running> = None;

    // A restart waits for its old self to be gone; a stop meanwhile means it never spawns,
    // and it still ends only after its old self, so that whoever waits for it (stop, restart)
    // finds nothing running.
    let old_ones_gone = async {
        for old in &entry.after {
            old.finished().await;
        }
    };
    let mut step = tokio::select! {
        _ = async { old_ones_gone.await; ctx.swept().await } => machine.begin(),
        _ = stop_requested(&mut stop_rx) => {
            for old in &entry.after {
                old.finished().await;
            }
            machine.on(Input::StopRequested)
        }
    };
    loop {
        // The state first, then the events that report it, then the caller.
        entry.status.send_replace(machine.info().clone());
        ctx.state_changed();
        for event in step.events.drain(..) {
            ctx.emit(event);
        }
        if let Some(outcome) = step.settle.take() {
            let outcome = outcome.map(|()| machine.info().clone());
            entry.outcome.send_replace(Some(outcome));
        }
        let input = match step.next {
            Next::Done => return,
            Next::Spawn => {
                // Its dependencies first (`dependsOn`), then the spawn; a stop ends either wait.
                let cancel = stop_requested(&mut stop_rx);
                tokio::pin!(cancel);
                let spawned = async {
                    tokio::select! {
                        _ = wait_for_dependencies(&entry, &ctx) => {}
                        _ = &mut cancel => return Ok(None),
                    }
                    Running::start(id, &entry.spec, &entry.launch, &ctx, cancel).await
                };
                match spawned.await {
                    Ok(None) => Input::StopRequested,
                    Ok(Some(proc)) => {
                        let pid = proc.pid;
                        *entry.killer() = Some(proc.killer());
                        *entry.channel() = proc.channel();
                        ctx.record.add(id, pid);
                        running = Some(proc);
                        Input::Spawned { pid }
                    }
                    Err(e) => Input::SpawnFailed {
                        message: e.to_string(),
                    },
                }
            }
            Next::Watch { ready_within } => {
                let proc = running.as_mut().expect("a process runs while watched");
                let pid = proc.pid;
                let await_ready = !machine.info().ready;
                let mut ready_rx = proc.ready();
                let watched = tokio::select! {
                    exit = proc.wait() => Watched::Exited(exit),
                    _ = stop_requested(&mut stop_rx) => Watched::Input(Input::StopRequested),
                    _ = ready_rx.wait_for(|r| *r), if await_ready => Watched::Input(Input::Ready),
                    _ = sleep_or_never(ready_within) => Watched::Input(Input::ReadyTimedOut),
                    bytes = memory_over(pid, entry.spec.max_memory) => {
                        let limit = entry.spec.max_memory.unwrap_or(0);
                        Watched::Input(Input::MemoryExceeded { bytes, limit })
                    }
                };
                match watched {
                    Watched::Exited(exit) => {
                        let proc = running.take().expect("it ran");
                        finish(&entry, &ctx, proc).await;
                        Input::Exited {
                            exit,
                            killed: false,
                        }
                    }
                    Watched::Input(input) => input,
                }
            }
            Next::Stop { grace } => {
                let mut proc = running.take().expect("a process runs while stopped");
                let (exit, killed) = proc.stop(grace).await;
                finish(&entry, &ctx, proc).await;
                Input::Exited { exit, killed }
            }
            // At once means at once: no trip through the timer wheel (its tick is 1 ms).
            Next::Backoff { delay } if delay.is_zero() && !*stop_rx.borrow() => {
                Input::BackoffElapsed
            }
            Next::Backoff { delay } => tokio::select! {
                _ = tokio::time::sleep(delay) => Input::BackoffElapsed,
                _ = stop_requested(&mut stop_rx) => Input::StopRequested,
            },
        };
        step = machine.on(input);
    }
}

/// How long a service may wait for a dependency that pm does not run at all before the app
/// hears of it: dependencies may be started after their dependents, in any order.
const MISSING_DEPENDENCY_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Waits until the service's `dependsOn` services are ready; if one of them is not even
/// registered after a grace period, says so once (an `'error'` event) and goes on waiting.
async fn wait_for_dependencies(entry: &Entry, ctx: &Context) {
    let names = &entry.spec.depends_on;
    let ready = ctx.dependencies_ready(names);
    tokio::pin!(ready);
    tokio::select! {
        _ = &mut ready => return,
        _ = tokio::time::sleep(MISSING_DEPENDENCY_GRACE) => {}
    }
    let missing = ctx.unknown_services(names);
    if !missing.is_empty() {
        let quoted: Vec<String> = missing.iter().map(|n| format!("\"{n}\"")).collect();
        let those = if missing.len() == 1 {
            "it is"
        } else {
            "they are"
        };
        ctx.emit(crate::events::Event::Error {
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

/// What ended a watch.
enum Watched {
    Exited(crate::os::Exit),
    Input(Input),
}

async fn sleep_or_never(d: Option<std::time::Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// How often a service with `maxMemory` is sampled. Services without it are never sampled.
const MEMORY_SAMPLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Resolves with the memory of `pid` and its children once it is over `limit`; never without
/// a limit.
async fn memory_over(pid: u32, limit: Option<u64>) -> u64 {
    let Some(limit) = limit else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(MEMORY_SAMPLE).await;
        if let Some(bytes) = crate::os::procinfo::tree_memory(pid).filter(|b| *b > limit) {
            return bytes;
        }
    }
}

/// After the process exited: what is left of its tree is killed, its output written, its
/// record removed.
async fn finish(entry: &Entry, ctx: &Context, proc: Running) {
    *entry.channel() = None;
    proc.finish().await;
    *entry.killer() = None;
    ctx.record.remove(entry.id);
}
