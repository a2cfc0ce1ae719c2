//! The shared handle on one managed service (`Entry`): what the registry, `list()`, the stop
//! and restart calls, `send()` and other services' dependency waits see of it, from its
//! registration until pm lets go of it. The driver (`driver.rs`) publishes into it; nothing
//! here runs a process.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::error::{ErrorKind, PmError};
use crate::logs::tail::Tail;
use crate::os::{Channel, Killer};
use crate::service::lifecycle::{Info, Lifecycle, State};
use crate::service::stdio::{Piped, Stdio};
use crate::start::launch::Launch;
use crate::start::options::StartSpec;
use crate::sync::lock;

/// How the first spawn went, for every caller waiting on it (`start()`, joined `restart()`s).
pub type Outcome = Result<Info, PmError>;

pub struct Entry {
    pub id: u64,
    pub spec: Arc<StartSpec>,
    /// How to spawn it, planned once at `start()`.
    pub launch: Arc<Launch>,
    /// The services this one replaces (a restart): it spawns only once they all ended, so old
    /// and new never overlap.
    pub(crate) after: Vec<Arc<Entry>>,
    pub(crate) status: watch::Sender<Info>,
    pub(crate) outcome: watch::Sender<Option<Outcome>>,
    pub(crate) stop: watch::Sender<bool>,
    /// Set once the driver is done and the service's last event was sent.
    pub(crate) ended: watch::Sender<bool>,
    /// Ends the current process's tree; set while a process runs.
    killer: Mutex<Option<Killer>>,
    /// The current process's IPC channel, for `send()`; set while a process runs.
    channel: Mutex<Option<Channel>>,
    /// The last lines of the current (or last) process.
    tail: Mutex<Option<Arc<Tail>>>,
    /// The current process's stdin and stdout for the app (`stdio: 'pipe'`).
    stdio: Mutex<Option<StdioSlot>>,
}

/// A piped process's stdin and stdout: waiting for the app, or in its hands.
struct StdioSlot {
    pid: u32,
    waiting: Option<Piped>,
    taken: Option<Arc<Stdio>>,
    /// The process exited before the app took its pipes.
    exited: bool,
}

impl Entry {
    pub fn new(id: u64, spec: Arc<StartSpec>, launch: Arc<Launch>, after: Vec<Arc<Entry>>) -> Self {
        let machine = Lifecycle::for_spec(id, &spec);
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
            tail: Mutex::new(None),
            stdio: Mutex::new(None),
        }
    }

    pub fn info(&self) -> Info {
        self.status.borrow().clone()
    }

    pub fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    /// Marks the service as asked to stop, as seen at once by whoever looks (a second restart,
    /// a driver about to wait), without waking its driver: [`Entry::request_stop`] does that
    /// later, from pm's runtime. Waking a thousand drivers from the JS thread (each a hand-off
    /// to a parked runtime thread) held a `stopall()` call for 34-50 ms.
    pub fn mark_stop(&self) {
        // Returning false changes the value without notifying: tokio documents this as a
        // silent modification, visible to the next `borrow()` or `wait_for()`.
        self.stop.send_if_modified(|asked| {
            *asked = true;
            false
        });
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
            _ => Err(PmError::new(
                ErrorKind::Stopped,
                "the supervisor stopped before the process started",
            )),
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
        if let Some(k) = lock(&self.killer).as_ref() {
            k.kill_tree();
        }
    }

    /// A process was spawned: how to end its tree, its channel, its last lines and (when
    /// piped) its stdin and stdout for the app.
    pub(crate) fn attach(
        &self,
        pid: u32,
        killer: Killer,
        channel: Option<Channel>,
        tail: Arc<Tail>,
        piped: Option<Piped>,
    ) {
        *lock(&self.killer) = Some(killer);
        *lock(&self.channel) = channel;
        *lock(&self.tail) = Some(tail);
        *lock(&self.stdio) = piped.map(|p| StdioSlot {
            pid,
            waiting: Some(p),
            taken: None,
            exited: false,
        });
    }

    /// The process is gone: nothing more can be sent to it. Pipes the app took stay its own
    /// until it reads their end; pipes it has not taken yet stay here until the next start (or
    /// until the entry goes), so that a `'start'` listener that runs only after a short-lived
    /// process exited still gets all it wrote.
    pub(crate) fn detach_channel(&self) {
        *lock(&self.channel) = None;
        let mut stdio = lock(&self.stdio);
        match stdio.as_mut() {
            Some(slot) if slot.taken.is_none() => slot.exited = true,
            _ => *stdio = None,
        }
    }

    /// The last lines of the current (or last) process.
    pub(crate) fn tail(&self) -> Option<Arc<Tail>> {
        lock(&self.tail).clone()
    }

    /// The current process's stdin and stdout for the app: the same pair on every call for
    /// one process; `None` while no piped process runs, but for the pipes of one that exited
    /// before the app took them (until the next start, or until the app read their end).
    pub(crate) fn stdio(&self) -> Option<Arc<Stdio>> {
        let mut guard = lock(&self.stdio);
        let slot = guard.as_mut()?;
        if let Some(p) = slot.waiting.take() {
            slot.taken = Some(Arc::new(Stdio::new(self.id, slot.pid, p)));
        }
        // An exited process's pipes, once the app read their end: nothing runs.
        if slot.exited && slot.taken.as_ref().is_some_and(|t| t.finished()) {
            *guard = None;
            return None;
        }
        slot.taken.clone()
    }

    /// The process's tree is ended.
    pub(crate) fn detach_killer(&self) {
        *lock(&self.killer) = None;
    }

    /// Queues `message` for the current process's `process.on('message')`; false when it has
    /// no channel (not running, or not a Node or Python service).
    pub fn send(&self, message: &[u8]) -> bool {
        match lock(&self.channel).as_ref() {
            Some(channel) => {
                channel.send(message.to_vec());
                true
            }
            None => false,
        }
    }

    /// Whether this service is running and ready for its dependents: it is ready (it said
    /// so, or its `readyWhen` saw it), or it runs and needs no readiness.
    pub fn ready_for_dependents(&self) -> bool {
        let info = self.status.borrow();
        info.state == State::Running && (info.ready || !self.spec.needs_readiness())
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
