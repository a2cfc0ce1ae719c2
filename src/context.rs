//! What every service task shares: facts about the host, the open log writers, and the event
//! sink.

use crate::events::{Event, EventSink};
use crate::launch::Host;
use crate::log_tap::LogTap;
use crate::log_writer::LogWriters;
use crate::os::Spawner;
use crate::run_record::RunRecord;
use std::sync::Arc;

pub struct Context {
    pub host: Host,
    pub logs: LogWriters,
    pub tap: Arc<LogTap>,
    pub record: RunRecord,
    pub spawner: Spawner,
    events: EventSink,
}

impl Context {
    pub fn new(host: Host, events: EventSink, spawner: Spawner) -> Self {
        Context {
            spawner,
            host,
            logs: LogWriters::new(events.clone()),
            tap: Arc::default(),
            record: RunRecord::default(),
            events,
        }
    }

    pub fn emit(&self, event: Event) {
        (self.events)(event)
    }

    pub fn emit_some(&self, event: Option<Event>) {
        if let Some(e) = event {
            self.emit(e)
        }
    }

    pub fn clone_sink(&self) -> EventSink {
        self.events.clone()
    }
}
