//! Where one log writer puts its lines: a file (with rotation, path following and loss
//! counting) or the main process's stdout or stderr. Runs on a log thread (`writer.rs`).
//!
//! Faults: a path that is not a regular file is refused at open (never blocked on); a file
//! whose path was removed or replaced is reopened where the path points now (checked once per
//! batch); a write that fails (a full disk) is cut back to its last whole line, reported once
//! per episode as an `'error'` event with a count of lost lines, and reported again, with the
//! total, once writing works again.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::events::Event;
use crate::logs::rotation::{self, first_free, fit, numbered, Rotation};
use crate::logs::{compress, Report};
use crate::os::log_file::{self as fs, FileId, PartialWrite, Std};
use crate::sync::lock;

pub(crate) enum Sink {
    File(Box<FileSink>),
    Std(Std),
}

impl Sink {
    pub(crate) fn write(&mut self, buf: &[u8]) {
        match self {
            Sink::File(f) => f.write_batch(buf),
            // A closed or failing stdout has nowhere to report to.
            Sink::Std(stream) => {
                let _ = fs::write_std(*stream, buf);
            }
        }
    }
}

/// How many lines `data` holds: its newlines, plus a last line without one.
pub(crate) fn lines_in(data: &[u8]) -> u64 {
    let n = data.iter().filter(|&&b| b == b'\n').count() as u64;
    n + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// The bytes of `data` up to and including its last newline: what may stay in a file after a
/// write that stopped partway.
pub(crate) fn whole_lines(data: &[u8]) -> usize {
    data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

/// Lines that could not be written, counted per episode: the first failure and the first
/// success after failures are what the app hears of.
#[derive(Debug, Default)]
pub(crate) struct Losses {
    /// Lines lost in the current episode; `None` while writing works.
    lost: Option<u64>,
}

impl Losses {
    /// Counts `lines` as lost; true when this starts an episode (time to report).
    pub(crate) fn failed(&mut self, lines: u64) -> bool {
        let first = self.lost.is_none();
        *self.lost.get_or_insert(0) += lines;
        first
    }

    /// A batch was written: ends an episode, returning how many lines it lost.
    pub(crate) fn succeeded(&mut self) -> Option<u64> {
        self.lost.take()
    }
}

pub(crate) type Opened = (File, u64, FileId);

pub(crate) struct FileSink {
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
    /// Held while the numbered files are renamed, by this sink and by the compressor.
    numbers: Arc<Mutex<()>>,
}

/// A write that stopped partway: why, and how many lines of the batch were lost.
struct Failure {
    error: io::Error,
    lost: u64,
}

impl FileSink {
    pub(crate) fn new(
        path: PathBuf,
        (file, size, id): Opened,
        rotation: Rotation,
        report: Report,
    ) -> Self {
        let sink = FileSink {
            path,
            file,
            id,
            size,
            rotation,
            losses: Losses::default(),
            reopen_reported: false,
            rotate_reported: false,
            report,
            numbers: Arc::default(),
        };
        if rotation.compress {
            sink.recover_compression();
        }
        sink
    }

    /// A shared log has no single service: the event carries id 0 and no name.
    fn report(&self, message: String) {
        (self.report)(Event::Error {
            id: 0,
            name: None,
            message,
        })
    }

    pub(crate) fn write_batch(&mut self, buf: &[u8]) {
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
    /// free one move; a number is taken whether its file is compressed or not.
    fn rotate(&mut self) -> io::Result<()> {
        let keep = self.rotation.keep;
        if keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            let _renaming = lock(&self.numbers);
            let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
            let top = first_free(keep, |i| {
                exists(&numbered(&self.path, i, false)) || exists(&numbered(&self.path, i, true))
            });
            if top == keep {
                // The oldest kept file goes, in whichever form it is.
                for gz in [false, true] {
                    remove_if_there(&numbered(&self.path, keep, gz))?;
                }
            }
            for i in (1..top).rev() {
                for gz in [false, true] {
                    let from = numbered(&self.path, i, gz);
                    match std::fs::rename(&from, numbered(&self.path, i + 1, gz)) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    }
                }
            }
            std::fs::rename(&self.path, numbered(&self.path, 1, false))?;
        }
        let rotated = self.id;
        let (file, size, id) = fs::open_log(&self.path)?;
        self.file = file;
        self.size = size;
        self.id = id;
        if keep > 0 && self.rotation.compress {
            self.compress(rotated);
        }
        Ok(())
    }

    fn compress(&self, file: FileId) {
        compress::queue(compress::Job {
            path: self.path.clone(),
            file,
            keep: self.rotation.keep,
            numbers: self.numbers.clone(),
            report: self.report.clone(),
        });
    }

    /// After a crash (of the app, or during compression): temporary files are removed, a
    /// plain file beside its finished `.gz` goes, and plain rotated files are compressed.
    fn recover_compression(&self) {
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        let prefix = rotation::compress_tmp_prefix(&self.path);
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        for n in 1..=self.rotation.keep {
            let plain = numbered(&self.path, n, false);
            let Some(id) = fs::id_of_path(&plain) else {
                continue;
            };
            if std::fs::symlink_metadata(numbered(&self.path, n, true)).is_ok() {
                // A `.gz` appears only by renaming a finished file: the plain one was left by
                // a crash between that rename and its removal.
                let _ = std::fs::remove_file(&plain);
            } else {
                self.compress(id);
            }
        }
    }
}

fn remove_if_there(p: &Path) -> io::Result<()> {
    match std::fs::remove_file(p) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn losses_are_reported_once_per_episode_with_a_total() {
        let mut l = Losses::default();
        assert_eq!(l.succeeded(), None);
        assert!(l.failed(3), "the first failure is reported");
        assert!(!l.failed(4), "later ones are counted");
        assert_eq!(l.succeeded(), Some(7));
        assert_eq!(l.succeeded(), None);
        assert!(l.failed(1), "a new episode");
    }
}
