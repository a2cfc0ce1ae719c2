//! The Unix implementations: process groups, signals, a socketpair for the IPC channel.

pub mod channel;
pub mod fs;
pub mod priority;
pub mod process;
pub mod procinfo;
pub mod signals;
pub mod spawn;
pub mod spawner;

// macOS: the reaper and the orphan watchdog (and their pure parts, tested on every Unix).
// Not wired into spawning yet (dead code until the hooks land).
#[cfg(any(target_os = "macos", test))]
#[allow(dead_code)]
pub(crate) mod kevent;
#[cfg(target_os = "macos")]
#[allow(dead_code)]
pub(crate) mod kqueue;
#[cfg(any(target_os = "macos", test))]
#[allow(dead_code)]
pub(crate) mod wait_status;
#[cfg(any(target_os = "macos", test))]
#[allow(dead_code)]
pub(crate) mod watchdog;
