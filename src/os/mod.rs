//! Everything that differs per operating system: starting a process, signalling it and its
//! descendants, and the parent's end of the Node IPC channel. The rest of the crate uses only
//! `os::spawn`, `os::signals` and `os::channel`.
//!
//! Only Unix is built, and only Linux is tested. On Linux tokio waits for each child on its own
//! pidfd, so pm never installs a SIGCHLD handler and never reaps a child that is not its own
//! (libuv owns SIGCHLD in the main process). macOS has no pidfd: tokio would reap through a
//! SIGCHLD handler that libuv can replace, so a macOS build needs its own reaper (kqueue
//! `EVFILT_PROC` per child) before it ships; it has no death signal either (the state file sweep
//! covers that).
//!
//! The Windows plan, for when it can be built:
//! - **Spawn** (`CreateProcessW`): `CREATE_NO_WINDOW` so a service opens no console window,
//!   `CREATE_NEW_PROCESS_GROUP`, and `CREATE_SUSPENDED` until the process is in the job below.
//! - **Descendants**: one Job Object per service with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`;
//!   `TerminateJobObject` replaces `kill(-pgid, SIGKILL)`, and because the job handle closes
//!   when the main process dies for any reason, it also replaces `PR_SET_PDEATHSIG`.
//! - **Polite stop**: there is no SIGTERM; services without the IPC channel get
//!   `GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT)` (needs the new process group), then the job is
//!   terminated after `stopTimeout`.
//! - **Start times** for the state file: `GetProcessTimes`; the job's kill-on-close makes the
//!   sweep at the next start a second line of defence only.
//! - **IPC channel**: libuv's way: an overlapped named pipe, its client end passed as a CRT fd
//!   through `STARTUPINFO.lpReserved2`, `NODE_CHANNEL_FD` naming it; framing is the same JSON
//!   lines (`ipc.rs` is shared). See libuv `src/win/process-stdio.c` and `src/win/pipe.c`.

#[cfg(unix)]
mod unix;
// Built on every host for tests: its OS-free parts are unit-tested on Linux too.
#[cfg(any(windows, test))]
mod windows;
#[cfg(unix)]
pub use unix::{channel, priority, procinfo, signals, spawn, spawner};

#[cfg(not(unix))]
compile_error!("elife/pm supports Unix only for now; the Windows plan is in src/os/mod.rs");
