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

/// One child of this process, until it is reaped.
pub struct Child {
    pid: u32,
    exited: Exited,
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
            exited,
            status: None,
        })
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
