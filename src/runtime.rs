//! The supervisor's own tokio runtime: two worker threads, at a lower priority than the app's
//! (`os::priority`), so nothing of pm runs on Node's or Electron's threads. Children are started
//! by the spawner thread (`os::spawner`), not here.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

pub(crate) fn get() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("elife-pm")
            .on_thread_start(crate::os::priority::lower_this_thread)
            .enable_all()
            .build()
            .expect("the elife-pm runtime could not start")
    })
}
