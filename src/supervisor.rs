//! The registry of managed services and the operations the API offers on them: start, stop
//! and restart by name, stop everything, list. Runs on the supervisor's own tokio runtime.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::context::Context;
use crate::events::EventSink;
use crate::launch::{Host, Launch};
use crate::options::{StartSpec, Target};
use crate::service::{self, Entry, Info};

pub struct Supervisor {
    ctx: Arc<Context>,
    entries: Mutex<Vec<Arc<Entry>>>,
    next_id: AtomicU64,
    rt: Handle,
}

impl Supervisor {
    /// Call from a thread at the app's normal priority: the spawner thread inherits it.
    pub fn new(host: Host, events: EventSink, rt: Handle) -> std::io::Result<Arc<Self>> {
        let spawner = crate::os::Spawner::new(rt.clone())?;
        Ok(Arc::new(Supervisor {
            ctx: Arc::new(Context::new(host, events, spawner)),
            entries: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            rt,
        }))
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers and spawns a service at once; the future tells how the first spawn went.
    pub fn start(
        &self,
        spec: Arc<StartSpec>,
        launch: Arc<Launch>,
    ) -> impl Future<Output = Result<Info, String>> + Send + 'static {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(Entry::new(id, spec, launch));
        self.entries().push(entry.clone());
        let (tx, rx) = oneshot::channel();
        self.rt.spawn(service::run(entry, self.ctx.clone(), tx));
        async move {
            rx.await
                .unwrap_or_else(|_| Err("the supervisor stopped before the process started".into()))
        }
    }

    fn matching(&self, target: Option<&Target>) -> Vec<Arc<Entry>> {
        self.entries()
            .iter()
            .filter(|e| match target {
                None => true,
                Some(Target::Name(n)) => e.spec.name.as_deref() == Some(n.as_str()),
            })
            .cloned()
            .collect()
    }

    /// Stops every matching service in parallel and forgets them; resolves once all have
    /// exited and their output is written. `None` stops everything.
    pub async fn stop(&self, target: Option<&Target>) -> Vec<Info> {
        let entries = self.matching(target);
        for e in &entries {
            e.request_stop();
        }
        let mut infos = Vec::with_capacity(entries.len());
        for e in &entries {
            infos.push(e.finished().await);
        }
        self.entries()
            .retain(|kept| !entries.iter().any(|e| e.id == kept.id));
        infos
    }

    /// Stops the matching services, then starts each again with the same options; the old and
    /// new processes never overlap.
    pub async fn restart(&self, target: &Target) -> Result<Vec<Info>, String> {
        let plans: Vec<_> = self
            .matching(Some(target))
            .iter()
            .map(|e| (e.spec.clone(), e.launch.clone()))
            .collect();
        self.stop(Some(target)).await;
        let started: Vec<_> = plans
            .into_iter()
            .map(|(spec, launch)| self.start(spec, launch))
            .collect();
        let mut infos = Vec::with_capacity(started.len());
        for s in started {
            infos.push(s.await?);
        }
        Ok(infos)
    }

    pub fn host(&self) -> &Host {
        &self.ctx.host
    }

    pub fn list(&self) -> Vec<Info> {
        self.entries().iter().map(|e| e.info()).collect()
    }

    /// How many services pm is still running or about to restart.
    pub fn alive(&self) -> usize {
        self.entries().iter().filter(|e| e.is_alive()).count()
    }

    /// Ends what killed runs of this app left behind (recorded in `dir`), then keeps this run's
    /// record there. Returns the process groups it ended.
    pub fn use_state_dir(&self, dir: std::path::PathBuf) -> std::io::Result<Vec<u32>> {
        crate::os::fs::private_dir(&dir)?;
        let killed = crate::run_record::sweep(&dir);
        self.ctx.record.set_dir(dir)?;
        Ok(killed)
    }

    /// Starts or stops handing service output to JS as `'log'` events.
    pub fn set_log_listening(&self, on: bool) {
        self.ctx
            .tap
            .set_listening(on, self.ctx.clone_sink(), &self.rt);
    }

    /// The longest grace period of any managed service.
    pub fn longest_stop_timeout(&self) -> std::time::Duration {
        self.entries()
            .iter()
            .map(|e| e.spec.stop_timeout)
            .max()
            .unwrap_or_default()
    }

    /// SIGKILLs every process group now, without waiting: the last resort at exit.
    pub fn kill_all(&self) {
        for e in self.entries().iter() {
            e.request_stop();
            e.kill_now();
        }
    }
}
