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
pub struct PartialWrite {
    pub written: usize,
    pub error: std::io::Error,
}

/// The main process's own standard streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Std {
    Out,
    Err,
}

/// The number the child finds its IPC channel on (`NODE_CHANNEL_FD`), as `fork` gives it.
pub const CHILD_FD: i32 = 3;

#[cfg(unix)]
mod unix;
// Built on every host for tests: its OS-free parts are unit-tested on Linux too.
#[cfg(any(windows, test))]
mod windows;
#[cfg(unix)]
pub(crate) use unix::{
    channel::Channel,
    fs, log_file, priority,
    process::{Killer, Process},
    procinfo,
    spawner::Spawner,
};

#[cfg(windows)]
pub(crate) use windows::{
    channel::Channel,
    fs, log_file, priority,
    process::{Killer, Process},
    procinfo,
    spawner::Spawner,
};

#[cfg(not(any(unix, windows)))]
compile_error!("elife/pm has no OS layer for this target yet");
