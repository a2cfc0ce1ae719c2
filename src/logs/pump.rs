//! Carries a service's stdout or stderr into its log writer as whole, formatted lines, reading
//! on the supervisor's runtime so the main JS thread never sees a byte of it (unless someone
//! listens for `'log'` events). On the way it keeps the process's last lines (`tail`) and,
//! until it matches once, looks for the line that says the service is ready
//! (`readyWhen: { log }`).
//!
//! A quiet service holds no read buffer: the pump waits until its pipe has data, then reads it
//! into a buffer of the runtime thread's own, and turns it into owned batches before it waits
//! again. A service that fills its pipe between two reads gets a wider one, while the process's
//! budget lasts (`os::ReadPipe::widen`).

use std::cell::RefCell;
use std::io;
use std::sync::Arc;

use tokio::sync::watch;

use crate::logs::ansi;
use crate::logs::format::{LineFormat, Timestamp};
use crate::logs::lines::LineSplitter;
use crate::logs::tail::Tail;
use crate::logs::tap::{LogTap, TapSource};
use crate::logs::writer::Writer;
use crate::os::ReadPipe;

/// The most one read takes: a quarter of a widened pipe.
const READ_SIZE: usize = 256 * 1024;
/// A batch is handed to the writer once it reaches this size, so memory per stream stays
/// bounded even when every line is one byte long.
pub(crate) const MAX_BATCH: usize = 256 * 1024;

thread_local! {
    /// The read buffer of this runtime thread, lent to one pump at a time.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_SIZE]);
}

/// Looks for the line that says the service is ready (`readyWhen: { log }`).
pub(crate) struct ReadyLine {
    pub regex: regex::bytes::Regex,
    /// Set to true once a line matched (by this stream or the other one).
    pub ready: watch::Sender<bool>,
}

/// How one stream's lines are written.
pub(crate) struct Pump {
    pub format: LineFormat,
    pub strip_ansi: bool,
    pub writer: Arc<Writer>,
    pub tap: Arc<LogTap>,
    pub source: TapSource,
    pub tail: Arc<Tail>,
    pub ready_line: Option<Arc<ReadyLine>>,
}

enum Read {
    /// Formatted batches, and whether the read took a whole default pipe.
    Data(Vec<Vec<u8>>, bool),
    Nothing,
    End,
}

impl Pump {
    /// Reads `pipe` to its end; once `gone` is set (the process and all that could write to
    /// the pipe are gone, `os::PIPES_END_WITH_JOB`), to what it holds now. The last line is
    /// kept even without a trailing newline.
    pub(crate) async fn run(mut self, pipe: impl ReadPipe, mut gone: watch::Receiver<bool>) {
        let mut lines = LineSplitter::default();
        let mut tapped = Vec::new();
        let mut draining = false;
        // Held while the pipe is wide (a slot of the process's budget).
        let mut wide = None;
        loop {
            if !draining {
                tokio::select! {
                    ready = pipe.readable() => if ready.is_err() { break },
                    _ = is_set(&mut gone) => draining = true,
                }
            }
            let read = SCRATCH.with(|scratch| {
                let mut buf = scratch.borrow_mut();
                match pipe.try_read(&mut buf) {
                    Ok(0) => Read::End,
                    Ok(n) => Read::Data(
                        self.take(&buf[..n], &mut lines, &mut tapped),
                        n >= crate::os::BUSY_PIPE,
                    ),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                        ) =>
                    {
                        Read::Nothing
                    }
                    Err(_) => Read::End,
                }
            });
            match read {
                Read::Data(batches, busy) => {
                    if busy && wide.is_none() {
                        wide = pipe.widen();
                    }
                    self.send(batches, &mut tapped).await
                }
                // Drained: nothing more will come.
                Read::Nothing if draining => break,
                Read::Nothing => {}
                Read::End => break,
            }
        }
        let batch = self.last(&mut lines, &mut tapped);
        self.send(vec![batch], &mut tapped).await;
    }

    /// The last line, when the stream ended without a newline after it.
    fn last(&self, lines: &mut LineSplitter, tapped: &mut Vec<String>) -> Vec<u8> {
        let mut batch = Vec::new();
        let stamp = Timestamp::now();
        let tap = self.tap.listening();
        let mut clean = Vec::new();
        let mut kept = self
            .tail
            .reading(self.source.stream, 1, crate::clock::now_ms());
        lines.finish(|line| {
            let line = clean_line(self.strip_ansi, line, &mut clean);
            self.format.write(&mut batch, &stamp, line);
            kept.line(line);
            if tap {
                tapped.push(String::from_utf8_lossy(line).into_owned());
            }
        });
        batch
    }

    /// One read's data as formatted batches; its lines also go to the tail, the tap and the
    /// ready line's check.
    fn take(
        &mut self,
        data: &[u8],
        lines: &mut LineSplitter,
        tapped: &mut Vec<String>,
    ) -> Vec<Vec<u8>> {
        let stamp = Timestamp::now();
        let time = crate::clock::now_ms();
        let tap = self.tap.listening();
        let newlines = memchr::memchr_iter(b'\n', data).count();
        let mut kept = self.tail.reading(self.source.stream, newlines, time);
        let mut batches = Vec::new();
        let mut batch = Vec::with_capacity(data.len() + 16 * self.format.overhead());
        let mut clean = Vec::new();
        let mut ready_line = self.ready_line.take();
        lines.push(data, |line| {
            let line = clean_line(self.strip_ansi, line, &mut clean);
            self.format.write(&mut batch, &stamp, line);
            kept.line(line);
            if tap {
                tapped.push(String::from_utf8_lossy(line).into_owned());
            }
            if ready_line.as_ref().is_some_and(|r| r.regex.is_match(line)) {
                if let Some(r) = ready_line.take() {
                    r.ready.send_replace(true);
                }
            }
            if batch.len() >= MAX_BATCH {
                batches.push(std::mem::take(&mut batch));
            }
        });
        // Matched once, the check is over; the other stream's pump may still hold one.
        self.ready_line = ready_line.filter(|r| !*r.ready.borrow());
        batches.push(batch);
        batches
    }

    async fn send(&self, batches: Vec<Vec<u8>>, tapped: &mut Vec<String>) {
        if !tapped.is_empty() {
            self.tap
                .push(&self.source, crate::clock::now_ms(), tapped.drain(..));
        }
        for b in batches {
            if !b.is_empty() {
                self.writer.write(b).await;
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

/// The line as it is logged: without escape codes under `stripANSI`.
fn clean_line<'a>(strip_ansi: bool, line: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    scratch.clear();
    if strip_ansi && ansi::strip_into(line, scratch) {
        scratch
    } else {
        line
    }
}
