//! The parent's end of a service's Node IPC channel: a Unix stream socketpair whose other end
//! the child gets as fd 3 with `NODE_CHANNEL_FD=3`, as `child_process.fork` sets it up. The
//! framing is in `ipc.rs`. Windows: see `os/mod.rs`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use tokio::net::UnixStream;

use crate::ipc::{Decoder, FromChild};

/// The fd number the child finds its channel on.
pub const CHILD_FD: i32 = 3;

/// Makes a socketpair: the parent's end, and the end to hand to the child. Both are
/// close-on-exec, so no other child of the main process (Node's own `child_process` included)
/// inherits them; the spawn code moves the child's end to fd 3 after fork.
pub fn pair() -> io::Result<(std::os::unix::net::UnixStream, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid out-array of two ints.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair succeeded; each fd is ours alone.
    let (parent, child) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let parent = std::os::unix::net::UnixStream::from(parent);
    parent.set_nonblocking(true)?;
    Ok((parent, child))
}

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
        // SAFETY: the fd stays open while `self.stream` lives; MSG_NOSIGNAL keeps a closed peer
        // from raising SIGPIPE in the main process.
        let n = unsafe {
            libc::send(
                self.stream.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
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

    /// Reads messages until the child closes its end, handing each to `on_message`.
    pub async fn read_messages(&self, mut on_message: impl FnMut(FromChild)) {
        let mut decoder = Decoder::default();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if self.stream.readable().await.is_err() {
                return;
            }
            match self.stream.try_read(&mut buf) {
                Ok(0) => return,
                Ok(n) => decoder.push(&buf[..n], &mut on_message),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        }
    }
}
