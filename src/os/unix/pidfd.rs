//! Linux: waiting for a started service process through its pidfd. The pidfd turns readable
//! when the process exits, and pm then reaps exactly that pid (libuv's SIGCHLD handler in the
//! main process reaps only Node's own children, and pm installs no handler).
//!
//! Kernels before 5.2 give no pidfd (`vfork.rs` then gets none from its clone): a thread of
//! its own waits for the exit without reaping (`WNOWAIT`).

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::watch;

use super::reap::try_reap;

/// How the exit is noticed.
enum Exited {
    Pidfd(AsyncFd<OwnedFd>),
    /// Old kernels: a thread of its own saw the exit.
    Thread(watch::Receiver<bool>),
}

/// One child of this process, until it is reaped. Dropped before that (its `Process` killed
/// its group: a spawn cancelled at the last moment), it is still reaped once it is gone, so that
/// no zombie is left.
pub(crate) struct Child {
    pid: u32,
    /// None only while being dropped.
    exited: Option<Exited>,
    status: Option<ExitStatus>,
}

impl Child {
    /// Watches `pid`, a child of this process that nothing else reaps. Must run inside pm's
    /// runtime.
    pub(crate) fn new(pid: u32, pidfd: Option<OwnedFd>) -> io::Result<Child> {
        let exited = match pidfd {
            // SAFETY: the AsyncFd owns the pidfd, so it stays open for as long as it is
            // registered.
            Some(pidfd) => Exited::Pidfd(unsafe {
                AsyncFd::register_with_interest(pidfd, Interest::READABLE)
            }?),
            None => Exited::Thread(exit_thread(pid)?),
        };
        Ok(Child {
            pid,
            exited: Some(exited),
            status: None,
        })
    }

    /// Resolves once the child exited and was reaped. Cancel-safe.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = self.status {
                return Ok(status);
            }
            match self.exited.as_mut().expect("set until dropped") {
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

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() || !matches!(try_reap(self.pid), Ok(None)) {
            return; // reaped now or before, or not ours to reap
        }
        let pid = self.pid;
        match (self.exited.take(), tokio::runtime::Handle::try_current()) {
            (Some(Exited::Pidfd(fd)), Ok(rt)) => {
                rt.spawn(async move {
                    while let Ok(mut ready) = fd.readable().await {
                        match try_reap(pid) {
                            Ok(None) => ready.clear_ready(),
                            _ => return,
                        }
                    }
                });
            }
            // Without a thread to spare, it stays a zombie until the main process exits.
            _ => drop(
                std::thread::Builder::new()
                    .name("elife-pm-wait".into())
                    .spawn(move || super::reap::reap_blocking(pid as libc::pid_t)),
            ),
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

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;
    use std::path::Path;

    use super::Child;
    use crate::os::unix::fds;
    use crate::os::unix::vfork::{self, ChildFds, Exec};

    /// `sh -c <script>` with /dev/null for every stream.
    fn sh(script: &str) -> (u32, Option<std::os::fd::OwnedFd>) {
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

    /// Whether `pid` is still a process at all (a zombie counts).
    fn exists(pid: u32) -> bool {
        Path::new(&format!("/proc/{pid}")).exists()
    }

    async fn gone(pid: u32) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while exists(pid) {
            assert!(
                std::time::Instant::now() < deadline,
                "{pid} was never reaped"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_child_dropped_before_it_was_reaped_is_reaped_once_it_is_gone() {
        for with_pidfd in [true, false] {
            let (pid, pidfd) = sh("exec sleep 30");
            let child = Child::new(pid, pidfd.filter(|_| with_pidfd)).expect("watched");
            drop(child);
            assert!(exists(pid), "still running after the drop");
            crate::os::unix::signals::to_group(pid, libc::SIGKILL);
            gone(pid).await;
        }
    }

    #[tokio::test]
    async fn an_exit_is_seen_and_reaped_with_and_without_a_pidfd() {
        let (pid, pidfd) = sh("exit 3");
        assert!(pidfd.is_some(), "this kernel gives pidfds");
        let mut child = Child::new(pid, pidfd).expect("watched");
        assert_eq!(child.wait().await.expect("status").code(), Some(3));
        // Asked again, it answers the same without another waitpid.
        assert_eq!(child.wait().await.expect("status").code(), Some(3));

        // As on a kernel without pidfds: a waiter thread, then waitpid.
        let (pid, _) = sh("exit 4");
        let mut child = Child::new(pid, None).expect("watched");
        assert_eq!(child.wait().await.expect("status").code(), Some(4));
    }
}
