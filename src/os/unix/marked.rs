//! Processes that carry a marker variable in their environment: how pm finds what a service
//! started after it left the service's process group (a daemon's double fork and `setsid()`),
//! as Jenkins' ProcessTreeKiller does. A process's initial environment stays readable in
//! `/proc/<pid>/environ` (Linux) for its owner, whatever it did with its session, group or
//! parent since. A descendant that cleared its environment, or runs as another user, is not
//! found this way.

/// Sends SIGKILL to every process (but this one) whose environment has `name=<value>` with a
/// value that `ours(pid, value)` accepts; returns their pids. Reads every process's
/// environment once.
#[cfg(target_os = "linux")]
pub(crate) fn kill_marked(name: &str, mut ours: impl FnMut(u32, &[u8]) -> bool) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut prefix = name.as_bytes().to_vec();
    prefix.push(b'=');
    let mut killed = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        // Kernel threads and processes of other users read as empty or fail: not ours.
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let marked = environ
            .split(|&b| b == 0)
            .filter_map(|var| var.strip_prefix(prefix.as_slice()))
            .any(|value| ours(pid, value));
        if marked {
            super::signals::to_process(pid, libc::SIGKILL);
            killed.push(pid);
        }
    }
    killed
}

/// macOS: not implemented yet (`sysctl(KERN_PROCARGS2)` gives a process's environment); what
/// leaves the process group there is found by no one.
#[cfg(not(target_os = "linux"))]
pub(crate) fn kill_marked(_name: &str, _ours: impl FnMut(u32, &[u8]) -> bool) -> Vec<u32> {
    Vec::new()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
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
