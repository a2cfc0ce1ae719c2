//! Reaping exactly one child by its pid, never `waitpid(-1)`: that would take children that
//! Node's `child_process` owns (libuv reaps its own from its SIGCHLD handler).

use std::io;

/// waitpid for `pid` without blocking: its raw wait status once it exited, None while it runs.
/// An error means it is no child of this process (any more): its status is lost.
pub(crate) fn try_reap(pid: u32) -> io::Result<Option<i32>> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::other("pid out of range"))?;
    let mut status = 0;
    loop {
        // SAFETY: waitpid for one specific child, writing into a local.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Ok(Some(status));
        }
        if r == 0 {
            return Ok(None);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// waitpid for `pid` until it is reaped: only for a child known to have exited or to exit at
/// once.
#[cfg(target_os = "linux")]
pub(crate) fn reap_blocking(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: waitpid for our own child, into a local.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0
        && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
    {}
}
