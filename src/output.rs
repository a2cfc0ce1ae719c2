//! Carries a service's stdout or stderr into its log writer as whole, prefixed lines, reading
//! on the supervisor's runtime so the main JS thread never sees a byte of it.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::lines::LineSplitter;
use crate::log_format::{LinePrefix, Timestamp};
use crate::log_writer::Writer;

const READ_SIZE: usize = 64 * 1024;

/// Reads `pipe` to its end. Each read becomes one batch of whole lines; the last line is kept
/// even without a trailing newline.
pub async fn pump(mut pipe: impl AsyncRead + Unpin, prefix: LinePrefix, writer: Arc<Writer>) {
    let mut buf = vec![0u8; READ_SIZE];
    let mut lines = LineSplitter::default();
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let stamp = Timestamp::now();
        let mut batch = Vec::with_capacity(n + 16 * prefix.overhead());
        lines.push(&buf[..n], |line| prefix.write(&mut batch, &stamp, line));
        if !batch.is_empty() {
            writer.write(batch).await;
        }
    }
    let mut batch = Vec::new();
    lines.finish(|line| prefix.write(&mut batch, &Timestamp::now(), line));
    if !batch.is_empty() {
        writer.write(batch).await;
    }
}
