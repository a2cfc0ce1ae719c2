//! `pm.logs()` from a log file: a service's most recent lines, read back from the end of its
//! log and, when that is not enough, from its rotated files (plain or gzip-compressed), newest
//! first. A shared log holds other services' lines too: only the service's own are taken. A
//! plain file is read backwards a piece at a time, so a large log costs what the lines asked
//! for, not its size; a compressed one is read through (it is at most one rotation's size).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::logs::format::{parse_line, Format, Parsed};
use crate::logs::rotation::numbered;
use crate::os::log_file::{self as fs, FileId};

/// Bytes read at a time from the end of a plain file.
const PIECE: usize = 64 * 1024;

/// How many times a read is done in all while rotations keep overtaking it, before its lines
/// are taken as they are: with the default `logMaxSize`, 100 rotations take 1 GiB of output.
const ATTEMPTS: usize = 100;

/// The last `want` lines of the service labelled `label` in the log at `path` and its `keep`
/// rotated files, oldest first. A file that is missing or unreadable is skipped.
///
/// The files are read while pm may rotate and compress them: a rotation renames every file to
/// the next number and puts a new file at `path`, and compression renames the finished `.gz`
/// into place before it removes the plain file. A read during which any file it took moved
/// (or `path` changed) could hold a file twice or miss one, so it is done again (up to
/// [`ATTEMPTS`] in all). The file read as `path` is held open until that check, so that no new
/// file can take its identity.
pub(crate) fn last_lines(
    path: &Path,
    keep: u32,
    format: Format,
    label: &str,
    want: usize,
) -> Vec<Parsed> {
    let mut attempt = 1;
    loop {
        let live = File::open(path)
            .ok()
            .and_then(|f| Some((fs::id_of_file(&f)?, f)));
        let (lines, read) = walk(path, live.as_ref(), keep, format, label, want);
        let unmoved = fs::id_of_path(path) == live.map(|(id, _)| id)
            && read.iter().all(|(p, id)| fs::id_of_path(p) == Some(*id));
        if unmoved || attempt == ATTEMPTS {
            return lines;
        }
        attempt += 1;
    }
}

/// One read of the files, newest first, `live` being `path` opened; see [`last_lines`].
/// Returns the lines and which rotated files it read, where.
fn walk(
    path: &Path,
    live: Option<&(FileId, File)>,
    keep: u32,
    format: Format,
    label: &str,
    want: usize,
) -> (Vec<Parsed>, Vec<(PathBuf, FileId)>) {
    let mut newest_first: Vec<Parsed> = Vec::new();
    let mut read = Vec::new();
    if let Some((_, file)) = live {
        if let Ok(mut lines) = from_plain(file, format, label, want) {
            newest_first.append(&mut lines);
        }
    }
    for n in 1..=keep {
        if newest_first.len() >= want {
            break;
        }
        // The plain file when it is there: when its `.gz` is there too, they hold the same lines.
        let (file, gz) = match File::open(numbered(path, n, false)) {
            Ok(f) => (f, false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                match File::open(numbered(path, n, true)) {
                    Ok(f) => (f, true),
                    Err(_) => continue,
                }
            }
            Err(_) => continue,
        };
        if let Some(id) = fs::id_of_file(&file) {
            read.push((numbered(path, n, gz), id));
        }
        let left = want - newest_first.len();
        let got = if gz {
            from_gz(file, format, label, left)
        } else {
            from_plain(&file, format, label, left)
        };
        if let Ok(mut lines) = got {
            newest_first.append(&mut lines);
        }
    }
    newest_first.truncate(want);
    newest_first.reverse();
    (newest_first, read)
}

/// Up to `want` of the label's lines from the end of a plain file, newest first.
fn from_plain(
    mut file: &File,
    format: Format,
    label: &str,
    want: usize,
) -> io::Result<Vec<Parsed>> {
    let mut end = file.metadata()?.len();
    let mut found = Vec::new();
    // Bytes after the last newline seen so far (the start of a line that continues in the
    // piece read next), held in front of the next piece.
    let mut carry: Vec<u8> = Vec::new();
    let mut first = true;
    while end > 0 && found.len() < want {
        let start = end.saturating_sub(PIECE as u64);
        let mut piece = vec![0u8; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut piece)?;
        piece.extend_from_slice(&carry);
        // Everything after the first newline of the piece is whole lines; what precedes it
        // may be the end of a line that started in the piece before.
        let cut = if start == 0 {
            0
        } else {
            match piece.iter().position(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => {
                    carry = piece;
                    end = start;
                    continue;
                }
            }
        };
        let whole = &piece[cut..];
        // pm ends every line it writes with a newline: after the file's last newline there is
        // only a line still being written, which is not taken.
        let whole = match whole.iter().rposition(|&b| b == b'\n') {
            Some(i) if first => &whole[..i],
            _ if first => &[][..],
            _ => whole.strip_suffix(b"\n").unwrap_or(whole),
        };
        first = false;
        for line in whole.rsplit(|&b| b == b'\n') {
            if let Some(p) = parse_line(format, label, line) {
                found.push(p);
                if found.len() >= want {
                    break;
                }
            }
        }
        carry = piece[..cut].to_vec();
        end = start;
    }
    Ok(found)
}

/// Up to `want` of the label's lines from a compressed file, newest first.
fn from_gz(file: File, format: Format, label: &str, want: usize) -> io::Result<Vec<Parsed>> {
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut last: VecDeque<Parsed> = VecDeque::with_capacity(want.min(1024));
    for line in reader.split(b'\n') {
        if let Some(p) = parse_line(format, label, &line?) {
            if last.len() == want {
                last.pop_front();
            }
            last.push_back(p);
        }
    }
    Ok(last.into_iter().rev().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::format::{LineFormat, Stream, Timestamp};
    use std::io::Write;

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("elife-pm-reader-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn lines(name: &str, from: usize, to: usize, long: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let stamp = Timestamp::from_unix_millis(1_764_171_212_000);
        let me = LineFormat::new(Format::Text, name, 7, Stream::Stdout);
        let other = LineFormat::new(Format::Text, "other", 8, Stream::Stderr);
        for i in from..to {
            let text = if long {
                format!("{i} {}", "x".repeat(1000))
            } else {
                format!("{i}")
            };
            me.write(&mut out, &stamp, text.as_bytes());
            other.write(&mut out, &stamp, b"not mine");
        }
        out
    }

    fn numbers(got: &[Parsed]) -> Vec<usize> {
        got.iter()
            .map(|p| p.text.split(' ').next().unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn the_last_lines_come_from_the_end_across_pieces_and_rotated_files() {
        let d = dir("rot");
        let log = d.join("x.log");
        // x.log.2 (compressed): 0..100; x.log.1: 100..300 (long lines, many pieces); x.log:
        // 300..310.
        let mut gz = flate2::write::GzEncoder::new(
            File::create(numbered(&log, 2, true)).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&lines("svc", 0, 100, false)).unwrap();
        gz.finish().unwrap();
        std::fs::write(numbered(&log, 1, false), lines("svc", 100, 300, true)).unwrap();
        std::fs::write(&log, lines("svc", 300, 310, false)).unwrap();

        let got = last_lines(&log, 3, Format::Text, "svc", 5);
        assert_eq!(numbers(&got), (305..310).collect::<Vec<_>>());
        let got = last_lines(&log, 3, Format::Text, "svc", 150);
        assert_eq!(
            numbers(&got),
            (160..310).collect::<Vec<_>>(),
            "into x.log.1"
        );
        let got = last_lines(&log, 3, Format::Text, "svc", 1000);
        assert_eq!(
            numbers(&got),
            (0..310).collect::<Vec<_>>(),
            "and x.log.2.gz"
        );
        assert!(got.iter().all(|p| p.pid == 7 && p.stream == Stream::Stdout));
        assert!(last_lines(&log, 3, Format::Text, "nobody", 10).is_empty());
        assert!(last_lines(&d.join("none.log"), 3, Format::Text, "svc", 10).is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_rotated_file_there_plain_and_compressed_is_read_once() {
        // A compression between the rename of its `.gz` and the removal of the plain file.
        let d = dir("both");
        let log = d.join("x.log");
        let mut gz = flate2::write::GzEncoder::new(
            File::create(numbered(&log, 1, true)).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&lines("svc", 0, 10, false)).unwrap();
        gz.finish().unwrap();
        std::fs::write(numbered(&log, 1, false), lines("svc", 0, 10, false)).unwrap();
        std::fs::write(&log, lines("svc", 10, 12, false)).unwrap();
        let got = last_lines(&log, 3, Format::Text, "svc", 100);
        assert_eq!(numbers(&got), (0..12).collect::<Vec<_>>());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_line_still_being_written_is_not_taken() {
        let d = dir("partial");
        let log = d.join("x.log");
        let mut data = lines("svc", 0, 3, false);
        data.extend_from_slice(b"2026-11-26T15:33:32.000Z svc[7] out: 3 and more to co");
        std::fs::write(&log, data).unwrap();
        assert_eq!(
            numbers(&last_lines(&log, 0, Format::Text, "svc", 10)),
            [0, 1, 2]
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
