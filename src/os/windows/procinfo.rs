//! The sweep of killed runs' leftovers (`run_record.rs`) needs nothing on Windows: every
//! service runs in a kill-on-close Job Object whose only handle is the main process's, so when
//! a run dies its services die with it, and no record can name a live leftover. These answer
//! "unknown" and "gone", which makes the sweep remove old records and end nothing.

/// A process's start time, for recognising it again: not used on Windows.
pub fn start_time(_pid: u32) -> Option<u64> {
    None
}

/// Whether a recorded group still has members: on Windows the job took them with it.
pub fn group_alive(_pgid: u32) -> bool {
    false
}

/// Nothing to end (see above).
pub fn kill_group(_pgid: u32) {}
