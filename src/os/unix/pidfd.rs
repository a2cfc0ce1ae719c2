//! Linux: a started service process owned through its pidfd. Waiting: the pidfd turns readable
//! when the process exits, and pm then reaps exactly that pid (libuv's SIGCHLD handler in the
//! main process reaps only Node's own children, and pm installs no handler). Signalling: a
//! pidfd names one process, so a signal sent through it from any thread can never reach a
//! process that reused the pid after the service was reaped.
//!
//! Kernels before 5.2 give no pidfd (`vfork.rs` falls back to a plain clone): a thread then
//! waits for the exit without reaping (`WNOWAIT`), and only the driver signals the process.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Arc;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::watch;

use super::reap::try_reap;

/// The pidfd of a service's leader, shared by its waiter and its killers.
#[derive(Clone)]
pub(crate) struct Leader(Arc<OwnedFd>);

impl AsRawFd for Leader {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl Leader {
    /// Takes ownership of a pidfd.
    pub(crate) fn new(pidfd: OwnedFd) -> Self {
        Leader(Arc::new(pidfd))
    }

    /// Sends `sig` to the leader, if it has not been reaped yet.
    pub(crate) fn signal(&self, sig: libc::c_int) {
        // SAFETY: pidfd_send_signal on an open pidfd with no siginfo; ESRCH (it already
        // exited) is expected and ignored.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.as_raw_fd(),
                sig,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            );
        }
    }
}

/// How the exit is noticed.
enum Exited {
    Pidfd(AsyncFd<Leader>),
    /// Old kernels: a thread of its own saw the exit.
    Thread(watch::Receiver<bool>),
}

/// One child of this process, until it is reaped.
pub struct Child {
    pid: u32,
    exited: Exited,
    status: Option<ExitStatus>,
}

impl Child {
    /// Watches `pid`, a child of this process that nothing else reaps. Must run inside pm's
    /// runtime.
    pub(crate) fn new(pid: u32, leader: Option<Leader>) -> io::Result<Child> {
        let exited = match leader {
            // SAFETY: the AsyncFd holds a reference on the pidfd, so it stays open for as long
            // as it is registered.
            Some(leader) => Exited::Pidfd(unsafe {
                AsyncFd::register_with_interest(leader, Interest::READABLE)
            }?),
            None => Exited::Thread(exit_thread(pid)?),
        };
        Ok(Child {
            pid,
            exited,
            status: None,
        })
    }

    /// The pidfd, for killers on other threads; None on kernels without one.
    pub(crate) fn leader(&self) -> Option<Leader> {
        match &self.exited {
            Exited::Pidfd(fd) => Some(fd.get_ref().clone()),
            Exited::Thread(_) => None,
        }
    }

    /// Resolves once the child exited and was reaped. Cancel-safe.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = self.status {
                return Ok(status);
            }
            match &mut self.exited {
                Exited::Pidfd(fd) => {
                    let mut ready = fd.readable().await?;
                    match try_reap(self.pid)?.map(ExitStatus::from_raw) {
                        Some(status) => self.status = Some(status),
                        None => ready.clear_ready(),
                    }
                }
                Exited::Thread(rx) => {
                    // An error means the thread is gone, which it is only after the exit.
                    let _ = rx.wait_for(|e| *e).await;
                    match try_reap(self.pid)?.map(ExitStatus::from_raw) {
                        Some(status) => self.status = Some(status),
                        None => return Err(io::Error::other("the exit status was lost")),
                    }
                }
            }
        }
    }
}

/// A thread that blocks until `pid` exited, without reaping it (so its pid, and its process
/// group id, stay taken until the driver reaps it).
fn exit_thread(pid: u32) -> io::Result<watch::Receiver<bool>> {
    let (tx, rx) = watch::channel(false);
    let id = libc::id_t::try_from(pid).map_err(|_| io::Error::other("pid out of range"))?;
    std::thread::Builder::new()
        .name("elife-pm-wait".into())
        .spawn(move || {
            loop {
                // SAFETY: an all-zero siginfo_t is a valid out-value for waitid.
                let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
                // SAFETY: waitid for one specific child into a local; WNOWAIT leaves it a zombie.
                let r = unsafe {
                    libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT)
                };
                if r == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                    break;
                }
            }
            tx.send_replace(true);
        })?;
    Ok(rx)
}

/// Wraps a pidfd the kernel returned.
///
/// # Safety
/// `fd` must be an open pidfd that nothing else owns.
pub(crate) unsafe fn leader_from_raw(fd: RawFd) -> Leader {
    // SAFETY: the caller's promise.
    Leader::new(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::ExitStatusExt;
    use std::path::Path;

    use super::Child;
    use crate::os::unix::fds;
    use crate::os::unix::vfork::{self, ChildFds, Exec};

    /// `sh -c <script>` with /dev/null for every stream.
    fn sh(script: &str) -> (u32, Option<super::Leader>) {
        let null = fds::dev_null().expect("/dev/null");
        let null = fds::above_std(null).expect("above");
        let exec = Exec::new(
            Path::new("/bin/sh"),
            &["-c".into(), script.into()],
            std::env::vars_os().collect(),
            Path::new("/"),
        )
        .expect("planned");
        let fd = null.as_raw_fd();
        let fds = ChildFds {
            stdin: fd,
            stdout: fd,
            stderr: fd,
            ipc: None,
        };
        vfork::spawn(&exec, &fds).expect("spawned")
    }

    #[tokio::test]
    async fn an_exit_is_seen_and_reaped_with_and_without_a_pidfd() {
        let (pid, leader) = sh("exit 3");
        assert!(leader.is_some());
        let mut child = Child::new(pid, leader).expect("watched");
        assert_eq!(child.wait().await.expect("status").code(), Some(3));
        // Asked again, it answers the same without another waitpid.
        assert_eq!(child.wait().await.expect("status").code(), Some(3));

        // As on a kernel without pidfds: a waiter thread, then waitpid.
        let (pid, _) = sh("exit 4");
        let mut child = Child::new(pid, None).expect("watched");
        assert!(child.leader().is_none());
        assert_eq!(child.wait().await.expect("status").code(), Some(4));
    }

    #[tokio::test]
    async fn a_signal_through_the_pidfd_reaches_the_child() {
        let (pid, leader) = sh("exec sleep 30");
        let mut child = Child::new(pid, leader).expect("watched");
        child.leader().expect("a pidfd").signal(libc::SIGTERM);
        let status = child.wait().await.expect("status");
        assert_eq!(status.signal(), Some(libc::SIGTERM));
    }
}
