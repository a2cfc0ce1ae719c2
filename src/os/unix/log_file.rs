//! The file calls the log writers make: opening a log without ever blocking on it, telling
//! whether a path still names the file a writer holds, writing everything (through a full pipe
//! too) while saying how much got out before an error, and cutting a file back.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Which file an open file or a path is: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    fn of(m: &std::fs::Metadata) -> Self {
        FileId {
            dev: m.dev(),
            ino: m.ino(),
        }
    }
}

/// What a file that is not a regular file is, for error messages.
fn kind_of(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn not_regular(path: &Path, t: std::fs::FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is {}; a log must be a regular file",
            path.display(),
            kind_of(t)
        ),
    )
}

/// Opens a log file for appending, creating it (not its directories). Never blocks: a FIFO
/// without a reader would hold a blocking open forever, so the open is non-blocking, and
/// anything but a regular file is refused with an error that names the path and what it is.
/// Returns the file, its size and its identity.
pub(crate) fn open_log(path: &Path) -> io::Result<(File, u64, FileId)> {
    let opened = OpenOptions::new()
        .create(true)
        .append(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) => {
            // ENXIO (a FIFO with no reader), EISDIR, ENODEV...: say what the path is.
            return Err(match std::fs::metadata(path) {
                Ok(m) if !m.file_type().is_file() => not_regular(path, m.file_type()),
                _ => io::Error::new(e.kind(), format!("{}: {e}", path.display())),
            });
        }
    };
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(not_regular(path, meta.file_type()));
    }
    // Regular files ignore O_NONBLOCK; clear it anyway so the descriptor is an ordinary one.
    // SAFETY: the fd is open and owned by `file`; F_GETFL/F_SETFL take no pointers.
    unsafe {
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok((file, meta.len(), FileId::of(&meta)))
}

/// The identity of what `path` names now, or `None` when nothing does (or it cannot be read).
pub(crate) fn id_of_path(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().map(|m| FileId::of(&m))
}

/// The identity of an open file, or `None` when it cannot be read.
pub(crate) fn id_of_file(file: &File) -> Option<FileId> {
    file.metadata().ok().map(|m| FileId::of(&m))
}

pub(crate) use crate::os::{PartialWrite, Std};

/// [`write_all`] to the main process's stdout or stderr.
pub(crate) fn write_std(stream: Std, data: &[u8]) -> Result<(), PartialWrite> {
    write_fd(if stream == Std::Out { 1 } else { 2 }, data)
}

/// Writes all of `data` to an open log file; on an error says how much got out before it.
pub(crate) fn write_all(file: &File, data: &[u8]) -> Result<(), PartialWrite> {
    write_fd(file.as_raw_fd(), data)
}

/// Writes everything, waiting out a full pipe (Node may have made stdout non-blocking). On an
/// error (a full disk, a closed pipe) says how many bytes were written before it.
fn write_fd(fd: RawFd, data: &[u8]) -> Result<(), PartialWrite> {
    let mut written = 0;
    while written < data.len() {
        let rest = &data[written..];
        // SAFETY: rest is a valid slice; the caller keeps fd open for the call.
        let n = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
        if n > 0 {
            written += n as usize;
            continue;
        }
        let error = if n == 0 {
            // write(2) returns 0 for a non-empty buffer only when nothing can be written.
            io::Error::from(io::ErrorKind::WriteZero)
        } else {
            io::Error::last_os_error()
        };
        match error.kind() {
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
            _ => return Err(PartialWrite { written, error }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_regular_file_without_blocking() {
        let dir = std::env::temp_dir().join(format!("elife-pm-fs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: c is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = open_log(&fifo).unwrap_err().to_string();
        assert!(
            e.contains("is a FIFO (named pipe)") && e.contains("fifo"),
            "{e}"
        );
        let e = open_log(&dir.join("sub")).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        let e = open_log(Path::new("/dev/null")).unwrap_err().to_string();
        assert!(e.contains("/dev/null is a character device"), "{e}");
        let (_, size, id) = open_log(&dir.join("x.log")).unwrap();
        assert_eq!(size, 0);
        assert_eq!(id_of_path(&dir.join("x.log")), Some(id));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
