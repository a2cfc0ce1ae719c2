//! Starting a planned command as a Unix process: its own process group, stdout and stderr
//! piped, stdin closed, the IPC channel moved to fd 3, signal dispositions reset.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::Stdio;

use tokio::process::{ChildStderr, ChildStdout, Command};

use super::channel::{self, Channel};
use super::process::Process;
use crate::start::launch::Launch;

pub struct Spawned {
    pub process: Process,
    pub pid: u32,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
    pub channel: Option<Channel>,
}

/// Must run inside the supervisor's runtime, on the spawner thread (`spawner.rs`).
pub fn spawn(launch: &Launch, cwd: &Path) -> io::Result<Spawned> {
    let mut cmd = Command::new(&launch.program);
    for k in &launch.env_remove {
        cmd.env_remove(k);
    }
    cmd.args(&launch.args)
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // One group per service: one kill(-pgid) reaches its grandchildren too.
        .process_group(0);

    let (parent_end, child_end) = if launch.ipc {
        let (p, c) = channel::pair()?;
        (Some(p), Some(c))
    } else {
        (None, None)
    };
    let child_fd = child_end.as_ref().map(OwnedFd::as_raw_fd);
    #[cfg(target_os = "linux")]
    let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe functions
    // (dup2, fcntl, signal, prctl, getppid).
    unsafe {
        cmd.pre_exec(move || {
            if let Some(fd) = child_fd {
                if fd == channel::CHILD_FD {
                    // dup2 onto itself would keep close-on-exec set.
                    if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                } else if libc::dup2(fd, channel::CHILD_FD) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // Ignored signals stay ignored across exec; Node and Electron ignore SIGPIPE, and a
            // service should start with the defaults a shell would give it.
            for sig in [
                libc::SIGPIPE,
                libc::SIGINT,
                libc::SIGTERM,
                libc::SIGHUP,
                libc::SIGQUIT,
            ] {
                libc::signal(sig, libc::SIG_DFL);
            }
            // The service gets SIGTERM when the main process dies, however it dies: Node and
            // Python services with pm's helper then run onstopping. The kernel ties this to the
            // forking *thread*; spawns run on the spawner thread, which lives as long as the
            // process. If the main process died before the prctl, nobody will send it.
            #[cfg(target_os = "linux")]
            {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
            }
            Ok(())
        });
    }

    let mut child = cmd
        .spawn()
        .map_err(|e| describe_spawn_error(e, launch, cwd))?;
    drop(child_end);
    let pid = child.id().unwrap_or(0);
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    widen_pipe(&stdout);
    widen_pipe(&stderr);
    let channel = parent_end.map(Channel::new).transpose()?;
    Ok(Spawned {
        process: Process::new(child, pid),
        pid,
        stdout,
        stderr,
        channel,
    })
}

/// Output pipes hold 1 MiB instead of Linux's default 64 KiB: a chatty service blocks less
/// often and pm reads its output in fewer, larger pieces. Best effort: a smaller pipe (the
/// per-user limit in /proc/sys/fs/pipe-user-pages-soft) still works.
fn widen_pipe(pipe: &impl AsRawFd) {
    #[cfg(target_os = "linux")]
    // SAFETY: fcntl on an open pipe fd.
    unsafe {
        libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE_SIZE);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = pipe;
}

#[cfg(target_os = "linux")]
const PIPE_SIZE: libc::c_int = 1 << 20;

fn describe_spawn_error(e: io::Error, launch: &Launch, cwd: &Path) -> io::Error {
    let what = match e.kind() {
        io::ErrorKind::NotFound if !cwd.is_dir() => {
            format!("working directory {} does not exist", cwd.display())
        }
        io::ErrorKind::NotFound => format!("{} was not found", launch.program.display()),
        io::ErrorKind::PermissionDenied => {
            format!(
                "{} is not executable (permission denied)",
                launch.program.display()
            )
        }
        _ => format!("{}: {e}", launch.program.display()),
    };
    io::Error::new(e.kind(), format!("could not start {what}"))
}
