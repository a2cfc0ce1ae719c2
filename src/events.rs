//! What the supervisor reports as it works, and the way out for it. The N-API layer turns each
//! event into a JS object through a threadsafe function; tests collect them in a vector. Every
//! event goes out through [`Outbox::emit`], which counts it for the keep-alive
//! (`keep_alive.rs`).

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::keep_alive::KeepAlive;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// A process was spawned.
    Start {
        id: u64,
        name: Option<String>,
        pid: u32,
    },
    /// A process exited; `requested` is true when pm asked it to stop, `killed` when pm
    /// SIGKILLed it at the end of its grace period.
    Exit {
        id: u64,
        name: Option<String>,
        pid: u32,
        code: Option<i32>,
        signal: Option<String>,
        requested: bool,
        killed: bool,
        /// It exited by itself with code 0 and will not be started again (a task that is done).
        completed: bool,
        /// The last lines it wrote (stdout and stderr), for a crash report.
        last_lines: Vec<TailLine>,
    },
    /// The process will be started again after `delay` ms: `reason` is `"crash"` (an exit pm
    /// did not ask for; `attempt` counts from 1 within the current run of crashes),
    /// `"memory"` (it grew past `maxMemory` and was stopped politely) or `"unhealthy"` (its
    /// `healthCheck` failed and it was stopped politely).
    Restart {
        id: u64,
        name: Option<String>,
        attempt: u32,
        delay: f64,
        reason: &'static str,
    },
    /// The service said it is ready (`ready()` in the service).
    Ready {
        id: u64,
        name: Option<String>,
        pid: u32,
    },
    /// pm stopped a process for good (it is no longer managed).
    Stop {
        id: u64,
        name: Option<String>,
        pid: Option<u32>,
    },
    /// Something went wrong that the app should hear of: a failed spawn, an unwritable log.
    Error {
        id: u64,
        name: Option<String>,
        message: String,
    },
    /// Service output, in batches, while someone listens for `'log'` events.
    Log {
        lines: Vec<TapLine>,
        /// Lines left out of this batch because JS did not keep up (the log has them all).
        dropped: u64,
    },
    /// Something the developer should hear of that is not an error of a service (a grace
    /// period overrun, leftovers of a killed run ended): JS turns it into a process warning.
    Warning { message: String },
    /// Internal: the service's last event has been sent. JS does not show it; delivering it
    /// releases the service's hold on Node's event loop (`keep_alive.rs`).
    Ended { id: u64 },
    /// A service sent a message with `process.send`.
    Message {
        id: u64,
        name: Option<String>,
        pid: u32,
        message: Value,
    },
}

impl Event {
    /// The event's `type` as JS sees it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Start { .. } => "start",
            Event::Exit { .. } => "exit",
            Event::Restart { .. } => "restart",
            Event::Ready { .. } => "ready",
            Event::Stop { .. } => "stop",
            Event::Error { .. } => "error",
            Event::Log { .. } => "log",
            Event::Warning { .. } => "warning",
            Event::Ended { .. } => "ended",
            Event::Message { .. } => "message",
        }
    }

    /// One event of each kind JS listens for (not the internal `Ended`, nor `Warning`, which
    /// JS turns into a process warning): what the contract test holds index.d.ts against.
    pub fn samples() -> Vec<Event> {
        let (id, name, pid) = (1, Some("svc".to_string()), 2);
        let all = vec![
            Event::Start {
                id,
                name: name.clone(),
                pid,
            },
            Event::Exit {
                id,
                name: name.clone(),
                pid,
                code: Some(0),
                signal: None,
                requested: false,
                killed: false,
                completed: false,
                last_lines: Vec::new(),
            },
            Event::Restart {
                id,
                name: name.clone(),
                attempt: 1,
                delay: 0.0,
                reason: "crash",
            },
            Event::Ready {
                id,
                name: name.clone(),
                pid,
            },
            Event::Stop {
                id,
                name: name.clone(),
                pid: Some(pid),
            },
            Event::Error {
                id,
                name: name.clone(),
                message: String::new(),
            },
            Event::Log {
                lines: Vec::new(),
                dropped: 0,
            },
            Event::Message {
                id,
                name,
                pid,
                message: Value::Null,
            },
        ];
        // A new kind of event must be listed above (or said to be internal here).
        for e in &all {
            match e {
                Event::Start { .. }
                | Event::Exit { .. }
                | Event::Restart { .. }
                | Event::Ready { .. }
                | Event::Stop { .. }
                | Event::Error { .. }
                | Event::Log { .. }
                | Event::Message { .. } => {}
                Event::Warning { .. } | Event::Ended { .. } => unreachable!("internal"),
            }
        }
        all
    }
}

/// One of the last lines a process wrote, as an `'exit'` event and `lastExit` carry them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailLine {
    /// `"out"` or `"err"`.
    pub stream: &'static str,
    pub text: String,
}

/// One line of service output, as a `'log'` event carries it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TapLine {
    pub id: u64,
    pub name: Option<String>,
    pub pid: u32,
    pub stream: &'static str,
    pub text: String,
    /// ms since the Unix epoch.
    pub time: f64,
}

/// Where events go. Returns true when the event was queued for JS and will be delivered later
/// (its delivery is then counted by `KeepAlive::delivered`), false when it was dropped or
/// handled at once.
pub type EventSink = Arc<dyn Fn(Event) -> bool + Send + Sync>;

/// The way out for events, counted for the keep-alive: everything pm reports goes through one.
#[derive(Clone)]
pub struct Outbox {
    sink: EventSink,
    keep_alive: Arc<KeepAlive>,
}

impl Outbox {
    pub fn new(sink: EventSink) -> Self {
        Outbox {
            sink,
            keep_alive: Arc::default(),
        }
    }

    pub fn keep_alive(&self) -> &KeepAlive {
        &self.keep_alive
    }

    /// Sends an event to JS, counted until JS takes it. False when it could not be queued
    /// (JS is gone): then it is not counted.
    pub fn emit(&self, event: Event) -> bool {
        self.keep_alive.queued();
        let queued = (self.sink)(event);
        if !queued {
            self.keep_alive.delivered();
        }
        queued
    }

    /// Sends a service's `Ended` marker, which carries the hold the service took when it was
    /// registered (`KeepAlive::hold`).
    pub fn ended(&self, id: u64) {
        if !(self.sink)(Event::Ended { id }) {
            self.keep_alive.delivered();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kind_is_the_serialized_type() {
        let mut all = Event::samples();
        all.push(Event::Warning {
            message: String::new(),
        });
        all.push(Event::Ended { id: 1 });
        for e in all {
            assert_eq!(serde_json::to_value(&e).unwrap()["type"], e.kind());
        }
    }

    #[test]
    fn events_serialize_with_a_type_and_camel_case_fields() {
        let e = Event::Exit {
            id: 1,
            name: Some("a".into()),
            pid: 9,
            code: None,
            signal: Some("SIGKILL".into()),
            requested: true,
            killed: true,
            completed: false,
            last_lines: vec![TailLine {
                stream: "err",
                text: "bye".into(),
            }],
        };
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            json!({"type": "exit", "id": 1, "name": "a", "pid": 9, "code": null, "signal": "SIGKILL", "requested": true, "killed": true, "completed": false, "lastLines": [{"stream": "err", "text": "bye"}]})
        );
    }
}
