//! Everything that differs per operating system, behind one set of names: starting a process
//! (`Spawner`, `Spawned`), waiting for it and ending it with everything it started (`Process`,
//! `Killer`), the parent's end of Node's IPC channel (`Channel`), file facts (`fs`), what the
//! kernel knows of old processes (`procinfo`) and thread priority (`priority`). The rest of the
//! crate calls no OS API itself; each OS family's folder provides the same names.
//!
//! Windows: a kill-on-close Job Object per service, named pipes, Node's channel as CRT fd 3
//! (see `windows/mod.rs`).
//!
//! Unix (Linux; macOS builds): a process group per service. Linux: a vfork-style clone with
//! `PR_SET_PDEATHSIG` (`unix/vfork.rs`) and one pidfd per child (`unix/pidfd.rs`); macOS: fork
//! and exec through std, and one kqueue per child. Either way pm never installs a SIGCHLD
//! handler and never reaps a child that is not its own (libuv owns SIGCHLD in the main
//! process).

/// How a process ended, as Node reports it: an exit code, or the name of the signal that
/// ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<String>,
}

impl Exit {
    pub fn clean(&self) -> bool {
        self.code == Some(0)
    }
}

/// An error partway through `log_file::write_all`: `written` bytes got out before it.
#[derive(Debug)]
pub(crate) struct PartialWrite {
    pub written: usize,
    pub error: std::io::Error,
}

/// The main process's own standard streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Std {
    Out,
    Err,
}

/// A pipe pm reads (a service's stdout or stderr), registered with pm's runtime. Reading is in
/// two steps, so that a quiet service holds no read buffer: wait until something is there,
/// then take it into a buffer borrowed for that moment.
pub(crate) trait ReadPipe: Send + 'static {
    /// Resolves once there is something to read (data, the end, or an error).
    fn readable(&self) -> impl std::future::Future<Output = std::io::Result<()>> + Send;
    /// Reads what is there without waiting: `WouldBlock` when nothing is.
    fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize>;
    /// Makes the pipe hold more, once its writer proved busy (a read took [`BUSY_PIPE`]
    /// bytes): `None` when the budget is spent or the OS sizes pipes itself.
    fn widen(&self) -> Option<WidePipe> {
        None
    }
}

#[cfg(unix)]
impl ReadPipe for tokio::net::unix::pipe::Receiver {
    fn readable(&self) -> impl std::future::Future<Output = std::io::Result<()>> + Send {
        tokio::net::unix::pipe::Receiver::readable(self)
    }
    fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        tokio::net::unix::pipe::Receiver::try_read(self, buf)
    }
    fn widen(&self) -> Option<WidePipe> {
        unix::pipe_size::widen(self)
    }
}

#[cfg(windows)]
impl ReadPipe for tokio::net::windows::named_pipe::NamedPipeServer {
    fn readable(&self) -> impl std::future::Future<Output = std::io::Result<()>> + Send {
        tokio::net::windows::named_pipe::NamedPipeServer::readable(self)
    }
    fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        tokio::net::windows::named_pipe::NamedPipeServer::try_read(self, buf)
    }
}

/// Whether a service's pipes are read to their end without waiting for the end-of-file notice
/// once its process and everything it started are gone. On Windows (and under Wine) the broken-
/// pipe notice of a dead process's pipes comes tens of ms after its exit (seen: 6-44 ms for each
/// of 20 services stopped at once under Wine 8), and the Job Object ended every process that
/// could still write to them: what is in a pipe then is all there will be. On Unix the end comes
/// with the exit, and a descendant that left the group may still write (pm waits up to
/// `DRAIN_LIMIT` for it).
pub(crate) const PIPES_END_WITH_JOB: bool = cfg!(windows);

/// A pipe made to hold more than the default: one slot of the process's budget, held as long as
/// the pipe (`unix/pipe_size.rs`). Windows sizes its pipes when it makes them and never widens
/// one.
#[cfg(unix)]
pub(crate) use unix::pipe_size::Wide as WidePipe;
#[cfg(windows)]
pub(crate) type WidePipe = std::convert::Infallible;

/// What one read or write must move for its pipe to count as busy (and worth widening).
pub(crate) const BUSY_PIPE: usize = 64 * 1024;

/// Reads what a service's stdout pipe (`stdio: 'pipe'`) holds now into `buf`'s spare room, on
/// any thread and without asking the runtime's reactor: 0 at the end, `WouldBlock` when empty.
/// A read that waits must use [`ReadPipe::readable`] and `try_read` instead (they keep the
/// reactor's view of the pipe right).
pub(crate) fn read_now(pipe: &OutputPipe, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    #[cfg(unix)]
    return unix::pipe_io::read_now(pipe, buf);
    // Windows reads through the reactor's own buffer: nothing else may read the handle.
    #[cfg(windows)]
    return pipe.try_read_buf(buf);
}

/// Writes what a service's stdin pipe takes now of `data`, on any thread and without asking
/// the runtime's reactor; `WouldBlock` when it is full.
pub(crate) fn write_now(pipe: &StdinPipe, data: &[u8]) -> std::io::Result<usize> {
    #[cfg(unix)]
    return unix::pipe_io::write_now(pipe, data);
    #[cfg(windows)]
    return pipe.try_write(data);
}

/// Makes a service's stdin pipe hold more, once the app filled it; see [`ReadPipe::widen`].
pub(crate) fn widen_stdin(pipe: &StdinPipe) -> Option<WidePipe> {
    #[cfg(unix)]
    return unix::pipe_size::widen(pipe);
    #[cfg(windows)]
    {
        let _ = pipe;
        None
    }
}

/// The number the child finds its IPC channel on (`NODE_CHANNEL_FD`), as `fork` gives it.
pub(crate) const CHILD_FD: i32 = 3;

mod command;
pub(crate) mod pathext;
pub(crate) use command::{Command, Stdio, StopSignal};

#[cfg(unix)]
mod unix;
// Built on every host for tests: its OS-free parts are unit-tested on Linux too.
#[cfg(any(windows, test))]
mod windows;
#[cfg(unix)]
pub(crate) use unix::{
    channel::Channel,
    fs, log_file, marked, priority,
    process::{Killer, Process},
    procinfo,
    spawn::{Input as StdinPipe, Output as OutputPipe, Spawned},
    spawner::Spawner,
};

#[cfg(windows)]
pub(crate) use windows::{
    channel::Channel,
    fs, log_file, marked, priority,
    process::{Killer, Process},
    procinfo,
    spawn::{Input as StdinPipe, Output as OutputPipe, Spawned},
    spawner::Spawner,
};

#[cfg(not(any(unix, windows)))]
compile_error!("elife/pm has no OS layer for this target yet");
