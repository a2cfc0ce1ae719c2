//! `logCompress`: rotated log files gzip-compressed on pm's own low-priority thread (one for the
//! whole process, started at the first rotation that asks for it), never on a log thread and
//! never on the main thread.
//!
//! A crash at any moment leaves either the plain file or the complete compressed one: the
//! compressed data goes to a temporary file beside the log (`.x.log.gz-tmp-…`), which is
//! synced and then renamed to `x.log.N.gz` before the plain `x.log.N` is removed. The rotated
//! file is known by its identity, not its number: rotations during the compression move it,
//! and the rename goes to wherever it is by then (or nowhere, if it was rotated out).

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::events::Event;
use crate::logs::rotation::{compress_tmp_prefix, numbered};
use crate::logs::Report;
use crate::os::log_file::{self as fs, FileId};
use crate::sync::lock;

/// One rotated file to compress.
pub(crate) struct Job {
    /// The live log (`x.log`); the file is one of its numbered ones.
    pub(crate) path: PathBuf,
    pub(crate) file: FileId,
    pub(crate) keep: u32,
    /// Held while numbered files are found and renamed (the log's sink rotates under it).
    pub(crate) numbers: Arc<Mutex<()>>,
    pub(crate) report: Report,
}

static QUEUE: OnceLock<Mutex<Option<mpsc::Sender<Job>>>> = OnceLock::new();

/// Hands `job` to the compression thread, starting it if it is not running.
pub(crate) fn queue(job: Job) {
    let mut tx = lock(QUEUE.get_or_init(Mutex::default));
    let job = match tx.as_ref() {
        None => job,
        Some(t) => match t.send(job) {
            Ok(()) => return,
            Err(mpsc::SendError(job)) => job,
        },
    };
    let (send, recv) = mpsc::channel::<Job>();
    let started = std::thread::Builder::new()
        .name("elife-pm-gzip".into())
        .spawn(move || {
            crate::os::priority::lower_this_thread();
            for job in recv {
                run(&job);
            }
        });
    if started.is_ok() && send.send(job).is_ok() {
        *tx = Some(send);
    }
}

/// Where the rotated file `id` is now: its number among `path`'s plain rotated files.
fn find(path: &Path, keep: u32, id: FileId) -> Option<u32> {
    (1..=keep).find(|&n| fs::id_of_path(&numbered(path, n, false)) == Some(id))
}

fn run(job: &Job) {
    if let Err(e) = compress(job) {
        (job.report)(Event::Error {
            id: 0,
            name: None,
            message: format!(
                "cannot compress a rotated file of log {}: {e}; it is kept uncompressed",
                job.path.display()
            ),
        });
    }
}

fn compress(job: &Job) -> io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let source = {
        let _numbers = lock(&job.numbers);
        match find(&job.path, job.keep, job.file) {
            Some(n) => File::open(numbered(&job.path, n, false))?,
            None => return Ok(()), // rotated out before its turn
        }
    };
    let dir = job.path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = dir.join(format!(
        "{}{}-{}",
        compress_tmp_prefix(&job.path),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    // `source` stays open until the rename: were it closed, the file could be rotated out
    // and deleted meanwhile, and a new log file could take its identity and be replaced by
    // this older one's `.gz`.
    let written = write_gz(&source, &tmp);
    let done = written.and_then(|()| {
        let _numbers = lock(&job.numbers);
        match find(&job.path, job.keep, job.file) {
            Some(n) => {
                std::fs::rename(&tmp, numbered(&job.path, n, true))?;
                std::fs::remove_file(numbered(&job.path, n, false))
            }
            None => std::fs::remove_file(&tmp),
        }
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    drop(source);
    done
}

/// Compresses `source` into a new file at `tmp`, synced to disk before it returns.
fn write_gz(mut source: &File, tmp: &Path) -> io::Result<()> {
    let out = File::create(tmp)?;
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(256 * 1024, out),
        Compression::default(),
    );
    io::copy(&mut source, &mut gz)?;
    let out = gz.finish()?.into_inner().map_err(|e| e.into_error())?;
    out.sync_all()
}
