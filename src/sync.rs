//! Locking that survives a panic: pm's shared state stays usable after a thread panicked while
//! holding a lock (every critical section leaves the data consistent, and a poisoned lock in
//! the Electron main process must not turn into a second panic).

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, taking the data as it is even if a thread panicked while holding it.
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
