//! Starting a planned command as a Unix process: its own process group, stdout and stderr
//! piped, stdin from /dev/null (or a pipe from the app, `Stdio::Pipe`), the IPC channel moved
//! to fd 3, signal dispositions reset.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use super::channel::{self, Channel};
use super::process::Process;
use crate::os::{Command, Stdio};

/// The read end of a service's stdout or stderr, registered with pm's runtime.
pub(crate) type Output = tokio::net::unix::pipe::Receiver;
/// The write end of a service's stdin (`Stdio::Pipe`), registered with pm's runtime.
pub(crate) type Input = tokio::net::unix::pipe::Sender;

pub(crate) struct Spawned {
    pub(crate) process: Process,
    pub(crate) pid: u32,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
    /// With `Stdio::Pipe`.
    pub(crate) stdin: Option<Input>,
    pub(crate) channel: Option<Channel>,
}

/// pm's ends of a child's pipes.
struct Ends {
    stdin: Option<Input>,
    stdout: Output,
    stderr: Output,
}

/// Must run inside the supervisor's runtime, on the spawner thread (`spawner.rs`).
pub(crate) fn spawn(command: &Command, extra_env: &[(String, String)]) -> io::Result<Spawned> {
    let (parent_end, child_end) = if command.ipc {
        let (p, c) = channel::pair()?;
        (Some(p), Some(c))
    } else {
        (None, None)
    };
    let started = start(command, extra_env, child_end);
    let (process, pid, ends) = started.map_err(|e| describe_spawn_error(e, command))?;
    let channel = parent_end.map(Channel::new).transpose()?;
    Ok(Spawned {
        process,
        pid,
        stdout: ends.stdout,
        stderr: ends.stderr,
        stdin: ends.stdin,
        channel,
    })
}

/// Linux: a vfork-style clone (`vfork.rs`), waited on and signalled through its pidfd.
#[cfg(target_os = "linux")]
fn start(
    command: &Command,
    extra_env: &[(String, String)],
    ipc: Option<OwnedFd>,
) -> io::Result<(Process, u32, Ends)> {
    use super::fds::{above_std, cloexec_pipe, dev_null};
    use super::vfork::{self, ChildFds, Exec};

    let set: Vec<(String, String)> = command.env.iter().chain(extra_env).cloned().collect();
    let env = vfork::environment(std::env::vars_os(), &command.env_remove, &set);
    let exec = Exec::new(&command.program, &command.args, env, &command.cwd)?;
    let (stdin, app_stdin) = match command.stdio {
        Stdio::Log => (above_std(dev_null()?)?, None),
        Stdio::Pipe => {
            let (read, write) = cloexec_pipe()?;
            (above_std(read)?, Some(Input::from_owned_fd(write)?))
        }
    };
    let (out_read, out_write) = cloexec_pipe()?;
    let (err_read, err_write) = cloexec_pipe()?;
    let (out_write, err_write) = (above_std(out_write)?, above_std(err_write)?);
    let stdout = Output::from_owned_fd(out_read)?;
    let stderr = Output::from_owned_fd(err_read)?;
    let ipc = ipc.map(above_std).transpose()?;
    let fds = ChildFds {
        stdin: stdin.as_raw_fd(),
        stdout: out_write.as_raw_fd(),
        stderr: err_write.as_raw_fd(),
        ipc: ipc.as_ref().map(AsRawFd::as_raw_fd),
    };
    let (pid, pidfd) = vfork::spawn(&exec, &fds)?;
    let ends = Ends {
        stdin: app_stdin,
        stdout,
        stderr,
    };
    match super::pidfd::Child::new(pid, pidfd) {
        Ok(child) => Ok((Process::new(child, pid), pid, ends)),
        // Nothing could wait for it: end it now rather than leave it behind.
        Err(e) => {
            super::signals::to_group(pid, libc::SIGKILL);
            super::reap::reap_blocking(pid as libc::pid_t);
            Err(e)
        }
    }
}

/// macOS: fork and exec through std, reaped through kqueue (`kqueue.rs`).
#[cfg(not(target_os = "linux"))]
fn start(
    command: &Command,
    extra_env: &[(String, String)],
    ipc: Option<OwnedFd>,
) -> io::Result<(Process, u32, Ends)> {
    let mut cmd = tokio::process::Command::new(&command.program);
    for k in &command.env_remove {
        cmd.env_remove(k);
    }
    let stdin = match command.stdio {
        Stdio::Log => std::process::Stdio::null(),
        Stdio::Pipe => std::process::Stdio::piped(),
    };
    cmd.args(&command.args)
        .envs(command.env.iter().chain(extra_env).map(|(k, v)| (k, v)))
        .current_dir(&command.cwd)
        .stdin(stdin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // One group per service: one kill(-pgid) reaches its grandchildren too.
        .process_group(0);
    let child_fd = ipc.as_ref().map(AsRawFd::as_raw_fd);
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe functions
    // (dup2, fcntl, signal).
    unsafe {
        cmd.pre_exec(move || {
            if let Some(fd) = child_fd {
                if fd == crate::os::CHILD_FD {
                    // dup2 onto itself would keep close-on-exec set.
                    if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                } else if libc::dup2(fd, crate::os::CHILD_FD) < 0 {
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
            Ok(())
        });
    }
    let mut child = super::kqueue::spawn(&mut cmd)?;
    drop(ipc); // the child has its copy now
    let pid = child.id().unwrap_or(0);
    let stdout = Output::from_owned_fd(child.stdout.take().expect("stdout is piped"))?;
    let stderr = Output::from_owned_fd(child.stderr.take().expect("stderr is piped"))?;
    let stdin = child.stdin.take().map(Input::from_owned_fd).transpose()?;
    let ends = Ends {
        stdin,
        stdout,
        stderr,
    };
    Ok((Process::new(child, pid), pid, ends))
}

/// The interpreter that the `#!` line of `program` names, when `program` exists and has one:
/// an exec that fails with "not found" for an existing script means that one is missing.
fn missing_interpreter(program: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(program).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = line.split(|&b| b == b'\n').next()?;
    let line = String::from_utf8_lossy(line);
    line.split_whitespace().next().map(str::to_string)
}

fn describe_spawn_error(e: io::Error, command: &Command) -> io::Error {
    let what = match e.kind() {
        io::ErrorKind::NotFound if !command.cwd.is_dir() => {
            format!("working directory {} does not exist", command.cwd.display())
        }
        io::ErrorKind::NotFound => match missing_interpreter(&command.program) {
            // The program is there; the kernel could not find what its `#!` line names.
            Some(interpreter) => format!(
                "{}: its interpreter {interpreter} (from its #! line) was not found",
                command.program.display()
            ),
            None => format!("{} was not found", command.program.display()),
        },
        io::ErrorKind::PermissionDenied => {
            format!(
                "{} is not executable (permission denied)",
                command.program.display()
            )
        }
        _ => format!("{}: {e}", command.program.display()),
    };
    io::Error::new(e.kind(), format!("could not start {what}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_shebang_interpreter_is_named() {
        let dir = std::env::temp_dir().join(format!("elife-pm-shebang-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let script = dir.join("badshebang");
        std::fs::write(&script, "#!/no/such/interpreter -x\necho hi\n").unwrap();
        assert_eq!(
            super::missing_interpreter(&script).as_deref(),
            Some("/no/such/interpreter")
        );
        std::fs::write(&script, "echo no shebang\n").unwrap();
        assert_eq!(super::missing_interpreter(&script), None);
        assert_eq!(super::missing_interpreter(&dir.join("none")), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
