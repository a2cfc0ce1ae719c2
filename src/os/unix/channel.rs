//! The parent's end of a service's Node IPC channel: a Unix stream socketpair whose other end
//! the child gets as fd 3 with `NODE_CHANNEL_FD=3`, as `child_process.fork` sets it up. The
//! framing is in `service::ipc`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use crate::sync::lock;
use tokio::net::UnixStream;

/// Makes a socketpair: the parent's end, and the end to hand to the child. Both are
/// close-on-exec, so no other child of the main process (Node's own `child_process` included)
/// inherits them; the spawn code moves the child's end to fd 3 in the child.
pub(crate) fn pair() -> io::Result<(std::os::unix::net::UnixStream, OwnedFd)> {
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

    pub(super) fn harden(parent: &OwnedFd, child: &OwnedFd) -> io::Result<()> {
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

/// Bytes queued for a child that does not read its channel, at most; past this, `send`
/// refuses (the main process does not buffer without bound for a service).
pub(crate) const MAX_QUEUED: usize = 16 * 1024 * 1024;

/// The parent's end, registered with the runtime. Everything sent goes through one byte queue,
/// whole messages appended in order, so messages never interleave however large they are.
#[derive(Clone)]
pub(crate) struct Channel {
    stream: Arc<UnixStream>,
    out: Arc<Outbox>,
    rt: tokio::runtime::Handle,
}

#[derive(Default)]
struct Outbox {
    state: std::sync::Mutex<OutState>,
}

#[derive(Default)]
struct OutState {
    /// Bytes not yet written (the tail of a message the socket did not take, and whole ones).
    pending: std::collections::VecDeque<u8>,
    /// A task waits for the socket to take the pending bytes.
    writer: bool,
    /// The child is gone: nothing more can be sent.
    closed: bool,
}

impl Channel {
    /// Must run inside the supervisor's runtime.
    pub(crate) fn new(parent: std::os::unix::net::UnixStream) -> io::Result<Self> {
        Ok(Channel {
            stream: Arc::new(UnixStream::from_std(parent)?),
            out: Arc::default(),
            rt: tokio::runtime::Handle::current(),
        })
    }

    /// Sends a control message now, or queues it behind what is still pending. Fails when the
    /// child is gone, or does not read its channel at all (the queue is full): the caller then
    /// falls back to a signal.
    pub(crate) fn send_now(&self, bytes: &[u8]) -> io::Result<()> {
        if self.enqueue(bytes) {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the service does not read its channel",
            ))
        }
    }

    /// Queues a message for the child; false when the child is gone or the queue is full.
    pub(crate) fn send(&self, bytes: Vec<u8>) -> bool {
        self.enqueue(&bytes)
    }

    fn enqueue(&self, bytes: &[u8]) -> bool {
        let mut st = lock(&self.out.state);
        if st.closed || st.pending.len() + bytes.len() > MAX_QUEUED {
            return false;
        }
        st.pending.extend(bytes);
        if !st.writer {
            self.flush(&mut st);
            if !st.pending.is_empty() && !st.closed {
                st.writer = true;
                let me = self.clone();
                self.rt.spawn(async move { me.write_pending().await });
            }
        }
        true
    }

    /// Writes what the socket takes now, without waiting.
    fn flush(&self, st: &mut OutState) {
        while !st.pending.is_empty() {
            let (head, _) = st.pending.as_slices();
            match self.send_some(head) {
                Ok(n) => {
                    st.pending.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    st.closed = true;
                    st.pending = Default::default();
                    return;
                }
            }
        }
    }

    /// The writer task: waits until the socket has room, until nothing is pending.
    async fn write_pending(self) {
        loop {
            if self.stream.writable().await.is_err() {
                let mut st = lock(&self.out.state);
                st.closed = true;
                st.writer = false;
                return;
            }
            let mut st = lock(&self.out.state);
            self.flush(&mut st);
            if st.pending.is_empty() || st.closed {
                st.writer = false;
                return;
            }
        }
    }

    /// One non-blocking send; WouldBlock when the socket is full.
    fn send_some(&self, bytes: &[u8]) -> io::Result<usize> {
        self.stream.try_io(tokio::io::Interest::WRITABLE, || {
            // SAFETY: the fd stays open while `self.stream` lives; `bytes` is a valid slice.
            // MSG_NOSIGNAL (SO_NOSIGPIPE on macOS) keeps a closed peer from raising SIGPIPE in
            // the main process.
            let n = unsafe {
                libc::send(
                    self.stream.as_raw_fd(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    SEND_FLAGS,
                )
            };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
    }

    /// Reads what is there without waiting; `Ok(0)` when nothing is (or the child closed its
    /// end).
    pub(crate) fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.try_read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }

    /// Reads some bytes; `Ok(0)` once the child closed its end.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
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
