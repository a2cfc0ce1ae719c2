//! Events to JS, in order and in batches: the first event queued while no batch is out
//! schedules one call of the threadsafe function at once (no added latency when the queue is
//! short); every event queued before that call runs on the JS thread goes with it. A flood of
//! events costs the main thread one call per batch, not one per event.
//!
//! A batch crosses as one JSON text that JS parses: V8's `JSON.parse` makes the objects far
//! faster than N-API calls setting one property at a time.
//!
//! The next batch is called for only once JS has taken this one and its event loop has turned
//! (`taken`, which JS calls from a `setImmediate`). Since nodejs/node#38506 (Node 16; not
//! Electron 9's Node 12) Node runs a threadsafe function's calls queued while one runs back to
//! back, up to 1000 without a turn of its loop: a service flooding `process.send` held the
//! main thread for 100-200 ms at a time, its timers and I/O waiting.
//!
//! The function is weak: it never keeps Node's event loop alive by itself (`keep_alive.rs`
//! decides that). Each event is counted as delivered on the JS thread, in order, as its batch
//! is taken, just before the listeners run.
//!
//! The settling of an API call's promise goes through the same queue (`after_events`): a
//! `stop()` resolves after the `'exit'` and `'stop'` events of what it stopped have reached the
//! listeners, as an app reading the events next to the promise expects.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

use crate::events::Event;
use crate::supervisor::Supervisor;
use crate::sync::lock;

type Callback = ThreadsafeFunction<(), (), String, Status, false, true>;

/// What waits for the JS thread: events (their type and their JSON), and promise settlements
/// ordered after them.
enum Item {
    Event { kind: &'static str, json: String },
    Settle(Box<dyn FnOnce() + Send>),
}

struct Queue {
    items: Vec<Item>,
    /// A batch is on its way to JS or JS has not said it took it (`taken`): whatever is queued
    /// goes with the next call, made then.
    out: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    items: Vec::new(),
    out: false,
});
/// The events that JS drops unheard, which are not converted at all while no listener wants
/// them (a `stopall()` of a thousand services makes two thousand). The others always go:
/// an unheard `'error'` or `'warning'` becomes a process warning, and `'ended'` is pm's own.
const DROPPED_UNHEARD: [&str; 7] = [
    "start", "ready", "exit", "restart", "stop", "message", "log",
];
/// Which of [`DROPPED_UNHEARD`] JS has listeners for, a bit each.
static HEARD: AtomicU8 = AtomicU8::new(0);

/// JS has listeners for `event`, or has none any more.
pub(crate) fn set_heard(event: &str, heard: bool) {
    if let Some(i) = DROPPED_UNHEARD.iter().position(|e| *e == event) {
        if heard {
            HEARD.fetch_or(1 << i, Ordering::SeqCst);
        } else {
            HEARD.fetch_and(!(1 << i), Ordering::SeqCst);
        }
    }
}

/// Whether an event of this type goes to JS now.
fn wanted(kind: &str) -> bool {
    match DROPPED_UNHEARD.iter().position(|e| *e == kind) {
        Some(i) => HEARD.load(Ordering::SeqCst) & (1 << i) != 0,
        None => true,
    }
}

/// The owner's function; taken out when the owner's environment is torn down.
static CALLBACK: RwLock<Option<Callback>> = RwLock::new(None);

/// Builds the function that hands batches to `on_batch` (JS: `events.dispatch`, given a JSON
/// array), counting each event as delivered to `supervisor` first.
pub(crate) fn install(
    on_batch: Function<String, ()>,
    supervisor: impl Fn() -> Option<Arc<Supervisor>> + Send + 'static,
) -> Result<()> {
    let callback: Callback = on_batch
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .callee_handled::<false>()
        .build_callback(move |_| {
            // On the JS thread, just before the listeners run.
            let items = std::mem::take(&mut lock(&QUEUE).items);
            let sup = supervisor();
            let mut batch = String::from("[");
            for item in items {
                match item {
                    Item::Event { kind, json } => {
                        if let Some(sup) = &sup {
                            sup.delivered(kind == "message");
                        }
                        if wanted(kind) {
                            if batch.len() > 1 {
                                batch.push(',');
                            }
                            batch.push_str(&json);
                        }
                    }
                    // Resolving schedules the promise's own callback, which runs after the
                    // listeners of this batch.
                    Item::Settle(settle) => settle(),
                }
            }
            batch.push(']');
            Ok(batch)
        })?;
    *CALLBACK.write().unwrap_or_else(|e| e.into_inner()) = Some(callback);
    Ok(())
}

/// JS took the last batch and its event loop has turned: the next batch may go.
pub(crate) fn taken() {
    let Ok(callback) = CALLBACK.read() else {
        return;
    };
    let mut q = lock(&QUEUE);
    q.out = !q.items.is_empty()
        && callback
            .as_ref()
            .is_some_and(|c| c.call((), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok);
}

/// Releases the function while the environment still exists (at its teardown).
pub(crate) fn uninstall() {
    CALLBACK.write().unwrap_or_else(|e| e.into_inner()).take();
}

/// Queues an event for JS; false when there is nobody to take it (JS is gone).
pub(crate) fn emit(event: Event) -> bool {
    match serde_json::to_string(&event) {
        Ok(json) => queue(Item::Event {
            kind: event.kind(),
            json,
        })
        .is_ok(),
        Err(_) => false,
    }
}

/// Runs `settle` on the JS thread once every event queued before it has been handed to JS (at
/// once, when there is no JS to hand events to).
pub(crate) fn after_events(settle: Box<dyn FnOnce() + Send>) {
    if let Err(Item::Settle(settle)) = queue(Item::Settle(settle)) {
        settle();
    }
}

/// Queues `item` and makes sure a call is pending; gives it back when JS is gone.
fn queue(item: Item) -> std::result::Result<(), Item> {
    let Ok(callback) = CALLBACK.read() else {
        return Err(item);
    };
    let Some(callback) = callback.as_ref() else {
        return Err(item);
    };
    let mut q = lock(&QUEUE);
    if q.out {
        q.items.push(item);
        return Ok(());
    }
    // Closing means JS is gone (the environment is tearing down): nothing to tell.
    if callback.call((), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok {
        q.out = true;
        q.items.push(item);
        Ok(())
    } else {
        Err(item)
    }
}
