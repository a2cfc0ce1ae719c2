//! The descriptors pm makes for its children: close-on-exec pipes, and (Linux, where pm sets
//! the child's descriptors up itself) /dev/null and copies kept clear of 0-3.

use std::io;
#[cfg(target_os = "linux")]
use std::os::fd::AsRawFd;
use std::os::fd::{FromRawFd, OwnedFd};

/// A pipe whose ends are close-on-exec, so that no other child holds an end (a pipe whose write
/// end a stranger holds never reaches end of file): (read end, write end). Linux sets the flag
/// atomically; macOS has no pipe2, and a process that another thread spawns in between may
/// inherit an end (the watchdog's NOTE_EXIT watch on the main pid covers that for its pipe).
pub(crate) fn cloexec_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    #[cfg(target_os = "linux")]
    // SAFETY: pipe2 writes two descriptors into the array.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    #[cfg(not(target_os = "linux"))]
    // SAFETY: pipe writes two descriptors into the array.
    let r = unsafe { libc::pipe(fds.as_mut_ptr()) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned here from now on.
    let (rx, tx) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(not(target_os = "linux"))]
    for fd in [&rx, &tx] {
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on descriptors we own.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok((rx, tx))
}

/// /dev/null for reading, close-on-exec: a service's stdin.
#[cfg(target_os = "linux")]
pub(crate) fn dev_null() -> io::Result<OwnedFd> {
    Ok(std::fs::File::open("/dev/null")?.into())
}

/// `fd`, or a close-on-exec copy of it numbered 4 or above: the child moves its descriptors
/// onto 0-3, and none of them may be one of those already (a main process started with a
/// standard stream closed hands out 0, 1 or 2 again).
#[cfg(target_os = "linux")]
pub(crate) fn above_std(fd: OwnedFd) -> io::Result<OwnedFd> {
    const LOWEST: libc::c_int = crate::os::CHILD_FD + 1;
    if fd.as_raw_fd() >= LOWEST {
        return Ok(fd);
    }
    // SAFETY: fcntl duplicates an open fd; the copy is ours alone.
    let copy = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, LOWEST) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn copies_land_above_the_numbers_a_child_is_given() {
        let (r, _w) = cloexec_pipe().expect("pipe");
        let low = unsafe {
            // SAFETY: F_DUPFD onto the lowest free number, which is owned here from now on.
            OwnedFd::from_raw_fd(libc::fcntl(r.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0))
        };
        let moved = above_std(low).expect("moved");
        assert!(moved.as_raw_fd() >= 4);
        // SAFETY: F_GETFD on an open fd.
        let flags = unsafe { libc::fcntl(moved.as_raw_fd(), libc::F_GETFD) };
        assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    }
}
