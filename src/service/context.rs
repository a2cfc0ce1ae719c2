//! What every service task shares: facts about the host, the open log writers, the run record,
//! the spawner, the services still live, and the way out for events (counted for the
//! keep-alive).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::events::{Event, EventSink, Outbox};
use crate::keep_alive::KeepAlive;
use crate::leftovers::strays::Strays;
use crate::leftovers::RunRecord;
use crate::logs::tap::LogTap;
use crate::logs::writer::LogWriters;
use crate::os::Spawner;
use crate::service::dependencies::{self, Ending, Live, Verdict};
use crate::service::entry::Entry;
use crate::service::lifecycle::State;
use crate::service::sampler::Sampler;
use crate::start::checks::Dependency;
use crate::start::launch::Host;
use crate::sync::lock;

/// Service messages queued for JS at most; past this, pm stops reading the channels until JS
/// catches up.
pub(crate) const MAX_PENDING_MESSAGES: usize = 256;

pub(crate) struct Context {
    pub host: Host,
    pub logs: LogWriters,
    pub tap: Arc<LogTap>,
    pub record: RunRecord,
    pub spawner: Spawner,
    /// Every service whose driver has not ended, listed or not (a stopped service leaves the
    /// registry at once but lives here until its process is gone).
    live: Mutex<HashMap<u64, Arc<Entry>>>,
    /// Messages from services that JS may still have to take (see `message_credit`).
    messages: tokio::sync::Semaphore,
    /// Bumped whenever a service's state changes, for those who wait on other services.
    changes: watch::Sender<u64>,
    /// False while the leftovers of a killed run are being ended: no service spawns until then.
    swept: watch::Sender<bool>,
    outbox: Outbox,
    /// How the last service of each name ended, while none of that name is live (for
    /// `dependsOn`); bounded by the names the app uses.
    endings: Mutex<HashMap<String, Ending>>,
    /// The last service of each name, kept after it leaves the registry so that `pm.logs()`
    /// still reads it; bounded by the names the app uses.
    recent: Mutex<HashMap<String, Arc<Entry>>>,
    /// What services started that left their process groups (`leftovers::strays`).
    pub(crate) strays: Strays,
    /// The one `maxMemory` sampler.
    pub(crate) sampler: Arc<Sampler>,
}

impl Context {
    pub(crate) fn new(host: Host, events: EventSink, spawner: Spawner) -> Self {
        let outbox = Outbox::new(events);
        let reports = outbox.clone();
        Context {
            spawner,
            host,
            logs: LogWriters::new(move |e| {
                reports.emit(e);
            }),
            tap: Arc::default(),
            record: RunRecord::default(),
            live: Mutex::default(),
            messages: tokio::sync::Semaphore::new(MAX_PENDING_MESSAGES),
            changes: watch::Sender::new(0),
            swept: watch::Sender::new(true),
            outbox,
            endings: Mutex::default(),
            recent: Mutex::default(),
            strays: Strays::default(),
            sampler: Arc::default(),
        }
    }

    /// Sends an event to JS, counted until JS takes it. A service's message that JS never gets
    /// (JS is gone) gives its credit back at once.
    pub(crate) fn emit(&self, event: Event) {
        let message = matches!(event, Event::Message { .. });
        if !self.outbox.emit(event) && message {
            self.messages.add_permits(1);
        }
    }

    pub(crate) fn keep_alive(&self) -> &KeepAlive {
        self.outbox.keep_alive()
    }

    /// JS took an event (`message`: a service's message).
    pub(crate) fn delivered(&self, message: bool) {
        self.keep_alive().delivered();
        if message {
            self.messages.add_permits(1);
        }
    }

    /// Waits until JS has room for one more message from a service; the credit returns when
    /// JS takes the message (`delivered`).
    pub(crate) async fn message_credit(&self) {
        if let Ok(permit) = self.messages.acquire().await {
            permit.forget();
        }
    }

    /// Registers a new service: it holds Node's event loop until its `Ended` marker is
    /// delivered.
    pub(crate) fn register(&self, entry: Arc<Entry>) {
        self.keep_alive().hold();
        if let Some(name) = &entry.spec.name {
            lock(&self.endings).remove(name);
            lock(&self.recent).insert(name.clone(), entry.clone());
        }
        self.live().insert(entry.id, entry);
    }

    /// The service's last event has been sent: records how it ended (for those that depend on
    /// its name), and sends its `Ended` marker, which carries its hold.
    pub(crate) fn ended(&self, entry: &Entry) {
        if let Some(name) = &entry.spec.name {
            let info = entry.info();
            let ending = if info.completed {
                Ending::Completed
            } else if info.state == State::Errored {
                Ending::Errored(info.error.unwrap_or_else(|| "it ended errored".into()))
            } else {
                Ending::Stopped
            };
            lock(&self.endings).insert(name.clone(), ending);
        }
        self.live().remove(&entry.id);
        self.state_changed();
        self.outbox.ended(entry.id);
    }

    /// The last service started with this name, listed or not.
    pub(crate) fn recent(&self, name: &str) -> Option<Arc<Entry>> {
        lock(&self.recent).get(name).cloned()
    }

    pub(crate) fn live_entries(&self) -> Vec<Arc<Entry>> {
        self.live().values().cloned().collect()
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Entry>>> {
        lock(&self.live)
    }

    /// A service's state changed: whoever waits on other services looks again.
    pub(crate) fn state_changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Resolves once every dependency is ready or completed, as each `dependsOn` entry asks;
    /// an error once one of them failed for good (`dependencies.rs`).
    pub(crate) async fn dependencies_ready(&self, deps: &[Dependency]) -> Result<(), String> {
        if deps.is_empty() {
            return Ok(());
        }
        let mut rx = self.changes.subscribe();
        loop {
            match self.dependencies(deps) {
                Verdict::Go => return Ok(()),
                Verdict::Fail(why) => return Err(why),
                Verdict::Wait => {}
            }
            if rx.changed().await.is_err() {
                return Ok(());
            }
        }
    }

    fn dependencies(&self, deps: &[Dependency]) -> Verdict {
        let live: Vec<Live> = self
            .live()
            .values()
            .filter_map(|e| {
                Some(Live {
                    name: e.spec.name.clone()?,
                    ready: e.ready_for_dependents(),
                    restart: e.spec.restart_policy,
                })
            })
            .collect();
        let endings = lock(&self.endings);
        dependencies::verdict(deps, &live, |n| endings.get(n).cloned())
    }

    /// The names in `deps` that pm has not seen at all: no live service, no ending.
    pub(crate) fn unknown_services(&self, deps: &[Dependency]) -> Vec<String> {
        let live = self.live();
        let endings = lock(&self.endings);
        deps.iter()
            .map(|d| &d.name)
            .filter(|n| {
                !endings.contains_key(n.as_str())
                    && !live
                        .values()
                        .any(|e| e.spec.name.as_deref() == Some(n.as_str()))
            })
            .cloned()
            .collect()
    }

    /// Holds back every spawn until `done` is called.
    pub(crate) fn begin_sweep(&self) {
        self.swept.send_replace(false);
    }

    pub(crate) fn end_sweep(&self) {
        self.swept.send_replace(true);
    }

    /// Resolves once no sweep is under way.
    pub(crate) async fn swept(&self) {
        let _ = self.swept.subscribe().wait_for(|s| *s).await;
    }
}
