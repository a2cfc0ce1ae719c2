//! The supervisor driven from Rust, without Node's N-API: real processes (Node scripts on the
//! `node` found on PATH), real signals, the event sink as JS would see it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use elife_pm::events::Event;
use elife_pm::launch::{self, Host, Probe};
use elife_pm::options::parse_start;
use elife_pm::supervisor::Supervisor;

fn node() -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    elife_pm::which::find("node", Some(&path), Path::new("/"), &|p| p.is_file())
        .expect("node on PATH")
}

fn script(dir: &Path, name: &str, code: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, code).unwrap();
    p
}

/// Starts `script` with `options` (JSON) on a supervisor whose sink runs `on_event`.
fn supervisor(
    on_event: impl Fn(&Supervisor, &Event) + Send + Sync + 'static,
) -> (Arc<Supervisor>, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cell: Arc<OnceLock<Arc<Supervisor>>> = Arc::new(OnceLock::new());
    let sink_cell = cell.clone();
    let sup = Supervisor::new(
        Host {
            exec_path: node(),
            pid: std::process::id(),
            python_helper: None,
        },
        Arc::new(move |e| {
            if let Some(s) = sink_cell.get() {
                on_event(s, &e)
            }
        }),
        rt.handle().clone(),
    )
    .unwrap();
    let _ = cell.set(sup.clone());
    (sup, rt)
}

fn start(
    sup: &Supervisor,
    options: serde_json::Value,
) -> impl std::future::Future<Output = Result<elife_pm::service::Info, String>> {
    let cwd = std::env::current_dir().unwrap();
    let spec = parse_start(&options, &cwd, |p| p.exists()).unwrap();
    let var = |k: &str| std::env::var(k).ok();
    let launch = launch::plan(
        &spec,
        sup.host(),
        &Probe {
            var: &var,
            is_executable: &|p| p.is_file(),
            cwd: &cwd,
        },
    )
    .unwrap();
    sup.start(Arc::new(spec), Arc::new(launch))
}

/// JS keeps Node's event loop alive while a service is alive or an event is undelivered. The
/// events are counted when emitted, so a service must still count as alive when it emits its
/// last event; otherwise there is a moment when neither holds and Node may exit with that
/// event still queued.
#[test]
fn a_service_counts_as_alive_until_its_last_event_is_emitted() {
    let seen: Arc<Mutex<Vec<(String, usize)>>> = Arc::default();
    let record = seen.clone();
    let (sup, rt) = supervisor(move |s, e| {
        let kind = match e {
            Event::Exit { .. } => "exit",
            Event::Stop { .. } => "stop",
            Event::Start { .. } => "start",
            _ => return,
        };
        record.lock().unwrap().push((kind.to_string(), s.alive()));
    });
    let dir = std::env::temp_dir().join(format!("elife-pm-rs-{}", std::process::id()));
    let quick = script(&dir, "quick.js", "process.exit(3)");
    let idle = script(&dir, "idle.js", "setInterval(() => {}, 1000)");
    rt.block_on(async {
        // Ends by itself, restarts off: its exit event is its last.
        start(
            &sup,
            serde_json::json!({ "script": quick, "restartAt": [] }),
        )
        .await
        .unwrap();
        for _ in 0..200 {
            if sup.alive() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Stopped by request: its stop event is its last.
        start(&sup, serde_json::json!({ "script": idle, "name": "idle" }))
            .await
            .unwrap();
        let target = elife_pm::options::Target::Name("idle".into());
        sup.stop(Some(&target)).await;
    });
    assert_eq!(sup.alive(), 0, "both are over");
    let seen = seen.lock().unwrap().clone();
    let last_of = |kind: &str| {
        seen.iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
    };
    assert_eq!(last_of("exit").len(), 2, "{seen:?}");
    assert!(
        last_of("exit").iter().all(|n| *n >= 1),
        "a service emitted an event after it stopped counting as alive: {seen:?}"
    );
    assert!(last_of("stop").iter().all(|n| *n >= 1), "{seen:?}");
    let _ = std::fs::remove_dir_all(dir);
}
