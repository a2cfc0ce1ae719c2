//! Windows needs no marker to find what a service started: its Job Object holds every
//! descendant, however it was started (`job.rs`), and ending the job ends them all.

/// Windows finds no marked processes: it has no need to (see above).
pub(crate) const SUPPORTED: bool = false;

/// Nothing to do on Windows (see above); returns no pids.
pub(crate) fn kill_marked(_name: &str, _ours: impl FnMut(u32, &[u8]) -> bool) -> Vec<u32> {
    Vec::new()
}
