//! What the kernel says about a process: its start time, and whether a process group still has
//! members. Linux reads /proc; other Unixes answer "unknown", and the sweep then leaves
//! processes alone rather than risk a reused pid.

/// The start time of a live process (clock ticks since boot), or None if there is none (a
/// zombie counts as none).
#[cfg(target_os = "linux")]
pub(crate) fn start_time(pid: u32) -> Option<u64> {
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

#[cfg(target_os = "macos")]
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    super::macos::start_time(pid)
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub fn start_time(_pid: u32) -> Option<u64> {
    None
}

/// Whether any process is still in group `pgid`.
pub(crate) fn group_alive(pgid: u32) -> bool {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission.
    pgid > 1 && unsafe { libc::kill(-pgid, 0) } == 0
}

/// Resident memory of `pid` and all its descendants, in bytes (Linux: /proc, following each
/// thread's `children`). None when the process is gone or nothing can be read.
#[cfg(target_os = "linux")]
pub(crate) fn tree_memory(pid: u32) -> Option<u64> {
    // SAFETY: sysconf has no memory effects.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
    let mut total = 0u64;
    let mut todo = vec![pid];
    let mut seen = 0usize;
    while let Some(p) = todo.pop() {
        seen += 1;
        if seen > 10_000 {
            break; // a fork bomb is not worth reading to the end
        }
        let Ok(statm) = std::fs::read_to_string(format!("/proc/{p}/statm")) else {
            if p == pid {
                return None;
            }
            continue;
        };
        let resident: u64 = statm.split(' ').nth(1)?.parse().ok()?;
        total += resident * page;
        todo.extend(children(p));
    }
    Some(total)
}

/// The children of `pid`, from every thread's `children` list.
#[cfg(target_os = "linux")]
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// Seconds of CPU (user and system) that `pid` itself used so far.
#[cfg(target_os = "linux")]
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    // Fields 14 and 15 (utime, stime) are rest[11] and rest[12].
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no memory effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (hz > 0).then(|| ticks as f64 / hz as f64)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn tree_memory(_pid: u32) -> Option<u64> {
    None
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn cpu_seconds(_pid: u32) -> Option<f64> {
    None
}

/// Ends every process in group `pgid` (a leftover of a killed run).
pub(crate) fn kill_group(pgid: u32) {
    super::signals::to_group(pgid, libc::SIGKILL);
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn our_own_memory_and_cpu_are_read() {
        let me = std::process::id();
        assert!(super::tree_memory(me).unwrap() > 1 << 20);
        assert!(super::cpu_seconds(me).unwrap() >= 0.0);
        assert_eq!(super::tree_memory(u32::MAX), None);
    }

    #[test]
    fn our_own_start_time_is_known_and_stable() {
        let me = std::process::id();
        let t = super::start_time(me).unwrap();
        assert_eq!(super::start_time(me), Some(t));
        assert_eq!(super::start_time(u32::MAX), None);
    }
}
