//! The parent's end of a service's Node IPC channel: a Unix stream socketpair whose other end
//! the child gets as fd 3 with `NODE_CHANNEL_FD=3`, as `child_process.fork` sets it up. The
//! framing is in `service::ipc`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use tokio::net::UnixStream;

pub use crate::os::CHILD_FD;

/// Makes a socketpair: the parent's end, and the end to hand to the child. Both are
/// close-on-exec, so no other child of the main process (Node's own `child_process` included)
/// inherits them; the spawn code moves the child's end to fd 3 after fork.
pub fn pair() -> io::Result<(std::os::unix::net::UnixStream, OwnedFd)> {
    let mut fds = [0; 2];
    #[cfg(target_os = "linux")]
    let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    #[cfg(not(target_os = "linux"))]
    let kind = libc::SOCK_STREAM;
    // SAFETY: fds is a valid out-array of two ints.
    if unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair succeeded; each fd is ours alone.
    let (parent, child) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(not(target_os = "linux"))]
    portable::harden(&parent, &child)?;
    let parent = std::os::unix::net::UnixStream::from(parent);
    parent.set_nonblocking(true)?;
    Ok((parent, child))
}

/// Where the flags Linux sets atomically are missing (macOS): close-on-exec after the fact,
/// and no SIGPIPE from writes to a closed peer.
#[cfg(not(target_os = "linux"))]
mod portable {
    use std::io;
    use std::os::fd::{AsRawFd, OwnedFd};

    pub fn harden(parent: &OwnedFd, child: &OwnedFd) -> io::Result<()> {
        for fd in [parent.as_raw_fd(), child.as_raw_fd()] {
            // SAFETY: fd is open; FD_CLOEXEC is a plain flag.
            if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        let on: libc::c_int = 1;
        // SAFETY: a valid option pointer and length.
        let rc = unsafe {
            libc::setsockopt(
                parent.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_NOSIGPIPE,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
#[cfg(not(target_os = "linux"))]
const SEND_FLAGS: libc::c_int = libc::MSG_DONTWAIT;

/// The parent's end, registered with the runtime.
#[derive(Clone)]
pub struct Channel {
    stream: Arc<UnixStream>,
}

impl Channel {
    /// Must run inside the supervisor's runtime.
    pub fn new(parent: std::os::unix::net::UnixStream) -> io::Result<Self> {
        Ok(Channel {
            stream: Arc::new(UnixStream::from_std(parent)?),
        })
    }

    /// Sends a small control message without waiting. Fails when the child is gone or does not
    /// read its channel (the buffer is full): the caller then falls back to a signal.
    pub fn send_now(&self, bytes: &[u8]) -> io::Result<()> {
        // SAFETY: the fd stays open while `self.stream` lives; MSG_NOSIGNAL (SO_NOSIGPIPE on
        // macOS) keeps a closed peer from raising SIGPIPE in the main process.
        let n = unsafe {
            libc::send(
                self.stream.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                SEND_FLAGS,
            )
        };
        match n {
            n if n < 0 => Err(io::Error::last_os_error()),
            n if n as usize == bytes.len() => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "partial control message",
            )),
        }
    }

    /// Reads some bytes; `Ok(0)` once the child closed its end.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            self.stream.readable().await?;
            match self.stream.try_read(buf) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                other => return other,
            }
        }
    }
}
