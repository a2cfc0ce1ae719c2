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
    /// Held while the file is written or removed (before `inner`), so that what `on_disk`
    /// says is what the disk has.
    io: Mutex<()>,
}

#[derive(Default)]
struct Inner {
    dir: Option<PathBuf>,
    services: BTreeMap<u64, Service>,
    /// The file is behind `services`.
    dirty: bool,
    /// Whether the writer thread runs.
    writing: bool,
    /// Spawns under way (`before_spawn`): their processes may run before `add` records them.
    spawning: usize,
    /// Whether the file is there.
    on_disk: bool,
    /// The writer thread is writing a state taken earlier.
    in_flight: bool,
}

/// Keeps this run's record on disk while one spawn is under way (`RunRecord::before_spawn`).
pub(crate) struct Spawning {
    shared: Arc<Shared>,
}

impl Drop for Spawning {
    fn drop(&mut self) {
        let mut inner = lock(&self.shared.inner);
        inner.spawning -= 1;
        inner.dirty = true;
        self.shared.changed.notify_one();
    }
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
    /// them is one write), except a spawn that finds no file there (`before_spawn`).
    pub(crate) fn set_dir(&self, dir: PathBuf) -> io::Result<()> {
        let _io = lock(&self.shared.io);
        let mut inner = self.inner();
        inner.dir = Some(dir);
        inner.on_disk = write(self.main, &inner)?;
        if !inner.writing {
            let (main, shared) = (self.main, self.shared.clone());
            std::thread::Builder::new()
                .name("elife-pm-record".into())
                .spawn(move || keep_written(main, &shared))?;
            inner.writing = true;
        }
        Ok(())
    }

    /// Before a spawn: the record must be on disk before any process carries this run's marker,
    /// or a SIGKILL of the main process right after the spawn would leave what the service
    /// starts outside its group (a daemon) where the next start's sweep cannot find it. Writes
    /// the file at once only when it is not there (the first service, or the first after none
    /// ran); it stays until the returned guard is dropped, after `add`.
    pub(crate) fn before_spawn(&self) -> Spawning {
        let mut inner = self.inner();
        inner.spawning += 1;
        let guard = Spawning {
            shared: self.shared.clone(),
        };
        if inner.dir.is_none() || (inner.on_disk && !inner.in_flight) {
            return guard;
        }
        drop(inner);
        let _io = lock(&self.shared.io);
        let mut inner = self.inner();
        if !inner.on_disk {
            if let Ok(there) = write(self.main, &inner) {
                inner.on_disk = there;
            }
        }
        guard
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
    loop {
        let mut inner = lock(&shared.inner);
        while !inner.dirty {
            inner = shared
                .changed
                .wait(inner)
                .unwrap_or_else(|e| e.into_inner());
        }
        drop(inner);
        let _io = lock(&shared.io);
        let mut inner = lock(&shared.inner);
        inner.dirty = false;
        inner.in_flight = true;
        let snapshot = Inner {
            dir: inner.dir.clone(),
            services: inner.services.clone(),
            spawning: inner.spawning,
            ..Inner::default()
        };
        drop(inner);
        let written = write(main, &snapshot);
        let mut inner = lock(&shared.inner);
        inner.in_flight = false;
        if let Ok(there) = written {
            inner.on_disk = there;
        }
    }
}

/// Writes the record, or removes it when nothing runs or is being spawned; returns whether
/// the file is there.
fn write(main: Identity, inner: &Inner) -> io::Result<bool> {
    let Some(dir) = &inner.dir else {
        return Ok(false);
    };
    let file = dir.join(format!("run-{}.json", main.pid));
    if inner.services.is_empty() && inner.spawning == 0 {
        return match std::fs::remove_file(&file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(false),
        };
    }
    let run = Run {
        main,
        services: inner.services.values().cloned().collect(),
    };
    let tmp = dir.join(format!(".run-{}.json.tmp", main.pid));
    std::fs::write(&tmp, serde_json::to_vec(&run).map_err(io::Error::other)?)?;
    std::fs::rename(&tmp, &file)?;
    Ok(true)
}

fn run_marker(main: Identity) -> String {
    format!("{}.{}.", main.pid, main.start)
}

/// How long the sweep waits for killed groups to vanish.
const SWEEP_WAIT: Duration = Duration::from_secs(2);

/// What a sweep ended.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Swept {
    /// The service process groups that dead runs recorded.
    pub(crate) groups: Vec<u32>,
    /// Processes of those runs that had left their service's group (daemons), found by marker.
    pub(crate) strays: Vec<u32>,
}

impl Swept {
    /// The warning that tells the app what an earlier run left behind, or `None` when it left
    /// nothing.
    pub(crate) fn warning(&self) -> Option<String> {
        let ids = |pids: &[u32]| {
            pids.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let groups = format!(
            "{} process group(s) left running by an earlier run of this app that was killed \
             (process group ids: {})",
            self.groups.len(),
            ids(&self.groups)
        );
        let strays = format!(
            "{} process(es) that had left their service's process group (pids: {})",
            self.strays.len(),
            ids(&self.strays)
        );
        match (self.groups.is_empty(), self.strays.is_empty()) {
            (true, true) => None,
            (false, true) => Some(format!("ended {groups}")),
            (false, false) => Some(format!("ended {groups}, and {strays}")),
            (true, false) => Some(format!(
                "ended {strays}, left running by an earlier run of this app that was killed"
            )),
        }
    }
}

/// Ends every service group that a dead run recorded in `dir`, waits (briefly) for them to go,
/// then ends what those runs' services started that left their groups (daemons, by their
/// marker), and removes the records. Records of live runs (another copy of the app) are left
/// alone.
pub(crate) fn sweep(dir: &Path) -> Swept {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Swept::default();
    };
    let mut groups = Vec::new();
    let mut dead_runs = Vec::new();
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
                groups.push(pgid);
            }
        }
        dead_runs.push((run_marker(run.main), path));
    }
    let until = Instant::now() + SWEEP_WAIT;
    while groups.iter().any(|g| procinfo::group_alive(*g)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    // With the groups gone, whatever still carries a dead run's marker had left its group.
    let markers: Vec<String> = dead_runs.iter().map(|(m, _)| m.clone()).collect();
    let strays = strays::end_runs(&markers);
    for (_, path) in dead_runs {
        let _ = std::fs::remove_file(path);
    }
    Swept { groups, strays }
}

#[cfg(test)]
mod tests {
    use super::Swept;

    #[test]
    fn a_sweep_that_ended_nothing_says_nothing() {
        assert_eq!(Swept::default().warning(), None);
    }

    #[test]
    fn the_warning_names_groups_and_daemons_by_their_ids() {
        let groups = Swept {
            groups: vec![10, 20],
            strays: vec![],
        };
        assert_eq!(
            groups.warning().unwrap(),
            "ended 2 process group(s) left running by an earlier run of this app that was \
             killed (process group ids: 10, 20)"
        );
        let both = Swept {
            groups: vec![10],
            strays: vec![31],
        };
        assert!(both.warning().unwrap().ends_with(
            "(process group ids: 10), and 1 process(es) that had left their service's process \
             group (pids: 31)"
        ));
        // A daemon alone: its service died with the app (death signal), its group is gone.
        let daemon = Swept {
            groups: vec![],
            strays: vec![31, 32],
        };
        assert_eq!(
            daemon.warning().unwrap(),
            "ended 2 process(es) that had left their service's process group (pids: 31, 32), \
             left running by an earlier run of this app that was killed"
        );
    }
}
