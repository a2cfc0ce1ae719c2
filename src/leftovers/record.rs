//! The record of what a main process started, kept in a small file so that the next run of the
//! same app can end what a killed run left behind. Pure: the format, and the decision of what
//! to end given what is alive now; the files themselves are in `leftovers` (mod.rs).
//!
//! One file per main process (`run-<pid>.json` in the app's state directory). A process is
//! identified by its pid *and* its start time, so a pid the OS has since given to an unrelated
//! process is never mistaken for ours; a run whose main process still lives (a second copy of
//! the app) is left alone.

use serde::{Deserialize, Serialize};

/// A process as the kernel knows it: pid and start time (clock ticks since boot on Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Identity {
    pub pid: u32,
    pub start: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Service {
    #[serde(flatten)]
    pub id: Identity,
    /// Its process group (the same number as its pid: pm makes each service a group leader).
    pub pgid: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Run {
    pub main: Identity,
    pub services: Vec<Service>,
}

/// What to do about a leftover service group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Its main process still runs (another copy of the app): not ours to touch.
    Live,
    /// The group to kill: the leader still runs, or only its descendants do.
    Kill(u32),
    /// Nothing left, or the pid now belongs to another process.
    Gone,
}

/// Decides for each service of a recorded run. `start_of(pid)` is the start time of a live
/// process, `group_alive(pgid)` whether any process is still in that group.
pub(crate) fn judge(
    run: &Run,
    start_of: impl Fn(u32) -> Option<u64>,
    group_alive: impl Fn(u32) -> bool,
) -> Vec<Verdict> {
    let main_alive = start_of(run.main.pid) == Some(run.main.start);
    run.services
        .iter()
        .map(|s| {
            if main_alive {
                return Verdict::Live;
            }
            match start_of(s.id.pid) {
                // The leader itself is still there.
                Some(start) if start == s.id.start => Verdict::Kill(s.pgid),
                // The pid was given to another process: that process, and any group it leads,
                // are not ours.
                Some(_) => Verdict::Gone,
                // The leader is gone; while any member lives, the kernel keeps the pgid from
                // being reused, so the members are the leader's descendants.
                None if group_alive(s.pgid) => Verdict::Kill(s.pgid),
                None => Verdict::Gone,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(main_start: u64) -> Run {
        Run {
            main: Identity {
                pid: 100,
                start: main_start,
            },
            services: vec![
                Service {
                    id: Identity {
                        pid: 200,
                        start: 20,
                    },
                    pgid: 200,
                },
                Service {
                    id: Identity {
                        pid: 300,
                        start: 30,
                    },
                    pgid: 300,
                },
                Service {
                    id: Identity {
                        pid: 400,
                        start: 40,
                    },
                    pgid: 400,
                },
            ],
        }
    }

    #[test]
    fn a_dead_runs_services_are_killed_but_not_a_reused_pid() {
        // 200 still runs; 300's pid now belongs to a process started later; 400 is gone but a
        // grandchild keeps its group alive.
        let start_of = |pid| match pid {
            200 => Some(20),
            300 => Some(99),
            _ => None,
        };
        let verdicts = judge(&run(10), start_of, |pgid| pgid == 400);
        assert_eq!(
            verdicts,
            [Verdict::Kill(200), Verdict::Gone, Verdict::Kill(400)]
        );
    }

    #[test]
    fn a_live_runs_services_are_left_alone() {
        let start_of = |pid| match pid {
            100 => Some(10),
            200 => Some(20),
            _ => None,
        };
        assert!(judge(&run(10), start_of, |_| true)
            .iter()
            .all(|v| *v == Verdict::Live));
        // Same pid, another start time: the main process died and its pid was reused.
        let reused = |pid| match pid {
            100 => Some(11),
            200 => Some(20),
            _ => None,
        };
        assert_eq!(judge(&run(10), reused, |_| false)[0], Verdict::Kill(200));
    }

    #[test]
    fn the_record_round_trips_as_json() {
        let r = run(10);
        let text = serde_json::to_string(&r).unwrap();
        assert!(
            text.contains("\"pid\":200,\"start\":20,\"pgid\":200"),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Run>(&text).unwrap(), r);
    }
}
