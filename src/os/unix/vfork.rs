//! Linux: starting a process with `clone(CLONE_VM | CLONE_VFORK)`, as glibc's `posix_spawn`
//! does, instead of `fork`. A fork copies the page tables of the whole main process (an
//! Electron main process maps hundreds of MiB) and turns every page the app writes meanwhile
//! into a copy-on-write fault; this child borrows the parent's memory, on a stack of its own,
//! until its `execve`, and only the spawner thread waits meanwhile. `posix_spawn` itself will
//! not do: it cannot set `PR_SET_PDEATHSIG`.
//!
//! Everything the child needs is prepared before the clone (`Exec`, `ChildFds`), and the child
//! makes raw system calls only: it shares the parent's memory, so it must not allocate, lock or
//! unwind. With `CLONE_PIDFD` the kernel also hands back a pidfd (`pidfd.rs`).

use std::collections::BTreeMap;
use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};

/// A program, its arguments and environment, and its working directory, as C strings.
pub(crate) struct Exec {
    program: CString,
    cwd: CString,
    /// Keep the strings that the pointer arrays point into.
    _strings: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
}

impl Exec {
    /// `args` follow the program itself (`argv[0]`); `env` is the whole environment.
    pub(crate) fn new(
        program: &Path,
        args: &[OsString],
        env: Vec<(OsString, OsString)>,
        cwd: &Path,
    ) -> io::Result<Exec> {
        let program = c_string(program.as_os_str().as_bytes().to_vec(), "the program path")?;
        let cwd = c_string(cwd.as_os_str().as_bytes().to_vec(), "the working directory")?;
        let mut argv_strings = vec![program.clone()];
        for a in args {
            argv_strings.push(c_string(a.as_bytes().to_vec(), "an argument")?);
        }
        let mut env_strings = Vec::with_capacity(env.len());
        for (k, v) in env {
            if k.is_empty() || k.as_bytes().contains(&b'=') {
                let what = format!("the environment variable name {k:?}");
                return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
            }
            let what = format!("the environment variable {k:?}");
            let mut entry = k.into_vec();
            entry.push(b'=');
            entry.extend(v.into_vec());
            env_strings.push(c_string(entry, &what)?);
        }
        let pointers = |strings: &[CString]| {
            let mut p: Vec<*const libc::c_char> = strings.iter().map(|s| s.as_ptr()).collect();
            p.push(std::ptr::null());
            p
        };
        let argv = pointers(&argv_strings);
        let envp = pointers(&env_strings);
        argv_strings.extend(env_strings);
        Ok(Exec {
            program,
            cwd,
            _strings: argv_strings,
            argv,
            envp,
        })
    }
}

fn c_string(bytes: Vec<u8>, what: &str) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} contains a NUL byte"),
        )
    })
}

/// The main process's environment as a service gets it: `remove` taken out, then `set`
/// applied in order (a later value wins). Sorted by name, as std's `Command` passes it.
pub(crate) fn environment(
    base: impl IntoIterator<Item = (OsString, OsString)>,
    remove: &[String],
    set: &[(String, String)],
) -> Vec<(OsString, OsString)> {
    let mut env: BTreeMap<OsString, OsString> = base.into_iter().collect();
    for k in remove {
        env.remove(std::ffi::OsStr::new(k));
    }
    for (k, v) in set {
        env.insert(k.into(), v.into());
    }
    env.into_iter().collect()
}

/// The descriptors the child gets as its stdin, stdout, stderr and (if any) Node's IPC fd 3.
/// Each must be 4 or above, so that moving one into place never overwrites another.
pub(crate) struct ChildFds {
    pub stdin: RawFd,
    pub stdout: RawFd,
    pub stderr: RawFd,
    pub ipc: Option<RawFd>,
}

/// Signals whose disposition the service starts with at the default even when the main
/// process ignores them (ignored signals stay ignored across exec; Node and Electron ignore
/// SIGPIPE), as a shell would start it.
const DEFAULT_SIGNALS: [libc::c_int; 5] = [
    libc::SIGPIPE,
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
];

/// What parent and child share during the clone.
struct Shared<'a> {
    exec: &'a Exec,
    fds: [RawFd; 4],
    parent: libc::pid_t,
    /// The errno of the step that failed in the child; 0 if it reached `execve`.
    error: AtomicI32,
}

/// Room for the child's few frames; the lowest page is a guard.
const STACK_SIZE: usize = 128 * 1024;

/// Starts `exec` as a new process group leader with `fds` in place, its signal dispositions and
/// mask reset, and `PR_SET_PDEATHSIG` set to SIGTERM. Returns once the child called `execve`
/// (or failed before): its pid, and its pidfd where the kernel has them (5.2+).
///
/// Call it from the spawner thread: the death signal is tied to the thread that clones.
pub(crate) fn spawn(exec: &Exec, fds: &ChildFds) -> io::Result<(u32, Option<OwnedFd>)> {
    let stack = Stack::new(STACK_SIZE)?;
    let shared = Shared {
        exec,
        fds: [fds.stdin, fds.stdout, fds.stderr, fds.ipc.unwrap_or(-1)],
        // SAFETY: getpid has no preconditions.
        parent: unsafe { libc::getpid() },
        error: AtomicI32::new(0),
    };
    let mut flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD;
    let (pid, pidfd) = loop {
        let mut pidfd: libc::c_int = -1;
        // Every signal stays blocked while the child runs on the parent's memory: a handler
        // of the main process must never run in it.
        let masked = BlockedSignals::all()?;
        // SAFETY: `child_main` runs on its own stack (`stack`, which outlives the call) and
        // reads `shared`, which outlives it too: with CLONE_VFORK this thread is suspended
        // until the child has called execve or _exit. `pidfd` is the parent_tid out-pointer
        // that CLONE_PIDFD writes to.
        let pid = unsafe {
            libc::clone(
                child_main,
                stack.top(),
                flags,
                (&shared as *const Shared).cast_mut().cast(),
                &mut pidfd as *mut libc::c_int,
            )
        };
        let error = io::Error::last_os_error();
        drop(masked);
        if pid >= 0 {
            break (pid, pidfd);
        }
        // Where CLONE_PIDFD is refused (a seccomp filter may), spawn without it. Kernels
        // before 5.2 ignore the flag instead, and leave `pidfd` at -1.
        if error.raw_os_error() == Some(libc::EINVAL) && flags & libc::CLONE_PIDFD != 0 {
            flags &= !libc::CLONE_PIDFD;
            continue;
        }
        return Err(error);
    };
    // SAFETY: with CLONE_PIDFD and a successful clone on a kernel that knows the flag, the
    // kernel stored a new pidfd there, ours alone.
    let leader = (flags & libc::CLONE_PIDFD != 0 && pidfd >= 0)
        .then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
    match shared.error.load(Ordering::Acquire) {
        0 => Ok((pid as u32, leader)),
        errno => {
            // It has exited: CLONE_VFORK waited for it.
            super::reap::reap_blocking(pid);
            Err(io::Error::from_raw_os_error(errno))
        }
    }
}

/// The child, before exec: raw system calls only (see the module comment).
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `Shared` that `spawn` passed, alive while this runs.
    let shared = unsafe { &*(arg as *const Shared) };
    // SAFETY: this is the cloned child; `prepare_and_exec` returns only on failure.
    let errno = unsafe { prepare_and_exec(shared) };
    shared.error.store(errno.max(1), Ordering::Release);
    // SAFETY: _exit ends the child without running anything of the parent's.
    unsafe { libc::_exit(127) }
}

/// Sets the child up and calls execve; returns the errno of the step that failed.
///
/// # Safety
/// Only in the child of `spawn`'s clone, with every signal blocked.
unsafe fn prepare_and_exec(s: &Shared) -> libc::c_int {
    // SAFETY: the calling thread's errno location is always valid.
    let errno = || unsafe { *libc::__errno_location() };
    // SAFETY: (the whole block) plain system calls on this child's own signal table, process
    // group, fds and working directory, with pointers into `s`, which outlives the child's
    // use of it.
    unsafe {
        // The child has its own copy of the handler table (no CLONE_SIGHAND). Handlers of the
        // main process must not run here (exec would reset them anyway), and some ignored
        // signals start at the default.
        for sig in 1..=libc::SIGRTMAX() {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0 {
                continue; // a number glibc keeps for itself, or none at all
            }
            let handled = old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN;
            if handled || DEFAULT_SIGNALS.contains(&sig) {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &default, std::ptr::null_mut());
            }
        }
        // One group per service: one kill(-pgid) reaches its grandchildren too.
        if libc::setpgid(0, 0) != 0 {
            return errno();
        }
        // The service gets SIGTERM when the main process dies, however it dies: Node and
        // Python services with pm's helper then run onstopping. The kernel ties this to the
        // cloning *thread*, the spawner, which lives as long as the process. If the main
        // process died before the prctl, nobody will send it.
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
            return errno();
        }
        if libc::getppid() != s.parent {
            return libc::ESRCH;
        }
        for (target, &fd) in s.fds.iter().enumerate() {
            // dup2 clears close-on-exec on the copy; the originals (all above 3) keep it.
            if fd >= 0 && libc::dup2(fd, target as libc::c_int) < 0 {
                return errno();
            }
        }
        if libc::chdir(s.exec.cwd.as_ptr()) != 0 {
            return errno();
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        libc::execve(
            s.exec.program.as_ptr(),
            s.exec.argv.as_ptr(),
            s.exec.envp.as_ptr(),
        );
        errno()
    }
}

/// The calling thread's signal mask, set to block everything until dropped.
struct BlockedSignals(libc::sigset_t);

impl BlockedSignals {
    fn all() -> io::Result<Self> {
        // SAFETY: sigset_t values initialised by sigfillset / written by pthread_sigmask.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            let mut old: libc::sigset_t = std::mem::zeroed();
            match libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old) {
                0 => Ok(BlockedSignals(old)),
                e => Err(io::Error::from_raw_os_error(e)),
            }
        }
    }
}

impl Drop for BlockedSignals {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved in `all`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
    }
}

/// A stack for the child, with a guard page at its low end.
struct Stack {
    base: *mut libc::c_void,
    size: usize,
}

impl Stack {
    fn new(size: usize) -> io::Result<Stack> {
        // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let stack = Stack { base, size };
        // SAFETY: the first page of the mapping just made.
        if unsafe { libc::mprotect(base, page_size(), libc::PROT_NONE) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(stack)
    }

    /// Stacks grow down on every Linux target pm builds for.
    fn top(&self) -> *mut libc::c_void {
        // SAFETY: one past the end of the mapping, which the stack pointer starts at.
        unsafe { self.base.cast::<u8>().add(self.size).cast() }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`; no child runs on it any more.
        unsafe { libc::munmap(self.base, self.size) };
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as usize,
        _ => 4096,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    #[test]
    fn the_environment_is_the_base_less_removed_names_then_the_set_ones() {
        let base = os(&[
            ("PATH", "/bin"),
            ("ELECTRON_RUN_AS_NODE", "1"),
            ("A", "old"),
        ]);
        let remove = vec!["ELECTRON_RUN_AS_NODE".to_string(), "MISSING".to_string()];
        let set = vec![
            ("A".to_string(), "first".to_string()),
            ("B".to_string(), "b".to_string()),
            ("A".to_string(), "last".to_string()),
        ];
        assert_eq!(
            environment(base, &remove, &set),
            os(&[("A", "last"), ("B", "b"), ("PATH", "/bin")])
        );
    }

    #[test]
    fn nul_bytes_and_bad_names_are_refused_with_what_holds_them() {
        let cwd = Path::new("/");
        let bad_arg = Exec::new(Path::new("/bin/true"), &["a\0b".into()], Vec::new(), cwd);
        let e = bad_arg.err().expect("refused");
        assert!(
            e.to_string().contains("an argument contains a NUL byte"),
            "{e}"
        );
        let bad_name = Exec::new(Path::new("/bin/true"), &[], os(&[("A=B", "1")]), cwd);
        let e = bad_name.err().expect("refused");
        assert!(e.to_string().contains("name \"A=B\""), "{e}");
        let e = Exec::new(Path::new("/bin/true"), &[], os(&[("V", "x\0y")]), cwd)
            .err()
            .expect("refused");
        assert!(e.to_string().contains("variable \"V\""), "{e}");
    }

    #[test]
    fn the_pointer_arrays_end_with_null() {
        let exec = Exec::new(
            Path::new("/bin/echo"),
            &["hi".into()],
            os(&[("A", "1")]),
            Path::new("/"),
        )
        .expect("planned");
        assert_eq!(exec.argv.len(), 3);
        assert!(exec.argv[2].is_null());
        assert_eq!(exec.envp.len(), 2);
        assert!(exec.envp[1].is_null());
    }

    /// A real child: its descriptors, group, signal state, directory and environment are the
    /// ones planned, whatever the spawning thread had.
    #[test]
    fn the_child_starts_as_planned() {
        use std::io::Read;
        use std::os::fd::{AsRawFd, OwnedFd};

        let pipe = || super::super::fds::cloexec_pipe().expect("pipe");
        let (out, out_w) = pipe();
        let (_ipc_r, ipc_w) = pipe();
        let stdin = OwnedFd::from(std::fs::File::open("/dev/null").expect("/dev/null"));
        let script = "grep -E '^Sig(Blk|Ign)' /proc/self/status; readlink /proc/self/fd/0; \
                      test -e /proc/self/fd/3 && echo fd3; pwd; echo \"$PLANNED\"; \
                      echo \"$(cut -d' ' -f5 /proc/self/stat) $$\"";
        let env = environment(
            std::env::vars_os(),
            &[],
            &[("PLANNED".to_string(), "yes".to_string())],
        );
        let exec = Exec::new(
            Path::new("/bin/sh"),
            &["-c".into(), script.into()],
            env,
            Path::new("/tmp"),
        )
        .expect("planned");
        let fds = ChildFds {
            stdin: stdin.as_raw_fd(),
            stdout: out_w.as_raw_fd(),
            stderr: out_w.as_raw_fd(),
            ipc: Some(ipc_w.as_raw_fd()),
        };
        // What the main process may have: SIGPIPE and SIGINT ignored, SIGTERM blocked on this
        // thread.
        // SAFETY: plain signal calls in a test thread.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        let (pid, leader) = spawn(&exec, &fds).expect("spawned");
        assert!(leader.is_some(), "this kernel gives pidfds");
        drop((out_w, ipc_w, stdin));
        let mut text = String::new();
        std::fs::File::from(out)
            .read_to_string(&mut text)
            .expect("read");
        super::super::reap::reap_blocking(pid as libc::pid_t);
        let mut lines: Vec<&str> = text.lines().collect();
        // Ignored signals stay ignored across exec, except the ones a service starts with at
        // the default. (glibc keeps 32 and 33 from sigaction; a test harness may ignore one.)
        let ignored = lines.remove(1).strip_prefix("SigIgn:\t").expect("SigIgn");
        let ignored = u64::from_str_radix(ignored, 16).expect("hex");
        for sig in DEFAULT_SIGNALS {
            assert_eq!(ignored & (1 << (sig - 1)), 0, "signal {sig} is ignored");
        }
        assert_eq!(
            lines,
            [
                "SigBlk:\t0000000000000000",
                "/dev/null",
                "fd3",
                "/tmp",
                "yes",
                &format!("{pid} {pid}"),
            ],
            "{text}"
        );
    }

    #[test]
    fn a_failed_exec_is_an_error_and_leaves_no_child() {
        let exec = Exec::new(
            Path::new("/nonexistent/program"),
            &[],
            Vec::new(),
            Path::new("/"),
        )
        .expect("planned");
        let fds = ChildFds {
            stdin: -1,
            stdout: -1,
            stderr: -1,
            ipc: None,
        };
        let e = spawn(&exec, &fds).expect_err("no such program");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        // The children this thread made (none: the failed one was reaped).
        let children = std::fs::read_to_string("/proc/thread-self/children").expect("children");
        assert_eq!(children.trim(), "", "the failed child was reaped");
    }
}
