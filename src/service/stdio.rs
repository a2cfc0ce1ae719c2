//! A piped service's stdin and stdout in the app's hands (`stdio: 'pipe'`, `pm.stdio()`): one
//! pair per process, read and written on pm's runtime one chunk at a time as the app's streams
//! ask. Nothing is read before the app asks (what the service writes waits in its pipe, and a
//! service whose app does not read is slowed by that pipe), and nothing is polled: a read
//! waits on the runtime's reactor until the pipe has data.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{watch, Mutex};

use crate::os::{OutputPipe, StdinPipe};
use crate::service::instance::Piped;

/// The most one read hands to the app: all that the service's stdout pipe holds (pm widens it
/// to 1 MiB on Linux), so that a fast service's output crosses into JS in few, large chunks.
pub(crate) const CHUNK: usize = 1 << 20;

/// The stdout pipe, and the buffer each read goes through: made at the first read and reused,
/// and only what was read is copied out, so that a small message does not hold a whole chunk's
/// allocation until JS collects its Buffer.
struct Reader {
    pipe: OutputPipe,
    buf: Vec<u8>,
}

pub struct Stdio {
    /// The service (its entry id) and the process the pipes belong to.
    pub id: u64,
    pub pid: u32,
    stdin: Mutex<Option<StdinPipe>>,
    stdout: Mutex<Option<Reader>>,
    /// Set when the app is done with both (`close`): a read or write waiting ends.
    closed: watch::Sender<bool>,
    /// Set once a read found stdout's end (or the pair closed).
    finished: AtomicBool,
}

impl Stdio {
    pub(crate) fn new(id: u64, pid: u32, piped: Piped) -> Self {
        Stdio {
            id,
            pid,
            stdin: Mutex::new(Some(piped.stdin)),
            stdout: Mutex::new(Some(Reader {
                pipe: piped.stdout,
                buf: Vec::new(),
            })),
            closed: watch::Sender::new(false),
            finished: AtomicBool::new(false),
        }
    }

    /// Whether the app has read stdout's end (or closed the pair).
    pub(crate) fn finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }

    /// The next chunk of stdout, or `None` at its end (then [`Stdio::finished`] is true).
    pub async fn read(&self) -> io::Result<Option<Vec<u8>>> {
        let chunk = self.read_chunk().await;
        if matches!(chunk, Ok(None)) {
            self.finished.store(true, Ordering::SeqCst);
        }
        chunk
    }

    /// The next chunk of stdout, at most [`CHUNK`] bytes; `None` at its end (the process and
    /// whatever shared its stdout are gone and everything was read), or once closed.
    async fn read_chunk(&self) -> io::Result<Option<Vec<u8>>> {
        let mut stdout = self.stdout.lock().await;
        let Some(Reader { pipe, buf }) = stdout.as_mut() else {
            return Ok(None);
        };
        if buf.is_empty() {
            *buf = vec![0u8; CHUNK];
        }
        let mut closed = self.closed.subscribe();
        loop {
            tokio::select! {
                ready = pipe.readable() => ready?,
                _ = closed.wait_for(|c| *c) => return Ok(None),
            }
            match pipe.try_read(buf) {
                Ok(0) => return Ok(None),
                Ok(n) => return Ok(Some(buf[..n].to_vec())),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                // A broken pipe on Windows is the end of the data.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes all of `data` to stdin, waiting while the pipe is full; an error once the
    /// process is gone (the pipe is broken) or stdin was ended.
    pub async fn write(&self, data: &[u8]) -> io::Result<()> {
        let stdin = self.stdin.lock().await;
        let Some(pipe) = stdin.as_ref() else {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "stdin was ended (end() or destroy())",
            ));
        };
        let mut closed = self.closed.subscribe();
        let mut rest = data;
        while !rest.is_empty() {
            tokio::select! {
                ready = pipe.writable() => ready?,
                _ = closed.wait_for(|c| *c) => {
                    return Err(io::Error::new(io::ErrorKind::BrokenPipe, "stdin was closed"));
                }
            }
            match pipe.try_write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Closes stdin: the service reads its end (after what was written before).
    pub async fn end_stdin(&self) {
        self.stdin.lock().await.take();
    }

    /// The app is done with both: closes what is still open (a read or write under way ends
    /// first).
    pub async fn close(&self) {
        self.finished.store(true, Ordering::SeqCst);
        self.closed.send_replace(true);
        self.stdin.lock().await.take();
        self.stdout.lock().await.take();
    }
}
