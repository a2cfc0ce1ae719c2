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

    /// Registers and spawns a service; the future tells how the first spawn went (or, with
    /// `waitReady`, its readiness). A `dependsOn` that closes a cycle is refused here.
    pub fn start(
        &self,
        spec: Arc<StartSpec>,
        launch: Arc<Launch>,
    ) -> Result<impl Future<Output = Outcome> + Send + 'static, String> {
        self.check_dependencies(&spec)?;
        let entry = self.launch(spec, launch, Vec::new());
        self.registry().push(entry.clone());
        Ok(async move { entry.first_outcome().await })
    }

    /// Refuses a service whose dependencies lead back to it (by name, through the services
    /// pm manages now).
    fn check_dependencies(&self, spec: &StartSpec) -> Result<(), String> {
        if spec.depends_on.is_empty() {
            return Ok(());
        }
        let graph: Vec<(Option<String>, Vec<String>)> = self
            .registry()
            .iter()
            .map(|e| (e.spec.name.clone(), e.spec.depends_on.clone()))
            .collect();
        match dependency_cycle(spec.name.as_deref(), &spec.depends_on, &graph) {
            Some(cycle) => Err(format!(
                "pm.start: option \"dependsOn\" makes a cycle: {}",
                cycle.join(" -> ")
            )),
            None => Ok(()),
        }
    }

    /// Stops every matching service (`None`: every service pm has, listed or already
    /// stopping); resolves once all have exited and their output is written. They stop in
    /// parallel, except that a service stops before the services it depends on.
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
        let layers = stop_layers(&stopping);
        // The first layer (services nothing else here depends on) is asked in the call; each
        // other layer once the one before it is gone.
        if let Some(first) = layers.first() {
            for e in first {
                e.request_stop();
            }
        }
        async move {
            let mut infos = Vec::with_capacity(stopping.len());
            for layer in &layers {
                for e in layer {
                    e.request_stop();
                }
                for e in layer {
                    infos.push(e.finished().await);
                }
            }
            infos
        }
    }

    /// Restarts every listed service, each in place as `restart()` does. Dependents wait for
    /// their dependencies to be ready again before they spawn.
    pub fn restart_all(&self) -> impl Future<Output = Result<Vec<Info>, String>> + Send + 'static {
        let waiting: Vec<Arc<Entry>> = {
            let mut registry = self.registry();
            registry.iter_mut().map(|slot| self.replace(slot)).collect()
        };
        async move {
            let mut infos = Vec::with_capacity(waiting.len());
            for e in &waiting {
                infos.push(e.first_outcome().await?);
            }
            Ok(infos)
        }
    }

    /// Sends `message` to every listed service matching `target` (`None`: all) that has a
    /// channel; returns how many it reached.
    pub fn send(&self, target: Option<&Target>, message: &serde_json::Value) -> usize {
        let bytes = crate::service::ipc::encode(message);
        self.registry()
            .iter()
            .filter(|e| target.is_none_or(|t| matches(e, t)))
            .filter(|e| e.send(&bytes))
            .count()
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
                waiting.push(self.replace(slot));
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

    /// Puts a replacement in `slot`'s place (or joins the one already waiting there).
    fn replace(&self, slot: &mut Arc<Entry>) -> Arc<Entry> {
        if slot.awaits_turn() {
            return slot.clone();
        }
        let old = slot.clone();
        old.request_stop();
        let new = self.launch(old.spec.clone(), old.launch.clone(), vec![old]);
        *slot = new.clone();
        new
    }

    pub fn host(&self) -> &Host {
        &self.ctx.host
    }

    /// What `list()` shows, with each process's memory and CPU read now.
    pub fn list(&self) -> Vec<Info> {
        let entries: Vec<Arc<Entry>> = self.registry().clone();
        entries.iter().map(|e| e.info_with_metrics()).collect()
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

/// Orders services for stopping: each layer holds the services that no other service still to
/// be stopped depends on (by name), so dependents stop before their dependencies. What is left
/// in a cycle (which `start` refuses) goes in one last layer.
fn stop_layers(entries: &[Arc<Entry>]) -> Vec<Vec<Arc<Entry>>> {
    let mut left: Vec<Arc<Entry>> = entries.to_vec();
    let mut layers = Vec::new();
    while !left.is_empty() {
        let needed = |e: &Arc<Entry>| {
            left.iter().any(|o| {
                !Arc::ptr_eq(o, e)
                    && e.spec
                        .name
                        .as_ref()
                        .is_some_and(|n| o.spec.depends_on.contains(n))
            })
        };
        let (now, later): (Vec<_>, Vec<_>) = left.iter().cloned().partition(|e| !needed(e));
        if now.is_empty() {
            layers.push(later);
            break;
        }
        layers.push(now);
        left = later;
    }
    layers
}

/// The chain of names from `name` back to itself through `depends_on`, then through `graph`
/// (each service's name and dependencies), if there is one.
fn dependency_cycle(
    name: Option<&str>,
    depends_on: &[String],
    graph: &[(Option<String>, Vec<String>)],
) -> Option<Vec<String>> {
    fn walk(
        target: &str,
        deps: &[String],
        graph: &[(Option<String>, Vec<String>)],
        path: &mut Vec<String>,
    ) -> bool {
        for d in deps {
            if path[1..].contains(d) {
                continue; // a cycle that does not pass through `target`
            }
            path.push(d.clone());
            if d == target {
                return true;
            }
            let next: Vec<String> = graph
                .iter()
                .filter(|(n, _)| n.as_deref() == Some(d.as_str()))
                .flat_map(|(_, ds)| ds.iter().cloned())
                .collect();
            if walk(target, &next, graph, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    let name = name?;
    let mut path = vec![name.to_string()];
    walk(name, depends_on, graph, &mut path).then_some(path)
}

fn matches(entry: &Entry, target: &Target) -> bool {
    match target {
        Target::Name(n) => entry.spec.name.as_deref() == Some(n.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::dependency_cycle;

    fn graph(edges: &[(&str, &[&str])]) -> Vec<(Option<String>, Vec<String>)> {
        edges
            .iter()
            .map(|(n, ds)| {
                (
                    Some(n.to_string()),
                    ds.iter().map(|d| d.to_string()).collect(),
                )
            })
            .collect()
    }

    fn deps(ds: &[&str]) -> Vec<String> {
        ds.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn cycles_through_the_new_service_are_found_and_named() {
        let g = graph(&[("db", &[]), ("api", &["db"]), ("cache", &["web"])]);
        assert_eq!(dependency_cycle(Some("web"), &deps(&["api"]), &g), None);
        assert_eq!(
            dependency_cycle(Some("web"), &deps(&["api", "cache"]), &g),
            Some(deps(&["web", "cache", "web"]))
        );
        assert_eq!(
            dependency_cycle(Some("self"), &deps(&["self"]), &g),
            Some(deps(&["self", "self"]))
        );
        assert_eq!(
            dependency_cycle(None, &deps(&["db"]), &g),
            None,
            "no name, no cycle"
        );
        // A cycle elsewhere does not hang the walk.
        let loopy = graph(&[("a", &["b"]), ("b", &["a"])]);
        assert_eq!(dependency_cycle(Some("c"), &deps(&["a"]), &loopy), None);
    }
}
