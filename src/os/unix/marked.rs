//! Processes that carry a marker variable in their environment: how pm finds what a service
//! started after it left the service's process group (a daemon's double fork and `setsid()`),
//! as Jenkins' ProcessTreeKiller does. A process's initial environment stays readable for its
//! owner, whatever it did with its session, group or parent since: `/proc/<pid>/environ` on
//! Linux, `sysctl(KERN_PROCARGS2)` on macOS (built here, never run). A descendant that cleared
//! its environment, or runs as another user, is not found this way.

/// Whether this OS finds marked processes at all (else pm does not look; see `SUPPORTED` on
/// Windows).
pub(crate) const SUPPORTED: bool = cfg!(any(target_os = "linux", target_os = "macos"));

/// Sends SIGKILL to every process (but this one) whose environment has `name=<value>` with a
/// value that `ours(pid, value)` accepts; returns their pids. Reads every process's
/// environment once.
pub(crate) fn kill_marked(name: &str, mut ours: impl FnMut(u32, &[u8]) -> bool) -> Vec<u32> {
    let me = std::process::id();
    let mut prefix = name.as_bytes().to_vec();
    prefix.push(b'=');
    let mut killed = Vec::new();
    for (pid, block) in environments().filter(|(pid, _)| *pid != me) {
        let marked = variables(&block)
            .filter_map(|var| var.strip_prefix(prefix.as_slice()))
            .any(|value| ours(pid, value));
        if marked {
            super::signals::to_process(pid, libc::SIGKILL);
            killed.push(pid);
        }
    }
    killed
}

/// Linux: every process's initial environment, NUL-separated, from `/proc/<pid>/environ`.
/// Kernel threads and processes of other users read as empty or fail: none of ours.
#[cfg(target_os = "linux")]
fn environments() -> impl Iterator<Item = (u32, Vec<u8>)> {
    let entries = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    entries.filter_map(|entry| {
        let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
        let environ = std::fs::read(entry.path().join("environ")).ok()?;
        Some((pid, environ))
    })
}

#[cfg(target_os = "linux")]
fn variables(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    block.split(|&b| b == 0)
}

/// macOS: every process's `sysctl(KERN_PROCARGS2)` block (its arguments, then its
/// environment).
#[cfg(target_os = "macos")]
fn environments() -> impl Iterator<Item = (u32, Vec<u8>)> {
    macos_pids()
        .into_iter()
        .filter(|pid| *pid != 0)
        .filter_map(|pid| Some((pid, macos_procargs(pid)?)))
}

#[cfg(target_os = "macos")]
fn variables(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    environment(block)
}

#[cfg(target_os = "macos")]
fn macos_pids() -> Vec<u32> {
    // SAFETY: a null buffer asks for the number of pids.
    let n = unsafe { libc::proc_listallpids(std::ptr::null_mut(), 0) };
    if n <= 0 {
        return Vec::new();
    }
    let mut pids = vec![0 as libc::c_int; n as usize + 64];
    let size = (pids.len() * std::mem::size_of::<libc::c_int>()) as libc::c_int;
    // SAFETY: the buffer holds `size` bytes.
    let got = unsafe { libc::proc_listallpids(pids.as_mut_ptr().cast(), size) };
    pids.truncate(got.max(0) as usize);
    pids.into_iter()
        .filter_map(|p| u32::try_from(p).ok())
        .collect()
}

/// The `KERN_PROCARGS2` block of `pid`: argc, the executable path, the arguments, then the
/// environment; `None` for a process of another user or one that is gone.
#[cfg(target_os = "macos")]
fn macos_procargs(pid: u32) -> Option<Vec<u8>> {
    let mut mib = [libc::CTL_KERN, libc::KERN_PROCARGS2, pid as libc::c_int];
    let mut size: libc::size_t = 0;
    // SAFETY: a null buffer asks for the size.
    let r = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            3,
            std::ptr::null_mut(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if r != 0 || size == 0 {
        return None;
    }
    let mut buf = vec![0u8; size];
    // SAFETY: the buffer holds `size` bytes; sysctl writes at most that and says how many.
    let r = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            3,
            buf.as_mut_ptr().cast(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if r != 0 {
        return None;
    }
    buf.truncate(size);
    Some(buf)
}

/// The environment variables in a `KERN_PROCARGS2` block: after argc (a native int), the
/// executable path and its padding NULs, and argc arguments.
#[cfg(any(target_os = "macos", test))]
fn environment(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    let int = std::mem::size_of::<libc::c_int>();
    let argc = block
        .get(..int)
        .map(|b| i32::from_ne_bytes(b.try_into().unwrap_or([0; 4])).max(0) as usize)
        .unwrap_or(0);
    let mut rest = block.get(int..).unwrap_or(&[]);
    // The executable path, then NUL padding.
    let path_end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    rest = &rest[path_end..];
    let start = rest.iter().position(|&b| b != 0).unwrap_or(rest.len());
    rest = &rest[start..];
    rest.split(|&b| b == 0)
        .skip(argc)
        .take_while(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_procargs2_block_reads_as_its_environment() {
        let mut block = 2i32.to_ne_bytes().to_vec();
        block
            .extend_from_slice(b"/bin/sleep\0\0\0\0sleep\x0030\0A=1\0ELIFE_PM_SERVICE=x.1\0\0junk");
        let env: Vec<&[u8]> = super::environment(&block).collect();
        assert_eq!(env, [&b"A=1"[..], &b"ELIFE_PM_SERVICE=x.1"[..]]);
        assert_eq!(super::environment(&[]).count(), 0);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod linux_tests {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    #[test]
    fn a_marked_process_that_left_the_group_is_found_and_killed() {
        let value = format!("test.{}.{}", std::process::id(), line!());
        // A daemon: its own session (setsid) and group, the marker in its environment.
        let mut daemon = Command::new("sleep")
            .arg("30")
            .env("ELIFE_PM_TEST_MARKER", &value)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let mut other = Command::new("sleep")
            .arg("30")
            .env("ELIFE_PM_TEST_MARKER", "someone.else")
            .spawn()
            .unwrap();
        // Wait until the child has exec'd (its environ is sleep's, with the marker).
        let environ = format!("/proc/{}/environ", daemon.id());
        for _ in 0..500 {
            if std::fs::read(&environ)
                .is_ok_and(|e| e.windows(value.len()).any(|w| w == value.as_bytes()))
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let killed = super::kill_marked("ELIFE_PM_TEST_MARKER", |_, v| v == value.as_bytes());
        assert_eq!(killed, vec![daemon.id()]);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(daemon.wait().unwrap().signal(), Some(libc::SIGKILL));
        assert!(
            other.try_wait().unwrap().is_none(),
            "another marker is not ours"
        );
        let _ = other.kill();
        let _ = other.wait();
    }
}
