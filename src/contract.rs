//! The constants the JS layer and the Python helper share with this crate, defined once here
//! for Rust (lib/constants.js for JS, the helper's own for Python). The addon's `contract()`
//! (`binding/contract.rs`) hands them to JS with a description of the API's shapes, and
//! `__test__/contract.test.js` holds index.d.ts, lib/constants.js and the helper against it.

/// The `cmd` of pm's own messages on Node's IPC channel (Node hands `NODE_` messages to
/// `'internalMessage'`, never to the app's `'message'` listeners).
pub(crate) const CONTROL_CMD: &str = "NODE_ELIFE_PM";
/// Set in every service pm starts, to the main process's pid. pm's child-side code (index.js,
/// the Python helper) trusts it only when it matches the parent pid, so a grandchild that
/// inherits it is not mistaken for a service.
pub const PARENT_ENV: &str = "ELIFE_PM_PARENT";
/// Names the Python that runs `.py` services when `interpreter` is not given.
pub const PYTHON_ENV: &str = "ELIFE_PM_PYTHON";
/// What every call says in an environment that does not own the supervisor.
#[cfg_attr(test, allow(dead_code))] // the N-API layer's, which unit tests do not build
pub(crate) const NOT_MAIN_THREAD: &str = "elife/pm runs in the main thread only (Electron's main \
    process or Node's main thread); it cannot be used from a worker thread or another context";
/// The main-process API, as `require('elife/pm')` exports it.
#[cfg_attr(test, allow(dead_code))] // the N-API layer's
pub(crate) const API: &[&str] = &[
    "start",
    "stop",
    "restart",
    "restartall",
    "stopall",
    "list",
    "send",
    "ready",
    "on",
    "off",
    "onstopping",
    "configure",
    "stdio",
    "logs",
];
