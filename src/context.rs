//! What every service task shares: facts about the host, the open log writers, the run record,
//! the spawner, the services still live, and the way out for events (counted for the
//! keep-alive).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::events::{Event, EventSink};
use crate::keep_alive::KeepAlive;
use crate::leftovers::RunRecord;
use crate::logs::tap::LogTap;
use crate::logs::writer::LogWriters;
use crate::os::Spawner;
use crate::service::Entry;
use crate::start::launch::Host;

/// Service messages queued for JS at most; past this, pm stops reading the channels until JS
/// catches up.
pub const MAX_PENDING_MESSAGES: usize = 256;

pub struct Context {
    pub host: Host,
    pub logs: LogWriters,
    pub tap: Arc<LogTap>,
    pub record: RunRecord,
    pub spawner: Spawner,
    pub keep_alive: KeepAlive,
    /// Every service whose driver has not ended, listed or not (a stopped service leaves the
    /// registry at once but lives here until its process is gone).
    live: Mutex<HashMap<u64, Arc<Entry>>>,
    /// Messages from services that JS may still have to take (see `message_credit`).
    messages: tokio::sync::Semaphore,
    /// Bumped whenever a service's state changes, for those who wait on other services.
    changes: watch::Sender<u64>,
    /// False while the leftovers of a killed run are being ended: no service spawns until then.
    swept: watch::Sender<bool>,
    events: EventSink,
}

impl Context {
    pub fn new(host: Host, events: EventSink, spawner: Spawner) -> Self {
        Context {
            spawner,
            host,
            logs: LogWriters::default(),
            tap: Arc::default(),
            record: RunRecord::default(),
            keep_alive: KeepAlive::default(),
            live: Mutex::default(),
            messages: tokio::sync::Semaphore::new(MAX_PENDING_MESSAGES),
            changes: watch::Sender::new(0),
            swept: watch::Sender::new(true),
            events,
        }
    }

    /// Sends an event to JS, counted until JS takes it.
    pub fn emit(&self, event: Event) {
        let message = matches!(event, Event::Message { .. });
        self.keep_alive.queued();
        if !(self.events)(event) {
            self.delivered(message);
        }
    }

    /// JS took an event (`message`: a service's message), or it was dropped.
    pub fn delivered(&self, message: bool) {
        self.keep_alive.delivered();
        if message {
            self.messages.add_permits(1);
        }
    }

    /// Waits until JS has room for one more message from a service; the credit returns when
    /// JS takes the message (`delivered`).
    pub async fn message_credit(&self) {
        if let Ok(permit) = self.messages.acquire().await {
            permit.forget();
        }
    }

    /// Registers a new service: it holds Node's event loop until its `Ended` marker is
    /// delivered.
    pub fn register(&self, entry: Arc<Entry>) {
        self.keep_alive.hold();
        self.live().insert(entry.id, entry);
    }

    /// The service's last event has been sent: sends its `Ended` marker, which carries its
    /// hold.
    pub fn ended(&self, id: u64) {
        self.live().remove(&id);
        if !(self.events)(Event::Ended { id }) {
            self.delivered(false);
        }
    }

    pub fn live_entries(&self) -> Vec<Arc<Entry>> {
        self.live().values().cloned().collect()
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Entry>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A service's state changed: whoever waits on other services looks again.
    pub fn state_changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Resolves once, for each name, a service of that name runs and is ready for its
    /// dependents (`Entry::ready_for_dependents`).
    pub async fn dependencies_ready(&self, names: &[String]) {
        if names.is_empty() {
            return;
        }
        let mut rx = self.changes.subscribe();
        loop {
            let ready = {
                let live = self.live();
                names.iter().all(|n| {
                    live.values()
                        .any(|e| e.spec.name.as_deref() == Some(n) && e.ready_for_dependents())
                })
            };
            if ready || rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// Those of `names` that no live service has.
    pub fn unknown_services(&self, names: &[String]) -> Vec<String> {
        let live = self.live();
        names
            .iter()
            .filter(|n| {
                !live
                    .values()
                    .any(|e| e.spec.name.as_deref() == Some(n.as_str()))
            })
            .cloned()
            .collect()
    }

    /// Holds back every spawn until `done` is called.
    pub fn begin_sweep(&self) {
        self.swept.send_replace(false);
    }

    pub fn end_sweep(&self) {
        self.swept.send_replace(true);
    }

    /// Resolves once no sweep is under way.
    pub async fn swept(&self) {
        let _ = self.swept.subscribe().wait_for(|s| *s).await;
    }
}
