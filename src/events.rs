//! What the supervisor reports as it works, and where it reports it. The N-API layer turns each
//! event into a JS object through a threadsafe function; tests collect them in a vector. Every
//! event goes out through `Context::emit`, which counts it for the keep-alive (`keep_alive.rs`).

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

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
    },
    /// A crashed process will be started again after `delay` ms; `attempt` counts from 1 within
    /// the current run of crashes.
    Restart {
        id: u64,
        name: Option<String>,
        attempt: u32,
        delay: f64,
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
        lines: Vec<crate::logs::tap::TapLine>,
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

/// Where events go. Returns true when the event was queued for JS and will be delivered later
/// (its delivery is then counted by `KeepAlive::delivered`), false when it was dropped or
/// handled at once.
pub type EventSink = Arc<dyn Fn(Event) -> bool + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        };
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            json!({"type": "exit", "id": 1, "name": "a", "pid": 9, "code": null, "signal": "SIGKILL", "requested": true, "killed": true})
        );
    }
}
