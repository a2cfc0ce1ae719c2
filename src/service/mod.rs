//! One managed service from its registration until pm lets go of it:
//! - `entry`: the shared handle the registry and the API calls see;
//! - `driver`: runs the pure `lifecycle` machine against a real process;
//! - `lifecycle`: the state machine (state, events, next step), with `backoff` counting crashes;
//! - `instance`: one spawned process (its output pumps, channel and stop sequence), with `ipc`
//!   (Node's channel framing);
//! - `context`: what every service task shares (host facts, log writers, the run record, the
//!   spawner, the live services, the way out for events).

pub(crate) mod backoff;
pub(crate) mod context;
pub(crate) mod dependencies;
pub(crate) mod driver;
pub(crate) mod entry;
pub(crate) mod instance;
pub(crate) mod ipc;
pub mod lifecycle;
pub(crate) mod probe;
pub(crate) mod sampler;
pub mod stdio;

pub use entry::{Entry, Outcome};
