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

use crate::error::{ErrorKind, PmError};
use crate::events::{EventSink, TapLine};
use crate::logs::reader;
use crate::service::context::Context;
use crate::service::driver;
use crate::service::lifecycle::Info;
use crate::service::stdio::Stdio;
use crate::service::{Entry, Outcome};
use crate::start::launch::{Host, Launch};
use crate::start::options::{StartSpec, Target};
use crate::sync::lock;

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
        Ok(Arc::new(Supervisor {
            ctx,
            registry: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            rt,
        }))
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Entry>>> {
        lock(&self.registry)
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
        self.rt.spawn(driver::run(entry.clone(), self.ctx.clone()));
        entry
    }

    /// Registers and spawns a service; the future tells how the first spawn went (or, with
    /// `waitReady`, its readiness). A `dependsOn` that closes a cycle is refused here.
    pub fn start(
        &self,
        spec: Arc<StartSpec>,
        launch: Arc<Launch>,
    ) -> Result<impl Future<Output = Outcome> + Send + 'static, PmError> {
        self.check_dependencies(&spec)?;
        let entry = self.launch(spec, launch, Vec::new());
        self.registry().push(entry.clone());
        Ok(async move { entry.first_outcome().await })
    }

    /// Refuses a service whose dependencies lead back to it (by name, through the services
    /// pm manages now).
    fn check_dependencies(&self, spec: &StartSpec) -> Result<(), PmError> {
        if spec.depends_on.is_empty() {
            return Ok(());
        }
        let graph: Vec<(Option<String>, Vec<String>)> = self
            .registry()
            .iter()
            .map(|e| (e.spec.name.clone(), dependency_names(&e.spec)))
            .collect();
        match dependency_cycle(spec.name.as_deref(), &dependency_names(spec), &graph) {
            Some(cycle) => Err(PmError::new(
                ErrorKind::DependencyCycle,
                format!(
                    "pm.start: option \"dependsOn\" makes a cycle: {}",
                    cycle.join(" -> ")
                ),
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
        // The first layer (services nothing else here depends on) is asked in the call, and
        // woken from the runtime; each other layer once the one before it is gone.
        if let Some(first) = layers.first() {
            for e in first {
                e.mark_stop();
            }
            let first = first.clone();
            self.rt.spawn(async move {
                for e in first {
                    e.request_stop();
                }
            });
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
    pub fn restart_all(&self) -> impl Future<Output = Result<Vec<Info>, PmError>> + Send + 'static {
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
    ) -> impl Future<Output = Result<Vec<Info>, PmError>> + Send + 'static {
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

    /// The stdin and stdout of the one running process that `target` names, for the app
    /// (`stdio: 'pipe'`): `None` while none runs; an error when the service was not started
    /// with `stdio: 'pipe'`, or when several processes have the name.
    pub fn stdio(&self, target: &Target) -> Result<Option<Arc<Stdio>>, PmError> {
        let found: Vec<Arc<Entry>> = self
            .registry()
            .iter()
            .filter(|e| matches(e, target))
            .cloned()
            .collect();
        let Some(first) = found.first() else {
            return Ok(None);
        };
        if !found.iter().any(|e| e.spec.stdio == crate::os::Stdio::Pipe) {
            return Err(PmError::new(
                ErrorKind::NotPiped,
                format!(
                    "pm.stdio: {} was not started with stdio: 'pipe'; its stdout goes to its \
                     log and its stdin reads nothing",
                    describe(target)
                ),
            ));
        }
        if found.len() > 1 {
            let ids: Vec<String> = found.iter().map(|e| e.id.to_string()).collect();
            return Err(PmError::new(
                ErrorKind::Ambiguous,
                format!(
                    "pm.stdio: {} names {} processes (ids {}); reach one with {{ id }} (list() \
                     has each one's id)",
                    describe(target),
                    found.len(),
                    ids.join(", ")
                ),
            ));
        }
        Ok(first.stdio())
    }

    /// The most recent lines (up to `lines`, oldest first) of the services `target` names:
    /// read from their log file (across rotations) when they have one, else from the last
    /// lines pm keeps of each process. A service that left the registry is still read while
    /// it is the last of its name. An error when pm knows no such service.
    pub fn logs(
        &self,
        target: &Target,
        lines: usize,
    ) -> Result<impl Future<Output = Result<Vec<TapLine>, PmError>> + Send + 'static, PmError> {
        let mut found: Vec<Arc<Entry>> = self
            .registry()
            .iter()
            .filter(|e| matches(e, target))
            .cloned()
            .collect();
        if let (true, Target::Name(name)) = (found.is_empty(), target) {
            found.extend(self.ctx.recent(name));
        }
        if found.is_empty() {
            return Err(PmError::new(
                ErrorKind::UnknownService,
                format!("pm.logs: pm knows no {}", describe(target)),
            ));
        }
        Ok(async move {
            tokio::task::spawn_blocking(move || recent_lines(&found, lines))
                .await
                .map_err(|e| PmError::new(ErrorKind::Internal, e.to_string()))
        })
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
        self.ctx.keep_alive().busy()
    }

    /// JS took an event (`message`: a service's message).
    pub fn delivered(&self, message: bool) {
        self.ctx.delivered(message);
    }

    /// Ends what killed runs of this app left behind (recorded in `dir`) on a thread of its
    /// own, holding back every spawn until it is done, then keeps this run's record there.
    /// `done` gets the warning that says what it ended, if it ended anything.
    pub fn use_state_dir(
        &self,
        dir: std::path::PathBuf,
        done: impl FnOnce(Option<String>) + Send + 'static,
    ) -> std::io::Result<()> {
        crate::os::fs::private_dir(&dir)?;
        self.ctx.record.set_dir(dir.clone())?;
        self.ctx.begin_sweep();
        let ctx = self.ctx.clone();
        let sweeping = std::thread::Builder::new()
            .name("elife-pm-sweep".into())
            .spawn(move || {
                let swept = crate::leftovers::sweep(&dir);
                ctx.end_sweep();
                done(swept.warning());
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

    /// How long a stop of everything may take at most: the longest grace period of any live
    /// service, then the time output may keep flowing after a process is gone.
    pub fn stop_all_bound(&self) -> Duration {
        let grace = self
            .ctx
            .live_entries()
            .iter()
            .map(|e| e.spec.stop_timeout)
            .max()
            .unwrap_or_default();
        grace + crate::service::instance::DRAIN_LIMIT
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

/// How messages name a target.
fn describe(target: &Target) -> String {
    match target {
        Target::Name(n) => format!("service \"{n}\""),
        Target::Id(id) => format!("service with id {id}"),
    }
}

/// The last `want` lines of `entries`, oldest first: each log file read once (services may
/// share one), each file-less service's kept lines, merged by time.
fn recent_lines(entries: &[Arc<Entry>], want: usize) -> Vec<TapLine> {
    let mut all: Vec<TapLine> = Vec::new();
    let mut files_read: Vec<(std::path::PathBuf, String)> = Vec::new();
    for e in entries {
        let spec = &e.spec;
        let label = spec.label();
        let line =
            |pid: u32, stream: crate::logs::format::Stream, text: String, time: f64| TapLine {
                id: e.id,
                name: spec.name.clone(),
                pid,
                stream: stream.tag(),
                text,
                time,
            };
        match &spec.log {
            Some(path) => {
                if files_read.iter().any(|(p, l)| p == path && *l == label) {
                    continue;
                }
                files_read.push((path.clone(), label.clone()));
                let keep = spec.rotation.max_size.map_or(0, |_| spec.rotation.keep);
                for p in reader::last_lines(path, keep, spec.log_format, &label, want) {
                    all.push(line(p.pid, p.stream, p.text, p.time));
                }
            }
            None => {
                let pid = e
                    .info()
                    .pid
                    .or(e.info().last_exit.map(|x| x.pid))
                    .unwrap_or(0);
                for k in e.tail().map(|t| t.kept()).unwrap_or_default() {
                    let text = String::from_utf8_lossy(&k.text).into_owned();
                    all.push(line(pid, k.stream, text, k.time));
                }
            }
        }
    }
    // Stable: lines of one process keep their order.
    all.sort_by(|a, b| a.time.total_cmp(&b.time));
    let skip = all.len().saturating_sub(want);
    all.split_off(skip)
}

/// Orders services for stopping: each layer holds the services that no other service still to
/// be stopped depends on (by name), so dependents stop before their dependencies. What is left
/// in a cycle (which `start` refuses) goes in one last layer.
/// `entries` in the order of a stop (`dependencies::stop_layers`).
fn stop_layers(entries: &[Arc<Entry>]) -> Vec<Vec<Arc<Entry>>> {
    let services: Vec<(Option<&str>, Vec<&str>)> = entries
        .iter()
        .map(|e| {
            let deps = e.spec.depends_on.iter().map(|d| d.name.as_str()).collect();
            (e.spec.name.as_deref(), deps)
        })
        .collect();
    crate::service::dependencies::stop_layers(&services)
        .into_iter()
        .map(|layer| layer.into_iter().map(|i| Arc::clone(&entries[i])).collect())
        .collect()
}

fn dependency_names(spec: &StartSpec) -> Vec<String> {
    spec.depends_on.iter().map(|d| d.name.clone()).collect()
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
        Target::Id(id) => entry.id == *id,
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
