//! What the OS layer is asked to start: a program, its arguments, its environment as changes to
//! the main process's, its working directory, and which pipes it gets. Planned above this layer
//! (`start::launch`); the OS layer only carries it out, as tokio's `imp` takes a `Command`.

use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Removed from the main process's environment first.
    pub env_remove: Vec<String>,
    /// Then applied over it, in order (later wins).
    pub env: Vec<(String, String)>,
    /// The directory the process starts in.
    pub cwd: PathBuf,
    /// Whether the child gets Node's IPC channel on fd 3 ([`crate::os::CHILD_FD`]).
    pub ipc: bool,
    /// What the child's stdin and stdout are.
    pub stdio: Stdio,
}

/// A service's stdin and stdout. Its stderr is always a pipe to pm's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stdio {
    /// stdin reads nothing (`/dev/null`, `NUL`), stdout is a pipe to pm's log.
    #[default]
    Log,
    /// stdin and stdout are pipes to the app (`stdio: 'pipe'`).
    Pipe,
}

/// The signal a service without `onstopping` is asked to stop with (`stopSignal`). Windows has
/// no signals: there the stop request ends the service's job at once (`windows/mod.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopSignal {
    #[default]
    Term,
    Int,
    Quit,
    Hup,
    Usr1,
    Usr2,
}

impl StopSignal {
    /// Every signal a service may ask for, by the name Node gives it.
    pub const ALL: [(&'static str, StopSignal); 6] = [
        ("SIGTERM", StopSignal::Term),
        ("SIGINT", StopSignal::Int),
        ("SIGQUIT", StopSignal::Quit),
        ("SIGHUP", StopSignal::Hup),
        ("SIGUSR1", StopSignal::Usr1),
        ("SIGUSR2", StopSignal::Usr2),
    ];

    pub fn name(self) -> &'static str {
        StopSignal::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("SIGTERM", |(n, _)| n)
    }
}
