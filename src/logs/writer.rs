//! The log threads and the handles services write through. One writer per destination (a
//! file, or the main process's stdout or stderr); every service that logs to the same place
//! sends whole-line batches to the same writer, so lines from different processes never tear
//! or interleave. A fixed set of threads does all the writing, however many destinations
//! there are: [`FILE_THREADS`] for files (a file always goes to the same one, by its path) and
//! one for the main process's stdout and stderr, so a stalled terminal never holds up a file.
//! Each destination has a bounded queue: a service that prints faster than the disk takes is
//! slowed down instead of buffered without bound.
//!
//! What a destination does with its lines (rotation, path following, loss counting) is the
//! sink's (`sink.rs`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio::sync::{oneshot, Semaphore};

use crate::events::Event;
use crate::logs::rotation::Rotation;
use crate::logs::sink::{FileSink, Opened, Sink};
use crate::logs::Report;
use crate::os::log_file::{self as fs, Std};
use crate::sync::lock;

/// Where lines go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Destination {
    File(PathBuf),
    Stdout,
    Stderr,
}

/// Threads that write log files. Writing is copying into the page cache: two keep up with any
/// number of services (a flood of one shared file runs at the disk's pace on one of them).
pub(crate) const FILE_THREADS: usize = 2;
/// Batches queued per destination before its senders wait (a batch is at most
/// `pump::MAX_BATCH`).
const QUEUE: usize = 16;
/// Bytes gathered from the queue into one round of writes.
const WRITE_CHUNK: usize = 1 << 20;

enum Msg {
    Open {
        dest: u64,
        sink: Sink,
        slots: Arc<Semaphore>,
        pending: Arc<AtomicUsize>,
    },
    Lines {
        dest: u64,
        lines: Vec<u8>,
    },
    Flush(oneshot::Sender<()>),
    Close {
        dest: u64,
    },
}

/// A handle on one destination's writer. Its sink closes once every handle is dropped and
/// everything queued is written.
pub(crate) struct Writer {
    dest: u64,
    thread: std_mpsc::Sender<Msg>,
    /// Free places in this destination's queue.
    slots: Arc<Semaphore>,
    /// Batches queued and not yet written. A flush with none pending returns at once: a quiet
    /// service's exit (and a stopall of many) needs no round trip through the log thread,
    /// which runs at a lower priority and may wait for a CPU.
    pending: Arc<AtomicUsize>,
}

impl Writer {
    /// Queues whole lines; waits while this destination's queue is full.
    pub(crate) async fn write(&self, lines: Vec<u8>) {
        // The count goes up only with a place in hand, so a write cancelled while it waits for
        // one leaves nothing counted.
        let Ok(slot) = self.slots.acquire().await else {
            return;
        };
        slot.forget();
        self.pending.fetch_add(1, Ordering::SeqCst);
        let dest = self.dest;
        if self.thread.send(Msg::Lines { dest, lines }).is_err() {
            // The log thread is gone, which happens only at process exit.
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Resolves once everything queued before it is written.
    pub(crate) async fn flush(&self) {
        // Every batch queued before this call was counted before its write() returned, and is
        // uncounted only once written.
        if self.pending.load(Ordering::SeqCst) == 0 {
            return;
        }
        let (tx, rx) = oneshot::channel();
        if self.thread.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.thread.send(Msg::Close { dest: self.dest });
    }
}

/// The open writers, shared by all services, and the threads that serve them.
pub(crate) struct LogWriters {
    open: Mutex<HashMap<Destination, Weak<Writer>>>,
    files: [OnceLock<std_mpsc::Sender<Msg>>; FILE_THREADS],
    std: OnceLock<std_mpsc::Sender<Msg>>,
    next: AtomicU64,
    /// Where the writers report what went wrong (lines lost, a log that cannot be reopened).
    report: Report,
}

impl LogWriters {
    /// Writers whose faults go to `report` (as the app's `'error'` events).
    pub(crate) fn new(report: impl Fn(Event) + Send + Sync + 'static) -> Self {
        LogWriters {
            open: Mutex::default(),
            files: Default::default(),
            std: OnceLock::new(),
            next: AtomicU64::new(1),
            report: Arc::new(report),
        }
    }

    /// The writer for `dest`, opening the file (and creating its directories) on first use.
    /// A file's rotation settings are those of whoever opened it first. The file is opened
    /// again on every call, so that a path whose file was removed names a file at once; the
    /// shared writer moves to it with its next batch.
    pub(crate) fn open(&self, dest: Destination, rotation: Rotation) -> io::Result<Arc<Writer>> {
        let (key, sink) = match dest {
            Destination::File(path) => {
                let (key, opened) = open_file(&path)?;
                let sink = FileSink::new(key.clone(), opened, rotation, self.report.clone());
                (Destination::File(key), Sink::File(Box::new(sink)))
            }
            Destination::Stdout => (Destination::Stdout, Sink::Std(Std::Out)),
            Destination::Stderr => (Destination::Stderr, Sink::Std(Std::Err)),
        };
        let mut open = lock(&self.open);
        open.retain(|_, w| w.strong_count() > 0);
        if let Some(w) = open.get(&key).and_then(Weak::upgrade) {
            return Ok(w);
        }
        let thread = self.thread_for(&key)?;
        let dest = self.next.fetch_add(1, Ordering::Relaxed);
        let slots = Arc::new(Semaphore::new(QUEUE));
        let pending = Arc::new(AtomicUsize::new(0));
        thread
            .send(Msg::Open {
                dest,
                sink,
                slots: slots.clone(),
                pending: pending.clone(),
            })
            .map_err(|_| io::Error::other("the elife-pm log thread is gone"))?;
        let writer = Arc::new(Writer {
            dest,
            thread,
            slots,
            pending,
        });
        open.insert(key, Arc::downgrade(&writer));
        Ok(writer)
    }

    /// The thread that writes `key`, started on first use.
    fn thread_for(&self, key: &Destination) -> io::Result<std_mpsc::Sender<Msg>> {
        let (slot, name) = match key {
            Destination::File(path) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                path.hash(&mut h);
                (
                    &self.files[h.finish() as usize % FILE_THREADS],
                    "elife-pm-log",
                )
            }
            _ => (&self.std, "elife-pm-stdio"),
        };
        if let Some(tx) = slot.get() {
            return Ok(tx.clone());
        }
        let (tx, rx) = std_mpsc::channel();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || run(rx))?;
        // Callers hold `open`'s lock, so no other thread starts one for the same slot.
        Ok(slot.get_or_init(|| tx).clone())
    }
}

/// Opens `path` for appending, creating missing directories. The key is the canonical path, so
/// two spellings of one file share one writer.
fn open_file(path: &Path) -> io::Result<(PathBuf, Opened)> {
    let with_path = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "log path has no file name"))?;
    let parent = path.parent().unwrap_or_else(|| Path::new("/"));
    std::fs::create_dir_all(parent).map_err(with_path)?;
    let opened = fs::open_log(path)?;
    let key = parent.canonicalize().map_err(with_path)?.join(name);
    Ok((key, opened))
}

/// A destination as its log thread keeps it.
struct Open {
    sink: Sink,
    slots: Arc<Semaphore>,
    pending: Arc<AtomicUsize>,
}

/// A log thread: takes what is queued (up to [`WRITE_CHUNK`] bytes) in one round, writes each
/// destination's lines in one call, then answers the flushes of that round.
fn run(rx: std_mpsc::Receiver<Msg>) {
    crate::os::priority::lower_this_thread();
    let mut dests: HashMap<u64, Open> = HashMap::new();
    // Per destination: its lines of this round and how many batches they were. No buffer of
    // its own: the first batch of a round becomes the buffer.
    let mut round: HashMap<u64, (Vec<u8>, usize)> = HashMap::new();
    let mut flushed = Vec::new();
    let mut closed = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        let mut bytes = 0;
        while let Some(msg) = next.take() {
            match msg {
                Msg::Open {
                    dest,
                    sink,
                    slots,
                    pending,
                } => {
                    dests.insert(
                        dest,
                        Open {
                            sink,
                            slots,
                            pending,
                        },
                    );
                }
                Msg::Lines { dest, lines } => {
                    bytes += lines.len();
                    let (buf, batches) = round.entry(dest).or_default();
                    *batches += 1;
                    if buf.is_empty() {
                        *buf = lines;
                    } else {
                        buf.extend_from_slice(&lines);
                    }
                }
                Msg::Flush(done) => flushed.push(done),
                Msg::Close { dest } => closed.push(dest),
            }
            if bytes < WRITE_CHUNK {
                next = rx.try_recv().ok();
            }
        }
        for (dest, (buf, batches)) in round.drain() {
            if let Some(d) = dests.get_mut(&dest) {
                d.sink.write(&buf);
                // Written (or reported lost): a flush from now on need not wait for these.
                d.pending.fetch_sub(batches, Ordering::SeqCst);
                d.slots.add_permits(batches);
            }
        }
        for done in flushed.drain(..) {
            let _ = done.send(());
        }
        for dest in closed.drain(..) {
            dests.remove(&dest);
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
        let writers = LogWriters::new(|_| {});
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
        // Every batch was counted out again: the next flush of a quiet writer costs nothing.
        assert_eq!(a.pending.load(Ordering::SeqCst), 0);
        let text = std::fs::read_to_string(dir.join("sub/x.log")).unwrap();
        let got: Vec<usize> = text.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unwritable_path_names_the_path() {
        let e = LogWriters::new(|_| {})
            .open(
                Destination::File("/proc/elife-pm/x.log".into()),
                Rotation::default(),
            )
            .err()
            .unwrap();
        assert!(e.to_string().contains("/proc/elife-pm"), "{e}");
    }

    #[cfg(unix)]
    type Seen = Arc<Mutex<Vec<Event>>>;

    #[cfg(unix)]
    fn collect() -> (impl Fn(Event) + Send + Sync + 'static, Seen) {
        let seen = Seen::default();
        let s = seen.clone();
        (move |e| s.lock().unwrap().push(e), seen)
    }

    // Unix only: Windows refuses to remove a directory while the writer holds a file in it open.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_removed_directory_is_recreated_and_written_where_the_path_points() {
        let dir = std::env::temp_dir().join(format!("elife-pm-gone-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("d/x.log");
        let (sink, seen) = collect();
        let writers = LogWriters::new(sink);
        let w = writers
            .open(Destination::File(path.clone()), Rotation::default())
            .unwrap();
        w.write(b"before\n".to_vec()).await;
        w.flush().await;
        std::fs::remove_dir_all(&dir).unwrap();
        w.write(b"after\n".to_vec()).await;
        w.flush().await;
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "after\n");
        // Removed again, then a second service opens the same path: one writer, one new file.
        std::fs::remove_dir_all(&dir).unwrap();
        let again = writers
            .open(Destination::File(path.clone()), Rotation::default())
            .unwrap();
        assert!(Arc::ptr_eq(&w, &again));
        again.write(b"second\n".to_vec()).await;
        again.flush().await;
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second\n");
        assert!(
            seen.lock().unwrap().is_empty(),
            "{:?}",
            seen.lock().unwrap()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn rotation_renames_and_loses_no_line() {
        let dir = std::env::temp_dir().join(format!("elife-pm-rot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("r.log");
        let rotation = Rotation {
            max_size: Some(1000),
            keep: 3,
            compress: false,
        };
        let w = LogWriters::new(|_| {})
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
