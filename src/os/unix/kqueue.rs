//! macOS: waiting for a child without SIGCHLD. tokio reaps through a SIGCHLD handler there, and
//! libuv in the main process installs its own handler (without chaining) the first time Node
//! spawns anything, after which tokio never hears of an exit. Instead each child gets a kqueue
//! of its own with an `EVFILT_PROC`/`NOTE_EXIT` watch, registered with pm's tokio reactor, and
//! when it fires pm reaps exactly that pid with `waitpid(pid)` — never `waitpid(-1)`, which
//! would take children that Node's `child_process` owns.
//!
//! `spawn` starts the command through std (so tokio installs no SIGCHLD handler and keeps no
//! orphan queue that could `waitpid` a pid pm already reaped) and returns a `Child` with the
//! parts of tokio's `Child` that `spawn.rs` and `process.rs` use. It also hands the new process
//! group to the orphan watchdog (`watchdog.rs`).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::Command;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::kevent::{self, Kev, Seen};
use super::watchdog::Watchdog;

/// How long a service may take to end after the watchdog's SIGTERM, once the app is gone,
/// before SIGKILL.
const ORPHAN_GRACE: Duration = Duration::from_secs(5);

/// A started service: what tokio's `Child` offers, reaped through kqueue. Dropped before it was
/// reaped (its `Process` killed its group: a spawn cancelled at the last moment), it is still
/// reaped on pm's runtime once it is gone, so that no zombie is left.
pub(crate) struct Child {
    /// pm's ends of the piped standard streams, as std made them.
    pub(crate) stdin: Option<OwnedFd>,
    pub(crate) stdout: Option<OwnedFd>,
    pub(crate) stderr: Option<OwnedFd>,
    pid: u32,
    /// None only while being dropped.
    watch: Option<ExitWatch>,
    reaped: bool,
}

impl Child {
    pub(crate) fn id(&self) -> Option<u32> {
        Some(self.pid)
    }

    /// Resolves once the child exited and was reaped; Err if its status was lost.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        let ended = self.watch.as_mut().expect("set until dropped").wait().await;
        self.reaped = true;
        // The leader is reaped; pm kills what is left of its group next. Forgetting the group
        // now means the watchdog can never signal a process group id that is reused later.
        if let Some(dog) = watchdog() {
            dog.forget(self.pid);
        }
        // std decodes the raw status with the platform's own <sys/wait.h> macros.
        ended
            .map(ExitStatus::from_raw)
            .ok_or_else(|| io::Error::other("the exit status was lost"))
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.reaped {
            return;
        }
        let (Some(mut watch), Ok(rt)) = (self.watch.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let pid = self.pid;
        rt.spawn(async move {
            watch.wait().await;
            if let Some(dog) = watchdog() {
                dog.forget(pid);
            }
        });
    }
}

/// Starts `cmd` (a process group leader: `process_group(0)`) and watches it. Must run inside
/// pm's runtime.
pub(crate) fn spawn(cmd: &mut Command) -> io::Result<Child> {
    let mut child = cmd.as_std_mut().spawn()?;
    let pid = child.id();
    let parts = (|| {
        let watch = ExitWatch::new(pid)?;
        Ok::<_, io::Error>(watch)
    })();
    let stdin = child.stdin.take().map(OwnedFd::from);
    let stdout = child.stdout.take().map(OwnedFd::from);
    let stderr = child.stderr.take().map(OwnedFd::from);
    let watch = match parts {
        Ok(p) => p,
        Err(e) => {
            // Nothing would ever reap or stop it: end it now rather than leave it behind.
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };
    if let Some(dog) = watchdog() {
        dog.watch(pid, ORPHAN_GRACE);
    }
    Ok(Child {
        stdin,
        stdout,
        stderr,
        pid,
        watch: Some(watch),
        reaped: false,
    })
}

/// The one watchdog of this process, forked on first use. None if it could not start: services
/// then run as on any Unix without it (the sweep at the next start still finds leftovers).
fn watchdog() -> Option<&'static Watchdog> {
    static DOG: OnceLock<Option<Watchdog>> = OnceLock::new();
    DOG.get_or_init(|| Watchdog::start().ok()).as_ref()
}

/// Watches one child until it is reaped.
pub(crate) struct ExitWatch {
    pid: u32,
    kq: AsyncFd<OwnedFd>,
    /// The kernel said it exited (or it was gone before the watch): only waitpid is left.
    exited: bool,
}

impl ExitWatch {
    /// Starts watching `pid`, a child of this process. Must run inside pm's runtime.
    pub(crate) fn new(pid: u32) -> io::Result<ExitWatch> {
        // SAFETY: kqueue takes no arguments and returns a new descriptor or -1.
        let fd = unsafe { libc::kqueue() };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: fcntl on the descriptor just created. A kqueue is not inherited by fork; this
        // keeps it from any exec as well.
        unsafe { libc::fcntl(kq.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        let receipt = change(&kq, kevent::watch_exit(pid))?;
        let exited = match kevent::classify(&receipt) {
            Seen::Watching => false,
            // Already exited (a zombie is not found): waitpid will have it at once.
            Seen::NoSuchProcess => true,
            Seen::Failed(e) => return Err(io::Error::from_raw_os_error(e)),
            other => return Err(io::Error::other(format!("kqueue: unexpected {other:?}"))),
        };
        // SAFETY: `kq` is an open descriptor that the AsyncFd owns until it is dropped.
        let kq = unsafe { AsyncFd::register_with_interest(kq, Interest::READABLE) }?;
        Ok(ExitWatch { pid, kq, exited })
    }

    /// Resolves once the child exited and was reaped: its raw wait status, or None when the
    /// status is lost (someone else reaped it). Cancel-safe: the state lives in `self`.
    pub(crate) async fn wait(&mut self) -> Option<i32> {
        loop {
            if !self.exited {
                let Ok(mut ready) = self.kq.readable().await else {
                    // The reactor cannot watch the kqueue: fall back to polling waitpid.
                    self.exited = true;
                    continue;
                };
                match next_event(self.kq.get_ref()) {
                    Some(k) if kevent::classify(&k) == Seen::Exited(self.pid) => self.exited = true,
                    Some(_) => {}
                    None => ready.clear_ready(),
                }
                continue;
            }
            match super::reap::try_reap(self.pid) {
                Ok(Some(status)) => return Some(status),
                Err(_) => return None,
                // NOTE_EXIT can come a moment before the process is a zombie.
                Ok(None) => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        }
    }
}

/// Applies one change and returns its receipt (EV_RECEIPT asks for one).
fn change(kq: &OwnedFd, k: Kev) -> io::Result<Kev> {
    let change = k.to_sys();
    // SAFETY: an all-zero kevent is a valid value of this plain C struct.
    let mut out: libc::kevent = unsafe { std::mem::zeroed() };
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: one change in, room for one record out, both valid for the call.
    let n = unsafe { libc::kevent(kq.as_raw_fd(), &change, 1, &mut out, 1, &zero) };
    match n {
        1 => Ok(Kev::from_sys(&out)),
        0 => Err(io::Error::other("kqueue: no receipt")),
        _ => Err(io::Error::last_os_error()),
    }
}

/// One pending event, without waiting.
fn next_event(kq: &OwnedFd) -> Option<Kev> {
    // SAFETY: as in `change`.
    let mut out: libc::kevent = unsafe { std::mem::zeroed() };
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: no changes; room for one record.
    let n = unsafe { libc::kevent(kq.as_raw_fd(), std::ptr::null(), 0, &mut out, 1, &zero) };
    (n == 1).then(|| Kev::from_sys(&out))
}
