//! Decoding the status `waitpid` reports, for the macOS reaper (`kqueue.rs`); Linux gets it from
//! tokio. Decoded by hand from the layout Darwin's and Linux's <sys/wait.h> share (exit code in
//! bits 8..16, terminating signal in bits 0..7, 0x7f meaning stopped), so it is tested here on
//! Linux against known values and, on each host, against its libc's macros.

/// How a reaped process ended, as far as a wait status tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// It called exit (or returned from main) with this code.
    Exited(i32),
    /// A signal ended it.
    Signaled(i32),
}

/// The end a wait status describes; None for a status that is not an end (stopped, continued),
/// which `waitpid` without WUNTRACED/WCONTINUED never reports.
pub(crate) fn decode(status: i32) -> Option<Ended> {
    let low = status & 0x7f;
    if low == 0 {
        Some(Ended::Exited((status >> 8) & 0xff))
    } else if low != 0x7f && status != 0xffff {
        Some(Ended::Signaled(low))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, Ended};

    #[test]
    fn exits_and_signals() {
        assert_eq!(decode(0), Some(Ended::Exited(0)));
        assert_eq!(decode(3 << 8), Some(Ended::Exited(3)));
        assert_eq!(decode(255 << 8), Some(Ended::Exited(255)));
        assert_eq!(decode(9), Some(Ended::Signaled(9)));
        assert_eq!(decode(15), Some(Ended::Signaled(15)));
        // A core dump sets bit 7; the signal is still the low 7 bits.
        assert_eq!(decode(0x80 | 11), Some(Ended::Signaled(11)));
        // Stopped (WSTOPSIG in the high byte) and continued are not ends.
        assert_eq!(decode((19 << 8) | 0x7f), None);
        assert_eq!(decode(0xffff), None);
    }

    /// The hand decoding agrees with this host's libc macros for every exit code and signal.
    #[test]
    fn agrees_with_libc() {
        for code in 0..=255 {
            let s = code << 8;
            assert!(libc::WIFEXITED(s));
            assert_eq!(decode(s), Some(Ended::Exited(libc::WEXITSTATUS(s))));
        }
        for sig in 1..32 {
            for core in [0, 0x80] {
                let s = sig | core;
                assert!(libc::WIFSIGNALED(s), "{s:#x}");
                assert_eq!(decode(s), Some(Ended::Signaled(libc::WTERMSIG(s))));
            }
        }
    }

    /// Real statuses from real children.
    #[test]
    fn real_children() {
        use std::os::unix::process::ExitStatusExt;
        let st = std::process::Command::new("sh")
            .args(["-c", "exit 7"])
            .status()
            .unwrap();
        assert_eq!(decode(st.into_raw()), Some(Ended::Exited(7)));
        let st = std::process::Command::new("sh")
            .args(["-c", "kill -TERM $$"])
            .status()
            .unwrap();
        assert_eq!(decode(st.into_raw()), Some(Ended::Signaled(libc::SIGTERM)));
    }
}
