//! The kqueue requests pm makes on macOS, and what the answers mean, without the syscall: the
//! reaper (`kqueue.rs`) and the orphan watchdog (`watchdog.rs`) build their `kevent` records
//! from these, and the logic is tested on Linux, where there is no kqueue. The constants are
//! Darwin's (<sys/event.h>); a macOS-only test checks them against libc's.

/// Darwin's values (xnu bsd/sys/event.h).
pub(crate) mod darwin {
    pub(crate) const EVFILT_READ: i16 = -1;
    pub(crate) const EVFILT_PROC: i16 = -5;
    pub(crate) const EV_ADD: u16 = 0x1;
    pub(crate) const EV_ONESHOT: u16 = 0x10;
    pub(crate) const EV_RECEIPT: u16 = 0x40;
    pub(crate) const EV_ERROR: u16 = 0x4000;
    pub(crate) const EV_EOF: u16 = 0x8000;
    pub(crate) const NOTE_EXIT: u32 = 0x8000_0000;
}

use darwin::*;

/// One change or event, the fields of `struct kevent` that pm uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kev {
    pub ident: usize,
    pub filter: i16,
    pub flags: u16,
    pub fflags: u32,
    pub data: isize,
}

/// "Tell me once when process `pid` exits." With EV_RECEIPT the registration's own result comes
/// back at once as an EV_ERROR record (data 0: watching; ESRCH: no such process, it is already
/// gone), so registering never consumes a pending exit event.
pub(crate) fn watch_exit(pid: u32) -> Kev {
    Kev {
        ident: pid as usize,
        filter: EVFILT_PROC,
        flags: EV_ADD | EV_ONESHOT | EV_RECEIPT,
        fflags: NOTE_EXIT,
        data: 0,
    }
}

/// "Tell me when `fd` has data or hit end of file", also with a receipt.
pub(crate) fn watch_readable(fd: i32) -> Kev {
    Kev {
        ident: fd as usize,
        filter: EVFILT_READ,
        flags: EV_ADD | EV_RECEIPT,
        fflags: 0,
        data: 0,
    }
}

/// What a record returned by `kevent` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// A receipt: the watch is in place.
    Watching,
    /// A receipt: the process to watch does not exist (any more).
    NoSuchProcess,
    /// A receipt with another error (errno).
    Failed(i32),
    /// Process `pid` exited.
    Exited(u32),
    /// `fd` has this many bytes to read; `eof` once the writers are all gone.
    Readable { fd: i32, eof: bool },
    /// Anything else (not asked for).
    Other,
}

pub(crate) fn classify(k: &Kev) -> Seen {
    if k.flags & EV_ERROR != 0 {
        return match k.data as i32 {
            0 => Seen::Watching,
            e if e == libc::ESRCH => Seen::NoSuchProcess,
            e => Seen::Failed(e),
        };
    }
    match k.filter {
        EVFILT_PROC if k.fflags & NOTE_EXIT != 0 => Seen::Exited(k.ident as u32),
        EVFILT_READ => Seen::Readable {
            fd: k.ident as i32,
            eof: k.flags & EV_EOF != 0,
        },
        _ => Seen::Other,
    }
}

#[cfg(target_os = "macos")]
impl Kev {
    pub(crate) fn to_sys(self) -> libc::kevent {
        libc::kevent {
            ident: self.ident,
            filter: self.filter,
            flags: self.flags,
            fflags: self.fflags,
            data: self.data,
            udata: std::ptr::null_mut(),
        }
    }

    pub(crate) fn from_sys(k: &libc::kevent) -> Kev {
        Kev {
            ident: k.ident,
            filter: k.filter,
            flags: k.flags,
            fflags: k.fflags,
            data: k.data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exit_watch_is_a_one_shot_proc_filter_with_a_receipt() {
        let k = watch_exit(4242);
        assert_eq!((k.ident, k.filter, k.fflags), (4242, -5, 0x8000_0000));
        assert_eq!(k.flags, 0x1 | 0x10 | 0x40);
        let r = watch_readable(7);
        assert_eq!((r.ident, r.filter, r.flags, r.fflags), (7, -1, 0x41, 0));
    }

    #[test]
    fn receipts_and_events_are_told_apart() {
        let receipt = |data| Kev {
            flags: EV_ADD | EV_ONESHOT | EV_RECEIPT | EV_ERROR,
            data,
            ..watch_exit(9)
        };
        assert_eq!(classify(&receipt(0)), Seen::Watching);
        assert_eq!(
            classify(&receipt(libc::ESRCH as isize)),
            Seen::NoSuchProcess
        );
        assert_eq!(
            classify(&receipt(libc::EPERM as isize)),
            Seen::Failed(libc::EPERM)
        );
        // The kernel reports NOTE_EXIT with the exit status in the low bits only when asked
        // (NOTE_EXITSTATUS); pm reaps with waitpid instead, so only the flag matters.
        let exit = Kev {
            flags: EV_ADD | EV_ONESHOT | EV_EOF,
            fflags: NOTE_EXIT,
            ..watch_exit(9)
        };
        assert_eq!(classify(&exit), Seen::Exited(9));
        let other_note = Kev {
            fflags: 0x4000_0000, // NOTE_FORK
            ..exit
        };
        assert_eq!(classify(&other_note), Seen::Other);
        let data = Kev {
            data: 5,
            flags: EV_ADD,
            ..watch_readable(3)
        };
        assert_eq!(classify(&data), Seen::Readable { fd: 3, eof: false });
        let eof = Kev {
            flags: EV_ADD | EV_EOF,
            ..data
        };
        assert_eq!(classify(&eof), Seen::Readable { fd: 3, eof: true });
    }

    #[cfg(target_os = "macos")]
    #[test]
    fn constants_are_darwins() {
        assert_eq!(EVFILT_READ, libc::EVFILT_READ);
        assert_eq!(EVFILT_PROC, libc::EVFILT_PROC);
        assert_eq!(EV_ADD, libc::EV_ADD);
        assert_eq!(EV_ONESHOT, libc::EV_ONESHOT);
        assert_eq!(EV_RECEIPT, libc::EV_RECEIPT);
        assert_eq!(EV_ERROR, libc::EV_ERROR);
        assert_eq!(EV_EOF, libc::EV_EOF);
        assert_eq!(NOTE_EXIT, libc::NOTE_EXIT);
        let k = watch_exit(1).to_sys();
        assert_eq!(Kev::from_sys(&k), watch_exit(1));
    }
}
