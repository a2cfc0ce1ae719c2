//! The supervisor's own tokio runtime: two worker threads that live as long as the process, so
//! children are always spawned from a long-lived thread (see the PDEATHSIG note in NOTES.md)
//! and nothing runs on Node's or Electron's threads.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

pub fn get() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("elife-pm")
            .enable_all()
            .build()
            .expect("the elife-pm runtime could not start")
    })
}
