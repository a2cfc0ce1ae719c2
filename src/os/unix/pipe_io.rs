//! Reads and writes on a service's pipes that neither wait nor ask pm's reactor, for the app's
//! own thread (`service/stdio.rs`): one system call on the non-blocking fd, as libuv tries
//! Node's pipes. Tokio's `try_read` would answer "would block" until the reactor has seen the
//! pipe become ready, which lags behind the pipe itself. Bypassing it is safe: the reactor's
//! readiness is only a hint, cleared by the next "would block".

use std::io;
use std::os::fd::AsRawFd;

/// Reads what `pipe` holds now into `buf`'s spare room (up to its capacity); 0 at the end,
/// `WouldBlock` when it is empty.
pub(crate) fn read_now(pipe: &impl AsRawFd, buf: &mut Vec<u8>) -> io::Result<usize> {
    let room = buf.spare_capacity_mut();
    // SAFETY: read(2) writes at most `room.len()` bytes into `room`, memory `buf` owns and
    // does not otherwise use while this runs; the fd is open as long as `pipe` is.
    let n = unsafe { libc::read(pipe.as_raw_fd(), room.as_mut_ptr().cast(), room.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: read(2) initialised the first `n` bytes of the spare room.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// Writes what `pipe` takes now of `data`; `WouldBlock` when it is full.
pub(crate) fn write_now(pipe: &impl AsRawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: write(2) reads `data.len()` bytes of `data`; the fd is open as long as `pipe` is.
    let n = unsafe { libc::write(pipe.as_raw_fd(), data.as_ptr().cast(), data.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}
