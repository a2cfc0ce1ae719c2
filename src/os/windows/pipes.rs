//! The pipes between pm and a service. Each is a named pipe with one instance: pm's end is the
//! overlapped server, registered with the runtime (tokio `NamedPipeServer`); the child's end is
//! opened by name and later inherited. The names are unique per process and pipe, the server
//! is created with `FILE_FLAG_FIRST_PIPE_INSTANCE` (nobody can have squatted the name) and
//! refuses remote clients.
//! - Output (stdout, stderr): the child's end is synchronous, as a console program expects.
//! - The IPC channel: duplex, and the child's end overlapped, as libuv opens it for Node's
//!   `child_process.fork` (the child's libuv reads it with overlapped I/O).

use std::io;
use std::os::windows::io::OwnedHandle;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::windows::named_pipe::{NamedPipeServer, PipeMode, ServerOptions};
use windows_sys::Win32::Foundation::{GENERIC_READ, GENERIC_WRITE};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAGS_AND_ATTRIBUTES, FILE_FLAG_OVERLAPPED, FILE_READ_ATTRIBUTES,
    FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_WRITE_ATTRIBUTES, OPEN_EXISTING,
};

use super::handles::{owned, wide_z};

const BUFFER: u32 = 64 * 1024;

fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // A per-process random part, so a name from an earlier process with the same pid is not
    // taken for ours.
    static SALT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let salt = *SALT.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(std::process::id().into());
        h.finish()
    });
    format!(
        r"\\.\pipe\elife-pm-{}-{salt:016x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn open_client(
    name: &str,
    access: u32,
    flags: FILE_FLAGS_AND_ATTRIBUTES,
) -> io::Result<OwnedHandle> {
    let wname = wide_z(name.as_ref());
    // SAFETY: a NUL-terminated name; null security attributes (not inheritable until the
    // spawn marks it so); no template.
    owned(unsafe {
        CreateFileW(
            wname.as_ptr(),
            access,
            0,
            std::ptr::null(),
            OPEN_EXISTING,
            flags,
            std::ptr::null_mut(),
        )
    })
}

/// A pipe a child writes its output to: pm's reading end, and the child's writing end.
/// Must run inside the runtime.
pub(super) async fn output() -> io::Result<(NamedPipeServer, OwnedHandle)> {
    let name = unique_name();
    let server = ServerOptions::new()
        .first_pipe_instance(true)
        .reject_remote_clients(true)
        .access_inbound(true)
        .access_outbound(false)
        .pipe_mode(PipeMode::Byte)
        .max_instances(1)
        .in_buffer_size(BUFFER)
        .out_buffer_size(0)
        .create(&name)?;
    let client = open_client(&name, GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0)?;
    // Already connected (the client is open): completes at once.
    server.connect().await?;
    Ok((server, client))
}

/// A pipe a child reads as its stdin (`Stdio::Pipe`): pm's writing end, and the child's
/// reading end (synchronous, as a console program expects). Must run inside the runtime.
pub(crate) async fn input() -> io::Result<(NamedPipeServer, OwnedHandle)> {
    let name = unique_name();
    let server = ServerOptions::new()
        .first_pipe_instance(true)
        .reject_remote_clients(true)
        .access_inbound(false)
        .access_outbound(true)
        .pipe_mode(PipeMode::Byte)
        .max_instances(1)
        .in_buffer_size(0)
        .out_buffer_size(BUFFER)
        .create(&name)?;
    let client = open_client(&name, GENERIC_READ | FILE_WRITE_ATTRIBUTES, 0)?;
    server.connect().await?;
    Ok((server, client))
}

/// Node's IPC channel: pm's end, and the child's (duplex, overlapped). Must run inside the
/// runtime.
pub(super) async fn channel() -> io::Result<(NamedPipeServer, OwnedHandle)> {
    let name = unique_name();
    let server = ServerOptions::new()
        .first_pipe_instance(true)
        .reject_remote_clients(true)
        .access_inbound(true)
        .access_outbound(true)
        .pipe_mode(PipeMode::Byte)
        .max_instances(1)
        .in_buffer_size(BUFFER)
        .out_buffer_size(BUFFER)
        .create(&name)?;
    let client = open_client(
        &name,
        GENERIC_READ | GENERIC_WRITE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES,
        FILE_FLAG_OVERLAPPED,
    )?;
    server.connect().await?;
    Ok((server, client))
}

/// `NUL` for the child's stdin: it reads end-of-file at once.
pub(super) fn nul() -> io::Result<OwnedHandle> {
    let wname = wide_z("NUL".as_ref());
    // SAFETY: as in `open_client`.
    owned(unsafe {
        CreateFileW(
            wname.as_ptr(),
            GENERIC_READ,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            std::ptr::null(),
            OPEN_EXISTING,
            0,
            std::ptr::null_mut(),
        )
    })
}
