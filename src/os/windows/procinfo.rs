//! What the system knows of processes: their memory and CPU for `list()` and `maxMemory`.
//!
//! The sweep of killed runs' leftovers (`leftovers`) needs nothing on Windows: every
//! service runs in a kill-on-close Job Object whose only handle is the main process's, so when
//! a run dies its services die with it, and no record can name a live leftover. These answer
//! "unknown" and "gone", which makes the sweep remove old records and end nothing.

/// A process's start time, for recognising it again: not used on Windows.
pub(crate) fn start_time(_pid: u32) -> Option<u64> {
    None
}

/// Whether a recorded group still has members: on Windows the job took them with it.
pub(crate) fn group_alive(_pgid: u32) -> bool {
    false
}

/// Nothing to end (see above).
pub(crate) fn kill_group(_pgid: u32) {}

/// Working-set memory of `pid` and all its descendants, in bytes (parents from a Toolhelp
/// snapshot; the job would also hold them, but the caller names a pid). Windows reuses pids and
/// keeps a process's parent pid after the parent is gone, so a process counts as a child only
/// when it was created after the parent it names.
pub(crate) fn tree_memory(pid: u32) -> Option<u64> {
    use windows_sys::Win32::System::Diagnostics::ToolHelp::{
        CreateToolhelp32Snapshot, Process32FirstW, Process32NextW, PROCESSENTRY32W,
        TH32CS_SNAPPROCESS,
    };
    let own = working_set(pid)?;
    // SAFETY: a snapshot of all processes; the handle is owned below.
    let snap =
        super::handles::owned(unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) }).ok()?;
    let mut parents: Vec<(u32, u32)> = Vec::new();
    // SAFETY: a zeroed PROCESSENTRY32W with its size set is what Process32FirstW expects.
    let mut entry: PROCESSENTRY32W = unsafe { std::mem::zeroed() };
    entry.dwSize = std::mem::size_of::<PROCESSENTRY32W>() as u32;
    let raw = std::os::windows::io::AsRawHandle::as_raw_handle(&snap);
    // SAFETY: `raw` is a live snapshot handle; `entry` is valid for writes.
    let mut more = unsafe { Process32FirstW(raw, &mut entry) } != 0;
    while more {
        parents.push((entry.th32ProcessID, entry.th32ParentProcessID));
        // SAFETY: as above.
        more = unsafe { Process32NextW(raw, &mut entry) } != 0;
    }
    let mut total = own;
    let mut todo = vec![(pid, times(pid)?.created)];
    let mut seen = vec![pid];
    while let Some((p, p_created)) = todo.pop() {
        for (child, parent) in &parents {
            if *parent != p || seen.contains(child) {
                continue;
            }
            let Some(t) = times(*child) else { continue };
            if t.created < p_created {
                continue; // an older process whose own parent had this pid before
            }
            seen.push(*child);
            todo.push((*child, t.created));
            total += working_set(*child).unwrap_or(0);
        }
    }
    Some(total)
}

fn working_set(pid: u32) -> Option<u64> {
    use windows_sys::Win32::System::ProcessStatus::{
        K32GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS,
    };
    let process = open(pid)?;
    // SAFETY: a zeroed counters struct with its size is what the call fills.
    let mut counters: PROCESS_MEMORY_COUNTERS = unsafe { std::mem::zeroed() };
    counters.cb = std::mem::size_of::<PROCESS_MEMORY_COUNTERS>() as u32;
    let raw = std::os::windows::io::AsRawHandle::as_raw_handle(&process);
    // SAFETY: `raw` is a live process handle with query rights; `counters` is valid.
    let ok = unsafe { K32GetProcessMemoryInfo(raw, &mut counters, counters.cb) };
    (ok != 0).then_some(counters.WorkingSetSize as u64)
}

/// Seconds of CPU (user and kernel) that `pid` itself used so far.
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    // FILETIME counts 100 ns ticks.
    times(pid).map(|t| t.cpu_ticks as f64 / 1e7)
}

struct Times {
    /// When the process was created, in FILETIME ticks.
    created: u64,
    /// Kernel and user time, in FILETIME ticks.
    cpu_ticks: u64,
}

fn times(pid: u32) -> Option<Times> {
    use windows_sys::Win32::Foundation::FILETIME;
    use windows_sys::Win32::System::Threading::GetProcessTimes;
    let process = open(pid)?;
    let zero = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
    let raw = std::os::windows::io::AsRawHandle::as_raw_handle(&process);
    // SAFETY: `raw` is a live process handle with query rights; the FILETIMEs are valid.
    let ok = unsafe { GetProcessTimes(raw, &mut created, &mut exited, &mut kernel, &mut user) };
    let ticks = |t: FILETIME| (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime);
    (ok != 0).then(|| Times {
        created: ticks(created),
        cpu_ticks: ticks(kernel) + ticks(user),
    })
}

fn open(pid: u32) -> Option<std::os::windows::io::OwnedHandle> {
    use windows_sys::Win32::System::Threading::{OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION};
    // SAFETY: no memory effects; a failure is a null handle, which `owned` turns into an error.
    super::handles::owned(unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) }).ok()
}
