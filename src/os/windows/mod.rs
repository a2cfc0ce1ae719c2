//! The Windows implementations: `CreateProcessW` into a kill-on-close Job Object, named pipes
//! for output and for Node's IPC channel (handed over as CRT fd 3), `TerminateJobObject` for
//! every stop. Why each piece is as it is:
//! - **Descendants and orphans**: each service runs in its own Job Object with
//!   `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`, created suspended and assigned before its first
//!   instruction, so everything it starts is in the job too. pm holds the only handle: when the
//!   main process dies in any way, Windows closes it and ends the whole tree. That replaces
//!   Linux's process groups, the death signal and the leftover sweep (`procinfo.rs`).
//! - **Polite stop**: Windows has no SIGTERM. Services that asked to be told (Node's
//!   `onstopping`, the Python helper) are told over the IPC channel by the layer above; the rest
//!   are ended with their job at once (`Process::terminate`). A console Ctrl-Break cannot reach
//!   a service from a GUI main process (no shared console) and does not work under Wine.
//! - **No console windows**: `CREATE_NO_WINDOW`.
//!
//! The string work (command lines, environment block, the CRT fd buffer, libuv's IPC frames) is
//! in OS-free modules that are compiled and unit-tested on every host.

// OS-free: built everywhere so `cargo test` on Linux checks them; only Windows calls them.
#![cfg_attr(not(windows), allow(dead_code))]
pub(super) mod cmdline;
pub(super) mod crt_fds;
pub(super) mod envblock;
pub(super) mod frame;

#[cfg(windows)]
pub(super) mod channel;
#[cfg(windows)]
pub(crate) mod fs;
#[cfg(windows)]
mod handles;
#[cfg(windows)]
mod job;
#[cfg(windows)]
pub(crate) mod log_file;
#[cfg(windows)]
pub(crate) mod marked;
#[cfg(windows)]
mod pipes;
#[cfg(windows)]
pub(crate) mod priority;
#[cfg(windows)]
pub(super) mod process;
#[cfg(windows)]
pub(crate) mod procinfo;
#[cfg(windows)]
pub(super) mod spawn;
#[cfg(windows)]
pub(super) mod spawner;
#[cfg(all(test, windows))]
mod tests;
