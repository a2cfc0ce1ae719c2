//! One writer per log destination (a file, or the main process's stdout or stderr), on its own
//! thread. Every service that logs to the same place sends whole-line batches to the same
//! writer, so lines from different processes never tear or interleave; a bounded queue slows a
//! service that prints faster than the disk takes instead of buffering without bound.
//!
//! Rotation happens here too, by rename and reopen between two writes (`x.log` → `x.log.1` →
//! … `x.log.N`), never by copy-and-truncate, and never inside a line.
//!
//! Faults: a path that is not a regular file is refused at open (never blocked on); a file
//! whose path was removed or replaced is reopened where the path points now (checked once per
//! batch); a write that fails (a full disk) is cut back to its last whole line, reported once
//! per episode as an `'error'` event with a count of lost lines, and reported again, with the
//! total, once writing works again.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio::sync::{mpsc, oneshot};

use crate::context::Context;
use crate::events::Event;
use crate::os::log_file::{self as fs, FileId, PartialWrite, Std};

/// Where writers report a log file's faults. Set once the context exists (see
/// [`LogWriters::report_to`]); until then, and in tests without one, reports go nowhere.
type Report = Arc<OnceLock<Arc<dyn Fn(Event) + Send + Sync>>>;

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
    /// Batches queued and not yet written. A flush with none pending returns at once: a quiet
    /// service's exit (and a stopall of many) needs no round trip through the writer thread,
    /// which runs at a lower priority and may wait for a CPU.
    pending: Arc<AtomicUsize>,
}

impl Writer {
    /// Queues whole lines; waits while the queue is full.
    pub async fn write(&self, lines: Vec<u8>) {
        // An error means the writer thread is gone, which happens only at process exit. The
        // count goes up only with a slot in hand, so a write cancelled while it waits for one
        // leaves nothing counted.
        if let Ok(slot) = self.tx.reserve().await {
            self.pending.fetch_add(1, Ordering::SeqCst);
            slot.send(Msg::Lines(lines));
        }
    }

    /// Resolves once everything queued before it is written.
    pub async fn flush(&self) {
        // Every batch queued before this call was counted before its write() returned, and is
        // uncounted only once written.
        if self.pending.load(Ordering::SeqCst) == 0 {
            return;
        }
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

/// How many lines `data` holds: its newlines, plus a last line without one.
pub fn lines_in(data: &[u8]) -> u64 {
    let n = data.iter().filter(|&&b| b == b'\n').count() as u64;
    n + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// The bytes of `data` up to and including its last newline: what may stay in a file after a
/// write that stopped partway.
pub fn whole_lines(data: &[u8]) -> usize {
    data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

/// The rotated file that `x.log.1` moves into: the first number from 1 that names no file, or
/// `keep` (which is replaced). Only files that exist are renamed, so a rotation costs what is
/// on disk, not what `keep` allows.
pub fn first_free(keep: u32, exists: impl Fn(u32) -> bool) -> u32 {
    (1..keep).find(|&i| !exists(i)).unwrap_or(keep)
}

/// Lines that could not be written, counted per episode: the first failure and the first
/// success after failures are what the app hears of.
#[derive(Debug, Default)]
pub struct Losses {
    /// Lines lost in the current episode; `None` while writing works.
    lost: Option<u64>,
}

impl Losses {
    /// Counts `lines` as lost; true when this starts an episode (time to report).
    pub fn failed(&mut self, lines: u64) -> bool {
        let first = self.lost.is_none();
        *self.lost.get_or_insert(0) += lines;
        first
    }

    /// A batch was written: ends an episode, returning how many lines it lost.
    pub fn succeeded(&mut self) -> Option<u64> {
        self.lost.take()
    }
}

/// The open writers, shared by all services.
#[derive(Default)]
pub struct LogWriters {
    open: Mutex<HashMap<Destination, Weak<Writer>>>,
    /// The writers for the main process's stdout and stderr, once opened, are kept for good
    /// (two threads at most): a service that restarts with no other service printing would
    /// otherwise start a writer thread anew between its spawn and its start event.
    std: Mutex<Vec<Arc<Writer>>>,
    /// Where the writers report what went wrong (lines lost, a log that cannot be reopened).
    report: Report,
}

impl LogWriters {
    /// Writers that report to `report` (tests).
    pub fn new(report: impl Fn(Event) + Send + Sync + 'static) -> Self {
        let w = LogWriters::default();
        let _ = w.report.set(Arc::new(report));
        w
    }

    /// Reports go out as the context's events (counted for the keep-alive like any other).
    /// The context owns these writers, so they hold it weakly.
    pub fn report_to(&self, ctx: &Arc<Context>) {
        let ctx = Arc::downgrade(ctx);
        let _ = self.report.set(Arc::new(move |e| {
            if let Some(ctx) = ctx.upgrade() {
                ctx.emit(e)
            }
        }));
    }

    /// The writer for `dest`, opening the file (and creating its directories) on first use.
    /// A file's rotation settings are those of whoever opened it first. The file is opened
    /// again on every call, so that a path whose file was removed names a file at once; the
    /// shared writer moves to it with its next batch.
    pub fn open(&self, dest: Destination, rotation: Rotation) -> io::Result<Arc<Writer>> {
        let (key, sink) = match dest {
            Destination::File(path) => {
                let (key, opened) = open_file(&path)?;
                let sink = Sink::File(Box::new(FileSink::new(
                    key.clone(),
                    opened,
                    rotation,
                    self.report.clone(),
                )));
                (Destination::File(key), sink)
            }
            Destination::Stdout => (Destination::Stdout, Sink::Std(Std::Out)),
            Destination::Stderr => (Destination::Stderr, Sink::Std(Std::Err)),
        };
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, w| w.strong_count() > 0);
        if let Some(w) = open.get(&key).and_then(Weak::upgrade) {
            return Ok(w);
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let pending = Arc::new(AtomicUsize::new(0));
        let written = pending.clone();
        std::thread::Builder::new()
            .name("elife-pm-log".into())
            .spawn(move || run(sink, rx, &written))?;
        let writer = Arc::new(Writer { tx, pending });
        if !matches!(key, Destination::File(_)) {
            self.std
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(writer.clone());
        }
        open.insert(key, Arc::downgrade(&writer));
        Ok(writer)
    }
}

type Opened = (File, u64, FileId);

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

enum Sink {
    File(Box<FileSink>),
    Std(Std),
}

impl Sink {
    fn write(&mut self, buf: &[u8]) {
        match self {
            Sink::File(f) => f.write_batch(buf),
            // A closed or failing stdout has nowhere to report to.
            Sink::Std(stream) => {
                let _ = fs::write_std(*stream, buf);
            }
        }
    }
}

struct FileSink {
    path: PathBuf,
    file: File,
    /// Which file `file` is, to notice when `path` names another one (or none).
    id: FileId,
    size: u64,
    rotation: Rotation,
    losses: Losses,
    /// Set once a failed reopen or rotation was reported, until one works again.
    reopen_reported: bool,
    rotate_reported: bool,
    report: Report,
}

/// A write that stopped partway: why, and how many lines of the batch were lost.
struct Failure {
    error: io::Error,
    lost: u64,
}

impl FileSink {
    fn new(path: PathBuf, (file, size, id): Opened, rotation: Rotation, report: Report) -> Self {
        FileSink {
            path,
            file,
            id,
            size,
            rotation,
            losses: Losses::default(),
            reopen_reported: false,
            rotate_reported: false,
            report,
        }
    }

    /// A shared log has no single service: the event carries id 0 and no name.
    fn report(&self, message: String) {
        if let Some(report) = self.report.get() {
            report(Event::Error {
                id: 0,
                name: None,
                message,
            })
        }
    }

    fn write_batch(&mut self, buf: &[u8]) {
        self.follow_path();
        match self.write(buf) {
            Ok(()) => {
                if let Some(lost) = self.losses.succeeded() {
                    self.report(format!(
                        "log file {} is written again; {lost} line{} could not be written before",
                        self.path.display(),
                        if lost == 1 { "" } else { "s" }
                    ));
                }
            }
            Err(f) => {
                if self.losses.failed(f.lost) {
                    self.report(format!(
                        "cannot write log file {}: {}; {} line{} lost (more are counted until \
                         writing works again)",
                        self.path.display(),
                        f.error,
                        f.lost,
                        if f.lost == 1 { " is" } else { "s are" }
                    ));
                }
            }
        }
    }

    /// When the path no longer names the open file (its directory was removed, or someone
    /// moved the file away), writes go where the path points now, recreating what is missing.
    fn follow_path(&mut self) {
        if fs::id_of_path(&self.path) == Some(self.id) {
            return;
        }
        let reopened = self
            .path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| fs::open_log(&self.path));
        match reopened {
            Ok((file, size, id)) => {
                self.file = file;
                self.size = size;
                self.id = id;
                self.reopen_reported = false;
            }
            Err(e) => {
                if !self.reopen_reported {
                    self.reopen_reported = true;
                    self.report(format!(
                        "log file {} was removed or replaced and cannot be opened again ({e}); \
                         lines go to the file it was",
                        self.path.display()
                    ));
                }
            }
        }
    }

    fn write(&mut self, buf: &[u8]) -> Result<(), Failure> {
        let mut rest = buf;
        while let Some(max) = self.rotation.max_size {
            let room = usize::try_from(max.saturating_sub(self.size)).unwrap_or(usize::MAX);
            let mut cut = fit(rest, room);
            if cut == rest.len() {
                break;
            }
            if cut == 0 && self.size == 0 {
                // One line longer than the limit: it gets a file of its own.
                cut = rest
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |i| i + 1);
            }
            self.append(&rest[..cut]).map_err(|(error, kept)| Failure {
                error,
                lost: lines_in(&rest[kept..]),
            })?;
            rest = &rest[cut..];
            if let Err(e) = self.rotate() {
                // Keep every line in the current file rather than lose any; try again with
                // the next batch.
                if !self.rotate_reported {
                    self.rotate_reported = true;
                    self.report(format!(
                        "cannot rotate log file {}: {e}; it grows past logMaxSize until \
                         rotation works again",
                        self.path.display()
                    ));
                }
                break;
            }
            self.rotate_reported = false;
            if rest.is_empty() {
                return Ok(());
            }
        }
        self.append(rest).map_err(|(error, kept)| Failure {
            error,
            lost: lines_in(&rest[kept..]),
        })
    }

    /// Appends `data` (whole lines). On an error, whatever part of a line got out is cut off
    /// again, so the file never ends inside a line; returns the error and how many bytes
    /// (whole lines) stayed.
    fn append(&mut self, data: &[u8]) -> Result<(), (io::Error, usize)> {
        match fs::write_all(&self.file, data) {
            Ok(()) => {
                self.size += data.len() as u64;
                Ok(())
            }
            Err(PartialWrite { written, error }) => {
                let kept = whole_lines(&data[..written]);
                if written > kept {
                    // O_APPEND: the torn piece is the end of the file, whatever its size now.
                    let torn = (written - kept) as u64;
                    if let Ok(end) = self.file.metadata().map(|m| m.len()) {
                        let _ = self.file.set_len(end.saturating_sub(torn));
                    }
                }
                self.size += kept as u64;
                Err((error, kept))
            }
        }
    }

    /// `x.log.N-1` → `x.log.N`, …, `x.log` → `x.log.1`, then a fresh `x.log`. Renames keep every
    /// line: a reader holding the old file still sees all of it. Only numbers below the first
    /// free one move.
    fn rotate(&mut self) -> io::Result<()> {
        let numbered = |i: u32| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{i}"));
            PathBuf::from(p)
        };
        if self.rotation.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            let top = first_free(self.rotation.keep, |i| {
                std::fs::symlink_metadata(numbered(i)).is_ok()
            });
            for i in (1..top).rev() {
                match std::fs::rename(numbered(i), numbered(i + 1)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        let (file, size, id) = fs::open_log(&self.path)?;
        self.file = file;
        self.size = size;
        self.id = id;
        Ok(())
    }
}

fn run(mut sink: Sink, mut rx: mpsc::Receiver<Msg>, pending: &AtomicUsize) {
    crate::os::priority::lower_this_thread();
    // No buffer of its own: the first batch of each round becomes the buffer, so a reserved
    // 1 MiB would only be freed again.
    let mut buf: Vec<u8> = Vec::new();
    let mut flushed = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        let mut batches = 0;
        while let Some(msg) = next.take() {
            match msg {
                Msg::Lines(lines) if buf.is_empty() => {
                    batches += 1;
                    buf = lines;
                }
                Msg::Lines(lines) => {
                    batches += 1;
                    buf.extend_from_slice(&lines);
                }
                Msg::Flush(done) => flushed.push(done),
            }
            if buf.len() < WRITE_CHUNK {
                next = rx.try_recv().ok();
            }
        }
        if !buf.is_empty() {
            sink.write(&buf);
        }
        buf.clear();
        // Written (or reported lost): a flush from now on need not wait for these.
        pending.fetch_sub(batches, Ordering::SeqCst);
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
        // Every batch was counted out again: the next flush of a quiet writer costs nothing.
        assert_eq!(a.pending.load(Ordering::SeqCst), 0);
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

    #[test]
    fn lines_and_whole_lines() {
        assert_eq!(lines_in(b""), 0);
        assert_eq!(lines_in(b"a\nb\n"), 2);
        assert_eq!(lines_in(b"a\nb"), 2);
        assert_eq!(whole_lines(b"ab\ncd"), 3);
        assert_eq!(whole_lines(b"abcd"), 0);
        assert_eq!(whole_lines(b"ab\n"), 3);
    }

    #[test]
    fn rotation_moves_only_the_files_that_exist() {
        assert_eq!(first_free(5, |_| false), 1, "only x.log -> x.log.1");
        assert_eq!(first_free(5, |i| i <= 2), 3);
        assert_eq!(first_free(5, |_| true), 5, "x.log.5 is replaced");
        assert_eq!(first_free(1, |_| true), 1);
        // The bound that made stop() hang: with keep = u32::MAX and three files, three renames.
        let asked = std::cell::Cell::new(0);
        let top = first_free(u32::MAX, |i| {
            asked.set(asked.get() + 1);
            i <= 3
        });
        assert_eq!((top, asked.get()), (4, 4));
    }

    #[test]
    fn losses_are_reported_once_per_episode_with_a_total() {
        let mut l = Losses::default();
        assert_eq!(l.succeeded(), None);
        assert!(l.failed(3), "the first failure is reported");
        assert!(!l.failed(4), "later ones are counted");
        assert_eq!(l.succeeded(), Some(7));
        assert_eq!(l.succeeded(), None);
        assert!(l.failed(1), "a new episode");
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
