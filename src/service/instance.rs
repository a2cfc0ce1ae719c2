//! One spawned instance of a service: its output pumps, its last lines, its IPC channel, the
//! pipes it hands the app (`stdio: 'pipe'`), and the stop sequence (the polite request, then
//! SIGKILL to the whole process group after the grace period; at the end, whatever it started
//! that left the group).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::{ErrorKind, PmError};
use crate::events::Event;
use crate::leftovers::strays::MARKER_ENV;
use crate::logs::format::{LineFormat, Stream};
use crate::logs::pump::{Pump, ReadyLine};
use crate::logs::tail::Tail;
use crate::logs::tap::TapSource;
use crate::logs::writer::{Destination, Writer};
use crate::os::{Channel, Exit, Killer, OutputPipe, Process, Spawned, StdinPipe, StopSignal};
use crate::service::context::Context;
use crate::service::ipc::{self, Decoder, FromChild};
use crate::service::stdio::Piped;
use crate::start::checks::ReadyWhen;
use crate::start::launch::Launch;
use crate::start::options::StartSpec;

/// How long output and messages may keep flowing after a process is gone (a descendant that
/// left the process group and that pm could not find may hold a pipe open); past that the
/// rest is abandoned.
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(2);

pub(crate) struct Running {
    pub(crate) pid: u32,
    process: Process,
    channel: Option<Channel>,
    /// Set once the service said it handles the stop request itself (it registered
    /// `onstopping`); until then a stop is its `stopSignal`.
    handles_stop: Arc<AtomicBool>,
    /// Set once the service is ready: it said so, or its ready line was written.
    ready: watch::Receiver<bool>,
    /// The marker its descendants carry (`leftovers::strays`).
    marker: String,
    tail: Arc<Tail>,
    piped: Option<Piped>,
    pumps: Vec<JoinHandle<()>>,
    listener: Option<JoinHandle<()>>,
    writers: Vec<Arc<Writer>>,
    /// Set when the process and its whole tree are gone, where that means its pipes hold all
    /// there will be (`os::PIPES_END_WITH_JOB`).
    gone: watch::Sender<bool>,
}

impl Running {
    /// Spawns the service; `Ok(None)` when `cancel` resolved first (a stop came while the
    /// spawn waited its turn: nothing runs then). `marker` is this spawn's own. Must run
    /// inside the supervisor's runtime.
    pub(crate) async fn start(
        id: u64,
        spec: &StartSpec,
        launch: &Arc<Launch>,
        ctx: &Arc<Context>,
        marker: String,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<Option<Running>, PmError> {
        let Some(spawned) = spawn_unless_stopped(launch, ctx, &marker, cancel).await? else {
            return Ok(None);
        };
        let pid = spawned.pid;
        let label = spec.label();
        let tail = Arc::new(Tail::default());
        let (ready_tx, ready) = watch::channel(false);
        let ready_line = match &spec.ready_when {
            Some(ReadyWhen::Log(pattern)) => Some(Arc::new(ReadyLine {
                regex: pattern.regex.clone(),
                ready: ready_tx.clone(),
            })),
            _ => None,
        };

        let gone = watch::Sender::new(false);
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
            tail: tail.clone(),
            ready_line: ready_line.clone(),
        };
        let (pumps, piped) = read_output(
            |stream| pump(stream, if stream == Stream::Stdout { &out } else { &err }),
            (spawned.stdout, spawned.stderr, spawned.stdin),
            &gone,
        );

        let handles_stop = Arc::new(AtomicBool::new(false));
        let listener = spawned.channel.clone().map(|channel| {
            let from = Sender {
                id,
                name: spec.name.clone(),
                pid,
                handles_stop: handles_stop.clone(),
                ready: ready_tx,
            };
            tokio::spawn(read_messages(channel, from, ctx.clone(), gone.subscribe()))
        });

        Ok(Some(Running {
            pid,
            process: spawned.process,
            channel: spawned.channel,
            handles_stop,
            ready,
            marker,
            tail,
            piped,
            pumps,
            listener,
            writers: vec![out, err],
            gone,
        }))
    }

    pub(crate) async fn wait(&mut self) -> Exit {
        self.process.wait().await
    }

    pub(crate) fn killer(&self) -> Killer {
        self.process.killer()
    }

    pub(crate) fn channel(&self) -> Option<Channel> {
        self.channel.clone()
    }

    /// The last lines it wrote, kept as it writes them.
    pub(crate) fn tail(&self) -> Arc<Tail> {
        self.tail.clone()
    }

    /// Its stdin and stdout for the app (`stdio: 'pipe'`), once.
    pub(crate) fn take_piped(&mut self) -> Option<Piped> {
        self.piped.take()
    }

    /// Becomes true once the service is ready (it said so, or its ready line was written).
    pub(crate) fn ready(&self) -> watch::Receiver<bool> {
        self.ready.clone()
    }

    /// Asks the service to stop and waits up to `grace` before killing its process group.
    /// A service that handles the request hears it over its channel and runs its `onstopping`
    /// handlers; any other gets `signal` (its `stopSignal`), which it may handle or die of.
    /// Returns how it exited, and whether pm had to kill it.
    pub(crate) async fn stop(&mut self, grace: Duration, signal: StopSignal) -> (Exit, bool) {
        let asked = self.handles_stop.load(Ordering::SeqCst)
            && self
                .channel
                .as_ref()
                .is_some_and(|c| c.send_now(&ipc::stop_request()).is_ok());
        if !asked {
            self.process.terminate(signal);
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
    /// until every line is written. What it started that left the group is ended too: for a
    /// stop (`Strays::Now`) before this returns; for an exit of its own, by the caller, once the
    /// restart is under way (`Strays::Later` gives the marker back: the look through every
    /// process's environment must not compete with the new spawn for a CPU, and the new
    /// process carries another marker).
    pub(crate) async fn finish(mut self, ctx: &Context, strays: Strays) -> Option<String> {
        self.killer().kill_tree();
        if crate::os::PIPES_END_WITH_JOB {
            self.gone.send_replace(true);
        }
        let marker = std::mem::take(&mut self.marker);
        let (ended, later): (Option<oneshot::Receiver<Vec<u32>>>, _) = match strays {
            Strays::Now => (Some(ctx.strays.end(marker)), None),
            Strays::Later => (None, Some(marker)),
        };
        // Pipes handed to the app and never taken close now.
        drop(self.piped.take());
        let deadline = tokio::time::Instant::now() + DRAIN_LIMIT;
        for task in self.pumps.iter_mut().chain(self.listener.as_mut()) {
            if tokio::time::timeout_at(deadline, &mut *task).await.is_err() {
                task.abort();
            }
        }
        for w in &self.writers {
            w.flush().await;
        }
        if let Some(ended) = ended {
            let _ = ended.await;
        }
        later
    }
}

/// Spawns the command with the spawn's marker, unless a stop comes first (`Ok(None)`).
async fn spawn_unless_stopped(
    launch: &Arc<Launch>,
    ctx: &Context,
    marker: &str,
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Option<Spawned>, PmError> {
    let spawn = async {
        crate::start::check_before_spawn(launch).await?;
        ctx.spawner
            .spawn(
                launch.command.clone(),
                vec![(MARKER_ENV.to_string(), marker.to_string())],
            )
            .await
            .map_err(|e| PmError::new(ErrorKind::Spawn, e.to_string()))
    };
    tokio::select! {
        // A spawn that is done wins over a stop that came at the same time.
        biased;
        spawned = spawn => spawned.map(Some),
        _ = cancel => Ok(None),
    }
}

/// Where the process's output goes: stderr to its log, line by line, and stdout too, unless
/// the app takes it with stdin (`stdio: 'pipe'`: then they are kept for the app).
fn read_output(
    pump: impl Fn(Stream) -> Pump,
    (stdout, stderr, stdin): (OutputPipe, OutputPipe, Option<StdinPipe>),
    gone: &watch::Sender<bool>,
) -> (Vec<JoinHandle<()>>, Option<Piped>) {
    let mut pumps = vec![tokio::spawn(
        pump(Stream::Stderr).run(stderr, gone.subscribe()),
    )];
    let piped = match stdin {
        Some(stdin) => Some(Piped { stdin, stdout }),
        None => {
            pumps.push(tokio::spawn(
                pump(Stream::Stdout).run(stdout, gone.subscribe()),
            ));
            None
        }
    };
    (pumps, piped)
}

/// When `Running::finish` ends what the process started that left its group.
pub(crate) enum Strays {
    /// Before it returns (a stop: nothing may be left when `stop()` resolves).
    Now,
    /// The caller does, with the marker it returns.
    Later,
}

/// Who is on the other end of a channel.
struct Sender {
    id: u64,
    name: Option<String>,
    pid: u32,
    handles_stop: Arc<AtomicBool>,
    ready: watch::Sender<bool>,
}

/// Reads messages until the child closes its end of the channel. Each message for the app
/// waits for a credit (`Context::message_credit`), so a service that floods `process.send`
/// is read no faster than JS takes its messages: the excess waits in the socket buffer and
/// then in the service, never in the main process.
async fn read_messages(
    channel: Channel,
    from: Sender,
    ctx: Arc<Context>,
    mut gone: watch::Receiver<bool>,
) {
    let mut decoder = Decoder::default();
    let mut buf = vec![0u8; 16 * 1024];
    let mut decoded = Vec::new();
    let mut draining = false;
    loop {
        // Once the process's tree is gone (`os::PIPES_END_WITH_JOB`), what is in the channel is
        // all there will be.
        let read = if draining {
            channel.read_now(&mut buf)
        } else {
            tokio::select! {
                r = channel.read(&mut buf) => r,
                _ = is_set(&mut gone) => {
                    draining = true;
                    channel.read_now(&mut buf)
                }
            }
        };
        let Ok(n @ 1..) = read else {
            break;
        };
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

/// Resolves once the flag is set; never if its sender is gone without setting it.
async fn is_set(flag: &mut watch::Receiver<bool>) {
    if flag.wait_for(|f| *f).await.is_err() {
        std::future::pending().await
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
