//! The Windows OS layer against real processes: run by `npm run test:windows`, which builds
//! these tests for Windows and runs them under Wine with `ELIFE_PM_TEST_NODE` naming the
//! Windows node.exe (they fail without it; nothing is skipped).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use windows_sys::Win32::Foundation::{CloseHandle, WAIT_TIMEOUT};
use windows_sys::Win32::System::Threading::{
    OpenProcess, WaitForSingleObject, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE,
};

use super::spawn::Output;
use super::spawner::Spawner;
use crate::os::Command;

fn node() -> PathBuf {
    std::env::var_os("ELIFE_PM_TEST_NODE")
        .expect("ELIFE_PM_TEST_NODE must name the Windows node.exe (scripts/windows/test.sh)")
        .into()
}

fn launch(program: PathBuf, args: &[&str], env: &[(&str, &str)], ipc: bool) -> Command {
    Command {
        program,
        args: args.iter().map(OsString::from).collect(),
        env_remove: vec![],
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: cwd(),
        ipc,
        stdio: crate::os::Stdio::Log,
    }
}

/// `command` started in `dir`.
fn at(command: Command, dir: PathBuf) -> Arc<Command> {
    Arc::new(Command {
        cwd: dir,
        ..command
    })
}

async fn all(mut r: Output) -> String {
    let mut s = String::new();
    r.read_to_string(&mut s).await.unwrap();
    s
}

fn alive(pid: u32) -> bool {
    // SAFETY: plain calls; the handle is closed before returning.
    unsafe {
        let h = OpenProcess(
            PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
            0,
            pid,
        );
        if h.is_null() {
            return false;
        }
        let running = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
        CloseHandle(h);
        running
    }
}

async fn gone(pids: &[u32]) -> Vec<u32> {
    for _ in 0..200 {
        if !pids.iter().any(|p| alive(*p)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    pids.iter().copied().filter(|p| alive(*p)).collect()
}

fn spawner() -> Spawner {
    Spawner::new(tokio::runtime::Handle::current()).unwrap()
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_exit_code_arguments_and_environment() {
    let s = spawner()
        .spawn(at(
            launch(
                node(),
                &[
                    "-e",
                    "console.log(JSON.stringify(process.argv.slice(1))); console.error(process.env.Path + '|' + process.env.PATH); process.exit(7)",
                    "a b",
                    "q\"x",
                    "C:\\d\\",
                    "",
                ],
                &[("PATH", "X;Y")],
                false,
            ),
            cwd(),
        ), vec![])
        .await
        .unwrap();
    let (o, e) = (tokio::spawn(all(s.stdout)), tokio::spawn(all(s.stderr)));
    let mut p = s.process;
    let exit = p.wait().await;
    assert_eq!((exit.code, exit.signal), (Some(7), None));
    assert_eq!(o.await.unwrap().trim(), r#"["a b","q\"x","C:\\d\\",""]"#);
    assert_eq!(
        e.await.unwrap().trim(),
        "X;Y|X;Y",
        "Path and PATH are one variable"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_ipc_channel_both_ways_framed_as_libuv_frames_it() {
    let code = "process.on('message', m => { process.send({echo: m}); if (m.bye) process.disconnect() }); process.send({ready: !!process.channel})";
    let env = [
        ("NODE_CHANNEL_FD", "3"),
        ("NODE_CHANNEL_SERIALIZATION_MODE", "json"),
    ];
    let s = spawner()
        .spawn(at(launch(node(), &["-e", code], &env, true), cwd()), vec![])
        .await
        .unwrap();
    let ch = s.channel.clone().unwrap();
    let read_until = |want: usize| {
        let ch = ch.clone();
        async move {
            let (mut got, mut buf) = (String::new(), [0u8; 7]);
            while got.matches('\n').count() < want {
                let n = ch.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got.push_str(std::str::from_utf8(&buf[..n]).unwrap());
            }
            got
        }
    };
    let first = tokio::time::timeout(Duration::from_secs(30), read_until(1)).await;
    assert_eq!(first.unwrap(), "{\"ready\":true}\n");
    // Two messages at once: the second must not be refused while the first is in flight.
    ch.send_now(b"{\"hi\":1}\n").unwrap();
    ch.send_now(b"{\"bye\":true}\n").unwrap();
    let rest = tokio::time::timeout(Duration::from_secs(30), read_until(2)).await;
    assert_eq!(
        rest.unwrap(),
        "{\"echo\":{\"hi\":1}}\n{\"echo\":{\"bye\":true}}\n"
    );
    let mut buf = [0u8; 8];
    assert_eq!(
        ch.read(&mut buf).await.unwrap(),
        0,
        "end of file once the child disconnected"
    );
    let mut p = s.process;
    assert_eq!(p.wait().await.code, Some(0));
}

/// Reads whole lines from `ch` until `want` of them arrived (or the child closed its end).
async fn lines(ch: &super::channel::Channel, want: usize) -> Vec<String> {
    let (mut got, mut buf) = (Vec::new(), vec![0u8; 64 * 1024]);
    while got.iter().filter(|b| **b == b'\n').count() < want {
        let n = ch.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_messages_in_order_and_a_control_message_never_waits_for_a_child_not_reading() {
    // After saying ready the child blocks its event loop for 3 s, so it reads nothing: the
    // writer thread waits on the first 4 MiB message (the pipe holds 64 KiB).
    let code = "process.on('message', m => process.send(m.big ? {n: m.n, len: m.big.length} : m)); \
                process.send({ready: 1}, () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000))";
    let env = [
        ("NODE_CHANNEL_FD", "3"),
        ("NODE_CHANNEL_SERIALIZATION_MODE", "json"),
    ];
    let s = spawner()
        .spawn(at(launch(node(), &["-e", code], &env, true), cwd()), vec![])
        .await
        .unwrap();
    let ch = s.channel.clone().unwrap();
    let ready = tokio::time::timeout(Duration::from_secs(30), lines(&ch, 1)).await;
    assert_eq!(ready.unwrap(), ["{\"ready\":1}"]);
    const BIG: usize = 4 << 20;
    let big = |n: u32| format!("{{\"n\":{n},\"big\":\"{}\"}}\n", "x".repeat(BIG)).into_bytes();
    assert!(ch.send(big(0)));
    assert!(ch.send(big(1)));
    assert!(ch.send(b"{\"n\":2}\n".to_vec()));
    let t0 = std::time::Instant::now();
    ch.send_now(b"{\"ctl\":1}\n").unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(1000),
        "send_now waited {:?} for a child that was not reading",
        t0.elapsed()
    );
    let echoes = tokio::time::timeout(Duration::from_secs(60), lines(&ch, 4)).await;
    assert_eq!(
        echoes.unwrap(),
        [
            format!("{{\"n\":0,\"len\":{BIG}}}"),
            format!("{{\"n\":1,\"len\":{BIG}}}"),
            "{\"n\":2}".to_string(),
            "{\"ctl\":1}".to_string()
        ],
        "whole, in order, the control message after the app messages"
    );
    // Many small ones right after each other: every one arrives, in order.
    for n in 0..300 {
        assert!(ch.send(format!("{{\"n\":{n}}}\n").into_bytes()));
    }
    let echoes = tokio::time::timeout(Duration::from_secs(60), lines(&ch, 300)).await;
    let want: Vec<String> = (0..300).map(|n| format!("{{\"n\":{n}}}")).collect();
    assert_eq!(echoes.unwrap(), want);
    let mut p = s.process;
    p.killer().kill_tree();
    p.wait().await;
    assert!(ch.send_now(b"{}\n").is_err(), "the child is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_tree_ends_the_job_with_the_grandchild_and_wait_is_cancel_safe() {
    let code = "const c=require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});console.log(c.pid);setInterval(()=>{},1000)";
    let s = spawner()
        .spawn(at(launch(node(), &["-e", code], &[], false), cwd()), vec![])
        .await
        .unwrap();
    let pid = s.pid;
    let mut out = s.stdout;
    let (mut line, mut b) = (Vec::new(), [0u8; 1]);
    while !line.ends_with(b"\n") && out.read(&mut b).await.unwrap() == 1 {
        line.push(b[0]);
    }
    let grandchild: u32 = String::from_utf8_lossy(&line).trim().parse().unwrap();
    assert!(alive(pid) && alive(grandchild));
    let mut p = s.process;
    assert!(
        tokio::time::timeout(Duration::from_millis(200), p.wait())
            .await
            .is_err(),
        "still running"
    );
    p.killer().kill_tree();
    let exit = tokio::time::timeout(Duration::from_secs(10), p.wait())
        .await
        .unwrap();
    assert_eq!((exit.code, exit.signal.as_deref()), (None, Some("SIGKILL")));
    assert_eq!(gone(&[pid, grandchild]).await, Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_is_sigterm_and_a_dropped_process_ends() {
    let sp = spawner();
    let s = sp
        .spawn(
            at(
                launch(node(), &["-e", "setInterval(()=>{},1000)"], &[], false),
                cwd(),
            ),
            vec![],
        )
        .await
        .unwrap();
    let mut p = s.process;
    p.terminate(crate::os::StopSignal::Term);
    let exit = tokio::time::timeout(Duration::from_secs(10), p.wait())
        .await
        .unwrap();
    assert_eq!((exit.code, exit.signal.as_deref()), (None, Some("SIGTERM")));
    let s = sp
        .spawn(
            at(
                launch(node(), &["-e", "setInterval(()=>{},1000)"], &[], false),
                cwd(),
            ),
            vec![],
        )
        .await
        .unwrap();
    let (pid, killer) = (s.pid, s.process.killer());
    drop(s);
    assert_eq!(
        gone(&[pid]).await,
        Vec::<u32>::new(),
        "even with a Killer left"
    );
    drop(killer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_files_through_cmd_and_what_cannot_be_passed_is_refused() {
    let dir = std::env::temp_dir().join(format!("elife pm {}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bat = dir.join("echo args.cmd");
    std::fs::write(&bat, "@echo off\r\necho [%1] [%2] [%3]\r\nexit /b 4\r\n").unwrap();
    let sp = spawner();
    let s = sp
        .spawn(
            at(
                launch(bat.clone(), &["a b", "x&echo INJECTED", "(y)"], &[], false),
                cwd(),
            ),
            vec![],
        )
        .await
        .unwrap();
    let o = tokio::spawn(all(s.stdout));
    let mut p = s.process;
    assert_eq!(p.wait().await.code, Some(4));
    assert_eq!(
        o.await.unwrap().trim(),
        r#"["a b"] ["x&echo INJECTED"] ["(y)"]"#
    );
    let e = sp
        .spawn(at(launch(bat, &["%PATH%"], &[], false), cwd()), vec![])
        .await
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .contains("argument 1 (\"%PATH%\") contains '%'"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_errors_name_the_program_or_the_directory() {
    let sp = spawner();
    let e = sp
        .spawn(
            at(launch(r"C:\nope\none.exe".into(), &[], &[], false), cwd()),
            vec![],
        )
        .await
        .err()
        .unwrap();
    assert!(
        e.to_string().contains(r"C:\nope\none.exe was not found"),
        "{e}"
    );
    let e = sp
        .spawn(
            at(launch(node(), &[], &[], false), r"C:\no\such\dir".into()),
            vec![],
        )
        .await
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .contains(r"working directory C:\no\such\dir does not exist"),
        "{e}"
    );
}

#[test]
fn executables_are_files_with_a_pathext_extension() {
    assert!(super::fs::is_executable(&node()));
    assert!(!super::fs::is_executable(&std::env::temp_dir()));
    assert!(!super::fs::is_executable(Path::new(r"C:\nope\none.exe")));
}

#[test]
fn only_a_directory_inside_the_profile_is_trusted() {
    let dir = std::env::temp_dir().join(format!("elife-pm-private-{}", std::process::id()));
    super::fs::private_dir(&dir).unwrap();
    assert!(dir.is_dir());
    let e = super::fs::private_dir(Path::new(r"C:\elife-pm-shared-state")).unwrap_err();
    assert!(
        e.to_string().contains("not inside your profile directory"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(r"C:\elife-pm-shared-state");
}

#[test]
fn log_files_are_regular_files_known_by_their_identity() {
    use super::log_file::{id_of_path, open_log, write_all};
    let dir = std::env::temp_dir().join(format!("elife-pm-logfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("x.log");
    let (file, size, id) = open_log(&log).unwrap();
    assert_eq!((size, id_of_path(&log)), (0, Some(id)));
    write_all(&file, b"one\n").unwrap();
    // Rotation renames the open file: allowed, and the path then names another file.
    std::fs::rename(&log, dir.join("x.log.1")).unwrap();
    assert_eq!(id_of_path(&log), None);
    assert_eq!(id_of_path(&dir.join("x.log.1")), Some(id));
    let (_, _, id2) = open_log(&log).unwrap();
    assert_ne!(id, id2);
    assert!(open_log(&dir)
        .unwrap_err()
        .to_string()
        .contains("not a regular file"));
    drop(file);
    let _ = std::fs::remove_dir_all(&dir);
}
