//! A piped service's stdin and stdout in the app's hands (`stdio: 'pipe'`, `pm.stdio()`): one
//! pair per process, read and written one chunk at a time as the app's streams ask. Nothing is
//! read before the app asks (what the service writes waits in its pipe, and a service whose
//! app does not read is slowed by that pipe), and nothing is polled.
//!
//! Each read or write is tried on the caller's (JS) thread first, without waiting, as libuv
//! does for Node's own pipes: a busy pipe then costs one system call, not a trip to pm's
//! runtime and back. Only when the pipe is empty (or full) does the call wait on the runtime's
//! reactor. A pipe that fills gets wider while the process's budget lasts (`os::BUSY_PIPE`).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{watch, Mutex};

use crate::os::{OutputPipe, ReadPipe, StdinPipe, WidePipe};

/// A piped service's stdin and stdout as its spawn gives them, until the app takes them.
pub(crate) struct Piped {
    pub(crate) stdin: StdinPipe,
    pub(crate) stdout: OutputPipe,
}

/// The most one read hands to the app: all that the service's stdout pipe holds (pm widens it
/// to 1 MiB on Linux once it fills), so that a fast service's output crosses into JS in few,
/// large chunks.
pub(crate) const CHUNK: usize = 1 << 20;

/// The stdout pipe. Each read goes into a new, uninitialised chunk that is handed to JS as it
/// is (no copy); one that got little is shrunk first, so that a small message does not hold a
/// whole chunk's allocation until JS collects its Buffer.
struct Reader {
    pipe: OutputPipe,
    wide: Option<WidePipe>,
}

/// Whether a read or write may wait on the runtime's reactor (`Wait`: after `readable()` or
/// `writable()`), or is tried on the caller's thread as it is (`Now`).
#[derive(Clone, Copy)]
enum How {
    Wait,
    Now,
}

impl Reader {
    /// One read without waiting: `Ok(None)` at the end, `WouldBlock` when nothing is there.
    fn try_read(&mut self, how: How) -> io::Result<Option<Vec<u8>>> {
        let mut chunk = Vec::with_capacity(CHUNK);
        let read = match how {
            How::Wait => self.pipe.try_read_buf(&mut chunk),
            How::Now => crate::os::read_now(&self.pipe, &mut chunk),
        };
        match read {
            Ok(0) => Ok(None),
            Ok(n) => {
                if n >= crate::os::BUSY_PIPE && self.wide.is_none() {
                    self.wide = self.pipe.widen();
                }
                if n < CHUNK / 4 {
                    chunk.shrink_to_fit();
                }
                Ok(Some(chunk))
            }
            // A broken pipe on Windows is the end of the data.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The stdin pipe.
struct Writer {
    pipe: StdinPipe,
    wide: Option<WidePipe>,
}

impl Writer {
    /// Writes what the pipe takes now; `WouldBlock` when it took nothing. A full pipe is
    /// widened (once, while the budget lasts) and tried again.
    fn try_write(&mut self, data: &[u8], how: How) -> io::Result<usize> {
        let write = |pipe: &StdinPipe| match how {
            How::Wait => pipe.try_write(data),
            How::Now => crate::os::write_now(pipe, data),
        };
        match write(&self.pipe) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && self.wide.is_none() => {
                self.wide = crate::os::widen_stdin(&self.pipe);
                if self.wide.is_some() {
                    write(&self.pipe)
                } else {
                    Err(e)
                }
            }
            done => done,
        }
    }
}

/// What a read that does not wait found.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadNow {
    Data(Vec<u8>),
    /// Stdout's end: nothing more will come.
    End,
    /// Nothing yet (or another read is under way): wait with [`Stdio::read`].
    Empty,
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

fn ended() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "stdin was ended (end() or destroy())",
    )
}

pub struct Stdio {
    /// The service (its entry id) and the process the pipes belong to.
    pub id: u64,
    pub pid: u32,
    stdin: Mutex<Option<Writer>>,
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
            stdin: Mutex::new(Some(Writer {
                pipe: piped.stdin,
                wide: None,
            })),
            stdout: Mutex::new(Some(Reader {
                pipe: piped.stdout,
                wide: None,
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
        let Some(reader) = stdout.as_mut() else {
            return Ok(None);
        };
        let mut closed = self.closed.subscribe();
        loop {
            tokio::select! {
                ready = reader.pipe.readable() => ready?,
                _ = closed.wait_for(|c| *c) => return Ok(None),
            }
            match reader.try_read(How::Wait) {
                Err(e) if would_block(&e) => {}
                read => return read,
            }
        }
    }

    /// A chunk of stdout if one is there now, on the caller's thread.
    pub fn read_now(&self) -> io::Result<ReadNow> {
        let Ok(mut stdout) = self.stdout.try_lock() else {
            return Ok(ReadNow::Empty);
        };
        let Some(reader) = stdout.as_mut() else {
            self.finished.store(true, Ordering::SeqCst);
            return Ok(ReadNow::End);
        };
        match reader.try_read(How::Now) {
            Ok(Some(chunk)) => Ok(ReadNow::Data(chunk)),
            Ok(None) => {
                self.finished.store(true, Ordering::SeqCst);
                Ok(ReadNow::End)
            }
            Err(e) if would_block(&e) => Ok(ReadNow::Empty),
            Err(e) => Err(e),
        }
    }

    /// Writes all of `data` to stdin, waiting while the pipe is full; an error once the
    /// process is gone (the pipe is broken) or stdin was ended.
    pub async fn write(&self, data: &[u8]) -> io::Result<()> {
        let mut stdin = self.stdin.lock().await;
        let Some(writer) = stdin.as_mut() else {
            return Err(ended());
        };
        let mut closed = self.closed.subscribe();
        let mut rest = data;
        while !rest.is_empty() {
            tokio::select! {
                ready = writer.pipe.writable() => ready?,
                _ = closed.wait_for(|c| *c) => {
                    return Err(io::Error::new(io::ErrorKind::BrokenPipe, "stdin was closed"));
                }
            }
            match writer.try_write(rest, How::Wait) {
                Ok(n) => rest = &rest[n..],
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes what stdin's pipe takes now, on the caller's thread: how many bytes (0 when the
    /// pipe is full, or a write is under way: the rest goes through [`Stdio::write`]).
    pub fn write_now(&self, data: &[u8]) -> io::Result<usize> {
        let Ok(mut stdin) = self.stdin.try_lock() else {
            return Ok(0);
        };
        let Some(writer) = stdin.as_mut() else {
            return Err(ended());
        };
        let mut done = 0;
        while done < data.len() {
            match writer.try_write(&data[done..], How::Now) {
                Ok(n) => done += n,
                Err(e) if would_block(&e) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
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

#[cfg(all(test, unix))]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// A pair over two plain pipes: what the test writes as "the service" and reads back.
    fn pair() -> (Stdio, std::io::PipeReader, std::io::PipeWriter) {
        let (service_stdin, app_stdin) = std::io::pipe().unwrap();
        let (app_stdout, service_stdout) = std::io::pipe().unwrap();
        let piped = Piped {
            stdin: StdinPipe::from_owned_fd(app_stdin.into()).unwrap(),
            stdout: OutputPipe::from_owned_fd(app_stdout.into()).unwrap(),
        };
        (Stdio::new(1, 2, piped), service_stdin, service_stdout)
    }

    #[tokio::test]
    async fn reads_and_writes_that_do_not_wait_then_the_end() {
        let (stdio, mut service_in, mut service_out) = pair();
        assert_eq!(
            stdio.read_now().unwrap(),
            ReadNow::Empty,
            "nothing written yet"
        );
        service_out.write_all(b"hello").unwrap();
        assert_eq!(stdio.read_now().unwrap(), ReadNow::Data(b"hello".to_vec()));
        assert_eq!(stdio.read_now().unwrap(), ReadNow::Empty);

        assert_eq!(stdio.write_now(b"ping").unwrap(), 4);
        let mut got = [0u8; 4];
        service_in.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ping");

        drop(service_out);
        assert!(!stdio.finished());
        assert_eq!(stdio.read_now().unwrap(), ReadNow::End);
        assert!(stdio.finished());
    }

    #[tokio::test]
    async fn a_full_stdin_takes_what_fits_and_the_rest_waits_for_the_reader() {
        let (stdio, mut service_in, _service_out) = pair();
        let data: Vec<u8> = (0..4u32 << 20).map(|i| i as u8).collect();
        let taken = stdio.write_now(&data).unwrap();
        assert!(taken > 0 && taken < data.len(), "took {taken}");
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            service_in.read_to_end(&mut all).unwrap();
            all
        });
        stdio.write(&data[taken..]).await.unwrap();
        stdio.end_stdin().await;
        assert_eq!(reader.join().unwrap(), data, "every byte, in order");
    }

    #[tokio::test]
    async fn after_the_reader_is_gone_a_write_is_a_broken_pipe() {
        let (stdio, service_in, _service_out) = pair();
        drop(service_in);
        let e = stdio.write_now(b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        stdio.end_stdin().await;
        let e = stdio.write_now(b"x").unwrap_err();
        assert!(e.to_string().contains("stdin was ended"), "{e}");
    }
}
