//! The last lines a process wrote (stdout and stderr, as its log has them): what its `'exit'`
//! event and `lastExit` carry, and what `pm.logs()` gives for a service without a log file. A
//! small ring per process, filled by its pumps on pm's threads, one lock per read of a pipe;
//! a line costs its copy, and only the lines that can still be among the last are copied.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::events::TailLine;
use crate::logs::format::Stream;
use crate::sync::lock;

/// Lines kept at most.
pub(crate) const LAST_LINES: usize = 20;
/// Bytes of text kept at most; a longer single line keeps its first `LAST_BYTES`.
pub(crate) const LAST_BYTES: usize = 8 * 1024;

/// One kept line: its stream, text and when it was read (ms since the Unix epoch).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kept {
    pub stream: Stream,
    pub text: Vec<u8>,
    pub time: f64,
}

#[derive(Debug, Default)]
pub(crate) struct Tail {
    ring: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    lines: VecDeque<Kept>,
    bytes: usize,
}

impl Ring {
    fn push(&mut self, stream: Stream, line: &[u8], time: f64) {
        let line = &line[..line.len().min(LAST_BYTES)];
        // Reuse the oldest line's buffer once the ring is full.
        let mut text = if self.lines.len() == LAST_LINES {
            let old = self.lines.pop_front().expect("full");
            self.bytes -= old.text.len();
            old.text
        } else {
            Vec::new()
        };
        text.clear();
        text.extend_from_slice(line);
        self.bytes += text.len();
        self.lines.push_back(Kept { stream, text, time });
        while self.bytes > LAST_BYTES {
            let old = self
                .lines
                .pop_front()
                .expect("over the bound means not empty");
            self.bytes -= old.text.len();
        }
    }
}

/// Adds one read's lines to a ring; see [`Tail::reading`].
pub(crate) struct Reading<'a> {
    ring: std::sync::MutexGuard<'a, Ring>,
    stream: Stream,
    time: f64,
    /// Lines of this read before this one, and how many of its first ones cannot be among
    /// the last (`skip`).
    seen: usize,
    skip: usize,
}

impl Reading<'_> {
    pub(crate) fn line(&mut self, line: &[u8]) {
        if self.seen >= self.skip {
            self.ring.push(self.stream, line, self.time);
        }
        self.seen += 1;
    }
}

impl Tail {
    /// Takes the lines of one read of `stream`, which holds `newlines` complete lines, read at
    /// `time`: the first `newlines - LAST_LINES` of them are not copied.
    pub(crate) fn reading(&self, stream: Stream, newlines: usize, time: f64) -> Reading<'_> {
        Reading {
            ring: lock(&self.ring),
            stream,
            time,
            seen: 0,
            skip: newlines.saturating_sub(LAST_LINES),
        }
    }

    /// The kept lines, oldest first.
    pub(crate) fn kept(&self) -> Vec<Kept> {
        lock(&self.ring).lines.iter().cloned().collect()
    }

    /// The kept lines as the `'exit'` event carries them.
    pub(crate) fn last_lines(&self) -> Vec<TailLine> {
        lock(&self.ring)
            .lines
            .iter()
            .map(|k| TailLine {
                stream: k.stream.tag(),
                text: String::from_utf8_lossy(&k.text).into_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &Tail) -> Vec<String> {
        t.last_lines().into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn keeps_the_last_twenty_lines_in_order_across_streams() {
        let t = Tail::default();
        for i in 0..30 {
            let stream = if i % 2 == 0 {
                Stream::Stdout
            } else {
                Stream::Stderr
            };
            t.reading(stream, 1, 0.0)
                .line(format!("line {i}").as_bytes());
        }
        let got = t.last_lines();
        assert_eq!(got.len(), LAST_LINES);
        assert_eq!(got[0].text, "line 10");
        assert_eq!(got[19].text, "line 29");
        assert_eq!((got[0].stream, got[19].stream), ("out", "err"));
    }

    #[test]
    fn a_read_of_many_lines_copies_only_those_that_can_be_last() {
        let t = Tail::default();
        let mut r = t.reading(Stream::Stdout, 1000, 0.0);
        for i in 0..1000 {
            r.line(format!("{i}").as_bytes());
        }
        drop(r);
        let got = texts(&t);
        assert_eq!(got.first().map(String::as_str), Some("980"));
        assert_eq!(got.last().map(String::as_str), Some("999"));
    }

    #[test]
    fn the_byte_bound_keeps_whole_lines_and_cuts_a_huge_one() {
        let t = Tail::default();
        let line = vec![b'x'; 3000];
        for _ in 0..5 {
            t.reading(Stream::Stderr, 1, 0.0).line(&line);
        }
        let got = texts(&t);
        assert_eq!(got.len(), 2, "3 × 3000 bytes would be over 8 KiB");
        assert!(got.iter().all(|l| l.len() == 3000));
        t.reading(Stream::Stderr, 1, 0.0).line(&vec![b'y'; 100_000]);
        let got = texts(&t);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].len(), LAST_BYTES);
    }
}
