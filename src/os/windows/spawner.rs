//! Starts services. On Windows there is no per-thread state a child inherits (no death signal,
//! no nice value: a child gets the normal priority class whatever the spawning thread's
//! priority), so spawns run as tasks on the runtime; `CreateProcessW` itself runs on a
//! blocking thread (`spawn.rs`).

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use super::spawn::{spawn, Spawned};
use crate::start::launch::Launch;

pub struct Spawner {
    rt: tokio::runtime::Handle,
}

impl Spawner {
    pub fn new(rt: tokio::runtime::Handle) -> io::Result<Self> {
        Ok(Spawner { rt })
    }

    /// Starts `launch` in `cwd`, on the runtime (the pipes register with its reactor) whatever
    /// context the caller polls this from.
    pub async fn spawn(&self, launch: Arc<Launch>, cwd: PathBuf) -> io::Result<Spawned> {
        self.rt
            .spawn(async move { spawn(&launch, &cwd).await })
            .await
            .map_err(|_| io::Error::other("the elife-pm spawn task failed"))?
    }
}
