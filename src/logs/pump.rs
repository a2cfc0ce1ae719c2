//! Carries a service's stdout or stderr into its log writer as whole, formatted lines, reading
//! on the supervisor's runtime so the main JS thread never sees a byte of it (unless someone
//! listens for `'log'` events).

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::logs::ansi;
use crate::logs::format::{LineFormat, Timestamp};
use crate::logs::lines::LineSplitter;
use crate::logs::tap::{LogTap, TapSource};
use crate::logs::writer::Writer;

/// The first read buffer. A quiet service never needs more, and small buffers keep a service's
/// cost low: after many services came and went, the allocator hands out pages that earlier
/// buffers touched, so a buffer costs its full size in RSS however little it is used.
const FIRST_READ_SIZE: usize = 8 * 1024;
/// A chatty service's buffer grows (each read that fills it quadruples it) up to a quarter of
/// the (widened) pipe.
const READ_SIZE: usize = 256 * 1024;
/// A batch is handed to the writer once it reaches this size, so memory per stream stays
/// bounded even when every line is one byte long.
pub const MAX_BATCH: usize = 256 * 1024;

/// How one stream's lines are written.
pub struct Pump {
    pub format: LineFormat,
    pub strip_ansi: bool,
    pub writer: Arc<Writer>,
    pub tap: Arc<LogTap>,
    pub source: TapSource,
}

impl Pump {
    /// Reads `pipe` to its end. The last line is kept even without a trailing newline.
    pub async fn run(self, mut pipe: impl AsyncRead + Unpin) {
        let mut buf = vec![0u8; FIRST_READ_SIZE];
        let mut lines = LineSplitter::default();
        let mut clean = Vec::new();
        let mut tapped = Vec::new();
        loop {
            let n = match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let grow = n == buf.len() && buf.len() < READ_SIZE;
            let stamp = Timestamp::now();
            let tap = self.tap.listening();
            let mut batches = Vec::new();
            let mut batch = Vec::with_capacity(n + 16 * self.format.overhead());
            lines.push(&buf[..n], |line| {
                let line = self.clean(line, &mut clean);
                self.format.write(&mut batch, &stamp, line);
                if tap {
                    tapped.push(String::from_utf8_lossy(line).into_owned());
                }
                if batch.len() >= MAX_BATCH {
                    batches.push(std::mem::take(&mut batch));
                }
            });
            batches.push(batch);
            self.send(batches, &mut tapped).await;
            if grow {
                buf.resize((buf.len() * 4).min(READ_SIZE), 0);
            }
        }
        let mut batch = Vec::new();
        lines.finish(|line| {
            let line = self.clean(line, &mut clean);
            self.format.write(&mut batch, &Timestamp::now(), line);
            if self.tap.listening() {
                tapped.push(String::from_utf8_lossy(line).into_owned());
            }
        });
        self.send(vec![batch], &mut tapped).await;
    }

    fn clean<'a>(&self, line: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
        scratch.clear();
        if self.strip_ansi && ansi::strip_into(line, scratch) {
            scratch
        } else {
            line
        }
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
