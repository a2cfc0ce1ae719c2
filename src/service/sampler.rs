//! `maxMemory`: one sampler for every service that sets it. Once a second it reads the memory
//! of each watched process tree once and tells those over their limit; with nothing to watch
//! it does not run at all (no timer, no wake-up).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::sync::lock;

/// How often the watched services are sampled.
pub(crate) const EVERY: Duration = Duration::from_secs(1);

struct Watched {
    pid: u32,
    limit: u64,
    over: oneshot::Sender<u64>,
}

#[derive(Default)]
pub(crate) struct Sampler {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    watched: HashMap<u64, Watched>,
    next: u64,
    /// Whether the sampling task runs: at most one does.
    running: bool,
}

/// A process under watch; dropping it ends the watch.
pub(crate) struct Watch {
    sampler: Arc<Sampler>,
    key: u64,
    over: oneshot::Receiver<u64>,
}

impl Watch {
    /// Resolves with the tree's memory once it is over the limit.
    pub(crate) async fn over(&mut self) -> u64 {
        match (&mut self.over).await {
            Ok(bytes) => bytes,
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        lock(&self.sampler.state).watched.remove(&self.key);
    }
}

impl Sampler {
    /// Watches `pid` and its children against `limit` bytes. Must run inside pm's runtime.
    pub(crate) fn watch(self: &Arc<Self>, pid: u32, limit: u64) -> Watch {
        let (tx, over) = oneshot::channel();
        let mut state = lock(&self.state);
        let key = state.next;
        state.next += 1;
        state.watched.insert(
            key,
            Watched {
                pid,
                limit,
                over: tx,
            },
        );
        if !state.running {
            state.running = true;
            let me = self.clone();
            tokio::spawn(async move { me.sample().await });
        }
        Watch {
            sampler: self.clone(),
            key,
            over,
        }
    }

    /// The sampling task: ends once nothing is watched (checked under the same lock that
    /// `watch` starts it under).
    async fn sample(&self) {
        loop {
            tokio::time::sleep(EVERY).await;
            let targets: Vec<(u64, u32, u64)> = {
                let mut state = lock(&self.state);
                if state.watched.is_empty() {
                    state.running = false;
                    return;
                }
                state
                    .watched
                    .iter()
                    .map(|(k, w)| (*k, w.pid, w.limit))
                    .collect()
            };
            let over: Vec<(u64, u64)> = targets
                .into_iter()
                .filter_map(|(key, pid, limit)| {
                    crate::os::procinfo::tree_memory(pid)
                        .filter(|b| *b > limit)
                        .map(|b| (key, b))
                })
                .collect();
            let mut state = lock(&self.state);
            for (key, bytes) in over {
                if let Some(w) = state.watched.remove(&key) {
                    let _ = w.over.send(bytes);
                }
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_task_samples_every_watch_and_stops_when_none_is_left() {
        let sampler = Arc::new(Sampler::default());
        let me = std::process::id();
        let mut low = sampler.watch(me, 1 << 20); // this test process uses more than 1 MiB
        let high = sampler.watch(me, u64::MAX);
        assert!(lock(&sampler.state).running);
        let bytes = low.over().await;
        assert!(bytes > 1 << 20);
        drop(low);
        drop(high);
        tokio::time::sleep(EVERY * 2).await;
        assert!(
            !lock(&sampler.state).running,
            "nothing watched: no task, no timer"
        );
    }
}
