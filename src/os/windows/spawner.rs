//! Starts services. On Windows there is no per-thread state a child inherits (no death signal,
//! no nice value: a child gets the normal priority class whatever the spawning thread's
//! priority), so spawns run as tasks on the runtime; `CreateProcessW` itself runs on a
//! blocking thread (`spawn.rs`).

use std::io;
use std::sync::Arc;

use super::spawn::{spawn, Spawned};
use crate::os::Command;

pub(crate) struct Spawner {
    rt: tokio::runtime::Handle,
}

impl Spawner {
    pub(crate) fn new(rt: tokio::runtime::Handle) -> io::Result<Self> {
        Ok(Spawner { rt })
    }

    /// Starts `command` on the runtime (the pipes register with its reactor) whatever context
    /// the caller polls this from.
    /// `extra_env` is set over the command's own variables for this spawn only.
    pub(crate) async fn spawn(
        &self,
        command: Arc<Command>,
        extra_env: Vec<(String, String)>,
    ) -> io::Result<Spawned> {
        self.rt
            .spawn(async move { spawn(&command, &extra_env).await })
            .await
            .map_err(|_| io::Error::other("the elife-pm spawn task failed"))?
    }
}
