//! Splits a byte stream into lines with a bounded buffer. Pure. A line longer than the maximum
//! comes out in pieces of the maximum size, so memory stays bounded whatever a process prints.

/// The longest line kept whole; longer ones are written in pieces of this size.
pub(crate) const MAX_LINE: usize = 64 * 1024;

#[derive(Debug)]
pub(crate) struct LineSplitter {
    partial: Vec<u8>,
    max: usize,
}

impl Default for LineSplitter {
    fn default() -> Self {
        LineSplitter::new(MAX_LINE)
    }
}

impl LineSplitter {
    pub(crate) fn new(max: usize) -> Self {
        assert!(max > 0, "a line maximum of 0 would never make progress");
        LineSplitter {
            partial: Vec::new(),
            max,
        }
    }

    /// Feeds `data`; `emit` gets every complete line, without its `\n` (or `\r\n`).
    pub(crate) fn push(&mut self, mut data: &[u8], mut emit: impl FnMut(&[u8])) {
        while !data.is_empty() {
            let room = self.max - self.partial.len();
            let window = &data[..data.len().min(room)];
            match window.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    if self.partial.is_empty() {
                        emit(trim_cr(&window[..i]));
                    } else {
                        self.partial.extend_from_slice(&window[..i]);
                        emit(trim_cr(&self.partial));
                        self.partial.clear();
                    }
                    data = &data[i + 1..];
                }
                None if window.len() == room => {
                    // A full piece with no newline yet: out it goes, so the buffer stays bounded.
                    if self.partial.is_empty() {
                        emit(window);
                    } else {
                        self.partial.extend_from_slice(window);
                        emit(&self.partial);
                        self.partial.clear();
                    }
                    data = &data[room..];
                }
                None => {
                    self.partial.extend_from_slice(window);
                    data = &[];
                }
            }
        }
    }

    /// Emits what is left after the stream ended, if anything: a last line without `\n`.
    pub(crate) fn finish(&mut self, mut emit: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            emit(trim_cr(&self.partial));
            self.partial.clear();
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(max: usize, chunks: &[&[u8]]) -> Vec<String> {
        let mut s = LineSplitter::new(max);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, |l| out.push(String::from_utf8_lossy(l).into_owned()));
        }
        s.finish(|l| out.push(String::from_utf8_lossy(l).into_owned()));
        out
    }

    #[test]
    fn whole_lines_across_chunks() {
        assert_eq!(
            split(64, &[b"a\nb", b"c\n", b"\n", b"d"]),
            ["a", "bc", "", "d"]
        );
    }

    #[test]
    fn crlf_is_one_line_end() {
        assert_eq!(split(64, &[b"a\r\nb\r", b"\n"]), ["a", "b"]);
    }

    #[test]
    fn the_last_line_without_a_newline_is_kept() {
        assert_eq!(split(64, &[b"one\ntwo"]), ["one", "two"]);
        assert!(split(64, &[b"one\n"]).len() == 1);
    }

    #[test]
    fn long_lines_come_out_in_pieces_of_the_maximum() {
        assert_eq!(
            split(4, &[b"abcdefghij\nxy\n"]),
            ["abcd", "efgh", "ij", "xy"]
        );
        assert_eq!(split(4, &[b"ab", b"cdef", b"g"]), ["abcd", "efg"]);
        assert_eq!(split(4, &[b"abcd\n"]), ["abcd", ""]);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut s = LineSplitter::new(8);
        let mut n = 0;
        for _ in 0..1000 {
            s.push(b"xxxxxxx", |_| n += 1);
            assert!(s.partial.len() < 8);
        }
        assert_eq!(n, 7000 / 8);
    }
}
