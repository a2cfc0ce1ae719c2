//! The file calls the log writers make, on Windows: opening a log (only a regular file), telling
//! whether a path still names the file a writer holds (volume serial number and file index),
//! writing everything while saying how much got out before an error, and cutting a file back.
//!
//! Rotation renames a log while the writer holds it open: std opens files with
//! `FILE_SHARE_DELETE`, which allows that on Windows.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::AsRawHandle;
use std::path::Path;

use windows_sys::Win32::Storage::FileSystem::{
    GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS,
};

use super::handles::check;

/// Which file an open file or a path is: its volume and its index on that volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    volume: u32,
    index: u64,
}

fn id_of(file: &File) -> io::Result<FileId> {
    // SAFETY: a zeroed BY_HANDLE_FILE_INFORMATION is a valid out-struct.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: an open handle and a valid out pointer.
    check(unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) })?;
    Ok(FileId {
        volume: info.dwVolumeSerialNumber,
        index: (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow),
    })
}

/// Opens a log file for appending, creating it (not its directories). Anything but a regular
/// file (a directory, a device such as `NUL`, a pipe) is refused with an error that names the
/// path. Returns the file, its size and its identity.
pub(crate) fn open_log(path: &Path) -> io::Result<(File, u64, FileId)> {
    let not_regular = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is not a regular file; a log must be one",
                path.display()
            ),
        )
    };
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() {
            return Err(not_regular());
        }
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    let id = id_of(&file)?;
    Ok((file, meta.len(), id))
}

/// The identity of what `path` names now, or `None` when nothing does (or it cannot be read).
pub(crate) fn id_of_path(path: &Path) -> Option<FileId> {
    // No access rights are needed to read a file's identity; backup semantics open directories.
    let file = OpenOptions::new()
        .access_mode(0)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)
        .ok()?;
    id_of(&file).ok()
}

/// The identity of an open file, or `None` when it cannot be read.
pub(crate) fn id_of_file(file: &File) -> Option<FileId> {
    id_of(file).ok()
}

pub(crate) use crate::os::{PartialWrite, Std};

/// Writes all of `data` to an open log file; on an error says how much got out before it.
pub(crate) fn write_all(file: &File, data: &[u8]) -> Result<(), PartialWrite> {
    write_counted(&mut &*file, data)
}

/// [`write_all`] to the main process's stdout or stderr. The standard library's handles do
/// what Windows needs: a pipe opened for overlapped I/O is waited on, and a GUI process without
/// a console (an Electron app's main process) has no handle, where writes succeed and go
/// nowhere. A console takes only valid UTF-8 from Rust (it converts to UTF-16): a service's
/// output that is not is shown there with replacement characters rather than lost.
pub(crate) fn write_std(stream: Std, data: &[u8]) -> Result<(), PartialWrite> {
    let write = |out: &mut dyn Write| match write_counted(out, data) {
        Err(p) if p.error.kind() == io::ErrorKind::InvalidData => {
            let rest = String::from_utf8_lossy(&data[p.written..]).into_owned();
            write_counted(out, rest.as_bytes()).map_err(|e| PartialWrite {
                written: p.written,
                error: e.error,
            })
        }
        other => other,
    };
    match stream {
        Std::Out => {
            let mut out = io::stdout().lock();
            write(&mut out).and_then(|()| {
                out.flush().map_err(|error| PartialWrite {
                    written: data.len(),
                    error,
                })
            })
        }
        Std::Err => write(&mut io::stderr().lock()),
    }
}

fn write_counted(out: &mut dyn Write, data: &[u8]) -> Result<(), PartialWrite> {
    let mut written = 0;
    while written < data.len() {
        match out.write(&data[written..]) {
            Ok(0) => {
                return Err(PartialWrite {
                    written,
                    error: io::ErrorKind::WriteZero.into(),
                })
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(PartialWrite { written, error }),
        }
    }
    Ok(())
}
