//! Checks what `pm.start()` and the stop/restart calls receive from JavaScript and turns it into
//! a validated [`StartSpec`] or [`Target`]. Pure: no file system access beyond what the caller
//! passes in, so every rule here has a unit test.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::start::checks::{self, Dependency, HealthCheck, ReadyWhen, RestartPolicy};
use crate::start::fields::{err, millis, no_nul, type_name, Fields};

use crate::error::PmError;
use crate::logs::format::Format;
use crate::logs::rotation::Rotation;
use crate::start::asar;
use crate::start::schedule::Schedule;

/// Grace period between the polite stop request and SIGKILL, when `stopTimeout` is not given.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_millis(200);

/// The most rotated files `logKeep` may ask for: each rotation renames them all.
pub const MAX_LOG_KEEP: u64 = 1000;
/// The smallest `logMaxSize` other than 0: below a few lines per file, rotation would spend its
/// time renaming.
pub const MIN_LOG_MAX_SIZE: u64 = 4096;
/// How long `start({ waitReady: true })` waits for the service's `ready()` by default.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The smallest `maxMemory`: below this even an idle Node exceeds it.
pub const MIN_MAX_MEMORY: u64 = 1 << 20;
/// The largest `maxRestarts` taken as a number of restarts rather than a typo.
pub const MAX_MAX_RESTARTS: u64 = 1_000_000;

/// Every option `start()` accepts. An unknown key is an error that names the nearest of these.
pub(crate) const KNOWN_KEYS: &[&str] = &[
    "script",
    "name",
    "args",
    "cwd",
    "env",
    "stopTimeout",
    "log",
    "restartAt",
    "restartOk",
    "logFormat",
    "stripANSI",
    "logMaxSize",
    "logKeep",
    "logCompress",
    "interpreter",
    "waitReady",
    "readyTimeout",
    "dependsOn",
    "maxRestarts",
    "maxMemory",
    "readyWhen",
    "healthCheck",
    "stopSignal",
    "restart",
    "stdio",
];

/// What runs a script, decided from its file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptKind {
    /// `.js`, `.cjs`, `.mjs`: run on the host's own Node (Electron's binary with
    /// `ELECTRON_RUN_AS_NODE=1`), or on `interpreter`, with Node's IPC channel.
    Node,
    /// `.py`: run on a Python, with the same channel for the `elife_pm` helper.
    Python,
    /// Anything else: run directly (it must be executable), or on `interpreter`.
    Executable,
}

impl ScriptKind {
    fn of(script: &Path) -> Self {
        match script.extension().and_then(|e| e.to_str()) {
            Some("js" | "cjs" | "mjs") => ScriptKind::Node,
            Some("py") => ScriptKind::Python,
            _ => ScriptKind::Executable,
        }
    }
}

/// A validated `start()` request. Paths are absolute.
#[derive(Debug, Clone, PartialEq)]
pub struct StartSpec {
    pub name: Option<String>,
    pub script: PathBuf,
    pub kind: ScriptKind,
    /// The program that runs `script`, as given (resolved when the launch is planned).
    pub interpreter: Option<String>,
    pub args: Vec<String>,
    /// The directory the process starts in: a real directory, never one inside an asar archive.
    pub cwd: PathBuf,
    /// Merged over the main process's environment.
    pub env: Vec<(String, String)>,
    pub stop_timeout: Duration,
    pub log: Option<PathBuf>,
    pub log_format: Format,
    pub strip_ansi: bool,
    pub rotation: Rotation,
    pub restart: Schedule,
    /// `start()` resolves once the service called `ready()`, within `ready_timeout`.
    pub wait_ready: bool,
    pub ready_timeout: Duration,
    /// The services that must be ready (or completed) before this one spawns.
    pub depends_on: Vec<Dependency>,
    /// Give up after this many restarts in a row without a stable run.
    pub max_restarts: Option<u32>,
    /// Restart the service when it and its children use more memory than this (bytes).
    pub max_memory: Option<u64>,
    /// How pm tells it is ready when it cannot call `ready()` itself.
    pub ready_when: Option<ReadyWhen>,
    /// How pm tells it is alive once ready.
    pub health_check: Option<HealthCheck>,
    /// What a service without `onstopping` is asked to stop with.
    pub stop_signal: crate::os::StopSignal,
    /// Which exits are restarted (by `restart`, on the schedule of `restart_at`).
    pub restart_policy: RestartPolicy,
    /// Whether the app owns the service's stdin and stdout.
    pub stdio: crate::os::Stdio,
}

impl StartSpec {
    /// Whether the service counts as ready only once it says so (`waitReady`) or a check sees
    /// it (`readyWhen`); otherwise it is ready as soon as it runs.
    pub fn needs_readiness(&self) -> bool {
        self.wait_ready || self.ready_when.is_some()
    }

    /// A spec with every option at its default, for `script` (tests and the contract).
    pub fn sample() -> StartSpec {
        parse_start(
            &serde_json::json!({ "script": "/app/sample.js" }),
            Path::new("/app"),
            |_| false,
        )
        .expect("the sample options are valid")
    }

    /// The name used in log lines and events: the given name, else the script's file name.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => self
                .script
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }
}

/// Parses `start()` options. `base_cwd` is the main process's working directory; `real` says
/// whether a path exists on the real file system (used for paths inside asar archives).
pub fn parse_start(
    value: &Value,
    base_cwd: &Path,
    real: impl Fn(&Path) -> bool,
) -> Result<StartSpec, PmError> {
    let obj = match value {
        Value::Object(o) => o,
        other => {
            return err(format!(
                "options must be an object, got {}",
                type_name(other)
            ))
        }
    };
    check_keys(obj)?;
    let f = Fields::new(obj);
    let script = f
        .string("script")?
        .ok_or_else(|| PmError::option("pm.start: option \"script\" is required"))?;
    let interpreter = f.string("interpreter")?.map(str::to_string);
    let given_cwd = normalize(&base_cwd.join(f.string("cwd")?.unwrap_or(".")));
    let script_path = normalize(&given_cwd.join(script));
    let kind = ScriptKind::of(&script_path);
    let log = f.string("log")?.map(|p| normalize(&base_cwd.join(p)));
    Ok(StartSpec {
        name: f.string("name")?.map(str::to_string),
        script: script_path,
        kind,
        interpreter,
        args: args(&f)?,
        // A process cannot start inside an archive; Node services can still read their script
        // there.
        cwd: asar::real_cwd(&given_cwd, &real),
        env: env(&f)?,
        stop_timeout: f.millis("stopTimeout")?.unwrap_or(DEFAULT_STOP_TIMEOUT),
        rotation: rotation(&f, log.is_some())?,
        log,
        log_format: log_format(&f)?,
        strip_ansi: f.boolean("stripANSI")?.unwrap_or(false),
        restart: Schedule::new(
            f.array("restartAt", "an array of delays in ms", millis)?,
            f.millis("restartOk")?,
        ),
        wait_ready: f.boolean("waitReady")?.unwrap_or(false),
        ready_timeout: match f.millis("readyTimeout")? {
            Some(d) if d.is_zero() => return err("option \"readyTimeout\" must be > 0 ms, got 0"),
            Some(d) => d,
            None => DEFAULT_READY_TIMEOUT,
        },
        depends_on: checks::depends_on(&f)?,
        max_restarts: max_restarts(&f)?,
        max_memory: max_memory(&f)?,
        ready_when: checks::ready_when(&f)?,
        health_check: checks::health_check(&f)?,
        stop_signal: checks::stop_signal(&f)?,
        restart_policy: checks::restart_policy(&f)?,
        stdio: checks::stdio(&f)?,
    })
}

fn args(f: &Fields) -> Result<Vec<String>, PmError> {
    Ok(f.array("args", "an array of strings", |v, at| match v {
        Value::String(s) => no_nul(s, at).map(str::to_string),
        other => err(format!(
            "option \"args\" must be an array of strings; {at} is {}",
            type_name(other)
        )),
    })?
    .unwrap_or_default())
}

fn env(f: &Fields) -> Result<Vec<(String, String)>, PmError> {
    match f.get("env") {
        None => Ok(Vec::new()),
        Some(Value::Object(vars)) => vars
            .iter()
            .map(|(k, v)| match v {
                Value::String(_) if k.is_empty() || k.contains(['=', '\0']) => err(format!(
                    "option \"env\" has the variable name {k:?}; a name cannot be empty or \
                     contain \"=\" or a NUL character"
                )),
                Value::String(s) => Ok((k.clone(), no_nul(s, &format!("env.{k}"))?.to_string())),
                other => err(format!(
                    "option \"env\" values must be strings; env.{k} is {}",
                    type_name(other)
                )),
            })
            .collect(),
        Some(v) => f.wrong("env", "an object of strings", v),
    }
}

fn log_format(f: &Fields) -> Result<Format, PmError> {
    match f.string("logFormat") {
        Ok(None) | Ok(Some("text")) => Ok(Format::Text),
        Ok(Some("json")) => Ok(Format::Json),
        _ => f.wrong(
            "logFormat",
            "\"text\" or \"json\"",
            f.get("logFormat").unwrap_or(&Value::Null),
        ),
    }
}

/// `logMaxSize`, `logKeep` and `logCompress`; `has_log`: whether the service has a `log` file.
fn rotation(f: &Fields, has_log: bool) -> Result<Rotation, PmError> {
    let defaults = Rotation::default();
    let max_size = match f.whole("logMaxSize")? {
        None => defaults.max_size,
        Some(0) => None,
        Some(n) if n < MIN_LOG_MAX_SIZE => {
            return err(format!(
                "option \"logMaxSize\" must be 0 (no rotation) or at least \
                 {MIN_LOG_MAX_SIZE} bytes, got {n}"
            ))
        }
        Some(n) => Some(n),
    };
    let keep = match f.whole("logKeep")? {
        None => defaults.keep,
        Some(n) if n > MAX_LOG_KEEP => {
            return err(format!(
                "option \"logKeep\" must be at most {MAX_LOG_KEEP} (rotated files), got {n}"
            ))
        }
        Some(n) => n as u32,
    };
    let compress = f.boolean("logCompress")?.unwrap_or(false);
    if compress && !has_log {
        return err(
            "option \"logCompress\" needs a \"log\" file: without one, lines go to the \
                    main process's output and nothing rotates",
        );
    }
    if compress && (max_size.is_none() || keep == 0) {
        return err(
            "option \"logCompress\" compresses rotated files, but with \"logMaxSize\": 0 \
                    or \"logKeep\": 0 none are kept",
        );
    }
    Ok(Rotation {
        max_size,
        keep,
        compress,
    })
}

fn max_restarts(f: &Fields) -> Result<Option<u32>, PmError> {
    match f.whole("maxRestarts")? {
        Some(n) if n > MAX_MAX_RESTARTS => err(format!(
            "option \"maxRestarts\" must be at most {MAX_MAX_RESTARTS}, got {n}"
        )),
        n => Ok(n.map(|n| n as u32)),
    }
}

fn max_memory(f: &Fields) -> Result<Option<u64>, PmError> {
    match f.whole("maxMemory")? {
        Some(n) if n < MIN_MAX_MEMORY => err(format!(
            "option \"maxMemory\" must be at least {MIN_MAX_MEMORY} bytes (1 MiB), got {n}"
        )),
        n => Ok(n),
    }
}

/// Which processes a call addresses: every one of a name, or one by its id (`list()`'s `id`,
/// which an unnamed process or one of several of a name is reached by).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Name(String),
    Id(u64),
}

/// Parses `'name'`, `{ name }` or `{ id }`, as the calls that address services accept.
pub fn parse_target(call: &str, value: &Value) -> Result<Target, PmError> {
    let bad = |what: String| {
        Err(PmError::option(format!(
            "pm.{call}: expected a name, {{ name }} or {{ id }}, {what}"
        )))
    };
    match value {
        Value::String(s) => Ok(Target::Name(s.clone())),
        Value::Object(o) => {
            if let Some(k) = o
                .keys()
                .find(|k| k.as_str() != "name" && k.as_str() != "id")
            {
                return bad(format!("got an object with unknown key \"{k}\""));
            }
            match (o.get("name"), o.get("id")) {
                (Some(_), Some(_)) => bad("got both \"name\" and \"id\"".into()),
                (Some(Value::String(s)), None) => Ok(Target::Name(s.clone())),
                (Some(other), None) => bad(format!("got {{ name: {} }}", type_name(other))),
                (None, Some(v)) => match v.as_u64() {
                    Some(id) => Ok(Target::Id(id)),
                    None => bad(format!(
                        "got {{ id: {} }}",
                        crate::start::fields::describe(v)
                    )),
                },
                (None, None) => bad("got an object without \"name\" or \"id\"".into()),
            }
        }
        other => bad(format!("got {}", type_name(other))),
    }
}

fn check_keys(obj: &Map<String, Value>) -> Result<(), PmError> {
    for key in obj.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            let hint = nearest(key)
                .map(|k| format!("; did you mean \"{k}\"?"))
                .unwrap_or_else(|| format!("; known options: {}", KNOWN_KEYS.join(", ")));
            return err(format!("unknown option \"{key}\"{hint}"));
        }
    }
    Ok(())
}

/// The known key closest to `key`, if it is close enough to be a typo.
fn nearest(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    KNOWN_KEYS
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Removes `.` and resolves `..` lexically, so that paths in errors and in `list()` read well.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<StartSpec, PmError> {
        parse_start(&v, Path::new("/app"), |_| false)
    }

    fn msg(v: Value) -> String {
        parse(v).unwrap_err().message
    }

    #[test]
    fn script_resolves_against_cwd_and_cwd_against_the_main_cwd() {
        let s = parse(json!({"script": "index.js", "cwd": "./services/first"})).unwrap();
        assert_eq!(s.script, PathBuf::from("/app/services/first/index.js"));
        assert_eq!(s.cwd, PathBuf::from("/app/services/first"));
        assert_eq!(s.kind, ScriptKind::Node);
        let s = parse(json!({"script": "/abs/x.mjs", "cwd": "/other"})).unwrap();
        assert_eq!(s.script, PathBuf::from("/abs/x.mjs"));
    }

    #[test]
    fn defaults() {
        let s = parse(json!({"script": "a.js"})).unwrap();
        assert_eq!(s.name, None);
        assert_eq!(s.label(), "a.js");
        assert_eq!(s.cwd, PathBuf::from("/app"));
        assert_eq!(s.stop_timeout, Duration::from_millis(200));
        assert!(s.args.is_empty() && s.env.is_empty() && s.log.is_none());
        assert_eq!(s.log_format, Format::Text);
        assert!(!s.strip_ansi);
        assert_eq!(s.rotation, Rotation::default());
        assert_eq!(
            s.rotation.max_size,
            Some(10 << 20),
            "a log is bounded unless asked not to be"
        );
        assert_eq!(s.rotation.keep, 3);
    }

    #[test]
    fn every_option() {
        let s = parse(json!({
            "script": "a.cjs", "name": "svc", "args": ["--x", "1"], "cwd": "/srv",
            "env": {"A": "1"}, "stopTimeout": 50, "log": "logs/a.log",
            "restartAt": [0, 100], "restartOk": 1000,
            "logFormat": "json", "stripANSI": true, "logMaxSize": 0, "logKeep": 2
        }))
        .unwrap();
        assert_eq!(s.label(), "svc");
        assert_eq!(s.args, vec!["--x", "1"]);
        assert_eq!(s.env, vec![("A".to_string(), "1".to_string())]);
        assert_eq!(s.stop_timeout, Duration::from_millis(50));
        assert_eq!(s.log, Some(PathBuf::from("/app/logs/a.log")));
        assert_eq!(s.restart.delay(1), Some(Duration::from_millis(100)));
        assert_eq!(s.log_format, Format::Json);
        assert!(s.strip_ansi);
        assert_eq!(
            s.rotation,
            Rotation {
                max_size: None,
                keep: 2,
                compress: false
            }
        );
    }

    #[test]
    fn script_errors_name_the_problem() {
        assert!(msg(json!({})).contains("\"script\" is required"));
        assert!(msg(json!({"script": 3})).contains("\"script\" must be a non-empty string, got 3"));
        assert!(
            msg(json!({"script": ""})).contains("must be a non-empty string, got an empty string")
        );
        assert!(msg(json!("a.js")).contains("options must be an object, got a string"));
    }

    #[test]
    fn args_env_and_numbers_are_checked() {
        assert!(msg(json!({"script": "a.js", "args": "x"}))
            .contains("\"args\" must be an array of strings, got a string"));
        assert!(msg(json!({"script": "a.js", "args": ["a", 2]})).contains("args[1] is a number"));
        assert!(msg(json!({"script": "a.js", "env": {"A": 1}})).contains("env.A is a number"));
        assert!(msg(json!({"script": "a.js", "env": []})).contains("object of strings"));
        assert!(msg(json!({"script": "a.js", "stopTimeout": -1})).contains("stopTimeout"));
        assert!(msg(json!({"script": "a.js", "restartAt": [1, "2"]})).contains("restartAt[1]"));
        assert!(msg(json!({"script": "a.js", "name": 1}))
            .contains("\"name\" must be a non-empty string, got 1"));
        assert!(msg(json!({"script": "a.js", "cwd": ""})).contains("an empty string"));
        assert!(msg(json!({"script": "a.js", "logFormat": "xml"})).contains("\"text\" or \"json\""));
        assert!(msg(json!({"script": "a.js", "stripANSI": 1})).contains("must be a boolean"));
        assert!(msg(json!({"script": "a.js", "logMaxSize": 1.5})).contains("whole number"));
        assert!(msg(json!({"script": "a.js", "logKeep": -1})).contains("whole number"));
        assert!(msg(json!({"script": "a.js", "stripAnsi": true}))
            .contains("did you mean \"stripANSI\""));
    }

    #[test]
    fn numbers_are_bounded_to_what_makes_sense() {
        let day = 24 * 60 * 60 * 1000;
        let ok = |v: Value| parse(v).unwrap();
        assert_eq!(
            ok(json!({"script": "a.js", "stopTimeout": day})).stop_timeout,
            Duration::from_millis(day)
        );
        let m = msg(json!({"script": "a.js", "stopTimeout": day + 1}));
        assert!(
            m.contains("\"stopTimeout\" must be at most 86400000 ms (24 hours), got 86400001"),
            "{m}"
        );
        let m = msg(json!({"script": "a.js", "restartAt": [0, 1e20]}));
        assert!(
            m.contains("\"restartAt[1]\" must be at most 86400000 ms"),
            "{m}"
        );
        assert!(msg(json!({"script": "a.js", "restartOk": 1e300}))
            .contains("\"restartOk\" must be at most"));
        assert_eq!(
            ok(json!({"script": "a.js", "logKeep": 1000})).rotation.keep,
            1000
        );
        let m = msg(json!({"script": "a.js", "logKeep": 4294967295u64}));
        assert!(
            m.contains("\"logKeep\" must be at most 1000 (rotated files), got 4294967295"),
            "{m}"
        );
        let m = msg(json!({"script": "a.js", "logMaxSize": 100}));
        assert!(
            m.contains("\"logMaxSize\" must be 0 (no rotation) or at least 4096 bytes, got 100"),
            "{m}"
        );
        assert_eq!(
            ok(json!({"script": "a.js", "logMaxSize": 4096}))
                .rotation
                .max_size,
            Some(4096)
        );
        assert_eq!(
            ok(json!({"script": "a.js", "logMaxSize": 0}))
                .rotation
                .max_size,
            None
        );
    }

    #[test]
    fn nul_characters_and_bad_variable_names_are_named() {
        let m = msg(json!({"script": "a.js", "args": ["ok", "a\u{0}b"]}));
        assert!(m.contains("\"args[1]\" contains a NUL character"), "{m}");
        assert!(msg(json!({"script": "a.js", "env": {"A": "x\u{0}"}}))
            .contains("\"env.A\" contains a NUL"));
        assert!(msg(json!({"script": "a.js\u{0}"})).contains("\"script\" contains a NUL"));
        assert!(msg(json!({"script": "a.js", "log": "/x\u{0}"})).contains("\"log\" contains a NUL"));
        let m = msg(json!({"script": "a.js", "env": {"A=B": "x"}}));
        assert!(
            m.contains("variable name \"A=B\"; a name cannot be empty"),
            "{m}"
        );
        assert!(msg(json!({"script": "a.js", "env": {"": "x"}})).contains("variable name \"\""));
    }

    #[test]
    fn unknown_keys_name_the_nearest_known_one() {
        let m = msg(json!({"script": "a.js", "restartat": [0]}));
        assert!(m.contains("unknown option \"restartat\""), "{m}");
        assert!(m.contains("did you mean \"restartAt\""), "{m}");
        assert!(msg(json!({"script": "a.js", "stoptimeout": 1})).contains("\"stopTimeout\""));
        assert!(msg(json!({"script": "a.js", "scirpt": 1})).contains("\"script\""));
        let m = msg(json!({"script": "a.js", "zzzzzzzzzz": 1}));
        assert!(m.contains("known options: script"), "{m}");
    }

    #[test]
    fn cwd_inside_an_asar_archive_maps_to_a_real_directory() {
        let s = parse_start(
            &json!({"script": "main.js", "cwd": "/opt/app/resources/app.asar/svc"}),
            Path::new("/"),
            |_| false,
        )
        .unwrap();
        assert_eq!(
            s.script,
            PathBuf::from("/opt/app/resources/app.asar/svc/main.js")
        );
        assert_eq!(s.cwd, PathBuf::from("/opt/app/resources"));
    }

    #[test]
    fn kinds_follow_the_file_name() {
        let kind = |s: &str| parse(json!({ "script": s })).unwrap().kind;
        assert_eq!(kind("a.cjs"), ScriptKind::Node);
        assert_eq!(kind("a.py"), ScriptKind::Python);
        assert_eq!(kind("a.sh"), ScriptKind::Executable);
        assert_eq!(kind("server"), ScriptKind::Executable);
        assert!(msg(json!({"script": "a.sh", "interpreter": 3})).contains("\"interpreter\""));
    }

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("stop", &json!("a")).unwrap(),
            Target::Name("a".into())
        );
        assert_eq!(
            parse_target("stop", &json!({"name": "a"})).unwrap(),
            Target::Name("a".into())
        );
        let e = parse_target("restart", &json!({"nam": "a"}))
            .unwrap_err()
            .message;
        assert!(e.starts_with("pm.restart:") && e.contains("\"nam\""), "{e}");
        assert!(parse_target("stop", &json!(3)).is_err());
        assert!(parse_target("stop", &json!({})).is_err());
        assert_eq!(
            parse_target("stop", &json!({"id": 7})).unwrap(),
            Target::Id(7)
        );
        assert!(parse_target("stop", &json!({"id": -1})).is_err());
        let e = parse_target("stdio", &json!({"id": 1, "name": "a"}))
            .unwrap_err()
            .message;
        assert!(e.contains("both \"name\" and \"id\""), "{e}");
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
