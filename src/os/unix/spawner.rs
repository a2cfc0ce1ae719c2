//! The one thread that starts (clones or forks) every service. It never exits, and it runs at
//! the main process's normal priority:
//! - `PR_SET_PDEATHSIG` fires when the *thread* that made a child exits, not the process;
//!   starting children from a thread that lives as long as the process keeps the death signal
//!   meaning "the main process died".
//! - children inherit that thread's nice value, and pm's own worker threads run at a
//!   lower priority (see `priority.rs`); services must not.

use std::io;
use std::sync::mpsc;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::spawn::{spawn, Spawned};
use crate::os::Command;

struct Request {
    command: Arc<Command>,
    extra_env: Vec<(String, String)>,
    reply: oneshot::Sender<io::Result<Spawned>>,
}

pub(crate) struct Spawner {
    tx: mpsc::Sender<Request>,
}

impl Spawner {
    /// Starts the thread. Call it from a thread at normal priority (the JS thread, at init):
    /// the new thread inherits its nice value.
    pub(crate) fn new(rt: tokio::runtime::Handle) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("elife-pm-spawn".into())
            .spawn(move || {
                // The pipes, the pidfd and the IPC socket register with the runtime's reactor.
                let _runtime = rt.enter();
                for req in rx {
                    // Whoever asked no longer waits (the service was stopped): spawn nothing.
                    if req.reply.is_closed() {
                        continue;
                    }
                    // Stopped while it was being spawned: end it rather than orphan it.
                    if let Err(Ok(spawned)) = req.reply.send(spawn(&req.command, &req.extra_env)) {
                        spawned.process.killer().kill_tree();
                    }
                }
            })?;
        Ok(Spawner { tx })
    }

    /// Spawns on the spawner thread. Dropping the future before it resolves cancels the spawn:
    /// a request not yet taken is skipped, a process spawned meanwhile is killed.
    /// `extra_env` is set over the command's own variables for this spawn only.
    pub(crate) async fn spawn(
        &self,
        command: Arc<Command>,
        extra_env: Vec<(String, String)>,
    ) -> io::Result<Spawned> {
        let (reply, answer) = oneshot::channel();
        let gone = || io::Error::other("the elife-pm spawn thread is gone");
        self.tx
            .send(Request {
                command,
                extra_env,
                reply,
            })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}
