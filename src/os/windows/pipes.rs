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

/// Which way bytes go, seen from pm's end.
struct Direction {
    inbound: bool,
    outbound: bool,
}

/// A one-instance pipe, pm's end connected to the child's, opened with `access` and `flags`.
/// Must run inside the runtime.
async fn pair(
    way: Direction,
    access: u32,
    flags: FILE_FLAGS_AND_ATTRIBUTES,
) -> io::Result<(NamedPipeServer, OwnedHandle)> {
    let name = unique_name();
    let server = ServerOptions::new()
        .first_pipe_instance(true)
        .reject_remote_clients(true)
        .access_inbound(way.inbound)
        .access_outbound(way.outbound)
        .pipe_mode(PipeMode::Byte)
        .max_instances(1)
        .in_buffer_size(if way.inbound { BUFFER } else { 0 })
        .out_buffer_size(if way.outbound { BUFFER } else { 0 })
        .create(&name)?;
    let client = open_client(&name, access, flags)?;
    // Already connected (the client is open): completes at once.
    server.connect().await?;
    Ok((server, client))
}

/// A pipe a child writes its output to: pm's reading end, and the child's writing end
/// (synchronous, as a console program expects).
pub(super) async fn output() -> io::Result<(NamedPipeServer, OwnedHandle)> {
    let way = Direction {
        inbound: true,
        outbound: false,
    };
    pair(way, GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0).await
}

/// A pipe a child reads as its stdin (`Stdio::Pipe`): pm's writing end, and the child's
/// reading end (synchronous, as a console program expects).
pub(crate) async fn input() -> io::Result<(NamedPipeServer, OwnedHandle)> {
    let way = Direction {
        inbound: false,
        outbound: true,
    };
    pair(way, GENERIC_READ | FILE_WRITE_ATTRIBUTES, 0).await
}

/// Node's IPC channel: pm's end, and the child's (duplex, overlapped, as libuv opens it).
pub(super) async fn channel() -> io::Result<(NamedPipeServer, OwnedHandle)> {
    let way = Direction {
        inbound: true,
        outbound: true,
    };
    let access = GENERIC_READ | GENERIC_WRITE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES;
    pair(way, access, FILE_FLAG_OVERLAPPED).await
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
