//! The supervisor's own tokio runtime: two worker threads, at a lower priority than the app's
//! (`os::priority`), so nothing of pm runs on Node's or Electron's threads. Children are started
//! by the spawner thread (`os::spawner`), not here.
//!
//! Work that blocks (reading old logs for `pm.logs()`, reading Electron's fuses, and on
//! Windows each `CreateProcess`) goes to tokio's blocking pool, capped at
//! [`BLOCKING_THREADS`]: a thousand services started at once queue there instead of making a
//! thousand threads. Idle pool threads exit after ten seconds.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The most threads the blocking pool runs at once.
const BLOCKING_THREADS: usize = 4;

pub(crate) fn get() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(BLOCKING_THREADS)
            .thread_name("elife-pm")
            .on_thread_start(crate::os::priority::lower_this_thread)
            .enable_all()
            .build()
            .expect("the elife-pm runtime could not start")
    })
}
