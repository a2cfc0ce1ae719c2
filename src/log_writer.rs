//! One writer per log destination (a file, or the main process's stdout or stderr), on its own
//! thread. Every service that logs to the same place sends whole-line batches to the same
//! writer, so lines from different processes never tear or interleave; a bounded queue slows a
//! service that prints faster than the disk takes instead of buffering without bound.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{mpsc, oneshot};

/// Where lines go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Destination {
    File(PathBuf),
    Stdout,
    Stderr,
}

/// Batches queued per writer before senders wait.
const QUEUE: usize = 64;
/// Bytes gathered from the queue into one write call.
const WRITE_CHUNK: usize = 1 << 20;

enum Msg {
    Lines(Vec<u8>),
    Flush(oneshot::Sender<()>),
}

/// A handle on one destination's writer. The writer thread ends once every handle is dropped
/// and everything queued is written.
pub struct Writer {
    tx: mpsc::Sender<Msg>,
}

impl Writer {
    /// Queues whole lines; waits while the queue is full.
    pub async fn write(&self, lines: Vec<u8>) {
        // An error means the writer thread is gone, which happens only at process exit.
        let _ = self.tx.send(Msg::Lines(lines)).await;
    }

    /// Resolves once everything queued before it is written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// The open writers, shared by all services.
#[derive(Default)]
pub struct LogWriters {
    open: Mutex<HashMap<Destination, Weak<Writer>>>,
}

impl LogWriters {
    /// The writer for `dest`, opening the file (and creating its directories) on first use.
    pub fn open(&self, dest: Destination) -> io::Result<Arc<Writer>> {
        let (key, sink) = match dest {
            Destination::File(path) => {
                let (key, file) = open_file(&path)?;
                (Destination::File(key), Sink::File(file))
            }
            Destination::Stdout => (Destination::Stdout, Sink::Fd(1)),
            Destination::Stderr => (Destination::Stderr, Sink::Fd(2)),
        };
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, w| w.strong_count() > 0);
        if let Some(w) = open.get(&key).and_then(Weak::upgrade) {
            return Ok(w);
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("elife-pm-log".into())
            .spawn(move || run(sink, rx))?;
        let writer = Arc::new(Writer { tx });
        open.insert(key, Arc::downgrade(&writer));
        Ok(writer)
    }
}

/// Opens `path` for appending, creating missing directories. The key is the canonical path, so
/// two spellings of one file share one writer.
fn open_file(path: &std::path::Path) -> io::Result<(PathBuf, File)> {
    let with_path = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let parent = path.parent().unwrap_or_else(|| std::path::Path::new("/"));
    std::fs::create_dir_all(parent).map_err(with_path)?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(with_path)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "log path has no file name"))?;
    let key = parent.canonicalize().map_err(with_path)?.join(name);
    Ok((key, file))
}

enum Sink {
    File(File),
    Fd(RawFd),
}

impl Sink {
    fn fd(&self) -> RawFd {
        match self {
            Sink::File(f) => f.as_raw_fd(),
            Sink::Fd(fd) => *fd,
        }
    }
}

fn run(sink: Sink, mut rx: mpsc::Receiver<Msg>) {
    let mut buf: Vec<u8> = Vec::with_capacity(WRITE_CHUNK);
    let mut flushed = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Lines(lines) if buf.is_empty() => buf = lines,
                Msg::Lines(lines) => buf.extend_from_slice(&lines),
                Msg::Flush(done) => flushed.push(done),
            }
            if buf.len() < WRITE_CHUNK {
                next = rx.try_recv().ok();
            }
        }
        // A write error (disk full, closed stdout) loses this batch; there is nowhere better
        // to put it, and the writer must keep serving the others.
        let _ = write_all(sink.fd(), &buf);
        buf.clear();
        for done in flushed.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes everything, waiting out a full pipe: Node may have made stdout non-blocking.
fn write_all(fd: RawFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: data is a valid slice; fd is owned by the sink for the thread's life.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n >= 0 {
            data = &data[n as usize..];
            continue;
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted => {}
            io::ErrorKind::WouldBlock => {
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut pfd, 1, 1000) };
            }
            _ => return Err(err),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn two_spellings_share_one_writer_and_lines_arrive_in_order() {
        let dir = std::env::temp_dir().join(format!("elife-pm-lw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let writers = LogWriters::default();
        let a = writers
            .open(Destination::File(dir.join("sub/x.log")))
            .unwrap();
        let b = writers
            .open(Destination::File(dir.join("sub/../sub/x.log")))
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..1000 {
            a.write(format!("{i}\n").into_bytes()).await;
        }
        a.flush().await;
        let text = std::fs::read_to_string(dir.join("sub/x.log")).unwrap();
        let got: Vec<usize> = text.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unwritable_path_names_the_path() {
        let e = LogWriters::default()
            .open(Destination::File("/proc/elife-pm/x.log".into()))
            .err()
            .unwrap();
        assert!(e.to_string().contains("/proc/elife-pm"), "{e}");
    }
}
