//! elife/pm: a process manager for Electron apps. A Rust supervisor, on its own tokio runtime
//! inside the main process, starts services (Node scripts on Electron's own binary), restarts
//! them when they crash, writes their output to logs as whole lines, and stops them, their
//! children included, when asked or when the app quits.
//!
//! Pure logic (`options`, `backoff`, `lines`, `log_format`, `asar`, `ipc`, `launch`) is tested
//! without Node; OS effects sit in small modules (`os` for what differs per OS,
//! `log_writer`); `binding` is the thin N-API layer.

pub mod ansi;
pub mod asar;
pub mod backoff;
pub mod clock;
pub mod context;
pub mod events;
pub mod ipc;
pub mod keep_alive;
pub mod launch;
pub mod lifecycle;
pub mod lines;
pub mod log_format;
pub mod log_tap;
pub mod log_writer;
pub mod options;
pub mod os;
pub mod output;
pub mod process;
pub mod run_record;
pub mod runtime;
pub mod service;
pub mod start;
pub mod state;
pub mod supervisor;
pub mod which;

// napi-derive registers exports only outside `cfg(test)`; unit tests need no Node.
#[cfg(not(test))]
mod binding;
