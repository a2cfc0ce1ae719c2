//! What the kernel says about a process: its start time, and whether a process group still has
//! members. Linux reads /proc; other Unixes answer "unknown", and the sweep then leaves
//! processes alone rather than risk a reused pid.

/// The start time of a live process (clock ticks since boot), or None if there is none (a
/// zombie counts as none).
#[cfg(target_os = "linux")]
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields after it start past
    // the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // rest[0] is field 3 (state); starttime is field 22.
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
pub fn start_time(_pid: u32) -> Option<u64> {
    None
}

/// Whether any process is still in group `pgid`.
pub fn group_alive(pgid: u32) -> bool {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission.
    pgid > 1 && unsafe { libc::kill(-pgid, 0) } == 0
}

/// Ends every process in group `pgid` (a leftover of a killed run).
pub fn kill_group(pgid: u32) {
    super::signals::to_group(pgid, libc::SIGKILL);
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn our_own_start_time_is_known_and_stable() {
        let me = std::process::id();
        let t = super::start_time(me).unwrap();
        assert_eq!(super::start_time(me), Some(t));
        assert_eq!(super::start_time(u32::MAX), None);
    }
}
