//! One writer per log destination (a file, or the main process's stdout or stderr), on its own
//! thread. Every service that logs to the same place sends whole-line batches to the same
//! writer, so lines from different processes never tear or interleave; a bounded queue slows a
//! service that prints faster than the disk takes instead of buffering without bound.
//!
//! Rotation happens here too, by rename and reopen between two writes (`x.log` → `x.log.1` →
//! … `x.log.N`), never by copy-and-truncate, and never inside a line.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
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

/// Batches queued per writer before senders wait (a batch is at most `output::MAX_BATCH`).
const QUEUE: usize = 16;
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

/// When a log file is rotated: `logMaxSize` and `logKeep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Rotate before the file would grow past this many bytes; `None` never rotates.
    pub max_size: Option<u64>,
    /// How many old files to keep (`x.log.1` is the newest).
    pub keep: u32,
}

pub const DEFAULT_KEEP: u32 = 5;

/// By default nothing rotates: rotation deletes the oldest lines, and pm loses no line unless
/// the app asks for a bound on disk use.
impl Default for Rotation {
    fn default() -> Self {
        Rotation {
            max_size: None,
            keep: DEFAULT_KEEP,
        }
    }
}

/// How many bytes of `buf` (whole lines) fit in `room`: up to and including the last newline
/// that does. 0 when not even one line fits.
pub fn fit(buf: &[u8], room: usize) -> usize {
    if buf.len() <= room {
        return buf.len();
    }
    buf[..room]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The open writers, shared by all services.
#[derive(Default)]
pub struct LogWriters {
    open: Mutex<HashMap<Destination, Weak<Writer>>>,
}

impl LogWriters {
    /// The writer for `dest`, opening the file (and creating its directories) on first use.
    /// A file's rotation settings are those of whoever opened it first.
    pub fn open(&self, dest: Destination, rotation: Rotation) -> io::Result<Arc<Writer>> {
        let (key, sink) = match dest {
            Destination::File(path) => {
                let (key, file) = open_file(&path)?;
                let size = file.metadata()?.len();
                let sink = Sink::File(FileSink {
                    path: key.clone(),
                    file,
                    size,
                    rotation,
                });
                (Destination::File(key), sink)
            }
            Destination::Stdout => (Destination::Stdout, Sink::Stdout),
            Destination::Stderr => (Destination::Stderr, Sink::Stderr),
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
    File(FileSink),
    Stdout,
    Stderr,
}

impl Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::File(f) => f.write(buf),
            // The main process's own stdout and stderr: Node may have made them non-blocking.
            Sink::Stdout => crate::os::stdio::write_all_stdout(buf),
            Sink::Stderr => crate::os::stdio::write_all_stderr(buf),
        }
    }
}

struct FileSink {
    path: PathBuf,
    file: File,
    size: u64,
    rotation: Rotation,
}

impl FileSink {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while let Some(max) = self.rotation.max_size {
            let room = usize::try_from(max.saturating_sub(self.size)).unwrap_or(usize::MAX);
            let mut cut = fit(buf, room);
            if cut == buf.len() {
                break;
            }
            if cut == 0 && self.size == 0 {
                // One line longer than the limit: it gets a file of its own.
                cut = buf
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(buf.len(), |i| i + 1);
            }
            self.file.write_all(&buf[..cut])?;
            self.size += cut as u64;
            buf = &buf[cut..];
            self.rotate()?;
            if buf.is_empty() {
                return Ok(());
            }
        }
        self.file.write_all(buf)?;
        self.size += buf.len() as u64;
        Ok(())
    }

    /// `x.log.N-1` → `x.log.N`, …, `x.log` → `x.log.1`, then a fresh `x.log`. Renames keep every
    /// line: a reader holding the old file still sees all of it.
    fn rotate(&mut self) -> io::Result<()> {
        let numbered = |i: u32| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{i}"));
            PathBuf::from(p)
        };
        if self.rotation.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            for i in (1..self.rotation.keep).rev() {
                match std::fs::rename(numbered(i), numbered(i + 1)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

fn run(mut sink: Sink, mut rx: mpsc::Receiver<Msg>) {
    crate::os::priority::lower_this_thread();
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
        let _ = sink.write(&buf);
        buf.clear();
        for done in flushed.drain(..) {
            let _ = done.send(());
        }
    }
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
            .open(
                Destination::File(dir.join("sub/x.log")),
                Rotation::default(),
            )
            .unwrap();
        let b = writers
            .open(
                Destination::File(dir.join("sub/../sub/x.log")),
                Rotation::default(),
            )
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
            .open(
                Destination::File("/proc/elife-pm/x.log".into()),
                Rotation::default(),
            )
            .err()
            .unwrap();
        assert!(e.to_string().contains("/proc/elife-pm"), "{e}");
    }

    #[test]
    fn fit_cuts_after_the_last_whole_line() {
        assert_eq!(fit(b"ab\ncd\n", 10), 6);
        assert_eq!(fit(b"ab\ncd\n", 5), 3);
        assert_eq!(fit(b"ab\ncd\n", 6), 6);
        assert_eq!(fit(b"abcd\n", 3), 0);
    }

    #[tokio::test]
    async fn rotation_renames_and_loses_no_line() {
        let dir = std::env::temp_dir().join(format!("elife-pm-rot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("r.log");
        let rotation = Rotation {
            max_size: Some(1000),
            keep: 3,
        };
        let w = LogWriters::default()
            .open(Destination::File(path.clone()), rotation)
            .unwrap();
        // 300 lines of 10 bytes: 3000 bytes, so three full files and the current one.
        for i in 0..300 {
            w.write(format!("line {i:04}\n").into_bytes()).await;
        }
        w.flush().await;
        let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
        let name = |i: u32| dir.join(format!("r.log.{i}"));
        assert!(!name(4).exists(), "no more than logKeep old files");
        let mut all = String::new();
        for p in [name(3), name(2), name(1), path.clone()] {
            let text = read(&p);
            assert!(
                text.len() <= 1000,
                "{} has {} bytes",
                p.display(),
                text.len()
            );
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "a file ends inside a line"
            );
            all.push_str(&text);
        }
        let got: Vec<usize> = all.lines().map(|l| l[5..].parse().unwrap()).collect();
        assert_eq!(got, (0..300).collect::<Vec<_>>());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
