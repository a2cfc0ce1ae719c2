//! elife/pm: a process manager for Electron apps. A Rust supervisor, on its own tokio runtime
//! inside the main process, starts services (Node scripts on Electron's own binary, Python,
//! other programs), restarts them when they crash, writes their output to logs as whole lines,
//! and stops them, their children included, when asked or when the app quits.
//!
//! The map, one concern per module, and who owns which rule:
//! - `binding`: the N-API layer. Converts JS values and calls the supervisor; nothing else.
//!   Owns which environment the supervisor belongs to (the first to `init`).
//! - `supervisor`: the registry and the API's operations; owns call order (each call acts on
//!   the registry as it is when made).
//! - `start`: turning `start()` options into a prepared launch: `options` (checks), `launch`
//!   (command line and environment), `asar`, `which`, `electron_fuse`; every OS fact behind the
//!   `Probe` trait.
//! - `service`: one service's life: `lifecycle` (the pure state machine: state, events, next
//!   step), `backoff` (the restart schedule), the driver and shared `Entry` (`service`),
//!   `instance` (one spawned process: pumps, channel, stop sequence), `ipc` (Node's framing).
//! - `logs`: output to whole, formatted lines and to one writer per destination.
//! - `leftovers`: this run's record and the sweep of what killed runs left behind (`record`:
//!   the pure format and verdicts).
//! - `keep_alive`: whether pm holds Node's event loop (the one owner of that rule); `events`:
//!   what is reported, and the way out for it (`Outbox`).
//! - `error`: the one error type that crosses into JS, with its codes.
//! - `os`: every OS call, one folder per OS family, behind one set of names.
//! - `runtime`, `clock`: pm's tokio runtime; wall-clock time as pm reports it.

pub(crate) mod clock;
pub(crate) mod contract;
pub mod error;
pub mod events;
pub(crate) mod keep_alive;
pub(crate) mod leftovers;
pub(crate) mod logs;
pub(crate) mod os;
#[cfg_attr(test, allow(dead_code))] // the N-API layer's, which unit tests do not build
pub(crate) mod runtime;
pub mod service;
pub mod start;
pub mod supervisor;
pub(crate) mod sync;

// napi-derive registers exports only outside `cfg(test)`; unit tests need no Node.
#[cfg(not(test))]
mod binding;
