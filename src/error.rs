//! The one error type that crosses into JS: a kind with a stable code (`ERR_PM_OPTION`, …) and a
//! message for people. Every error that `require('elife/pm')` throws or rejects with carries the
//! code as `err.code`, so an app tells a bad option from a failed spawn without reading the
//! message. The codes are part of the API: index.d.ts lists them (`PmErrorCode`), and a test
//! checks that both lists agree.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A bad option, target or argument: `start()` throws at once.
    Option,
    /// `dependsOn` would close a cycle.
    DependencyCycle,
    /// The first spawn failed (the program is missing, not executable, …).
    Spawn,
    /// `waitReady`/`readyWhen`: the service did not get ready within `readyTimeout`.
    NotReady,
    /// A service it depends on failed (ended errored, or will never be ready or completed).
    Dependency,
    /// pm stopped before the service could start (the supervisor is going away).
    Stopped,
    /// Called from a worker thread or another context: pm belongs to the main thread.
    NotMainThread,
    /// The state directory cannot be used.
    StateDir,
    /// `stdio()` of a service that was not started with `stdio: 'pipe'`.
    NotPiped,
    /// A call that needs one process found several of that name.
    Ambiguous,
    /// No service of that name is known.
    UnknownService,
    /// A bug in pm: the message says what.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order index.d.ts lists their codes.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Option,
        ErrorKind::DependencyCycle,
        ErrorKind::Spawn,
        ErrorKind::NotReady,
        ErrorKind::Dependency,
        ErrorKind::Stopped,
        ErrorKind::NotMainThread,
        ErrorKind::StateDir,
        ErrorKind::NotPiped,
        ErrorKind::Ambiguous,
        ErrorKind::UnknownService,
        ErrorKind::Internal,
    ];

    /// The stable code JS sees as `err.code`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Option => "ERR_PM_OPTION",
            ErrorKind::DependencyCycle => "ERR_PM_DEPENDENCY_CYCLE",
            ErrorKind::Spawn => "ERR_PM_SPAWN",
            ErrorKind::NotReady => "ERR_PM_NOT_READY",
            ErrorKind::Dependency => "ERR_PM_DEPENDENCY",
            ErrorKind::Stopped => "ERR_PM_STOPPED",
            ErrorKind::NotMainThread => "ERR_PM_NOT_MAIN_THREAD",
            ErrorKind::StateDir => "ERR_PM_STATE_DIR",
            ErrorKind::NotPiped => "ERR_PM_NOT_PIPED",
            ErrorKind::Ambiguous => "ERR_PM_AMBIGUOUS",
            ErrorKind::UnknownService => "ERR_PM_UNKNOWN_SERVICE",
            ErrorKind::Internal => "ERR_PM_INTERNAL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmError {
    pub kind: ErrorKind,
    pub message: String,
}

impl PmError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PmError {
            kind,
            message: message.into(),
        }
    }

    /// A bad option, target or argument.
    pub fn option(message: impl Into<String>) -> Self {
        PmError::new(ErrorKind::Option, message)
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for PmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PmError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code() {
        let mut codes: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert!(codes.iter().all(|c| c.starts_with("ERR_PM_")));
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }
}
