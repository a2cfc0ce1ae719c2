//! The Unix implementations: process groups, signals, a socketpair for the IPC channel.

pub mod channel;
pub mod fs;
pub mod log_file;
pub mod priority;
pub mod process;
pub mod procinfo;
pub mod signals;
pub mod spawn;
pub mod spawner;
