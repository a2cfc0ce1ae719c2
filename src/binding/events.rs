//! Events to JS, in order and in batches: the first event queued while no call is pending
//! schedules one call of the threadsafe function at once (no added latency when the queue is
//! short); every event queued before that call runs on the JS thread goes with it, as one
//! array. A flood of events costs the main thread one call per batch, not one per event.
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
use serde_json::Value;

use crate::events::Event;
use crate::supervisor::Supervisor;
use crate::sync::lock;

type Callback = ThreadsafeFunction<(), (), Vec<Value>, Status, false, true>;

/// What waits for the JS thread: events, and promise settlements ordered after them.
enum Item {
    Event(Value),
    Settle(Box<dyn FnOnce() + Send>),
}

struct Queue {
    items: Vec<Item>,
    /// A call of the function is pending: whatever is queued goes with it.
    scheduled: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    items: Vec::new(),
    scheduled: false,
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
fn wanted(kind: Option<&str>) -> bool {
    match kind.and_then(|k| DROPPED_UNHEARD.iter().position(|e| *e == k)) {
        Some(i) => HEARD.load(Ordering::SeqCst) & (1 << i) != 0,
        None => true,
    }
}

/// The owner's function; taken out when the owner's environment is torn down.
static CALLBACK: RwLock<Option<Callback>> = RwLock::new(None);

/// Builds the function that hands batches to `on_batch` (JS: `events.dispatch`), counting each
/// event as delivered to `supervisor` first.
pub(crate) fn install(
    on_batch: Function<Vec<Value>, ()>,
    supervisor: impl Fn() -> Option<Arc<Supervisor>> + Send + 'static,
) -> Result<()> {
    let callback: Callback = on_batch
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .callee_handled::<false>()
        .build_callback(move |_| {
            // On the JS thread, just before the listeners run.
            let items = {
                let mut q = lock(&QUEUE);
                q.scheduled = false;
                std::mem::take(&mut q.items)
            };
            let sup = supervisor();
            let mut batch = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Item::Event(e) => {
                        let kind = e.get("type").and_then(Value::as_str);
                        if let Some(sup) = &sup {
                            sup.delivered(kind == Some("message"));
                        }
                        if wanted(kind) {
                            batch.push(e);
                        }
                    }
                    // Resolving schedules the promise's own callback, which runs after the
                    // listeners of this batch.
                    Item::Settle(settle) => settle(),
                }
            }
            Ok(batch)
        })?;
    *CALLBACK.write().unwrap_or_else(|e| e.into_inner()) = Some(callback);
    Ok(())
}

/// Releases the function while the environment still exists (at its teardown).
pub(crate) fn uninstall() {
    CALLBACK.write().unwrap_or_else(|e| e.into_inner()).take();
}

/// Queues an event for JS; false when there is nobody to take it (JS is gone).
pub(crate) fn emit(event: Event) -> bool {
    match serde_json::to_value(&event) {
        Ok(value) => queue(Item::Event(value)).is_ok(),
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
    if q.scheduled {
        q.items.push(item);
        return Ok(());
    }
    // Closing means JS is gone (the environment is tearing down): nothing to tell.
    if callback.call((), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok {
        q.scheduled = true;
        q.items.push(item);
        Ok(())
    } else {
        Err(item)
    }
}
