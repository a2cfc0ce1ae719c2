//! One spawned instance of a service: its output pumps, its IPC channel, and the stop sequence
//! (the polite request, then SIGKILL to the whole process group after the grace period).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::context::Context;
use crate::events::Event;
use crate::ipc::{self, Decoder, FromChild};
use crate::launch::Launch;
use crate::log_format::{LineFormat, Stream};
use crate::log_tap::TapSource;
use crate::log_writer::{Destination, Writer};
use crate::options::StartSpec;
use crate::os::{Channel, Exit, Killer, Process};
use crate::output::Pump;

/// How long output may keep flowing after a process is gone (a descendant that left the
/// process group may hold the pipe open); past that the rest is abandoned.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(2);

pub struct Running {
    pub pid: u32,
    process: Process,
    channel: Option<Channel>,
    /// Set once the service said it handles the stop request itself (it registered
    /// `onstopping`); until then a stop is a SIGTERM.
    handles_stop: Arc<AtomicBool>,
    pumps: Vec<JoinHandle<()>>,
    listener: Option<JoinHandle<()>>,
    writers: Vec<Arc<Writer>>,
}

impl Running {
    /// Spawns the service. Must run inside the supervisor's runtime.
    pub async fn start(
        id: u64,
        spec: &StartSpec,
        launch: &Arc<Launch>,
        ctx: &Context,
    ) -> std::io::Result<Running> {
        let spawned = ctx.spawner.spawn(launch.clone(), spec.cwd.clone()).await?;
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
        let listener = spawned.channel.clone().map(|channel| {
            let flag = handles_stop.clone();
            let events = ctx.clone_sink();
            let name = spec.name.clone();
            tokio::spawn(async move {
                read_messages(&channel, |m| match m {
                    FromChild::HandlesStop => flag.store(true, Ordering::SeqCst),
                    FromChild::Message(message) => events(Event::Message {
                        id,
                        name: name.clone(),
                        pid,
                        message,
                    }),
                })
                .await
            })
        });

        Ok(Running {
            pid,
            process: spawned.process,
            channel: spawned.channel,
            handles_stop,
            pumps,
            listener,
            writers: vec![out, err],
        })
    }

    pub async fn wait(&mut self) -> Exit {
        self.process.wait().await
    }

    pub fn killer(&self) -> Killer {
        self.process.killer()
    }

    /// Asks the service to stop and waits up to `grace` before killing its process group.
    /// A service that handles the request hears it over its channel and runs its `onstopping`
    /// handlers; any other gets SIGTERM, which it may handle or die of at once.
    pub async fn stop(&mut self, grace: Duration) -> Exit {
        let asked = self.handles_stop.load(Ordering::SeqCst)
            && self
                .channel
                .as_ref()
                .is_some_and(|c| c.send_now(&ipc::stop_request()).is_ok());
        if !asked {
            self.process.terminate();
        }
        match tokio::time::timeout(grace, self.wait()).await {
            Ok(exit) => exit,
            Err(_) => {
                self.killer().kill_tree();
                self.wait().await
            }
        }
    }

    /// After the process exited: kills what is left of its group, lets the output drain and
    /// waits until every line is written.
    pub async fn finish(mut self) {
        self.killer().kill_tree();
        if let Some(l) = self.listener.take() {
            l.abort();
        }
        let deadline = tokio::time::Instant::now() + DRAIN_LIMIT;
        for pump in self.pumps.iter_mut() {
            if tokio::time::timeout_at(deadline, &mut *pump).await.is_err() {
                pump.abort();
            }
        }
        for w in &self.writers {
            w.flush().await;
        }
    }
}

/// Reads messages until the child closes its end of the channel.
async fn read_messages(channel: &Channel, mut on_message: impl FnMut(FromChild)) {
    let mut decoder = Decoder::default();
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n @ 1..) = channel.read(&mut buf).await {
        decoder.push(&buf[..n], &mut on_message);
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
