//! The one place that turns what `start()` received into a prepared launch: the options are
//! checked (`options`), the files they name are looked at, and the command line and
//! environment are planned (`launch`). Every fact about the machine comes through `Probe`,
//! so the whole preparation is tested with a fake one; `OsProbe` asks the real OS.

pub(crate) mod asar;
pub mod checks;
pub(crate) mod electron_fuse;
pub(crate) mod electron_helper;
pub(crate) mod fields;
pub mod launch;
pub mod options;
pub mod schedule;
pub mod which;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::PmError;
use launch::{Host, Launch};
use options::StartSpec;

/// What preparing a start needs to know about the machine.
pub trait Probe {
    /// A variable of the main process's environment.
    fn var(&self, name: &str) -> Option<String>;
    /// The main process's working directory.
    fn cwd(&self) -> PathBuf;
    /// Whether `path` exists on the real file system (outside any asar archive).
    fn exists(&self, path: &Path) -> bool;
    /// Whether a Node service can read `path`: as Electron's `fs` sees it, inside asar
    /// archives too.
    fn readable_by_node(&self, path: &Path) -> bool;
    fn is_dir(&self, path: &Path) -> bool;
    fn is_executable(&self, path: &Path) -> bool;
    /// A real directory holding the `elife_pm` Python package, put on Python services'
    /// PYTHONPATH.
    fn python_helper(&self) -> Option<PathBuf>;
    /// A file on the real file system that Node services on Electron's binary load before
    /// their script (`lib/run-as-node-preload.js`: it takes `ELECTRON_RUN_AS_NODE` away from
    /// what the service starts), or `None` to start them without it.
    fn node_preload(&self) -> Option<PathBuf>;
    /// Whether `binary` (Electron's) runs as Node with `ELECTRON_RUN_AS_NODE=1`: false when its
    /// RunAsNode fuse is known to be off (`electron_fuse.rs`). Never blocks: a binary not read
    /// yet counts as allowed here, and the spawn checks again.
    fn runs_as_node(&self, binary: &Path) -> bool;
}

/// A checked `start()`: the spec the supervisor keeps and how to spawn it.
pub struct Prepared {
    pub spec: StartSpec,
    pub launch: Launch,
}

pub fn prepare(options: &Value, host: &Host, probe: &dyn Probe) -> Result<Prepared, PmError> {
    let mut spec = options::parse_start(options, &probe.cwd(), |p| probe.exists(p))?;
    spec.script = where_it_runs(&spec, host, probe)?;
    if !probe.readable_by_node(&spec.script) {
        return Err(PmError::option(format!(
            "pm.start: script {} does not exist",
            spec.script.display()
        )));
    }
    if !probe.is_dir(&spec.cwd) {
        return Err(PmError::option(format!(
            "pm.start: cwd {} is not a directory",
            spec.cwd.display()
        )));
    }
    let launch = launch::plan(&spec, host, probe)?;
    Ok(Prepared { spec, launch })
}

/// The script a service runs: only Electron's own Node reads inside an asar archive, so
/// anything else runs the unpacked copy (`app.asar.unpacked`), which must exist; an error says
/// which of the two is missing (in Electron, which sees inside the archive; a plain Node's
/// `fs` cannot tell, and is told to unpack).
fn where_it_runs(spec: &StartSpec, host: &Host, probe: &dyn Probe) -> Result<PathBuf, PmError> {
    let script = &spec.script;
    if spec.kind == options::ScriptKind::Node && spec.interpreter.is_none() {
        return Ok(script.clone());
    }
    let Some(unpacked) = asar::unpacked(script) else {
        return Ok(script.clone());
    };
    if probe.exists(&unpacked) {
        return Ok(unpacked);
    }
    if host.reads_archives && !probe.readable_by_node(script) {
        return Err(PmError::option(format!(
            "pm.start: script {} does not exist, in the archive or unpacked at {}",
            script.display(),
            unpacked.display()
        )));
    }
    Err(PmError::option(format!(
        "pm.start: {} is inside an asar archive, where only Electron's own Node can read it; \
         unpack it so that it exists at {} (electron-builder: \"asarUnpack\": [\"{}\"])",
        script.display(),
        unpacked.display(),
        asar::split(script)
            .map(|(_, inner)| asar::unpack_pattern(&inner))
            .unwrap_or_default()
    )))
}

/// What must hold before each spawn of `launch`: Electron's binary may run as Node only while
/// its RunAsNode fuse allows (the binary can be replaced while the app runs). The first answer
/// may wait for the binary to be read, which happens off the runtime's threads.
pub(crate) async fn check_before_spawn(launch: &Launch) -> Result<(), PmError> {
    if !launch.run_as_node {
        return Ok(());
    }
    let binary = launch.command.program.clone();
    let allowed = match electron_fuse::known(&binary) {
        Some(known) => known,
        None => {
            let path = binary.clone();
            tokio::task::spawn_blocking(move || electron_fuse::allows_run_as_node(&path))
                .await
                .unwrap_or(true)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(PmError::new(
            crate::error::ErrorKind::Spawn,
            electron_fuse::run_as_node_disabled_message(&binary),
        ))
    }
}

/// The real machine. `readable_by_node` is the caller's: in the addon, JS's `fs` check, which
/// sees inside asar archives.
pub struct OsProbe<'a> {
    pub readable_by_node: &'a dyn Fn(&Path) -> bool,
    pub python_helper: &'a dyn Fn() -> Option<PathBuf>,
    pub node_preload: &'a dyn Fn() -> Option<PathBuf>,
}

impl Probe for OsProbe<'_> {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn cwd(&self) -> PathBuf {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn readable_by_node(&self, path: &Path) -> bool {
        (self.readable_by_node)(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn is_executable(&self, path: &Path) -> bool {
        crate::os::fs::is_executable(path)
    }

    fn python_helper(&self) -> Option<PathBuf> {
        (self.python_helper)()
    }

    fn node_preload(&self) -> Option<PathBuf> {
        (self.node_preload)()
    }

    fn runs_as_node(&self, binary: &Path) -> bool {
        crate::start::electron_fuse::known(binary) != Some(false)
    }
}

/// A machine made up for tests: the files, directories, executables and variables it is
/// given, nothing else.
#[cfg(test)]
#[derive(Default)]
pub struct FakeProbe {
    pub vars: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub files: Vec<PathBuf>,
    pub dirs: Vec<PathBuf>,
    pub executables: Vec<PathBuf>,
    pub python_helper: Option<PathBuf>,
    pub node_preload: Option<PathBuf>,
    /// Binaries whose RunAsNode fuse is off.
    pub fused: Vec<PathBuf>,
}

#[cfg(test)]
impl Probe for FakeProbe {
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
    fn cwd(&self) -> PathBuf {
        self.cwd.clone()
    }
    fn exists(&self, path: &Path) -> bool {
        self.files.iter().chain(&self.dirs).any(|p| p == path)
    }
    fn readable_by_node(&self, path: &Path) -> bool {
        self.files.iter().any(|p| p == path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.dirs.iter().any(|p| p == path)
    }
    fn is_executable(&self, path: &Path) -> bool {
        self.executables.iter().any(|p| p == path)
    }
    fn python_helper(&self) -> Option<PathBuf> {
        self.python_helper.clone()
    }
    fn node_preload(&self) -> Option<PathBuf> {
        self.node_preload.clone()
    }
    fn runs_as_node(&self, binary: &Path) -> bool {
        !self.fused.iter().any(|p| p == binary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn host() -> Host {
        Host {
            exec_path: PathBuf::from("/opt/electron/electron"),
            pid: 42,
            node_version: None,
            reads_archives: true,
        }
    }

    fn machine() -> FakeProbe {
        FakeProbe {
            cwd: PathBuf::from("/app"),
            files: vec![PathBuf::from("/app/svc/a.js")],
            dirs: vec![PathBuf::from("/app"), PathBuf::from("/app/svc")],
            ..FakeProbe::default()
        }
    }

    fn error(options: Value) -> String {
        match prepare(&options, &host(), &machine()) {
            Ok(_) => panic!("{options} was accepted"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn a_script_in_a_directory_prepares_a_launch() {
        let p = prepare(
            &json!({"script": "a.js", "cwd": "svc"}),
            &host(),
            &machine(),
        )
        .unwrap();
        assert_eq!(p.spec.script, PathBuf::from("/app/svc/a.js"));
        assert_eq!(
            p.launch.command.program,
            PathBuf::from("/opt/electron/electron")
        );
    }

    #[test]
    fn missing_files_and_directories_are_named() {
        // Paths as the host writes them (`\app\svc\b.js` on Windows).
        let shown = |p: &str| options::normalize(Path::new(p)).display().to_string();
        assert_eq!(
            error(json!({"script": "b.js", "cwd": "svc"})),
            format!("pm.start: script {} does not exist", shown("/app/svc/b.js"))
        );
        assert_eq!(
            error(json!({"script": "/app/svc/a.js", "cwd": "nope"})),
            format!("pm.start: cwd {} is not a directory", shown("/app/nope"))
        );
    }

    #[test]
    fn scripts_other_than_node_run_from_app_asar_unpacked_and_a_missing_one_is_named() {
        // Paths as the host writes them (`\\r\\app.asar\\...` on Windows).
        let host_path = |p: &str| options::normalize(Path::new(p));
        let packed = host_path("/r/app.asar/py/svc.py");
        let unpacked = host_path("/r/app.asar.unpacked/py/svc.py");
        let js = host_path("/r/app.asar/svc.js");
        let (python, node) = if cfg!(windows) {
            ("C:/py/python.exe", "C:/node/node.exe")
        } else {
            ("/usr/bin/python3", "/usr/bin/node")
        };
        let probe = |files: Vec<PathBuf>| FakeProbe {
            cwd: host_path("/r"),
            dirs: vec![host_path("/r")],
            files,
            executables: vec![PathBuf::from(python), PathBuf::from(node)],
            ..FakeProbe::default()
        };
        let run = |o: Value, files: Vec<PathBuf>| prepare(&o, &host(), &probe(files));
        let py = |script: &PathBuf| json!({"script": script, "interpreter": python});
        let p = run(py(&packed), vec![packed.clone(), unpacked.clone()]).unwrap();
        assert_eq!(p.spec.script, unpacked);
        let p = run(json!({"script": js}), vec![js.clone()]).unwrap();
        assert_eq!(p.spec.script, js, "Electron's Node reads the archive");
        let e = run(py(&packed), vec![packed.clone()])
            .err()
            .unwrap()
            .message;
        assert!(
            e.contains("asarUnpack") && e.contains("svc.py") && e.contains("app.asar.unpacked"),
            "{e}"
        );
        let e = run(py(&packed), vec![]).err().unwrap().message;
        assert!(
            e.contains("does not exist, in the archive or unpacked at"),
            "only what is missing is named: {e}"
        );
        let e = run(json!({"script": js, "interpreter": node}), vec![js.clone()]);
        assert!(
            e.is_err(),
            "a Node of the app's own cannot read the archive either"
        );
    }

    #[test]
    fn a_node_service_on_an_electron_without_run_as_node_is_refused_with_the_fixes() {
        let probe = FakeProbe {
            fused: vec![PathBuf::from("/opt/electron/electron")],
            ..machine()
        };
        let e = match prepare(&json!({"script": "svc/a.js"}), &host(), &probe) {
            Ok(_) => panic!("accepted"),
            Err(e) => e.message,
        };
        assert!(
            e.contains("RunAsNode fuse") && e.contains("interpreter"),
            "{e}"
        );
        // With a Node of the app's own, the fuse does not matter. (On Windows only a file with
        // a PATHEXT extension runs.)
        let node = if cfg!(windows) {
            "/app/node.exe"
        } else {
            "/app/node"
        };
        let mut probe = probe;
        probe.executables.push(PathBuf::from(node));
        assert!(prepare(
            &json!({"script": "svc/a.js", "interpreter": node}),
            &host(),
            &probe
        )
        .is_ok());
    }
}
