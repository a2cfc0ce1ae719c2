//! The options that make any program a first-class service, read and checked: how pm tells it
//! is ready (`readyWhen`) and alive (`healthCheck`), how it asks it to stop (`stopSignal`),
//! whether an exit is a crash (`restart`), and what it waits for (`dependsOn` entries with
//! `when`). Pure: the probes themselves run in `service::probe`.

use std::time::Duration;

use serde_json::Value;

use crate::error::PmError;
use crate::os::StopSignal;
use crate::start::fields::{describe, err, type_name, Fields};

/// How often a `readyWhen` probe (tcp, http) tries until the service is ready, by default.
pub const DEFAULT_READY_PROBE_EVERY: Duration = Duration::from_millis(100);
/// A `healthCheck`'s defaults: a probe every 10 s, each given 2 s, 3 failures in a row.
pub const DEFAULT_HEALTH_EVERY: Duration = Duration::from_secs(10);
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(2);
pub const DEFAULT_HEALTH_FAILURES: u32 = 3;
/// The most failures in a row a `healthCheck` may wait for.
pub const MAX_HEALTH_FAILURES: u64 = 1000;

/// `readyWhen`: how pm tells that a program that cannot call `ready()` is ready.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadyWhen {
    /// A line of its stdout or stderr matches.
    Log(LinePattern),
    /// A probe succeeds; tried every `every` until it does.
    Probe {
        target: ProbeTarget,
        every: Duration,
    },
}

/// A regular expression a line must match (`readyWhen.log`), as Rust's `regex` crate reads it.
#[derive(Debug, Clone)]
pub struct LinePattern {
    /// What the app gave, with its flags as `(?ims)`, for messages and comparisons.
    pub source: String,
    pub regex: regex::bytes::Regex,
}

impl PartialEq for LinePattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// Where a probe looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeTarget {
    /// A TCP connection is accepted.
    Tcp { host: String, port: u16 },
    /// `GET http://host:port/path` answers 2xx.
    Http {
        host: String,
        port: u16,
        path: String,
    },
}

impl ProbeTarget {
    /// The probe as the app named it, for messages (`tcp 127.0.0.1:6379`).
    pub fn describe(&self) -> String {
        match self {
            ProbeTarget::Tcp { host, port } => format!("tcp {}", host_port(host, *port)),
            ProbeTarget::Http { host, port, path } => {
                format!("http://{}{path}", host_port(host, *port))
            }
        }
    }
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `healthCheck`: liveness for a running, ready service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub target: ProbeTarget,
    pub every: Duration,
    pub timeout: Duration,
    /// Failed probes in a row that make pm restart it.
    pub failures: u32,
}

/// `restart`: which exits pm restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    /// Any exit pm did not ask for is a crash (the seed's rule).
    #[default]
    Always,
    /// Exit code 0 is done; any other exit is a crash.
    OnFailure,
    /// No exit is restarted.
    Never,
}

/// What a dependent waits for (`dependsOn` entries' `when`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum When {
    /// The dependency runs and is ready.
    #[default]
    Ready,
    /// The dependency exited with code 0 and will not run again (a one-shot task).
    Completed,
}

/// One `dependsOn` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub name: String,
    pub when: When,
}

/// `readyWhen`: `{ log }`, `{ tcp }` or `{ http }` (with `every` for the probes).
pub(crate) fn ready_when(f: &Fields) -> Result<Option<ReadyWhen>, PmError> {
    let Some(v) = f.get("readyWhen") else {
        return Ok(None);
    };
    let Value::Object(map) = v else {
        return f.wrong("readyWhen", "an object: { log }, { tcp } or { http }", v);
    };
    let r = f.nested("readyWhen", map);
    only_keys(&r, &["log", "tcp", "http", "every"])?;
    let kinds: Vec<&str> = ["log", "tcp", "http"]
        .into_iter()
        .filter(|k| r.get(k).is_some())
        .collect();
    if kinds.len() != 1 {
        return err(format!(
            "option \"readyWhen\" must have exactly one of log, tcp or http, got {}",
            if kinds.is_empty() {
                "none".to_string()
            } else {
                kinds.join(" and ")
            }
        ));
    }
    if kinds[0] == "log" {
        if r.get("every").is_some() {
            return err(
                "option \"readyWhen.every\" is for tcp and http probes; a log line is \
                 seen as it is written",
            );
        }
        return Ok(Some(ReadyWhen::Log(line_pattern(&r)?)));
    }
    let every = positive_millis(&r, "every")?.unwrap_or(DEFAULT_READY_PROBE_EVERY);
    let target = probe_target(&r)?.expect("one probe is given");
    Ok(Some(ReadyWhen::Probe { target, every }))
}

/// `healthCheck`: `{ tcp | http, every, timeout, failures }`.
pub(crate) fn health_check(f: &Fields) -> Result<Option<HealthCheck>, PmError> {
    let Some(v) = f.get("healthCheck") else {
        return Ok(None);
    };
    let Value::Object(map) = v else {
        return f.wrong("healthCheck", "an object: { tcp } or { http }", v);
    };
    let h = f.nested("healthCheck", map);
    only_keys(&h, &["tcp", "http", "every", "timeout", "failures"])?;
    if h.get("tcp").is_some() && h.get("http").is_some() {
        return err("option \"healthCheck\" must have one of tcp or http, got both");
    }
    let Some(target) = probe_target(&h)? else {
        return err("option \"healthCheck\" needs a probe: { tcp: port } or { http: url }");
    };
    let failures = match h.whole("failures")? {
        None => DEFAULT_HEALTH_FAILURES,
        Some(n) if (1..=MAX_HEALTH_FAILURES).contains(&n) => n as u32,
        Some(n) => {
            return err(format!(
                "option \"healthCheck.failures\" must be from 1 to {MAX_HEALTH_FAILURES}, got {n}"
            ))
        }
    };
    Ok(Some(HealthCheck {
        target,
        every: positive_millis(&h, "every")?.unwrap_or(DEFAULT_HEALTH_EVERY),
        timeout: positive_millis(&h, "timeout")?.unwrap_or(DEFAULT_HEALTH_TIMEOUT),
        failures,
    }))
}

/// `stopSignal`: one of [`StopSignal::ALL`] by name.
pub(crate) fn stop_signal(f: &Fields) -> Result<StopSignal, PmError> {
    let Some(v) = f.get("stopSignal") else {
        return Ok(StopSignal::default());
    };
    let names: Vec<&str> = StopSignal::ALL.iter().map(|(n, _)| *n).collect();
    match v {
        Value::String(s) => StopSignal::ALL
            .iter()
            .find(|(n, _)| n == s)
            .map(|(_, sig)| *sig)
            .map_or_else(
                || {
                    err(format!(
                        "option \"stopSignal\" must be one of {}, got {s:?}",
                        names.join(", ")
                    ))
                },
                Ok,
            ),
        other => f.wrong("stopSignal", &format!("one of {}", names.join(", ")), other),
    }
}

/// `restart`: `'always'`, `'on-failure'` or `'never'`.
pub(crate) fn restart_policy(f: &Fields) -> Result<RestartPolicy, PmError> {
    match f.get("restart") {
        None => Ok(RestartPolicy::Always),
        Some(Value::String(s)) if s == "always" => Ok(RestartPolicy::Always),
        Some(Value::String(s)) if s == "on-failure" => Ok(RestartPolicy::OnFailure),
        Some(Value::String(s)) if s == "never" => Ok(RestartPolicy::Never),
        Some(Value::String(s)) => err(format!(
            "option \"restart\" must be \"always\", \"on-failure\" or \"never\", got {s:?}"
        )),
        Some(v) => f.wrong("restart", "\"always\", \"on-failure\" or \"never\"", v),
    }
}

/// `dependsOn`: names, or `{ name, when: 'ready' | 'completed' }`.
pub(crate) fn depends_on(f: &Fields) -> Result<Vec<Dependency>, PmError> {
    let expected = "an array of service names or { name, when }";
    let entry = |v: &Value, at: &str| match v {
        Value::String(s) if !s.is_empty() => Ok(Dependency {
            name: s.clone(),
            when: When::Ready,
        }),
        Value::Object(map) => {
            let d = f.nested(at, map);
            only_keys(&d, &["name", "when"])?;
            let name = d.string("name")?.ok_or_else(|| {
                PmError::option(format!(
                    "pm.start: option \"{at}\" must name a service: {{ name, when }}"
                ))
            })?;
            let when = match d.get("when") {
                None => When::Ready,
                Some(Value::String(w)) if w == "ready" => When::Ready,
                Some(Value::String(w)) if w == "completed" => When::Completed,
                Some(Value::String(w)) => {
                    return err(format!(
                        "option \"{at}.when\" must be \"ready\" or \"completed\", got {w:?}"
                    ))
                }
                Some(other) => return d.wrong("when", "\"ready\" or \"completed\"", other),
            };
            Ok(Dependency {
                name: name.to_string(),
                when,
            })
        }
        other => err(format!(
            "option \"dependsOn\" must be {expected}; {at} is {}",
            describe(other)
        )),
    };
    Ok(f.array("dependsOn", expected, entry)?.unwrap_or_default())
}

/// `stdio`: `'pipe'` gives the service's stdin and stdout to the app.
pub(crate) fn stdio(f: &Fields) -> Result<crate::os::Stdio, PmError> {
    match f.get("stdio") {
        None => Ok(crate::os::Stdio::Log),
        Some(Value::String(s)) if s == "pipe" => Ok(crate::os::Stdio::Pipe),
        Some(v) => f.wrong(
            "stdio",
            "\"pipe\" (or left out: stdin reads nothing and stdout is logged)",
            v,
        ),
    }
}

/// Refuses keys of a nested object that are not `known`.
fn only_keys(f: &Fields, known: &[&str]) -> Result<(), PmError> {
    match f.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => err(format!(
            "unknown option \"{}\"; known here: {}",
            f.name(k),
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// A number of ms above 0.
fn positive_millis(f: &Fields, key: &str) -> Result<Option<Duration>, PmError> {
    match f.millis(key)? {
        Some(d) if d.is_zero() => err(format!(
            "option \"{}\" must be more than 0 ms, got 0",
            f.name(key)
        )),
        d => Ok(d),
    }
}

/// `log`: a regular expression's source, or a RegExp (which the JS layer passes as
/// `{ source, flags }`).
fn line_pattern(f: &Fields) -> Result<LinePattern, PmError> {
    let v = f.get("log").expect("log is given");
    let (source, flags) = match v {
        Value::String(s) if !s.is_empty() => (s.clone(), String::new()),
        Value::Object(map) => {
            let re = f.nested("log", map);
            only_keys(&re, &["source", "flags"])?;
            (
                re.string("source")?.unwrap_or("(?:)").to_string(),
                re.get("flags")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            )
        }
        other => return f.wrong("log", "a RegExp or a regular expression's source", other),
    };
    // JS flags that mean something for one line: i, m, s; g, y, d, u and v change nothing here.
    let inline: String = flags.chars().filter(|c| "ims".contains(*c)).collect();
    if let Some(bad) = flags.chars().find(|c| !"imsgyduv".contains(*c)) {
        return err(format!(
            "option \"{}\" has the flag {bad:?}, which a regular expression cannot have",
            f.name("log")
        ));
    }
    let full = if inline.is_empty() {
        source
    } else {
        format!("(?{inline}){source}")
    };
    match regex::bytes::Regex::new(&full) {
        Ok(regex) => Ok(LinePattern {
            source: full,
            regex,
        }),
        Err(e) => err(format!(
            "option \"{}\" is a regular expression pm cannot use ({}); pm matches lines with \
             Rust's regex syntax, which has no look-around or back-references: {e}",
            f.name("log"),
            full
        )),
    }
}

/// The one probe of `f` (`tcp` or `http`), if any.
fn probe_target(f: &Fields) -> Result<Option<ProbeTarget>, PmError> {
    if let Some(v) = f.get("tcp") {
        return tcp(v, &f.name("tcp")).map(Some);
    }
    if let Some(v) = f.get("http") {
        return http(v, &f.name("http")).map(Some);
    }
    Ok(None)
}

fn port(v: &str, key: &str) -> Result<u16, PmError> {
    match v.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => err(format!(
            "option \"{key}\" needs a port from 1 to 65535, got {v:?}"
        )),
    }
}

/// `port`, `'port'`, `'host:port'` or `'[v6]:port'`; the host defaults to 127.0.0.1.
fn tcp(v: &Value, key: &str) -> Result<ProbeTarget, PmError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => {
            return err(format!(
                "option \"{key}\" must be a port or \"host:port\", got {}",
                type_name(other)
            ))
        }
    };
    let (host, p) = split_host_port(&text).unwrap_or(("127.0.0.1", text.as_str()));
    if host.is_empty() {
        return err(format!("option \"{key}\" has an empty host: {text:?}"));
    }
    Ok(ProbeTarget::Tcp {
        host: host.to_string(),
        port: port(p, key)?,
    })
}

/// `host:port` (the host may be `[v6]`), split at the port's colon.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, after.strip_prefix(':')?));
    }
    s.rsplit_once(':')
}

/// `http://host[:port][/path]`: only plain HTTP (a probe of the app's own service on this
/// machine needs no TLS).
fn http(v: &Value, key: &str) -> Result<ProbeTarget, PmError> {
    let Value::String(url) = v else {
        return err(format!(
            "option \"{key}\" must be a URL such as \"http://127.0.0.1:8080/health\", got {}",
            type_name(v)
        ));
    };
    let Some(rest) = url.strip_prefix("http://") else {
        return err(format!(
            "option \"{key}\" must be an http:// URL (pm's probe speaks plain HTTP), got {url:?}"
        ));
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    if authority.is_empty() || authority.contains('@') || path.contains(['#', ' ']) {
        return err(format!(
            "option \"{key}\" is not a URL pm can probe: {url:?}"
        ));
    }
    let (host, port_text) = match split_host_port(authority) {
        Some((h, p)) if !authority.ends_with(']') => (h, p),
        _ => (
            authority.trim_start_matches('[').trim_end_matches(']'),
            "80",
        ),
    };
    if host.is_empty() {
        return err(format!("option \"{key}\" has no host: {url:?}"));
    }
    Ok(ProbeTarget::Http {
        host: host.to_string(),
        port: port(port_text, key)?,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: &Value) -> Fields<'_> {
        Fields::new(v.as_object().unwrap())
    }

    fn ready(v: Value) -> Result<Option<ReadyWhen>, String> {
        let o = json!({ "readyWhen": v });
        ready_when(&fields(&o)).map_err(|e| e.message)
    }

    fn health(v: Value) -> Result<Option<HealthCheck>, String> {
        let o = json!({ "healthCheck": v });
        health_check(&fields(&o)).map_err(|e| e.message)
    }

    #[test]
    fn ready_when_log_takes_a_source_or_a_regexp_with_flags() {
        let Some(ReadyWhen::Log(p)) = ready(json!({"log": "ready to accept connections"})).unwrap()
        else {
            panic!()
        };
        assert!(p.regex.is_match(
            b"1:M * Ready to accept connections tcp"
                .to_ascii_lowercase()
                .as_slice()
        ));
        let Some(ReadyWhen::Log(p)) =
            ready(json!({"log": {"source": "database system is ready", "flags": "gi"}})).unwrap()
        else {
            panic!()
        };
        assert_eq!(p.source, "(?i)database system is ready");
        assert!(p
            .regex
            .is_match(b"LOG:  Database System Is Ready to accept"));
        // JS escapes a slash in a RegExp's source.
        let Some(ReadyWhen::Log(p)) =
            ready(json!({"log": {"source": "a\\/b", "flags": ""}})).unwrap()
        else {
            panic!()
        };
        assert!(p.regex.is_match(b"x a/b y"));
        let e = ready(json!({"log": "(?=look)ahead"})).unwrap_err();
        assert!(
            e.contains("\"readyWhen.log\"") && e.contains("look-around"),
            "{e}"
        );
        let e = ready(json!({"log": "unclosed("})).unwrap_err();
        assert!(e.contains("\"readyWhen.log\""), "{e}");
    }

    #[test]
    fn ready_when_probes_and_their_errors() {
        assert_eq!(
            ready(json!({"tcp": 6379})).unwrap(),
            Some(ReadyWhen::Probe {
                target: ProbeTarget::Tcp {
                    host: "127.0.0.1".into(),
                    port: 6379
                },
                every: DEFAULT_READY_PROBE_EVERY
            })
        );
        let Some(ReadyWhen::Probe { target, every }) =
            ready(json!({"tcp": "[::1]:5432", "every": 50})).unwrap()
        else {
            panic!()
        };
        assert_eq!(target.describe(), "tcp [::1]:5432");
        assert_eq!(every, Duration::from_millis(50));
        let Some(ReadyWhen::Probe { target, .. }) =
            ready(json!({"http": "http://localhost:8080/health?x=1"})).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            target,
            ProbeTarget::Http {
                host: "localhost".into(),
                port: 8080,
                path: "/health?x=1".into()
            }
        );
        let Some(ReadyWhen::Probe { target, .. }) = ready(json!({"http": "http://h"})).unwrap()
        else {
            panic!()
        };
        assert_eq!(target.describe(), "http://h:80/");
        for (bad, says) in [
            (json!({"tcp": 0}), "port from 1 to 65535, got \"0\""),
            (json!({"tcp": 70000}), "got \"70000\""),
            (json!({"tcp": "db:x"}), "got \"x\""),
            (json!({"http": "https://x/"}), "must be an http:// URL"),
            (json!({"http": "ftp://x/"}), "must be an http:// URL"),
            (json!({}), "exactly one of log, tcp or http, got none"),
            (json!({"tcp": 1, "http": "http://x"}), "got tcp and http"),
            (
                json!({"log": "x", "every": 5}),
                "\"readyWhen.every\" is for tcp and http",
            ),
            (
                json!({"tcp": 1, "every": 0}),
                "\"readyWhen.every\" must be more than 0 ms",
            ),
            (
                json!({"tcp": 1, "evry": 5}),
                "unknown option \"readyWhen.evry\"",
            ),
            (json!("6379"), "\"readyWhen\" must be an object"),
        ] {
            let e = ready(bad.clone()).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn health_checks_have_defaults_and_need_a_probe() {
        assert_eq!(
            health(json!({"http": "http://127.0.0.1:1/h"})).unwrap(),
            Some(HealthCheck {
                target: ProbeTarget::Http {
                    host: "127.0.0.1".into(),
                    port: 1,
                    path: "/h".into()
                },
                every: DEFAULT_HEALTH_EVERY,
                timeout: DEFAULT_HEALTH_TIMEOUT,
                failures: DEFAULT_HEALTH_FAILURES
            })
        );
        let h = health(json!({"tcp": 9, "every": 500, "timeout": 100, "failures": 1}))
            .unwrap()
            .unwrap();
        assert_eq!(
            (h.every, h.timeout, h.failures),
            (Duration::from_millis(500), Duration::from_millis(100), 1)
        );
        for (bad, says) in [
            (json!({}), "needs a probe"),
            (json!({"every": 5}), "needs a probe"),
            (json!({"tcp": 1, "http": "http://x"}), "got both"),
            (json!({"tcp": 1, "failures": 0}), "from 1 to 1000, got 0"),
            (
                json!({"tcp": 1, "log": "x"}),
                "unknown option \"healthCheck.log\"",
            ),
        ] {
            let e = health(bad.clone()).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn stop_signal_restart_and_stdio_take_known_names_only() {
        let get = |v: Value| {
            let o = json!({ "stopSignal": v });
            stop_signal(&fields(&o)).map_err(|e| e.message)
        };
        assert_eq!(get(json!("SIGINT")).unwrap(), StopSignal::Int);
        assert_eq!(get(Value::Null).unwrap(), StopSignal::Term);
        let e = get(json!("SIGKILL")).unwrap_err();
        assert!(
            e.contains("one of SIGTERM, SIGINT") && e.contains("\"SIGKILL\""),
            "{e}"
        );
        assert!(get(json!(15)).unwrap_err().contains("\"stopSignal\""));
        let policy = |v: Value| {
            let o = json!({ "restart": v });
            restart_policy(&fields(&o)).map_err(|e| e.message)
        };
        assert_eq!(
            policy(json!("on-failure")).unwrap(),
            RestartPolicy::OnFailure
        );
        assert_eq!(policy(json!("never")).unwrap(), RestartPolicy::Never);
        assert!(policy(json!("sometimes"))
            .unwrap_err()
            .contains("\"sometimes\""));
        let io = |v: Value| {
            let o = json!({ "stdio": v });
            stdio(&fields(&o)).map_err(|e| e.message)
        };
        assert_eq!(io(json!("pipe")).unwrap(), crate::os::Stdio::Pipe);
        assert!(io(json!("inherit"))
            .unwrap_err()
            .contains("\"stdio\" must be \"pipe\""));
    }

    #[test]
    fn depends_on_takes_names_and_entries_with_when() {
        let deps = |v: Value| {
            let o = json!({ "dependsOn": v });
            depends_on(&fields(&o)).map_err(|e| e.message)
        };
        assert_eq!(
            deps(json!(["db", {"name": "migrate", "when": "completed"}, {"name": "cache"}]))
                .unwrap(),
            vec![
                Dependency {
                    name: "db".into(),
                    when: When::Ready
                },
                Dependency {
                    name: "migrate".into(),
                    when: When::Completed
                },
                Dependency {
                    name: "cache".into(),
                    when: When::Ready
                },
            ]
        );
        let e = deps(json!([{"name": "m", "when": "finished"}])).unwrap_err();
        assert!(
            e.contains(
                "\"dependsOn[0].when\" must be \"ready\" or \"completed\", got \"finished\""
            ),
            "{e}"
        );
        assert!(deps(json!([{"when": "ready"}]))
            .unwrap_err()
            .contains("must name a service"));
        assert!(deps(json!([3])).unwrap_err().contains("dependsOn[0] is 3"));
    }
}
