//! A service's output, from its pipes to its log: whole lines (`lines`), escape codes removed
//! on request (`ansi`), formatted with time and name (`format`), read by one pump per stream
//! (`pump`), written by a fixed set of log threads (`writer`) into sinks (`sink`: files with
//! `rotation`, and their `compress`ion), kept as each process's last lines (`tail`), and
//! handed to JS while someone listens (`tap`).

pub(crate) mod ansi;
pub(crate) mod compress;
pub(crate) mod format;
pub(crate) mod lines;
pub(crate) mod pump;
pub(crate) mod reader;
pub(crate) mod rotation;
pub(crate) mod sink;
pub(crate) mod tail;
pub(crate) mod tap;
pub(crate) mod writer;

/// Where the log threads report a file's faults (an `'error'` event for the app).
pub(crate) type Report = std::sync::Arc<dyn Fn(crate::events::Event) + Send + Sync>;
