//! Sending signals to a service and to its process group, and naming them as Node does.

/// Sends `sig` to one process. A process that is already gone is not an error.
pub(crate) fn to_process(pid: u32, sig: i32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        if pid > 0 {
            // SAFETY: kill has no memory effects; ESRCH (already gone) is expected and ignored.
            unsafe { libc::kill(pid, sig) };
        }
    }
}

/// Sends `sig` to every process in the group that `leader` started (`setpgid(0, 0)` at spawn),
/// so grandchildren are reached too, even those re-parented since.
pub(crate) fn to_group(leader: u32, sig: i32) {
    if let Ok(pgid) = libc::pid_t::try_from(leader) {
        if pgid > 1 {
            // SAFETY: as above; a negative pid addresses the process group.
            unsafe { libc::kill(-pgid, sig) };
        }
    }
}

/// The number of a stop signal.
pub(crate) fn number(signal: crate::os::StopSignal) -> i32 {
    use crate::os::StopSignal;
    match signal {
        StopSignal::Term => libc::SIGTERM,
        StopSignal::Int => libc::SIGINT,
        StopSignal::Quit => libc::SIGQUIT,
        StopSignal::Hup => libc::SIGHUP,
        StopSignal::Usr1 => libc::SIGUSR1,
        StopSignal::Usr2 => libc::SIGUSR2,
    }
}

/// The conventional name of a signal number, as Node reports it (`'SIGTERM'`).
pub(crate) fn name(sig: i32) -> String {
    let known = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("SIG{sig}"),
    };
    known.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn stop_signals_are_named_as_node_names_them() {
        for (name, sig) in crate::os::StopSignal::ALL {
            assert_eq!(super::name(super::number(sig)), name);
        }
    }

    #[test]
    fn names() {
        assert_eq!(super::name(libc::SIGKILL), "SIGKILL");
        assert_eq!(super::name(libc::SIGTERM), "SIGTERM");
        assert_eq!(super::name(99), "SIG99");
    }
}
