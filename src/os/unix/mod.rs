//! The Unix implementations: process groups, signals, a socketpair for the IPC channel.

pub mod channel;
pub(crate) mod fds;
pub mod fs;
pub mod log_file;
pub mod priority;
pub mod process;
pub mod procinfo;
pub(crate) mod reap;
pub mod signals;
pub mod spawn;
pub mod spawner;

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
