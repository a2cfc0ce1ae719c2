//! A spawned service process on Unix: waiting for it (through its pidfd on Linux, kqueue on
//! macOS, so no SIGCHLD handler of ours competes with libuv's), asking it to stop with SIGTERM,
//! and ending its whole process group with SIGKILL.

use std::os::unix::process::ExitStatusExt;

#[cfg(target_os = "macos")] // the same API, reaped through kqueue (kqueue.rs)
use super::kqueue::Child;
#[cfg(target_os = "linux")]
use super::pidfd::Child;

use super::signals;
use crate::os::{Exit, StopSignal};

/// A process pm started. Dropped before it was reaped (a spawn cancelled at the last moment,
/// a task that panicked), it takes its whole process group with it: nothing pm starts is
/// left running unobserved.
pub(crate) struct Process {
    child: Child,
    pid: u32,
    reaped: bool,
}

impl Process {
    pub(crate) fn new(child: Child, pid: u32) -> Self {
        Process {
            child,
            pid,
            reaped: false,
        }
    }

    /// Resolves once the process exited, reaping it. Cancel-safe.
    pub(crate) async fn wait(&mut self) -> Exit {
        match self.child.wait().await {
            Ok(status) => {
                self.reaped = true;
                Exit {
                    code: status.code(),
                    signal: status.signal().map(signals::name),
                }
            }
            // Only if the pidfd could not be polled: treat as gone.
            Err(_) => Exit {
                code: None,
                signal: None,
            },
        }
    }

    /// Asks the leader to stop with `signal` (`stopSignal`); it may handle it, or die of it.
    pub(crate) fn terminate(&self, signal: StopSignal) {
        signals::to_process(self.pid, signals::number(signal));
    }

    pub(crate) fn killer(&self) -> Killer {
        Killer { pgid: self.pid }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.reaped {
            self.killer().kill_tree();
        }
    }
}

/// Ends a service's whole process group, from any thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Killer {
    pgid: u32,
}

impl Killer {
    /// SIGKILL to every process in the group that the service leads (`setpgid(0, 0)` at spawn),
    /// grandchildren included, even those re-parented since.
    pub(crate) fn kill_tree(&self) {
        signals::to_group(self.pgid, libc::SIGKILL);
    }
}
