//! Writes to the main process's own stdout and stderr (the log writer's console copy). The
//! standard library's handles already do what is needed on Windows: a pipe opened for
//! overlapped I/O is waited on, a console gets UTF-16, and a GUI process without a console
//! (an Electron app's main process) has no handle, where writes succeed and go nowhere.

use std::io::{self, Write};

pub fn write_all_stdout(buf: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    write_all(&mut out, buf)?;
    out.flush()
}

pub fn write_all_stderr(buf: &[u8]) -> io::Result<()> {
    write_all(&mut io::stderr().lock(), buf)
}

/// A console takes only valid UTF-8 from Rust (it converts to UTF-16); a service's output may
/// not be, so it is shown with replacement characters there rather than lost.
fn write_all(out: &mut impl Write, buf: &[u8]) -> io::Result<()> {
    match out.write_all(buf) {
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            out.write_all(String::from_utf8_lossy(buf).as_bytes())
        }
        other => other,
    }
}
