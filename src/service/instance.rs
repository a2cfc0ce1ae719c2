//! One spawned instance of a service: its output pumps, its IPC channel, and the stop sequence
//! (the polite request, then SIGKILL to the whole process group after the grace period).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::context::Context;
use crate::events::Event;
use crate::logs::format::{LineFormat, Stream};
use crate::logs::pump::Pump;
use crate::logs::tap::TapSource;
use crate::logs::writer::{Destination, Writer};
use crate::os::{Channel, Exit, Killer, Process};
use crate::service::ipc::{self, Decoder, FromChild};
use crate::start::launch::Launch;
use crate::start::options::StartSpec;

/// How long output and messages may keep flowing after a process is gone (a descendant that
/// left the process group may hold a pipe open); past that the rest is abandoned.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(2);

pub struct Running {
    pub pid: u32,
    process: Process,
    channel: Option<Channel>,
    /// Set once the service said it handles the stop request itself (it registered
    /// `onstopping`); until then a stop is a SIGTERM.
    handles_stop: Arc<AtomicBool>,
    /// Set once the service said it is ready.
    ready: tokio::sync::watch::Receiver<bool>,
    pumps: Vec<JoinHandle<()>>,
    listener: Option<JoinHandle<()>>,
    writers: Vec<Arc<Writer>>,
}

impl Running {
    /// Spawns the service; `Ok(None)` when `cancel` resolved first (a stop came while the
    /// spawn waited its turn: nothing runs then). Must run inside the supervisor's runtime.
    pub async fn start(
        id: u64,
        spec: &StartSpec,
        launch: &Arc<Launch>,
        ctx: &Arc<Context>,
        cancel: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<Option<Running>> {
        let spawn = async {
            if launch.run_as_node && !runs_as_node(&launch.program).await {
                return Err(std::io::Error::other(
                    crate::start::electron_fuse::run_as_node_disabled_message(&launch.program),
                ));
            }
            ctx.spawner.spawn(launch.clone(), spec.cwd.clone()).await
        };
        let spawned = tokio::select! {
            // A spawn that is done wins over a stop that came at the same time.
            biased;
            spawned = spawn => spawned?,
            _ = cancel => return Ok(None),
        };
        let pid = spawned.pid;
        let label = spec.label();

        let (out, err) = log_writers(id, spec, ctx);
        let pump = |stream, writer: &Arc<Writer>| Pump {
            format: LineFormat::new(spec.log_format, &label, pid, stream),
            strip_ansi: spec.strip_ansi,
            writer: writer.clone(),
            tap: ctx.tap.clone(),
            source: TapSource {
                id,
                name: spec.name.clone(),
                pid,
                stream,
            },
        };
        let pumps = vec![
            tokio::spawn(pump(Stream::Stdout, &out).run(spawned.stdout)),
            tokio::spawn(pump(Stream::Stderr, &err).run(spawned.stderr)),
        ];

        let handles_stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready) = tokio::sync::watch::channel(false);
        let listener = spawned.channel.clone().map(|channel| {
            let from = Sender {
                id,
                name: spec.name.clone(),
                pid,
                handles_stop: handles_stop.clone(),
                ready: ready_tx,
            };
            tokio::spawn(read_messages(channel, from, ctx.clone()))
        });

        Ok(Some(Running {
            pid,
            process: spawned.process,
            channel: spawned.channel,
            handles_stop,
            ready,
            pumps,
            listener,
            writers: vec![out, err],
        }))
    }

    pub async fn wait(&mut self) -> Exit {
        self.process.wait().await
    }

    pub fn killer(&self) -> Killer {
        self.process.killer()
    }

    pub fn channel(&self) -> Option<Channel> {
        self.channel.clone()
    }

    /// Becomes true once the service said it is ready.
    pub fn ready(&self) -> tokio::sync::watch::Receiver<bool> {
        self.ready.clone()
    }

    /// Asks the service to stop and waits up to `grace` before killing its process group.
    /// A service that handles the request hears it over its channel and runs its `onstopping`
    /// handlers; any other gets SIGTERM, which it may handle or die of at once.
    /// Returns how it exited, and whether pm had to kill it.
    pub async fn stop(&mut self, grace: Duration) -> (Exit, bool) {
        let asked = self.handles_stop.load(Ordering::SeqCst)
            && self
                .channel
                .as_ref()
                .is_some_and(|c| c.send_now(&ipc::stop_request()).is_ok());
        if !asked {
            self.process.terminate();
        }
        match tokio::time::timeout(grace, self.wait()).await {
            Ok(exit) => (exit, false),
            Err(_) => {
                self.killer().kill_tree();
                (self.wait().await, true)
            }
        }
    }

    /// After the process exited: kills what is left of its group, lets the output and the
    /// messages it sent before exiting drain (so they arrive before its exit event), and waits
    /// until every line is written.
    pub async fn finish(mut self) {
        self.killer().kill_tree();
        let deadline = tokio::time::Instant::now() + DRAIN_LIMIT;
        for task in self.pumps.iter_mut().chain(self.listener.as_mut()) {
            if tokio::time::timeout_at(deadline, &mut *task).await.is_err() {
                task.abort();
            }
        }
        for w in &self.writers {
            w.flush().await;
        }
    }
}

/// Whether Electron's binary runs as Node (its fuse), asked off the runtime's threads: the
/// first answer may wait for the binary to be read.
async fn runs_as_node(binary: &std::path::Path) -> bool {
    if let Some(known) = crate::start::electron_fuse::known(binary) {
        return known;
    }
    let binary = binary.to_path_buf();
    tokio::task::spawn_blocking(move || crate::start::electron_fuse::allows_run_as_node(&binary))
        .await
        .unwrap_or(true)
}

/// Who is on the other end of a channel.
struct Sender {
    id: u64,
    name: Option<String>,
    pid: u32,
    handles_stop: Arc<AtomicBool>,
    ready: tokio::sync::watch::Sender<bool>,
}

/// Reads messages until the child closes its end of the channel. Each message for the app
/// waits for a credit (`Context::message_credit`), so a service that floods `process.send`
/// is read no faster than JS takes its messages: the excess waits in the socket buffer and
/// then in the service, never in the main process.
async fn read_messages(channel: Channel, from: Sender, ctx: Arc<Context>) {
    let mut decoder = Decoder::default();
    let mut buf = vec![0u8; 16 * 1024];
    let mut decoded = Vec::new();
    while let Ok(n @ 1..) = channel.read(&mut buf).await {
        decoder.push(&buf[..n], |m| decoded.push(m));
        for m in decoded.drain(..) {
            match m {
                FromChild::HandlesStop => from.handles_stop.store(true, Ordering::SeqCst),
                FromChild::Ready => {
                    from.ready.send_replace(true);
                }
                FromChild::Message(message) => {
                    ctx.message_credit().await;
                    ctx.emit(Event::Message {
                        id: from.id,
                        name: from.name.clone(),
                        pid: from.pid,
                        message,
                    });
                }
            }
        }
    }
}

/// The writers for stdout and stderr: the `log` file for both, or the main process's own
/// stdout and stderr. An unwritable log file is reported and falls back to stderr.
fn log_writers(id: u64, spec: &StartSpec, ctx: &Context) -> (Arc<Writer>, Arc<Writer>) {
    if let Some(path) = &spec.log {
        match ctx
            .logs
            .open(Destination::File(path.clone()), spec.rotation)
        {
            Ok(w) => return (w.clone(), w),
            Err(e) => ctx.emit(Event::Error {
                id,
                name: spec.name.clone(),
                message: format!("cannot write log file {e}; logging to stderr instead"),
            }),
        }
    }
    let open = |d| {
        ctx.logs
            .open(d, spec.rotation)
            .expect("a writer for a standard stream")
    };
    match spec.log {
        Some(_) => {
            let err = open(Destination::Stderr);
            (err.clone(), err)
        }
        None => (open(Destination::Stdout), open(Destination::Stderr)),
    }
}
