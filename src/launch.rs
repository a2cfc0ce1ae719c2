//! What command line and environment start a service: the program, its arguments, and the
//! variables pm adds. Pure, so each kind of service is checked without spawning anything.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::channel;
use crate::options::{ScriptKind, StartSpec};

/// Set in every service pm starts, to the main process's pid. pm's child-side code (index.js,
/// the Python helper) trusts it only when it matches the parent pid, so a grandchild that
/// inherits it is not mistaken for a service.
pub const PARENT_ENV: &str = "ELIFE_PM_PARENT";

/// Facts about the main process that decide how services start.
#[derive(Debug, Clone)]
pub struct Host {
    /// The binary that runs Node services: Electron's own (`process.execPath`), which with
    /// `ELECTRON_RUN_AS_NODE=1` is a plain Node that can still read inside `app.asar`.
    pub exec_path: PathBuf,
    pub pid: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Applied over the main process's environment, in order (later wins).
    pub env: Vec<(String, String)>,
    /// Whether the child gets Node's IPC channel on fd 3.
    pub ipc: bool,
}

pub fn plan(spec: &StartSpec, host: &Host) -> Launch {
    let mut env = spec.env.clone();
    match spec.kind {
        ScriptKind::Node => {
            let mut args: Vec<OsString> = vec![spec.script.clone().into_os_string()];
            args.extend(spec.args.iter().map(OsString::from));
            env.extend([
                ("ELECTRON_RUN_AS_NODE".to_string(), "1".to_string()),
                ("NODE_CHANNEL_FD".to_string(), channel::CHILD_FD.to_string()),
                (
                    "NODE_CHANNEL_SERIALIZATION_MODE".to_string(),
                    "json".to_string(),
                ),
                (PARENT_ENV.to_string(), host.pid.to_string()),
            ]);
            Launch {
                program: host.exec_path.clone(),
                args,
                env,
                ipc: true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::parse_start;
    use serde_json::json;
    use std::path::Path;

    fn host() -> Host {
        Host {
            exec_path: PathBuf::from("/opt/electron/electron"),
            pid: 42,
        }
    }

    #[test]
    fn node_services_run_on_the_hosts_binary_with_the_ipc_channel() {
        let spec = parse_start(
            &json!({"script": "svc.js", "args": ["--port", "1"], "env": {"NODE_CHANNEL_FD": "9", "A": "b"}}),
            Path::new("/app"),
            |_| false,
        )
        .unwrap();
        let l = plan(&spec, &host());
        assert_eq!(l.program, PathBuf::from("/opt/electron/electron"));
        assert_eq!(l.args, ["/app/svc.js", "--port", "1"].map(OsString::from));
        assert!(l.ipc);
        let last = |k: &str| {
            l.env
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(last("ELECTRON_RUN_AS_NODE"), Some("1"));
        assert_eq!(
            last("NODE_CHANNEL_FD"),
            Some("3"),
            "pm's channel wins over the user's env"
        );
        assert_eq!(last("NODE_CHANNEL_SERIALIZATION_MODE"), Some("json"));
        assert_eq!(last(PARENT_ENV), Some("42"));
        assert_eq!(last("A"), Some("b"));
    }
}
