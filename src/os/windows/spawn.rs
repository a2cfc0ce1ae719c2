//! Starting a planned command as a Windows process: `CreateProcessW` suspended, into a new
//! kill-on-close Job Object, then resumed, so the service cannot start anything outside the job.
//! No console window (`CREATE_NO_WINDOW`), stdin `NUL` (or a pipe from the app), stdout and stderr to pipes, and with
//! `command.ipc` Node's channel as CRT fd 3 (`crt_fds.rs`). Only the handles meant for the child
//! are inherited (`PROC_THREAD_ATTRIBUTE_HANDLE_LIST`).

use std::io;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::path::PathBuf;
use std::sync::Mutex;

use tokio::net::windows::named_pipe::NamedPipeServer;
use windows_sys::Win32::Foundation::{
    SetHandleInformation, ERROR_ACCESS_DENIED, ERROR_BAD_EXE_FORMAT, ERROR_DIRECTORY,
    ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, HANDLE, HANDLE_FLAG_INHERIT,
};
use windows_sys::Win32::System::SystemInformation::GetSystemDirectoryW;
use windows_sys::Win32::System::Threading::{
    CreateProcessW, DeleteProcThreadAttributeList, InitializeProcThreadAttributeList, ResumeThread,
    TerminateProcess, UpdateProcThreadAttribute, CREATE_NO_WINDOW, CREATE_SUSPENDED,
    CREATE_UNICODE_ENVIRONMENT, EXTENDED_STARTUPINFO_PRESENT, LPPROC_THREAD_ATTRIBUTE_LIST,
    PROCESS_INFORMATION, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, STARTF_USESTDHANDLES, STARTUPINFOEXW,
};

use super::channel::Channel;
use super::cmdline;
use super::crt_fds::{self, FDEV, FOPEN, FPIPE};
use super::envblock;
use super::handles::{check, owned, wide, wide_z};
use super::job::{Job, KILLED_EXIT_CODE};
use super::pipes;
use super::process::Process;
use crate::os::{Command, Stdio};
use crate::sync::lock;

/// pm's end of a service's stdout or stderr.
pub(crate) type Output = NamedPipeServer;
/// pm's end of a service's stdin (`Stdio::Pipe`).
pub(crate) type Input = NamedPipeServer;

pub(crate) struct Spawned {
    pub(crate) pid: u32,
    pub(crate) process: Process,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
    /// With `Stdio::Pipe`.
    pub(crate) stdin: Option<Input>,
    pub(crate) channel: Option<Channel>,
}

/// What `CreateProcessW` is given, all NUL-terminated.
struct Plan {
    application: Vec<u16>,
    command_line: Vec<u16>,
    environment: Vec<u16>,
    cwd: Vec<u16>,
}

/// The handles the child inherits.
struct ForChild {
    stdin: OwnedHandle,
    /// stdin is a pipe from pm (else `NUL`), as the child's C runtime must be told.
    stdin_pipe: bool,
    stdout: OwnedHandle,
    stderr: OwnedHandle,
    channel: Option<OwnedHandle>,
}

/// Must run inside the supervisor's runtime (the pipes register with its reactor).
pub(crate) async fn spawn(
    command: &Command,
    extra_env: &[(String, String)],
) -> io::Result<Spawned> {
    let plan = plan(command, extra_env).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("could not start {}: {e}", command.program.display()),
        )
    })?;
    let (stdout, child_stdout) = pipes::output().await?;
    let (stderr, child_stderr) = pipes::output().await?;
    let (channel, child_channel) = match command.ipc {
        true => {
            let (p, c) = pipes::channel().await?;
            (Some(p), Some(c))
        }
        false => (None, None),
    };
    let (stdin, child_stdin) = match command.stdio {
        Stdio::Log => (None, pipes::nul()?),
        Stdio::Pipe => {
            let (p, c) = pipes::input().await?;
            (Some(p), c)
        }
    };
    let for_child = ForChild {
        stdin_pipe: stdin.is_some(),
        stdin: child_stdin,
        stdout: child_stdout,
        stderr: child_stderr,
        channel: child_channel,
    };
    // CreateProcessW can take a while (antivirus scans the image): off the runtime's threads.
    let (process, pid, job) = tokio::task::spawn_blocking(move || create(&plan, for_child))
        .await
        .map_err(io::Error::other)?
        .map_err(|e| describe_spawn_error(e, command))?;
    Ok(Spawned {
        pid,
        process: Process::new(process, job)?,
        stdout,
        stderr,
        stdin,
        channel: channel.map(Channel::new),
    })
}

fn plan(command: &Command, extra_env: &[(String, String)]) -> Result<Plan, String> {
    let args: Vec<Vec<u16>> = command.args.iter().map(|a| wide(a)).collect();
    let program = wide(command.program.as_os_str());
    let (application, mut command_line) = if cmdline::is_batch(&command.program) {
        let cmd = cmd_exe().map_err(|e| format!("cmd.exe not found: {e}"))?;
        let line = cmdline::batch_command_line(&wide(cmd.as_os_str()), &program, &args)?;
        (cmd.into_os_string(), line)
    } else {
        let line = cmdline::command_line(&program, &args)?;
        (command.program.clone().into_os_string(), line)
    };
    command_line.push(0);
    let parent = std::env::vars_os().map(|(k, v)| (wide(&k), wide(&v)));
    let set: Vec<(String, String)> = command.env.iter().chain(extra_env).cloned().collect();
    let vars = envblock::merge(parent, &command.env_remove, &set);
    Ok(Plan {
        application: wide_z(&application),
        command_line,
        environment: envblock::block(&vars)?,
        cwd: wide_z(command.cwd.as_os_str()),
    })
}

/// `cmd.exe` from the system directory (not `%ComSpec%`, which the environment can change).
fn cmd_exe() -> io::Result<PathBuf> {
    let mut buf = vec![0u16; 512];
    // SAFETY: `buf` holds the length passed.
    let n = unsafe { GetSystemDirectoryW(buf.as_mut_ptr(), buf.len() as u32) } as usize;
    if n == 0 || n >= buf.len() {
        return Err(io::Error::last_os_error());
    }
    use std::os::windows::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_wide(&buf[..n])).join("cmd.exe"))
}

/// Serialises pm's own spawns: a handle is inheritable only between marking and closing it,
/// and only the spawn that marked it lists it. A process the app itself starts in that window
/// (libuv inherits every inheritable handle) could still get a copy of a child's pipe end, which
/// would only delay that pipe's end of file (pm stops waiting for output after
/// `process::DRAIN_LIMIT`); the window is a few microseconds.
static SPAWN: Mutex<()> = Mutex::new(());

/// An initialised attribute list holding the handles to inherit; deleted on drop.
struct Attributes {
    buf: Vec<usize>,
    _handles: Box<[HANDLE]>,
}

impl Attributes {
    fn new(handles: Box<[HANDLE]>) -> io::Result<Attributes> {
        let mut size = 0usize;
        // SAFETY: a null list asks for the size needed for one attribute (and fails).
        unsafe { InitializeProcThreadAttributeList(std::ptr::null_mut(), 1, 0, &mut size) };
        let mut buf = vec![0usize; size.div_ceil(size_of::<usize>()).max(1)];
        // SAFETY: `buf` is at least `size` bytes, pointer-aligned.
        check(unsafe {
            InitializeProcThreadAttributeList(buf.as_mut_ptr().cast(), 1, 0, &mut size)
        })?;
        let attrs = Attributes {
            buf,
            _handles: handles,
        };
        // SAFETY: an initialised list; the handle array lives in `attrs` as long as the list.
        check(unsafe {
            UpdateProcThreadAttribute(
                attrs.list(),
                0,
                PROC_THREAD_ATTRIBUTE_HANDLE_LIST as usize,
                attrs._handles.as_ptr().cast(),
                std::mem::size_of_val(&*attrs._handles),
                std::ptr::null_mut(),
                std::ptr::null(),
            )
        })?;
        Ok(attrs)
    }

    fn list(&self) -> LPPROC_THREAD_ATTRIBUTE_LIST {
        self.buf.as_ptr() as LPPROC_THREAD_ATTRIBUTE_LIST
    }
}

impl Drop for Attributes {
    fn drop(&mut self) {
        // SAFETY: the list was initialised in `new` (a failed init never builds `Attributes`).
        unsafe { DeleteProcThreadAttributeList(self.list()) };
    }
}

fn raw(h: &OwnedHandle) -> HANDLE {
    h.as_raw_handle()
}

fn create(plan: &Plan, child: ForChild) -> io::Result<(OwnedHandle, u32, Job)> {
    let job = Job::new()?;
    let mut inherit = vec![raw(&child.stdin), raw(&child.stdout), raw(&child.stderr)];
    inherit.extend(child.channel.as_ref().map(raw));
    // With the channel, the child's C runtime gets fds 0-3 from lpReserved2 (libuv's layout);
    // without it, the standard handles alone, as for any program.
    let crt = match &child.channel {
        Some(ch) => crt_fds::layout(&[
            (
                if child.stdin_pipe {
                    FOPEN | FPIPE
                } else {
                    FOPEN | FDEV
                },
                raw(&child.stdin) as usize,
            ),
            (FOPEN | FPIPE, raw(&child.stdout) as usize),
            (FOPEN | FPIPE, raw(&child.stderr) as usize),
            (FOPEN | FPIPE, raw(ch) as usize),
        ]),
        None => None,
    };

    let _one_at_a_time = lock(&SPAWN);
    for &h in &inherit {
        // SAFETY: an open handle of ours. Inheritable only until `child` is dropped below.
        check(unsafe { SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT) })?;
    }
    let attrs = Attributes::new(inherit.into_boxed_slice())?;
    // SAFETY: zeroed STARTUPINFOEXW is the documented starting point.
    let mut si: STARTUPINFOEXW = unsafe { std::mem::zeroed() };
    si.StartupInfo.cb = size_of::<STARTUPINFOEXW>() as u32;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = raw(&child.stdin);
    si.StartupInfo.hStdOutput = raw(&child.stdout);
    si.StartupInfo.hStdError = raw(&child.stderr);
    if let Some(crt) = &crt {
        si.StartupInfo.cbReserved2 = crt.len() as u16; // `layout` checked that it fits
        si.StartupInfo.lpReserved2 = crt.as_ptr() as *mut u8;
    }
    si.lpAttributeList = attrs.list();
    // SAFETY: zeroed PROCESS_INFORMATION is a valid out-struct.
    let mut pi: PROCESS_INFORMATION = unsafe { std::mem::zeroed() };
    let mut command_line = plan.command_line.clone();
    // SAFETY: every string is NUL-terminated and lives across the call; the command line is
    // writable as CreateProcessW requires; the environment block is double-NUL-terminated
    // UTF-16 (CREATE_UNICODE_ENVIRONMENT); `si` is a STARTUPINFOEXW whose attribute list and
    // lpReserved2 buffer live across the call.
    check(unsafe {
        CreateProcessW(
            plan.application.as_ptr(),
            command_line.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            1,
            CREATE_SUSPENDED
                | CREATE_NO_WINDOW
                | CREATE_UNICODE_ENVIRONMENT
                | EXTENDED_STARTUPINFO_PRESENT,
            plan.environment.as_ptr().cast(),
            plan.cwd.as_ptr(),
            &si.StartupInfo,
            &mut pi,
        )
    })?;
    drop(attrs);
    drop(child); // closes our copies of the child's handles
    drop(_one_at_a_time);
    let process = owned(pi.hProcess)?;
    let thread = owned(pi.hThread)?;
    if let Err(e) = job.assign(&process) {
        // SAFETY: our own, still suspended, process.
        unsafe { TerminateProcess(raw(&process), KILLED_EXIT_CODE) };
        return Err(e);
    }
    // SAFETY: the process's main thread, suspended by CREATE_SUSPENDED.
    if unsafe { ResumeThread(raw(&thread)) } == u32::MAX {
        let e = io::Error::last_os_error();
        job.terminate();
        return Err(e);
    }
    Ok((process, pi.dwProcessId, job))
}

fn describe_spawn_error(e: io::Error, command: &Command) -> io::Error {
    let program = command.program.display();
    let cwd = &command.cwd;
    let code = e.raw_os_error().map(|c| c as u32);
    let what = match code {
        Some(ERROR_DIRECTORY) => format!(
            "{program}: working directory {} does not exist",
            cwd.display()
        ),
        Some(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) if !cwd.is_dir() => {
            format!(
                "{program}: working directory {} does not exist",
                cwd.display()
            )
        }
        Some(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) => format!("{program} was not found"),
        Some(ERROR_ACCESS_DENIED) => format!("{program}: access denied"),
        Some(ERROR_BAD_EXE_FORMAT) => format!("{program} is not a Windows program"),
        _ => format!("{program}: {e}"),
    };
    io::Error::new(e.kind(), format!("could not start {what}"))
}
