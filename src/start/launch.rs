//! What command line and environment start a service: the program (Electron's own Node, a
//! Python, an interpreter the app names, or the script itself), its arguments, and the
//! variables pm adds or removes. Pure: the OS facts come in through [`Probe`], so each kind of
//! service is checked without spawning anything.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::PmError;
use crate::os::Command;
use crate::start::options::{ScriptKind, StartSpec};
use crate::start::which::{self, Flavor};

pub use crate::contract::{PARENT_ENV, PYTHON_ENV};
const RUN_AS_NODE: &str = "ELECTRON_RUN_AS_NODE";

/// Facts about the main process that decide how services start.
#[derive(Debug, Clone)]
pub struct Host {
    /// The binary that runs Node services: Electron's own (`process.execPath`), which with
    /// `ELECTRON_RUN_AS_NODE=1` is a plain Node that can still read inside `app.asar`.
    pub exec_path: PathBuf,
    pub pid: u32,
    /// The version of that Node (`process.versions.node`), when known: Node before 12.17 runs
    /// ES modules only with `--experimental-modules`.
    pub node_version: Option<(u32, u32)>,
    /// Whether the main process's `fs` sees inside asar archives (it is Electron's).
    pub reads_archives: bool,
}

impl Host {
    /// Whether `.mjs` scripts need `--experimental-modules` on the host's Node (12.0 to 12.16:
    /// Electron 9 and 10's Node).
    fn needs_experimental_modules(&self) -> bool {
        matches!(self.node_version, Some((12, minor)) if minor < 17)
    }
}

/// `"12.14.1"` as `(12, 14)`.
pub fn parse_node_version(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub use crate::start::Probe;

/// How to start a service: the command the OS layer runs, and what must hold before each
/// spawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub command: std::sync::Arc<Command>,
    /// Set when the program is Electron's binary running as Node: its RunAsNode fuse must
    /// allow that (checked before each spawn, `electron_fuse.rs`).
    pub run_as_node: bool,
}

fn err<T>(msg: String) -> Result<T, PmError> {
    Err(PmError::option(format!("pm.start: {msg}")))
}

/// How the host finds programs (PATHEXT on Windows), as `probe` sees the main process.
fn host_flavor(probe: &dyn Probe) -> Flavor {
    Flavor::host(&|name| probe.var(name))
}

fn interpreter(flavor: &Flavor, name: &str, probe: &dyn Probe) -> Result<PathBuf, String> {
    let path = probe.var("PATH");
    if let Some(p) = which::find_with(flavor, name, path.as_deref(), &probe.cwd(), &|p| {
        probe.is_executable(p)
    }) {
        return Ok(p);
    }
    let looked = match flavor {
        Flavor::Unix => String::new(),
        Flavor::Windows { pathext } => format!(" (also with {})", pathext.join(";")),
    };
    Err(if which::names_a_path(flavor, name) {
        format!("interpreter {name} does not exist or is not executable{looked}")
    } else {
        format!("interpreter \"{name}\" was not found on PATH{looked}")
    })
}

/// The Python that runs a `.py` service and the arguments that go before the script (`-3`
/// for Windows' `py` launcher when pm chose it; a Python the app names runs as named).
fn python(
    flavor: &Flavor,
    spec: &StartSpec,
    probe: &dyn Probe,
) -> Result<(PathBuf, &'static [&'static str]), String> {
    if let Some(name) = &spec.interpreter {
        return interpreter(flavor, name, probe).map(|p| (p, &[][..]));
    }
    if let Some(name) = probe.var(PYTHON_ENV).filter(|v| !v.is_empty()) {
        return interpreter(flavor, &name, probe)
            .map(|p| (p, &[][..]))
            .map_err(|e| format!("{e} (from {PYTHON_ENV})"));
    }
    let path = probe.var("PATH");
    which::find_python(flavor, path.as_deref(), &probe.cwd(), &|p| {
        probe.is_executable(p)
    })
    .ok_or_else(|| {
        let tried: Vec<String> = which::pythons(flavor)
            .iter()
            .map(|(name, args)| [&[*name][..], args].concat().join(" "))
            .collect();
        format!(
            "no Python found to run {}: looked for {} on PATH; set the \"interpreter\" option or {PYTHON_ENV}",
            spec.script.display(),
            tried.join(" and ")
        )
    })
}

/// The separator of PATH-like lists (PYTHONPATH) on the host.
fn list_separator(flavor: &Flavor) -> &'static str {
    match flavor {
        Flavor::Unix => ":",
        Flavor::Windows { .. } => ";",
    }
}

pub fn plan(spec: &StartSpec, host: &Host, probe: &dyn Probe) -> Result<Launch, PmError> {
    plan_with(&host_flavor(probe), spec, host, probe)
}

/// A command being planned: the script and its arguments, and the environment every service
/// gets; each kind of service then says what runs it.
struct Draft {
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    /// Only a Node service on Electron's binary may see ELECTRON_RUN_AS_NODE: anything else
    /// would hand it to a grandchild Electron, which would then not start as an app.
    env_remove: Vec<String>,
}

impl Draft {
    fn new(spec: &StartSpec, host: &Host) -> Self {
        let mut args: Vec<OsString> = vec![spec.script.clone().into_os_string()];
        args.extend(spec.args.iter().map(OsString::from));
        let mut env = spec.env.clone();
        env.push((PARENT_ENV.to_string(), host.pid.to_string()));
        Draft {
            args,
            env,
            env_remove: vec![RUN_AS_NODE.to_string()],
        }
    }

    /// Node's IPC channel on fd 3, as `fork` sets it up (pm's values win over the app's).
    fn with_channel(&mut self) {
        self.env.push((
            "NODE_CHANNEL_FD".to_string(),
            crate::os::CHILD_FD.to_string(),
        ));
        self.env.push((
            "NODE_CHANNEL_SERIALIZATION_MODE".to_string(),
            "json".to_string(),
        ));
    }

    fn finish(self, spec: &StartSpec, program: PathBuf, ipc: bool, run_as_node: bool) -> Launch {
        Launch {
            command: std::sync::Arc::new(Command {
                program,
                args: self.args,
                env_remove: self.env_remove,
                env: self.env,
                cwd: spec.cwd.clone(),
                ipc,
                stdio: spec.stdio,
            }),
            run_as_node,
        }
    }
}

/// [`plan`] with the way programs are found given, so that both flavours are tested on any host.
fn plan_with(
    flavor: &Flavor,
    spec: &StartSpec,
    host: &Host,
    probe: &dyn Probe,
) -> Result<Launch, PmError> {
    let draft = Draft::new(spec, host);
    match (&spec.kind, &spec.interpreter) {
        (ScriptKind::Node, None) => node_on_electron(draft, spec, host, probe),
        (ScriptKind::Node, Some(name)) => {
            let program = interpreter(flavor, name, probe).or_else(err)?;
            let mut draft = draft;
            draft.with_channel();
            Ok(draft.finish(spec, program, true, false))
        }
        (ScriptKind::Python, _) => python_service(flavor, draft, spec, probe),
        (ScriptKind::Executable, Some(name)) => {
            let program = interpreter(flavor, name, probe).or_else(err)?;
            Ok(draft.finish(spec, program, false, false))
        }
        (ScriptKind::Executable, None) => executable(flavor, draft, spec, probe),
    }
}

/// A Node service on the host's own binary: Electron as Node, with the channel.
fn node_on_electron(
    mut draft: Draft,
    spec: &StartSpec,
    host: &Host,
    probe: &dyn Probe,
) -> Result<Launch, PmError> {
    if !probe.runs_as_node(&host.exec_path) {
        return err(crate::start::electron_fuse::run_as_node_disabled_message(
            &host.exec_path,
        ));
    }
    draft.env_remove.clear();
    draft.env.push((RUN_AS_NODE.to_string(), "1".to_string()));
    draft.with_channel();
    let module = spec.script.extension().is_some_and(|e| e == "mjs");
    if module && host.needs_experimental_modules() {
        draft
            .args
            .insert(0, OsString::from("--experimental-modules"));
    }
    // Takes ELECTRON_RUN_AS_NODE away from what the service starts (but for Node children of
    // its own); an option to Node, so process.argv stays as it was.
    if let Some(preload) = probe.node_preload() {
        draft.args.splice(
            0..0,
            [OsString::from("--require"), preload.into_os_string()],
        );
    }
    Ok(draft.finish(spec, host.exec_path.clone(), true, true))
}

/// A Python service: unbuffered, with pm's helper on PYTHONPATH and the channel.
fn python_service(
    flavor: &Flavor,
    mut draft: Draft,
    spec: &StartSpec,
    probe: &dyn Probe,
) -> Result<Launch, PmError> {
    let (program, leading) = python(flavor, spec, probe).or_else(err)?;
    for (i, arg) in leading.iter().enumerate() {
        draft.args.insert(i, OsString::from(arg));
    }
    draft
        .env
        .push(("PYTHONUNBUFFERED".to_string(), "1".to_string()));
    if let Some(helper) = probe.python_helper() {
        let given = spec
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "PYTHONPATH")
            .map(|(_, v)| v.clone())
            .or_else(|| probe.var("PYTHONPATH"))
            .filter(|v| !v.is_empty());
        let mut value = helper.to_string_lossy().into_owned();
        if let Some(given) = given {
            value = format!("{value}{}{given}", list_separator(flavor));
        }
        draft.env.push(("PYTHONPATH".to_string(), value));
    }
    draft.with_channel();
    Ok(draft.finish(spec, program, true, false))
}

/// Anything else runs itself: it must be something the OS can execute.
fn executable(
    flavor: &Flavor,
    mut draft: Draft,
    spec: &StartSpec,
    probe: &dyn Probe,
) -> Result<Launch, PmError> {
    if !probe.is_executable(&spec.script) {
        return err(match flavor {
            Flavor::Unix => format!(
                "{} is not executable: make it executable (chmod +x) or set the \"interpreter\" option",
                spec.script.display()
            ),
            Flavor::Windows { pathext } => format!(
                "{} cannot be run: Windows runs files whose extension is in PATHEXT ({}); \
                 set the \"interpreter\" option",
                spec.script.display(),
                pathext.join(";")
            ),
        });
    }
    draft.args.remove(0);
    Ok(draft.finish(spec, spec.script.clone(), false, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::start::options::parse_start;
    use crate::start::FakeProbe;
    use serde_json::{json, Value};
    use std::path::Path;

    fn host() -> Host {
        Host {
            exec_path: PathBuf::from("/opt/electron/electron"),
            pid: 42,
            node_version: Some((12, 14)),
            reads_archives: false,
        }
    }

    #[test]
    fn mjs_on_node_before_12_17_gets_experimental_modules() {
        let l = plan_for(json!({"script": "svc.mjs"}), &[], &[]).unwrap();
        assert_eq!(
            l.command.args,
            [
                OsString::from("--experimental-modules"),
                native("/app/svc.mjs")
            ]
        );
        let spec =
            parse_start(&json!({"script": "svc.mjs"}), Path::new("/app"), |_| false).unwrap();
        let newer = Host {
            node_version: Some((12, 17)),
            ..host()
        };
        let l = plan(&spec, &newer, &FakeProbe::default()).unwrap();
        assert_eq!(l.command.args, [native("/app/svc.mjs")]);
        let l = plan_for(json!({"script": "svc.js"}), &[], &[]).unwrap();
        assert_eq!(l.command.args, [native("/app/svc.js")]);
        assert_eq!(parse_node_version("12.14.1"), Some((12, 14)));
        assert_eq!(parse_node_version("v20.20.2"), Some((20, 20)));
        assert_eq!(parse_node_version("x"), None);
    }

    fn plan_for(options: Value, vars: &[(&str, &str)], exes: &[&str]) -> Result<Launch, PmError> {
        let spec = parse_start(&options, Path::new("/app"), |_| false).unwrap();
        let probe = FakeProbe {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: PathBuf::from("/app"),
            executables: exes.iter().map(PathBuf::from).collect(),
            python_helper: Some(PathBuf::from("/pkg/python")),
            ..FakeProbe::default()
        };
        plan_with(&Flavor::Unix, &spec, &host(), &probe)
    }

    /// A Unix path as `parse_start` writes it on the host (with `\\` on Windows).
    fn native(p: &str) -> OsString {
        crate::start::options::normalize(Path::new(p)).into_os_string()
    }

    fn last<'a>(l: &'a Launch, k: &str) -> Option<&'a str> {
        l.command
            .env
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn node_services_run_on_the_hosts_binary_with_the_ipc_channel() {
        let l = plan_for(
            json!({"script": "svc.js", "args": ["--port", "1"], "env": {"NODE_CHANNEL_FD": "9", "A": "b"}}),
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from("/opt/electron/electron"));
        assert_eq!(
            l.command.args,
            [native("/app/svc.js"), "--port".into(), "1".into()]
        );
        assert!(l.command.ipc && l.command.env_remove.is_empty());
        assert_eq!(last(&l, "ELECTRON_RUN_AS_NODE"), Some("1"));
        assert_eq!(
            last(&l, "NODE_CHANNEL_FD"),
            Some("3"),
            "pm's channel wins over the user's env"
        );
        assert_eq!(last(&l, "NODE_CHANNEL_SERIALIZATION_MODE"), Some("json"));
        assert_eq!(last(&l, PARENT_ENV), Some("42"));
        assert_eq!(last(&l, "A"), Some("b"));
    }

    #[test]
    fn node_services_on_electrons_binary_and_only_they_get_the_preload_before_the_script() {
        let preload = PathBuf::from("/pkg/lib/run-as-node-preload.js");
        let plan_preloaded = |options: Value| {
            let spec = parse_start(&options, Path::new("/app"), |_| false).unwrap();
            let probe = FakeProbe {
                vars: vec![("PATH".to_string(), "/usr/bin".to_string())],
                cwd: PathBuf::from("/app"),
                executables: ["/usr/bin/node", "/usr/bin/python3", "/app/run.sh"]
                    .map(PathBuf::from)
                    .to_vec(),
                node_preload: Some(preload.clone()),
                ..FakeProbe::default()
            };
            plan_with(&Flavor::Unix, &spec, &host(), &probe).unwrap()
        };
        let l = plan_preloaded(json!({"script": "svc.js", "args": ["--port", "1"]}));
        assert_eq!(
            l.command.args,
            [
                "--require".into(),
                preload.clone().into_os_string(),
                native("/app/svc.js"),
                "--port".into(),
                "1".into()
            ]
        );
        let l = plan_preloaded(json!({"script": "svc.mjs"}));
        assert_eq!(
            l.command.args,
            [
                "--require".into(),
                preload.clone().into_os_string(),
                "--experimental-modules".into(),
                native("/app/svc.mjs")
            ]
        );
        for other in [
            json!({"script": "svc.js", "interpreter": "node"}),
            json!({"script": "s.py"}),
            json!({"script": "run.sh"}),
        ] {
            let l = plan_preloaded(other.clone());
            assert!(
                !l.command.args.contains(&"--require".into()),
                "{other}: {:?}",
                l.command.args
            );
        }
    }

    #[test]
    fn a_node_service_can_name_its_own_node() {
        let l = plan_for(
            json!({"script": "svc.mjs", "interpreter": "node"}),
            &[("PATH", "/usr/bin")],
            &["/usr/bin/node"],
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from("/usr/bin/node"));
        assert!(l.command.ipc);
        assert_eq!(last(&l, "ELECTRON_RUN_AS_NODE"), None);
        assert_eq!(l.command.env_remove, ["ELECTRON_RUN_AS_NODE"]);
    }

    #[test]
    fn python_comes_from_the_option_then_the_variable_then_path() {
        let path = ("PATH", "/a:/b");
        let exes = ["/a/python", "/b/python3", "/opt/py/bin/python3"];
        let l = plan_for(json!({"script": "s.py"}), &[path], &exes).unwrap();
        assert_eq!(
            l.command.program,
            PathBuf::from("/b/python3"),
            "python3 before python"
        );
        assert_eq!(l.command.args, [native("/app/s.py")]);
        let l = plan_for(
            json!({"script": "s.py"}),
            &[path, (PYTHON_ENV, "/opt/py/bin/python3")],
            &exes,
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from("/opt/py/bin/python3"));
        let l = plan_for(
            json!({"script": "s.py", "interpreter": "python"}),
            &[path],
            &exes,
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from("/a/python"));
    }

    #[test]
    fn python_gets_unbuffered_output_the_helper_and_the_channel_but_not_run_as_node() {
        let l = plan_for(
            json!({"script": "s.py", "env": {"PYTHONPATH": "/mine"}}),
            &[("PATH", "/b"), ("PYTHONPATH", "/inherited")],
            &["/b/python3"],
        )
        .unwrap();
        assert_eq!(last(&l, "PYTHONUNBUFFERED"), Some("1"));
        assert_eq!(last(&l, "PYTHONPATH"), Some("/pkg/python:/mine"));
        assert_eq!(last(&l, "NODE_CHANNEL_FD"), Some("3"));
        assert!(l.command.ipc);
        assert_eq!(l.command.env_remove, ["ELECTRON_RUN_AS_NODE"]);
        assert_eq!(last(&l, "ELECTRON_RUN_AS_NODE"), None);
    }

    #[test]
    fn a_missing_interpreter_is_named() {
        let e = plan_for(json!({"script": "s.py"}), &[("PATH", "/b")], &[])
            .unwrap_err()
            .message;
        assert!(
            e.contains("no Python found")
                && e.contains("python3 and python")
                && e.contains(PYTHON_ENV),
            "{e}"
        );
        let e = plan_for(
            json!({"script": "s.sh", "interpreter": "zsh9"}),
            &[("PATH", "/b")],
            &[],
        )
        .unwrap_err()
        .message;
        assert!(
            e.contains("interpreter \"zsh9\" was not found on PATH"),
            "{e}"
        );
        let e = plan_for(json!({"script": "s.py"}), &[(PYTHON_ENV, "/no/py")], &[])
            .unwrap_err()
            .message;
        assert!(
            e.contains("/no/py does not exist") && e.contains(PYTHON_ENV),
            "{e}"
        );
    }

    #[test]
    fn other_scripts_run_directly_or_under_their_interpreter_without_a_channel() {
        let l = plan_for(
            json!({"script": "run.sh", "args": ["x"]}),
            &[],
            &["/app/run.sh"],
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from("/app/run.sh"));
        assert_eq!(l.command.args, ["x"].map(OsString::from));
        assert!(!l.command.ipc);
        assert_eq!(last(&l, "NODE_CHANNEL_FD"), None);
        let l = plan_for(
            json!({"script": "run.sh", "interpreter": "bash"}),
            &[("PATH", "/bin")],
            &["/bin/bash"],
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from("/bin/bash"));
        assert_eq!(l.command.args, [native("/app/run.sh")]);
        let e = plan_for(json!({"script": "run.sh"}), &[], &[])
            .unwrap_err()
            .message;
        assert!(
            e.contains("is not executable") && e.contains("interpreter"),
            "{e}"
        );
    }

    /// `plan_for` the way Windows finds programs (default PATHEXT); the paths are Windows ones,
    /// compared as strings, so these run on every host.
    fn plan_win(options: Value, vars: &[(&str, &str)], exes: &[&str]) -> Result<Launch, PmError> {
        let spec = parse_start(&options, Path::new("/app"), |_| false).unwrap();
        let probe = FakeProbe {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: PathBuf::from(r"C:\app"),
            executables: exes.iter().map(PathBuf::from).collect(),
            python_helper: Some(PathBuf::from(r"C:\pkg\python")),
            ..FakeProbe::default()
        };
        plan_with(&Flavor::windows(None), &spec, &host(), &probe)
    }

    const WIN_PATH: (&str, &str) = ("PATH", r"C:\Windows;C:\Python312;C:\nodejs");
    const PY_LAUNCHER: &str = r"C:\Windows\py.exe";
    const PYTHON_EXE: &str = r"C:\Python312\python.exe";

    #[test]
    fn windows_python_is_the_py_launcher_with_dash_3_before_the_script_then_python_exe() {
        let l = plan_win(
            json!({"script": "s.py", "args": ["--port", "1"]}),
            &[WIN_PATH],
            &[PY_LAUNCHER, PYTHON_EXE],
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from(PY_LAUNCHER));
        assert_eq!(
            l.command.args,
            [
                "-3".into(),
                native("/app/s.py"),
                "--port".into(),
                "1".into()
            ]
        );
        assert!(l.command.ipc);
        let l = plan_win(json!({"script": "s.py"}), &[WIN_PATH], &[PYTHON_EXE]).unwrap();
        assert_eq!(
            (l.command.program.clone(), l.command.args.clone()),
            (PathBuf::from(PYTHON_EXE), vec![native("/app/s.py")]),
            "python.exe takes no -3"
        );
    }

    #[test]
    fn windows_python_named_by_the_option_or_the_variable_runs_as_named_found_with_pathext() {
        let exes = [PY_LAUNCHER, PYTHON_EXE, r"D:\py311\python.exe"];
        let l = plan_win(
            json!({"script": "s.py", "interpreter": "python"}),
            &[WIN_PATH],
            &exes,
        )
        .unwrap();
        assert_eq!(
            (l.command.program.clone(), l.command.args.clone()),
            (PathBuf::from(PYTHON_EXE), vec![native("/app/s.py")])
        );
        let l = plan_win(
            json!({"script": "s.py"}),
            &[WIN_PATH, (PYTHON_ENV, r"D:\py311\python")],
            &exes,
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from(r"D:\py311\python.exe"));
        assert_eq!(l.command.args, [native("/app/s.py")]);
        // The launcher named by the app runs as named: the app chose which Python it means.
        let l = plan_win(
            json!({"script": "s.py", "interpreter": "py"}),
            &[WIN_PATH],
            &exes,
        )
        .unwrap();
        assert_eq!(
            (l.command.program.clone(), l.command.args.clone()),
            (PathBuf::from(PY_LAUNCHER), vec![native("/app/s.py")])
        );
    }

    #[test]
    fn windows_pythonpath_is_semicolon_separated() {
        let l = plan_win(
            json!({"script": "s.py", "env": {"PYTHONPATH": r"C:\mine"}}),
            &[WIN_PATH],
            &[PYTHON_EXE],
        )
        .unwrap();
        assert_eq!(last(&l, "PYTHONPATH"), Some(r"C:\pkg\python;C:\mine"));
    }

    #[test]
    fn windows_interpreters_are_found_with_pathext_and_missing_ones_named() {
        let l = plan_win(
            json!({"script": "svc.mjs", "interpreter": "node"}),
            &[WIN_PATH],
            &[r"C:\nodejs\node.exe"],
        )
        .unwrap();
        assert_eq!(l.command.program, PathBuf::from(r"C:\nodejs\node.exe"));
        assert!(l.command.ipc && !l.run_as_node);
        let e = plan_win(json!({"script": "s.py"}), &[WIN_PATH], &[])
            .unwrap_err()
            .message;
        assert!(
            e.contains("no Python found")
                && e.contains("py -3 and python")
                && e.contains(PYTHON_ENV),
            "{e}"
        );
        let e = plan_win(
            json!({"script": "s.sh", "interpreter": "bash"}),
            &[WIN_PATH],
            &[],
        )
        .unwrap_err()
        .message;
        assert!(
            e.contains(
                "interpreter \"bash\" was not found on PATH (also with .COM;.EXE;.BAT;.CMD)"
            ),
            "{e}"
        );
        let e = plan_win(
            json!({"script": "s.sh", "interpreter": r"tools\bash"}),
            &[WIN_PATH],
            &[],
        )
        .unwrap_err()
        .message;
        assert!(e.contains(r"interpreter tools\bash does not exist"), "{e}");
    }

    #[test]
    fn windows_runs_a_script_directly_only_when_its_extension_is_in_pathext() {
        let e = plan_win(json!({"script": "run.sh"}), &[WIN_PATH], &[])
            .unwrap_err()
            .message;
        assert!(
            e.contains("cannot be run")
                && e.contains("PATHEXT (.COM;.EXE;.BAT;.CMD)")
                && e.contains("interpreter")
                && !e.contains("chmod"),
            "{e}"
        );
    }
}
