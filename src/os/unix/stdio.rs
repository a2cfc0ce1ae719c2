//! Writes to the main process's own stdout and stderr (the log writer's console copy).

use std::io;
use std::os::fd::RawFd;

pub fn write_all_stdout(buf: &[u8]) -> io::Result<()> {
    write_all(1, buf)
}

pub fn write_all_stderr(buf: &[u8]) -> io::Result<()> {
    write_all(2, buf)
}

/// Writes everything, waiting out a full pipe: Node may have made stdout non-blocking.
fn write_all(fd: RawFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: data is a valid slice; fds 1 and 2 stay open for the process's life.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n >= 0 {
            data = &data[n as usize..];
            continue;
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted => {}
            io::ErrorKind::WouldBlock => {
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut pfd, 1, 1000) };
            }
            _ => return Err(err),
        }
    }
    Ok(())
}
