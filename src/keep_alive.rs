//! Whether pm holds Node's event loop open: the one owner of that rule.
//!
//! pm keeps a plain Node process alive exactly while something of its own is still to come: a
//! service that runs or will run (from the moment it is registered until its last event has
//! been delivered), or an event queued for JS. One count covers both:
//! - `hold` when a service is registered (synchronously, inside the API call that creates it);
//! - `queued` before an event is handed to JS;
//! - `delivered` on the JS thread, as JS takes an event. A service's `Ended` marker, sent after
//!   its last event through the same ordered queue, is not counted when queued: it carries the
//!   service's hold, and its delivery releases it.
//!
//! Every decrement happens on the JS thread, in delivery order, and JS asks `busy()` only after
//! a delivery or an API call. So when JS sees zero, nothing is queued and no service is left;
//! when it sees more, a delivery is still to come and JS will ask again then. There is no
//! moment in which the last event has been handled, nothing runs, and the loop is still held.

use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Default)]
pub struct KeepAlive {
    pending: AtomicUsize,
}

impl KeepAlive {
    /// A service was registered.
    pub fn hold(&self) {
        self.pending.fetch_add(1, Ordering::SeqCst);
    }

    /// An event (or a service's `Ended` marker) is about to be handed to JS.
    pub fn queued(&self) {
        self.pending.fetch_add(1, Ordering::SeqCst);
    }

    /// JS took an event, or an event could not be handed over (JS is gone), or a service ended
    /// with nobody to tell.
    pub fn delivered(&self) {
        // Never below zero, even if a caller miscounts: an underflow would hold the loop for
        // ever.
        let _ = self
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }

    pub fn busy(&self) -> bool {
        self.pending.load(Ordering::SeqCst) > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_and_its_events_hold_until_each_is_delivered() {
        let k = KeepAlive::default();
        assert!(!k.busy());
        k.hold(); // registered
        k.queued(); // its exit event
        k.delivered(); // JS took the exit event: the service has not ended yet
        assert!(k.busy());
        // Its Ended marker is not counted when queued: it carries the service's hold.
        k.delivered();
        assert!(!k.busy());
    }

    #[test]
    fn never_below_zero() {
        let k = KeepAlive::default();
        k.delivered();
        k.hold();
        assert!(k.busy());
        k.delivered();
        assert!(!k.busy());
    }
}
