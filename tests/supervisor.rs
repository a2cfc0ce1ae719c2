//! The supervisor driven from Rust, without Node's N-API: real processes (Node scripts on the
//! `node` found on PATH), real signals, the event sink as JS would see it. Starts go through
//! the same preparation as the addon's (`start::prepare` with the OS probe).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use elife_pm::events::Event;
use elife_pm::start::launch::Host;
use elife_pm::start::options::Target;
use elife_pm::start::{prepare, OsProbe};
use elife_pm::supervisor::Supervisor;

fn node() -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    elife_pm::start::which::find("node", Some(&path), Path::new("/"), &|p| p.is_file())
        .expect("node on PATH")
}

fn script(dir: &Path, name: &str, code: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, code).unwrap();
    p
}

/// A supervisor whose events are recorded, on a runtime of its own.
fn supervisor(events: Arc<Mutex<Vec<Event>>>) -> (Arc<Supervisor>, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sup = Supervisor::new(
        Host {
            exec_path: node(),
            pid: std::process::id(),
            node_version: None,
            reads_archives: false,
        },
        Arc::new(move |e| {
            events.lock().unwrap().push(e);
            false
        }),
        rt.handle().clone(),
    )
    .unwrap();
    (sup, rt)
}

fn start(
    sup: &Supervisor,
    options: serde_json::Value,
) -> impl std::future::Future<Output = elife_pm::service::Outcome> {
    let probe = OsProbe {
        readable_by_node: &|p| p.is_file(),
        python_helper: &|| None,
        node_preload: &|| None,
    };
    let prepared = prepare(&options, sup.host(), &probe).unwrap();
    sup.start(Arc::new(prepared.spec), Arc::new(prepared.launch))
        .unwrap()
}

/// A service holds the keep-alive until its `Ended` marker, which comes after its last event;
/// the stop of a name acts only on what existed when it was called.
#[test]
fn the_ended_marker_follows_the_last_event_and_stops_act_on_what_existed() {
    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let (sup, rt) = supervisor(events.clone());
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
        // Stopped by request, then started again under the same name in the same breath: the
        // stop reaches only the first.
        let first = start(&sup, serde_json::json!({ "script": idle, "name": "idle" }))
            .await
            .unwrap();
        let stopped = sup.stop(Some(&Target::Name("idle".into())));
        let second = start(&sup, serde_json::json!({ "script": idle, "name": "idle" }));
        let stopped = stopped.await;
        let second = second.await.unwrap();
        assert_eq!(stopped.len(), 1);
        assert_eq!(stopped[0].id, first.id);
        assert_eq!(
            sup.list().len(),
            2,
            "the quick one (errored) and the second idle"
        );
        assert!(sup.busy(), "the second idle one runs");
        sup.stop(None).await;
        assert_eq!(second.state, elife_pm::service::lifecycle::State::Running);
    });
    assert!(!sup.busy(), "everything is over");
    let seen = events.lock().unwrap().clone();
    for id in 1..=3u64 {
        let of_it: Vec<&Event> = seen
            .iter()
            .filter(|e| match e {
                Event::Start { id: i, .. }
                | Event::Exit { id: i, .. }
                | Event::Stop { id: i, .. }
                | Event::Ended { id: i } => *i == id,
                _ => false,
            })
            .collect();
        assert!(
            matches!(of_it.last(), Some(Event::Ended { .. })),
            "service {id}: {of_it:?}"
        );
        assert_eq!(
            of_it
                .iter()
                .filter(|e| matches!(e, Event::Ended { .. }))
                .count(),
            1
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
