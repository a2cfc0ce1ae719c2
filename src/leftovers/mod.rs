//! This main process's state file (see `record` for the format), rewritten by a thread of its
//! own whenever services start or end, and the sweep that ends what earlier, killed runs of the same app left
//! behind. The state directory is the app's own (Electron's userData, or one per main script),
//! so different apps never see each other's records.

pub(crate) mod record;
pub(crate) mod strays;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::os::procinfo;
use crate::sync::lock;
use record::{Identity, Run, Service, Verdict};

pub(crate) struct RunRecord {
    main: Identity,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    changed: Condvar,
}

#[derive(Default)]
struct Inner {
    dir: Option<PathBuf>,
    services: BTreeMap<u64, Service>,
    /// The file is behind `services`.
    dirty: bool,
    /// Whether the writer thread runs.
    writing: bool,
}

impl Default for RunRecord {
    fn default() -> Self {
        let pid = std::process::id();
        RunRecord {
            main: Identity {
                pid,
                start: procinfo::start_time(pid).unwrap_or(0),
            },
            shared: Arc::default(),
        }
    }
}

impl RunRecord {
    /// The start of the markers of this run's processes (`strays.rs`): the main process's pid
    /// and start time, which no other run shares.
    pub(crate) fn run_marker(&self) -> String {
        run_marker(self.main)
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.shared.inner)
    }

    /// Where to keep the record from now on; written at once, then by a thread of its own
    /// whenever services come or go (so no start or stop waits for the disk, and a burst of
    /// them is one write).
    pub(crate) fn set_dir(&self, dir: PathBuf) -> io::Result<()> {
        let mut inner = self.inner();
        inner.dir = Some(dir);
        write(self.main, &inner)?;
        if !inner.writing {
            let (main, shared) = (self.main, self.shared.clone());
            std::thread::Builder::new()
                .name("elife-pm-record".into())
                .spawn(move || keep_written(main, &shared))?;
            inner.writing = true;
        }
        Ok(())
    }

    /// Records a spawned service (by the supervisor's entry id).
    pub(crate) fn add(&self, entry: u64, pid: u32) {
        let Some(start) = procinfo::start_time(pid) else {
            return;
        };
        let mut inner = self.inner();
        inner.services.insert(
            entry,
            Service {
                id: Identity { pid, start },
                pgid: pid,
            },
        );
        self.changed(&mut inner);
    }

    pub(crate) fn remove(&self, entry: u64) {
        let mut inner = self.inner();
        if inner.services.remove(&entry).is_some() {
            self.changed(&mut inner);
        }
    }

    fn changed(&self, inner: &mut Inner) {
        inner.dirty = true;
        self.shared.changed.notify_one();
    }
}

/// The writer thread: writes the record whenever it changed, the latest state each time.
fn keep_written(main: Identity, shared: &Shared) {
    let mut inner = lock(&shared.inner);
    loop {
        while !inner.dirty {
            inner = shared
                .changed
                .wait(inner)
                .unwrap_or_else(|e| e.into_inner());
        }
        inner.dirty = false;
        let snapshot = Inner {
            dir: inner.dir.clone(),
            services: inner.services.clone(),
            dirty: false,
            writing: true,
        };
        drop(inner);
        let _ = write(main, &snapshot);
        inner = lock(&shared.inner);
    }
}

fn write(main: Identity, inner: &Inner) -> io::Result<()> {
    let Some(dir) = &inner.dir else {
        return Ok(());
    };
    let file = dir.join(format!("run-{}.json", main.pid));
    if inner.services.is_empty() {
        return match std::fs::remove_file(&file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let run = Run {
        main,
        services: inner.services.values().cloned().collect(),
    };
    let tmp = dir.join(format!(".run-{}.json.tmp", main.pid));
    std::fs::write(&tmp, serde_json::to_vec(&run).map_err(io::Error::other)?)?;
    std::fs::rename(&tmp, &file)
}

fn run_marker(main: Identity) -> String {
    format!("{}.{}.", main.pid, main.start)
}

/// How long the sweep waits for killed groups to vanish.
const SWEEP_WAIT: Duration = Duration::from_secs(2);

/// Ends every service group that a dead run recorded in `dir`, waits (briefly) for them to go,
/// and removes their records. Records of live runs (another copy of the app) are left alone.
/// Returns the groups it killed.
pub(crate) fn sweep(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut killed = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("run-") && name.ends_with(".json")) {
            continue;
        }
        let Some(run) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Run>(&b).ok())
        else {
            // Unreadable: a torn write cannot happen (rename), so it is not ours to keep.
            let _ = std::fs::remove_file(&path);
            continue;
        };
        let verdicts = record::judge(&run, procinfo::start_time, procinfo::group_alive);
        if verdicts.contains(&Verdict::Live) {
            continue;
        }
        for v in verdicts {
            if let Verdict::Kill(pgid) = v {
                procinfo::kill_group(pgid);
                killed.push(pgid);
            }
        }
        // And what its services started that left their groups (daemons), by their marker.
        strays::end_run(&run_marker(run.main));
        let _ = std::fs::remove_file(&path);
    }
    let until = Instant::now() + SWEEP_WAIT;
    while killed.iter().any(|g| procinfo::group_alive(*g)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    killed
}
