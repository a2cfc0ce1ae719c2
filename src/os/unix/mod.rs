//! The Unix implementations: process groups, signals, a socketpair for the IPC channel.

pub(super) mod channel;
pub(crate) mod fds;
pub(crate) mod fs;
pub(crate) mod log_file;
pub(crate) mod marked;
pub(crate) mod pipe_io;
pub(crate) mod pipe_size;
pub(crate) mod priority;
pub(super) mod process;
pub(crate) mod procinfo;
pub(crate) mod reap;
pub(super) mod signals;
pub(super) mod spawn;
pub(super) mod spawner;

// Linux: the vfork-style spawn and the pidfd it gives.
#[cfg(target_os = "linux")]
pub(crate) mod pidfd;
#[cfg(target_os = "linux")]
pub(crate) mod vfork;

// macOS: the kqueue reaper, the orphan watchdog, process start times and thread QoS. Their
// pure parts and the watchdog itself are built and tested on Linux too.
#[cfg(any(target_os = "macos", test))]
pub(crate) mod kevent;
#[cfg(target_os = "macos")]
pub(crate) mod kqueue;
#[cfg(target_os = "macos")]
pub(crate) mod macos;
#[cfg(any(target_os = "macos", test))]
pub(crate) mod watchdog;
