//! The registry of managed services and the operations the API offers on them. Every call acts
//! on the registry as it is when the call is made, in call order, before its future runs:
//! - `start` registers the new service at once;
//! - `stop` (and `stopall`) takes what it stops out of the registry at once and asks each to
//!   stop, so a `start` of the same name right after it is not affected;
//! - `restart` puts each matching service's replacement in its place at once; the replacement
//!   spawns once the old one is gone. A restart of a service whose replacement is still waiting
//!   joins it; a stop meanwhile stops the replacement too, so nothing runs after both settle.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Handle;

use crate::context::Context;
use crate::events::EventSink;
use crate::service::lifecycle::Info;
use crate::service::{self, Entry, Outcome};
use crate::start::launch::{Host, Launch};
use crate::start::options::{StartSpec, Target};

pub struct Supervisor {
    ctx: Arc<Context>,
    /// What `list()` shows and the API acts on, in start order.
    registry: Mutex<Vec<Arc<Entry>>>,
    next_id: AtomicU64,
    rt: Handle,
}

impl Supervisor {
    /// Call from a thread at the app's normal priority: the spawner thread inherits it.
    pub fn new(host: Host, events: EventSink, rt: Handle) -> std::io::Result<Arc<Self>> {
        let spawner = crate::os::Spawner::new(rt.clone())?;
        let ctx = Arc::new(Context::new(host, events, spawner));
        ctx.logs.report_to(&ctx);
        Ok(Arc::new(Supervisor {
            ctx,
            registry: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            rt,
        }))
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Entry>>> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new service, registered with the context and driven on the runtime.
    fn launch(
        &self,
        spec: Arc<StartSpec>,
        launch: Arc<Launch>,
        after: Vec<Arc<Entry>>,
    ) -> Arc<Entry> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(Entry::new(id, spec, launch, after));
        self.ctx.register(entry.clone());
        self.rt.spawn(service::run(entry.clone(), self.ctx.clone()));
        entry
    }

    /// Registers and spawns a service; the future tells how the first spawn went.
    pub fn start(
        &self,
        spec: Arc<StartSpec>,
        launch: Arc<Launch>,
    ) -> impl Future<Output = Outcome> + Send + 'static {
        let entry = self.launch(spec, launch, Vec::new());
        self.registry().push(entry.clone());
        async move { entry.first_outcome().await }
    }

    /// Stops every matching service in parallel (`None`: every service pm has, listed or
    /// already stopping); resolves once all have exited and their output is written.
    pub fn stop(
        &self,
        target: Option<&Target>,
    ) -> impl Future<Output = Vec<Info>> + Send + 'static {
        let stopping: Vec<Arc<Entry>> = match target {
            Some(t) => {
                let mut registry = self.registry();
                let (matching, kept) = registry.drain(..).partition(|e| matches(e, t));
                *registry = kept;
                matching
            }
            None => {
                self.registry().clear();
                self.ctx.live_entries()
            }
        };
        for e in &stopping {
            e.request_stop();
        }
        async move {
            let mut infos = Vec::with_capacity(stopping.len());
            for e in &stopping {
                infos.push(e.finished().await);
            }
            infos
        }
    }

    /// Replaces every matching service by a new one with the same options; each new one
    /// spawns once its old self is gone. Resolves with the new services' first spawns.
    pub fn restart(
        &self,
        target: &Target,
    ) -> impl Future<Output = Result<Vec<Info>, String>> + Send + 'static {
        let mut waiting = Vec::new();
        {
            let mut registry = self.registry();
            for slot in registry.iter_mut().filter(|e| matches(e, target)) {
                if slot.awaits_turn() {
                    waiting.push(slot.clone());
                    continue;
                }
                let old = slot.clone();
                old.request_stop();
                let new = self.launch(old.spec.clone(), old.launch.clone(), vec![old]);
                *slot = new.clone();
                waiting.push(new);
            }
        }
        async move {
            let mut infos = Vec::with_capacity(waiting.len());
            for e in &waiting {
                infos.push(e.first_outcome().await?);
            }
            Ok(infos)
        }
    }

    pub fn host(&self) -> &Host {
        &self.ctx.host
    }

    pub fn list(&self) -> Vec<Info> {
        self.registry().iter().map(|e| e.info()).collect()
    }

    /// Whether pm still holds Node's event loop (`keep_alive.rs`).
    pub fn busy(&self) -> bool {
        self.ctx.keep_alive.busy()
    }

    /// JS took an event (`message`: a service's message).
    pub fn delivered(&self, message: bool) {
        self.ctx.delivered(message);
    }

    /// Ends what killed runs of this app left behind (recorded in `dir`) on a thread of its
    /// own, holding back every spawn until it is done, then keeps this run's record there.
    /// `done` gets the process groups it ended.
    pub fn use_state_dir(
        &self,
        dir: std::path::PathBuf,
        done: impl FnOnce(Vec<u32>) + Send + 'static,
    ) -> std::io::Result<()> {
        crate::os::fs::private_dir(&dir)?;
        self.ctx.record.set_dir(dir.clone())?;
        self.ctx.begin_sweep();
        let ctx = self.ctx.clone();
        let sweeping = std::thread::Builder::new()
            .name("elife-pm-sweep".into())
            .spawn(move || {
                let killed = crate::leftovers::sweep(&dir);
                ctx.end_sweep();
                done(killed);
            });
        if let Err(e) = sweeping {
            self.ctx.end_sweep();
            return Err(e);
        }
        Ok(())
    }

    /// Starts or stops handing service output to JS as `'log'` events.
    pub fn set_log_listening(&self, on: bool) {
        let ctx = self.ctx.clone();
        self.ctx
            .tap
            .set_listening(on, move |e| ctx.emit(e), &self.rt);
    }

    /// Sends a warning to JS (as a process warning).
    pub fn warn(&self, message: String) {
        self.ctx.emit(crate::events::Event::Warning { message });
    }

    /// The longest grace period of any live service.
    pub fn longest_stop_timeout(&self) -> Duration {
        self.ctx
            .live_entries()
            .iter()
            .map(|e| e.spec.stop_timeout)
            .max()
            .unwrap_or_default()
    }

    /// SIGKILLs every live service's process tree now, without waiting: the last resort at
    /// exit.
    pub fn kill_all(&self) {
        for e in self.ctx.live_entries() {
            e.request_stop();
            e.kill_now();
        }
    }
}

fn matches(entry: &Entry, target: &Target) -> bool {
    match target {
        Target::Name(n) => entry.spec.name.as_deref() == Some(n.as_str()),
    }
}
