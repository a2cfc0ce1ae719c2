//! When and how a log file rotates (`logMaxSize`, `logKeep`, `logCompress`): the settings and
//! their defaults, and the pure rules the file sink follows. Rotation is by rename, never by
//! copy-and-truncate, and never inside a line: `x.log` → `x.log.1` → … → `x.log.N` (each
//! possibly compressed as `x.log.N.gz`).

use std::path::{Path, PathBuf};

/// The size a log file rotates at by default: a desktop app's logs are bounded without being
/// asked, at `DEFAULT_MAX_SIZE × (1 + DEFAULT_KEEP)` (40 MiB) per log.
pub(crate) const DEFAULT_MAX_SIZE: u64 = 10 << 20;
/// Rotated files kept by default.
pub(crate) const DEFAULT_KEEP: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Rotate before the file would grow past this many bytes; `None` never rotates.
    pub max_size: Option<u64>,
    /// How many old files to keep (`x.log.1` is the newest).
    pub keep: u32,
    /// Compress rotated files (`x.log.1.gz`) on pm's own low-priority thread.
    pub compress: bool,
}

impl Default for Rotation {
    fn default() -> Self {
        Rotation {
            max_size: Some(DEFAULT_MAX_SIZE),
            keep: DEFAULT_KEEP,
            compress: false,
        }
    }
}

/// How many bytes of `buf` (whole lines) fit in `room`: up to and including the last newline
/// that does. 0 when not even one line fits.
pub(crate) fn fit(buf: &[u8], room: usize) -> usize {
    if buf.len() <= room {
        return buf.len();
    }
    buf[..room]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The rotated file that `x.log.1` moves into: the first number from 1 that names no file, or
/// `keep` (which is replaced). Only files that exist are renamed, so a rotation costs what is
/// on disk, not what `keep` allows.
pub(crate) fn first_free(keep: u32, exists: impl Fn(u32) -> bool) -> u32 {
    (1..keep).find(|&i| !exists(i)).unwrap_or(keep)
}

/// `x.log.N`, or `x.log.N.gz` when `gz`.
pub(crate) fn numbered(path: &Path, n: u32, gz: bool) -> PathBuf {
    let mut p = path.to_path_buf().into_os_string();
    p.push(format!(".{n}"));
    if gz {
        p.push(".gz");
    }
    PathBuf::from(p)
}

/// The prefix of the temporary files compression writes beside `path` (`.x.log.gz-tmp-…`):
/// never mistaken for a log, removed when found at open (a crash during compression).
pub(crate) fn compress_tmp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.gz-tmp-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_after_the_last_whole_line() {
        assert_eq!(fit(b"ab\ncd\n", 10), 6);
        assert_eq!(fit(b"ab\ncd\n", 5), 3);
        assert_eq!(fit(b"ab\ncd\n", 6), 6);
        assert_eq!(fit(b"abcd\n", 3), 0);
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
    fn the_defaults_bound_a_log_to_tens_of_mib() {
        let r = Rotation::default();
        let bound = r.max_size.unwrap() * (1 + u64::from(r.keep));
        assert_eq!(bound, 40 << 20);
        assert!(!r.compress);
    }

    #[test]
    fn numbered_and_temporary_names() {
        let p = Path::new("/l/x.log");
        assert_eq!(numbered(p, 2, true), PathBuf::from("/l/x.log.2.gz"));
        assert_eq!(numbered(p, 1, false), PathBuf::from("/l/x.log.1"));
        assert_eq!(compress_tmp_prefix(p), ".x.log.gz-tmp-");
    }
}
