//! macOS: no service outlives a main process that was killed. Linux has `PR_SET_PDEATHSIG`;
//! macOS has nothing like it, so one small watchdog process per main process (not one per
//! service) holds the list of the services' process groups and ends them when the main process
//! is gone: SIGTERM to each group, then SIGKILL to whatever is left after that service's grace
//! period. Node and Python services with pm's helpers also notice by themselves (their IPC
//! channel closes); the state-file sweep at the next start stays the last net.
//!
//! The watchdog is forked, not exec'd: there is no separate binary to ship and nothing that a
//! disabled `runAsNode` fuse could stop. Between fork and `_exit` it runs only async-signal-safe
//! system calls on memory it owns (no allocation, no locks), so forking from a multi-threaded
//! Electron is sound. It is forked twice so that it is never a child (or zombie) of the app.
//!
//! The main process tells it about groups over a pipe (`Record`, 9 bytes, written atomically);
//! it learns of the main process's end from that pipe's end of file (the kernel closes the
//! write end whatever killed the app; it is close-on-exec, so no service holds it) and, on
//! macOS, also from a kqueue `NOTE_EXIT` watch on the main pid. On Linux, where it is built only
//! for its tests, it waits on the pipe alone.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// The most groups it tracks at once; more services than this run unwatched (the sweep at the
/// next start still covers them).
pub(crate) const CAPACITY: usize = 512;
const RECORD: usize = 9;

/// One message from the main process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    /// Watch group `pgid`; when the main process dies, SIGTERM it and SIGKILL it `grace_ms`
    /// later if anything is left.
    Watch { pgid: i32, grace_ms: u32 },
    /// The group is gone (pm ended it): forget it.
    Forget { pgid: i32 },
}

impl Record {
    pub(crate) fn encode(self) -> [u8; RECORD] {
        let mut b = [0u8; RECORD];
        let (op, pgid, grace) = match self {
            Record::Watch { pgid, grace_ms } => (b'+', pgid, grace_ms),
            Record::Forget { pgid } => (b'-', pgid, 0),
        };
        b[0] = op;
        b[1..5].copy_from_slice(&pgid.to_le_bytes());
        b[5..9].copy_from_slice(&grace.to_le_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8; RECORD]) -> Option<Record> {
        let pgid = i32::from_le_bytes([b[1], b[2], b[3], b[4]]);
        let grace_ms = u32::from_le_bytes([b[5], b[6], b[7], b[8]]);
        if pgid <= 1 {
            return None; // never signal group 0 (ours), 1 or "all" (-1)
        }
        match b[0] {
            b'+' => Some(Record::Watch { pgid, grace_ms }),
            b'-' => Some(Record::Forget { pgid }),
            _ => None,
        }
    }
}

/// The groups being watched: a fixed array, because the watchdog may not allocate.
pub(crate) struct Groups {
    pgid: [i32; CAPACITY],
    grace_ms: [u32; CAPACITY],
    len: usize,
}

impl Groups {
    pub(crate) const fn new() -> Groups {
        Groups {
            pgid: [0; CAPACITY],
            grace_ms: [0; CAPACITY],
            len: 0,
        }
    }

    pub(crate) fn apply(&mut self, r: Record) {
        match r {
            Record::Watch { pgid, grace_ms } => {
                if let Some(i) = self.find(pgid) {
                    self.grace_ms[i] = grace_ms;
                } else if self.len < CAPACITY {
                    self.pgid[self.len] = pgid;
                    self.grace_ms[self.len] = grace_ms;
                    self.len += 1;
                }
            }
            Record::Forget { pgid } => {
                if let Some(i) = self.find(pgid) {
                    self.len -= 1;
                    self.pgid[i] = self.pgid[self.len];
                    self.grace_ms[i] = self.grace_ms[self.len];
                }
            }
        }
    }

    fn find(&self, pgid: i32) -> Option<usize> {
        self.pgid[..self.len].iter().position(|&p| p == pgid)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (i32, u32)> + '_ {
        self.pgid[..self.len]
            .iter()
            .copied()
            .zip(self.grace_ms[..self.len].iter().copied())
    }
}

/// Reassembles records from reads of any size (a pipe may split nothing under PIPE_BUF, but a
/// read may return several records at once).
pub(crate) struct Reader {
    buf: [u8; RECORD],
    have: usize,
}

impl Reader {
    pub(crate) const fn new() -> Reader {
        Reader {
            buf: [0; RECORD],
            have: 0,
        }
    }

    pub(crate) fn feed(&mut self, mut bytes: &[u8], groups: &mut Groups) {
        while !bytes.is_empty() {
            let n = (RECORD - self.have).min(bytes.len());
            self.buf[self.have..self.have + n].copy_from_slice(&bytes[..n]);
            self.have += n;
            bytes = &bytes[n..];
            if self.have == RECORD {
                if let Some(r) = Record::decode(&self.buf) {
                    groups.apply(r);
                }
                self.have = 0;
            }
        }
    }
}

/// The main process's end: the pipe to the watchdog.
pub(crate) struct Watchdog {
    tx: OwnedFd,
}

impl Watchdog {
    /// Forks the watchdog for this process. It ends the recorded groups when `tx` closes,
    /// which happens when this process dies (or this value is dropped).
    pub(crate) fn start() -> io::Result<Watchdog> {
        let (rx, tx) = super::fds::cloexec_pipe()?;
        // Never block the caller: a watchdog that stopped reading loses records, not the app.
        // SAFETY: fcntl on a descriptor we own.
        unsafe {
            let fl = libc::fcntl(tx.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(tx.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
        // A write after the watchdog died must be an EPIPE error, not a SIGPIPE that would end
        // a host that does not ignore it (Node and Electron do).
        #[cfg(target_os = "macos")]
        // SAFETY: as above.
        unsafe {
            libc::fcntl(tx.as_raw_fd(), libc::F_SETNOSIGPIPE, 1);
        }
        // SAFETY: getpid has no preconditions.
        let main = unsafe { libc::getpid() };
        // SAFETY: the child branch runs only async-signal-safe calls and never returns.
        let first = unsafe { libc::fork() };
        if first < 0 {
            return Err(io::Error::last_os_error());
        }
        if first == 0 {
            // SAFETY: in the first child: fork again and leave at once, so the watchdog is
            // re-parented to launchd/init and is never this app's zombie.
            unsafe {
                match libc::fork() {
                    0 => watchdog_main(rx.as_raw_fd(), main),
                    _ => libc::_exit(0),
                }
            }
        }
        drop(rx);
        let mut status = 0;
        // SAFETY: reaps the short-lived first child, which is ours alone (it exits at once).
        while unsafe { libc::waitpid(first, &mut status, 0) } < 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
        Ok(Watchdog { tx })
    }

    pub(crate) fn send(&self, r: Record) -> io::Result<()> {
        let b = r.encode();
        // SAFETY: writes from a live buffer; a write of fewer than PIPE_BUF bytes is atomic.
        let n = unsafe { libc::write(self.tx.as_raw_fd(), b.as_ptr().cast(), b.len()) };
        if n == b.len() as isize {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Watches the group a service leads, with its grace period.
    pub(crate) fn watch(&self, pgid: u32, grace: Duration) {
        if let Ok(pgid) = i32::try_from(pgid) {
            let grace_ms = u32::try_from(grace.as_millis()).unwrap_or(u32::MAX);
            let _ = self.send(Record::Watch { pgid, grace_ms });
        }
    }

    pub(crate) fn forget(&self, pgid: u32) {
        if let Ok(pgid) = i32::try_from(pgid) {
            let _ = self.send(Record::Forget { pgid });
        }
    }
}

// ---- the watchdog process: async-signal-safe code only from here on ----

/// # Safety
/// Call only in a freshly forked child: it closes every descriptor but `rx` and never returns.
unsafe fn watchdog_main(rx: RawFd, main: libc::pid_t) -> ! {
    // SAFETY: the caller's contract: this is the freshly forked watchdog, where only
    // async-signal-safe system calls run, on descriptors and buffers it owns.
    unsafe {
        // Its own session: no terminal signals, and a kill of the app's process group spares it.
        libc::setsid();
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        // Every other descriptor the app had (IPC sockets above all: a service must see its
        // channel close when the app dies) is closed here.
        let mut lim: libc::rlimit = std::mem::zeroed();
        let max = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur.min(65536) as RawFd
        } else {
            4096
        };
        for fd in 0..max {
            if fd != rx {
                libc::close(fd);
            }
        }

        let mut groups = Groups::new();
        let mut reader = Reader::new();
        let mut buf = [0u8; 512];
        let mut waiter = Waiter::new(rx, main);
        loop {
            if !waiter.wait() {
                break;
            }
            let n = libc::read(rx, buf.as_mut_ptr().cast(), buf.len());
            if n > 0 {
                reader.feed(&buf[..n as usize], &mut groups);
            } else if n == 0 || *errno() != libc::EINTR {
                break; // end of file: every write end is closed, the app is gone
            }
        }
        end_groups(&groups);
        libc::_exit(0)
    }
}

/// SIGTERM to every group, then SIGKILL to each one still there when its grace ran out.
unsafe fn end_groups(groups: &Groups) {
    // SAFETY: async-signal-safe system calls (kill, clock_gettime, nanosleep) in the watchdog
    // process, with pointers to locals.
    unsafe {
        for (pgid, _) in groups.iter() {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let start = now_ms();
        let mut done = [false; CAPACITY];
        loop {
            let elapsed = now_ms().saturating_sub(start);
            let mut pending = false;
            for (i, (pgid, grace)) in groups.iter().enumerate() {
                if done[i] {
                    continue;
                }
                if libc::kill(-pgid, 0) != 0 {
                    done[i] = true;
                } else if elapsed >= u64::from(grace) {
                    libc::kill(-pgid, libc::SIGKILL);
                    done[i] = true;
                } else {
                    pending = true;
                }
            }
            if !pending {
                return;
            }
            let tick = libc::timespec {
                tv_sec: 0,
                tv_nsec: 20_000_000,
            };
            libc::nanosleep(&tick, std::ptr::null_mut());
        }
    }
}

unsafe fn now_ms() -> u64 {
    // SAFETY: clock_gettime writes into a local timespec; a zeroed timespec is valid.
    unsafe {
        let mut t: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t);
        t.tv_sec as u64 * 1000 + t.tv_nsec as u64 / 1_000_000
    }
}

#[cfg(target_os = "linux")]
unsafe fn errno() -> *mut libc::c_int {
    // SAFETY: the calling thread's errno location, always valid.
    unsafe { libc::__errno_location() }
}

#[cfg(target_os = "macos")]
unsafe fn errno() -> *mut libc::c_int {
    // SAFETY: the calling thread's errno location, always valid.
    unsafe { libc::__error() }
}

/// Waits until the pipe has something (data or end of file). On macOS a kqueue also watches
/// the main pid, in case something else (a process forked but not exec'd) still holds the write
/// end when the app dies.
#[cfg(target_os = "macos")]
struct Waiter {
    kq: RawFd,
    main_gone: bool,
}

#[cfg(target_os = "macos")]
impl Waiter {
    unsafe fn new(rx: RawFd, main: libc::pid_t) -> Waiter {
        // SAFETY: kqueue and kevent on descriptors the watchdog owns, with arrays that live
        // across the call; zeroed kevents are valid.
        unsafe {
            use super::kevent::{self, Seen};
            let kq = libc::kqueue();
            let mut main_gone = kq < 0;
            if kq >= 0 {
                let changes = [
                    kevent::watch_readable(rx).to_sys(),
                    kevent::watch_exit(main as u32).to_sys(),
                ];
                let mut receipts: [libc::kevent; 2] = std::mem::zeroed();
                let zero = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                let n = libc::kevent(kq, changes.as_ptr(), 2, receipts.as_mut_ptr(), 2, &zero);
                for r in receipts.iter().take(n.max(0) as usize) {
                    if kevent::classify(&kevent::Kev::from_sys(r)) == Seen::NoSuchProcess {
                        main_gone = true;
                    }
                }
            }
            Waiter { kq, main_gone }
        }
    }

    /// false once the main process is known to be gone.
    unsafe fn wait(&mut self) -> bool {
        // SAFETY: a blocking wait on descriptors the watchdog owns, into a local out-struct.
        unsafe {
            use super::kevent::{self, Seen};
            if self.main_gone {
                return false;
            }
            let mut ev: libc::kevent = std::mem::zeroed();
            loop {
                let n = libc::kevent(self.kq, std::ptr::null(), 0, &mut ev, 1, std::ptr::null());
                if n == 1 {
                    let seen = kevent::classify(&kevent::Kev::from_sys(&ev));
                    return !matches!(seen, Seen::Exited(_));
                }
                if n < 0 && *errno() != libc::EINTR {
                    return false;
                }
            }
        }
    }
}

#[cfg(not(target_os = "macos"))]
struct Waiter {
    rx: RawFd,
}

#[cfg(not(target_os = "macos"))]
impl Waiter {
    fn new(rx: RawFd, _main: libc::pid_t) -> Waiter {
        Waiter { rx }
    }

    unsafe fn wait(&mut self) -> bool {
        // SAFETY: a blocking wait on descriptors the watchdog owns, into a local out-struct.
        unsafe {
            let mut p = libc::pollfd {
                fd: self.rx,
                events: libc::POLLIN,
                revents: 0,
            };
            loop {
                let n = libc::poll(&mut p, 1, -1);
                if n > 0 {
                    return true;
                }
                if n < 0 && *errno() != libc::EINTR {
                    return false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::{Child, Command};
    use std::time::Instant;

    #[test]
    fn records_round_trip_and_bad_ones_are_dropped() {
        for r in [
            Record::Watch {
                pgid: 4242,
                grace_ms: 1500,
            },
            Record::Forget { pgid: 77 },
        ] {
            assert_eq!(Record::decode(&r.encode()), Some(r));
        }
        let mut b = Record::Forget { pgid: 77 }.encode();
        b[0] = b'?';
        assert_eq!(Record::decode(&b), None);
        for pgid in [-1, 0, 1] {
            let b = Record::Watch { pgid, grace_ms: 0 }.encode();
            assert_eq!(Record::decode(&b), None, "group {pgid} is never signalled");
        }
    }

    #[test]
    fn groups_add_update_forget() {
        let mut g = Groups::new();
        g.apply(Record::Watch {
            pgid: 10,
            grace_ms: 1,
        });
        g.apply(Record::Watch {
            pgid: 11,
            grace_ms: 2,
        });
        g.apply(Record::Watch {
            pgid: 10,
            grace_ms: 3,
        });
        assert_eq!(g.iter().collect::<Vec<_>>(), vec![(10, 3), (11, 2)]);
        g.apply(Record::Forget { pgid: 10 });
        g.apply(Record::Forget { pgid: 99 });
        assert_eq!(g.iter().collect::<Vec<_>>(), vec![(11, 2)]);
        for p in 0..CAPACITY as i32 + 10 {
            g.apply(Record::Watch {
                pgid: 100 + p,
                grace_ms: 0,
            });
        }
        assert_eq!(g.iter().count(), CAPACITY);
    }

    #[test]
    fn records_split_across_reads() {
        let mut bytes = Vec::new();
        for pgid in 2..40 {
            bytes.extend_from_slice(&Record::Watch { pgid, grace_ms: 5 }.encode());
        }
        bytes.extend_from_slice(&Record::Forget { pgid: 3 }.encode());
        for chunk in [1, 2, 5, 9, 10, 64, 1000] {
            let mut g = Groups::new();
            let mut r = Reader::new();
            for part in bytes.chunks(chunk) {
                r.feed(part, &mut g);
            }
            let mut got: Vec<i32> = g.iter().map(|(p, _)| p).collect();
            got.sort();
            let want: Vec<i32> = (2..40).filter(|&p| p != 3).collect();
            assert_eq!(got, want, "chunks of {chunk}");
        }
    }

    fn group(script: &str) -> Child {
        Command::new("sh")
            .args(["-c", script])
            .process_group(0)
            .spawn()
            .unwrap()
    }

    /// Waits for `child` with a generous bound; None if it is still running then.
    fn wait_for(child: &mut Child, bound: Duration) -> Option<std::process::ExitStatus> {
        let until = Instant::now() + bound;
        while Instant::now() < until {
            if let Some(st) = child.try_wait().unwrap() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// The real watchdog, forked from this test process: closing the write end is what the
    /// app's death does to it.
    #[test]
    fn ends_watched_groups_when_the_main_end_closes() {
        let mut polite = group("exec sleep 60");
        // Ignores SIGTERM (and so does its sleep): only SIGKILL after the grace ends it.
        let mut stubborn = group("trap '' TERM; sleep 60; :");
        let mut forgotten = group("exec sleep 60");
        let dog = Watchdog::start().unwrap();
        dog.watch(polite.id(), Duration::from_secs(30));
        dog.watch(stubborn.id(), Duration::from_millis(300));
        dog.watch(forgotten.id(), Duration::from_secs(30));
        dog.forget(forgotten.id());
        // Nothing happens while the app lives.
        assert!(wait_for(&mut polite, Duration::from_millis(300)).is_none());
        let closed = Instant::now();
        drop(dog);

        let st = wait_for(&mut polite, Duration::from_secs(10)).expect("polite group ended");
        assert_eq!(st.signal(), Some(libc::SIGTERM));
        let st = wait_for(&mut stubborn, Duration::from_secs(10)).expect("stubborn group ended");
        assert_eq!(st.signal(), Some(libc::SIGKILL));
        assert!(
            closed.elapsed() >= Duration::from_millis(300),
            "after its grace"
        );
        // The forgotten group was never signalled.
        assert!(wait_for(&mut forgotten, Duration::from_millis(500)).is_none());
        forgotten.kill().unwrap();
        forgotten.wait().unwrap();
    }
}
