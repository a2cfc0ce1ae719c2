//! What a service started that left its process group (a daemon that double-forked and called
//! `setsid()`): ended with the service. Every process pm spawns carries a marker variable,
//! unique to that spawn of that service in this run of the app, that its descendants inherit;
//! when the process is gone, whatever still carries its marker is killed (`os::marked`).
//!
//! One thread does the looking, for every service: the requests that arrive while it looks
//! are served together by its next look, so a `stopall()` of many services reads the process
//! table once or twice, not once per service.

use std::sync::mpsc;
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::sync::lock;

/// The variable every spawned process carries: `<main pid>.<main start time>.<service id>.<spawn>`.
pub(crate) const MARKER_ENV: &str = "ELIFE_PM_SERVICE";

/// The marker of one spawn of service `id` in the run `run` (`RunRecord::run_marker`).
pub(crate) fn marker(run: &str, id: u64, spawn: u64) -> String {
    format!("{run}{id}.{spawn}")
}

/// Which processes a request ends.
enum Scope {
    /// One spawn's processes.
    Exactly(String),
    /// A whole run's (the sweep after a killed run): markers starting with this.
    Run(String),
}

impl Scope {
    fn holds(&self, value: &[u8]) -> bool {
        match self {
            Scope::Exactly(m) => value == m.as_bytes(),
            Scope::Run(prefix) => value.starts_with(prefix.as_bytes()),
        }
    }
}

struct Request {
    scope: Scope,
    done: oneshot::Sender<Vec<u32>>,
}

/// The looking thread, started at the first request.
#[derive(Default)]
pub(crate) struct Strays {
    tx: Mutex<Option<mpsc::Sender<Request>>>,
}

impl Strays {
    /// Kills every process that still carries `marker`; the answer says which (empty when
    /// none, or when the thread could not run).
    pub(crate) fn end(&self, marker: String) -> oneshot::Receiver<Vec<u32>> {
        let (done, answer) = oneshot::channel();
        if !crate::os::marked::SUPPORTED {
            // Windows' Job Objects hold every descendant already; nothing to look for.
            let _ = done.send(Vec::new());
            return answer;
        }
        let mut req = Request {
            scope: Scope::Exactly(marker),
            done,
        };
        let mut tx = lock(&self.tx);
        if let Some(t) = tx.as_ref() {
            match t.send(req) {
                Ok(()) => return answer,
                Err(mpsc::SendError(r)) => req = r,
            }
        }
        let (send, recv) = mpsc::channel();
        let started = std::thread::Builder::new()
            .name("elife-pm-strays".into())
            .spawn(move || {
                crate::os::priority::lower_this_thread();
                look(recv)
            });
        if started.is_ok() && send.send(req).is_ok() {
            *tx = Some(send);
        }
        answer
    }
}

/// Kills, from the calling thread and in one look, every process whose marker starts with one
/// of `run_prefixes`: what killed runs of the app left behind (`leftovers::sweep`).
pub(crate) fn end_runs(run_prefixes: &[String]) -> Vec<u32> {
    if run_prefixes.is_empty() {
        return Vec::new();
    }
    let scopes: Vec<Scope> = run_prefixes.iter().cloned().map(Scope::Run).collect();
    crate::os::marked::kill_marked(MARKER_ENV, |_, v| scopes.iter().any(|s| s.holds(v)))
}

fn look(rx: mpsc::Receiver<Request>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let mut found: Vec<Vec<u32>> = vec![Vec::new(); batch.len()];
        crate::os::marked::kill_marked(MARKER_ENV, |pid, value| {
            match batch.iter().position(|r| r.scope.holds(value)) {
                Some(i) => {
                    found[i].push(pid);
                    true
                }
                None => false,
            }
        });
        for (req, n) in batch.into_iter().zip(found) {
            let _ = req.done.send(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spawns_marker_is_its_own_and_a_run_holds_all_of_its_own() {
        let run = "4242.777.";
        let a = marker(run, 3, 1);
        assert_eq!(a, "4242.777.3.1");
        assert!(Scope::Exactly(a.clone()).holds(a.as_bytes()));
        assert!(!Scope::Exactly(a.clone()).holds(marker(run, 3, 2).as_bytes()));
        assert!(!Scope::Exactly(a).holds(marker(run, 31, 1).as_bytes()));
        assert!(Scope::Run(run.into()).holds(b"4242.777.9.9"));
        assert!(!Scope::Run(run.into()).holds(b"4242.7770.9.9"));
    }
}
