//! Electron's `RunAsNode` fuse, read from the binary.
//!
//! Node services run on the main process's own binary with `ELECTRON_RUN_AS_NODE=1`. An app
//! packaged with that fuse turned off (Electron's security checklist recommends it) ignores the
//! variable: the "service" would be a second copy of the whole app. This module finds out
//! before spawning, by reading the fuse wire as `@electron/fuses` documents it:
//!
//! ```text
//! | ... | sentinel (32 ASCII bytes) | wire version (1 byte) | wire length n (1 byte) | n fuse bytes | ... |
//! ```
//!
//! One byte per fuse, in order: `'1'` enabled, `'0'` disabled, `'r'` removed. Fuse 0 is
//! `RunAsNode`. Electron before 12 has no wire at all (9.4.1 runs as Node unconditionally).
//! On macOS the wire is not in the executable but in the bundle's Electron Framework, which
//! the main executable and its helpers share (`electron_helper::framework_binary`): the binary
//! asked about is the one that runs the service (the helper), the file read is its framework.
//! The search streams: the file is read in chunks and the sentinel may straddle two of them.
//!
//! Reading a 100+ MB binary takes a moment, so `prefetch` starts it on a thread of its own when
//! pm initialises. `start()` refuses at once when the answer is already known to be no; else
//! the service's first spawn waits for the answer off the JS thread and fails with the same
//! message.

use crate::sync::lock;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

type Answer = Arc<OnceLock<bool>>;

/// The answer for each binary asked about (in practice one: the main process's).
static ANSWERS: Mutex<Vec<(PathBuf, Answer)>> = Mutex::new(Vec::new());

/// The answer for `binary`, started on a thread of its own if nobody asked before.
fn answer(binary: &Path) -> Answer {
    let mut answers = lock(&ANSWERS);
    if let Some((_, a)) = answers.iter().find(|(p, _)| p == binary) {
        return a.clone();
    }
    let cell: Answer = Arc::default();
    answers.push((binary.to_path_buf(), cell.clone()));
    let (path, out) = (binary.to_path_buf(), cell.clone());
    // An unreadable binary answers "allowed": the spawn will say what is wrong with it.
    let compute = move || {
        let allowed = run_as_node(&wire_file(&path)).map_or(true, Fuse::allows_run_as_node);
        let _ = out.set(allowed);
    };
    let fallback = compute.clone();
    if std::thread::Builder::new()
        .name("elife-pm-fuse".into())
        .spawn(compute)
        .is_err()
    {
        fallback();
    }
    cell
}

/// The file that holds `binary`'s fuse wire: on macOS, the Electron Framework of the bundle
/// the executable belongs to; elsewhere (or outside a bundle) the binary itself.
fn wire_file(binary: &Path) -> PathBuf {
    if cfg!(target_os = "macos") {
        if let Some(framework) = crate::start::electron_helper::framework_binary(
            binary,
            &crate::start::electron_helper::OsFiles,
        ) {
            return framework;
        }
    }
    binary.to_path_buf()
}

/// Starts reading `binary`'s fuse in the background.
#[cfg_attr(test, allow(dead_code))] // called by the N-API layer, which unit tests do not build
pub(crate) fn prefetch(binary: &Path) {
    answer(binary);
}

/// Whether `binary` runs as Node with `ELECTRON_RUN_AS_NODE=1` (its RunAsNode fuse is not
/// off). Blocks until the binary has been read: call it off the JS thread.
pub(crate) fn allows_run_as_node(binary: &Path) -> bool {
    *answer(binary).wait()
}

/// The answer if it is already known; never blocks.
pub(crate) fn known(binary: &Path) -> Option<bool> {
    answer(binary).get().copied()
}

/// What starts the wire, per `@electron/fuses` (`SENTINEL` in its constants).
pub(crate) const SENTINEL: &[u8; 32] = b"dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX";
/// Index of `RunAsNode` in the wire (`FuseV1Options.RunAsNode`).
const RUN_AS_NODE: usize = 0;
/// Offsets from the sentinel's start: the wire length byte (after the version byte), and fuse 0.
const LENGTH_AT: usize = SENTINEL.len() + 1;
const FUSES_AT: usize = SENTINEL.len() + 2;
/// Read size for [`run_as_node`]: big enough that a 150 MB binary takes few reads.
const CHUNK: usize = 1 << 20;

/// The state of one fuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fuse {
    /// `'1'`: the feature works.
    Enabled,
    /// `'0'` (or any byte but `'1'` and `'r'`: Electron treats only `'1'` as on).
    Disabled,
    /// `'r'`: this Electron no longer gates the feature with a fuse.
    Removed,
    /// No wire, or a wire too short to hold the fuse: an Electron from before fuses.
    NoWire,
}

impl Fuse {
    /// Whether a service can run on this binary with `ELECTRON_RUN_AS_NODE=1`.
    pub(crate) fn allows_run_as_node(self) -> bool {
        self != Fuse::Disabled
    }

    fn from_byte(b: u8) -> Fuse {
        match b {
            b'1' => Fuse::Enabled,
            b'r' => Fuse::Removed,
            _ => Fuse::Disabled,
        }
    }
}

/// A streaming search for one fuse: [`feed`](Self::feed) chunks in file order, then
/// [`finish`](Self::finish). Holds at most one chunk plus the few bytes of a sentinel or wire
/// that straddles the end of the previous chunk.
pub(crate) struct FuseScanner {
    index: usize,
    /// The unsearched tail of the stream so far, then the new chunk.
    buf: Vec<u8>,
    found: Option<Fuse>,
}

impl FuseScanner {
    /// A scanner for fuse number `index` (0 is `RunAsNode`).
    pub(crate) fn new(index: usize) -> Self {
        FuseScanner {
            index,
            buf: Vec::new(),
            found: None,
        }
    }

    /// Takes the next chunk of the file; returns the answer as soon as it is known (later
    /// chunks are then ignored).
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Option<Fuse> {
        if self.found.is_some() {
            return self.found;
        }
        self.buf.extend_from_slice(chunk);
        match find_sentinel(&self.buf) {
            Some(at) => {
                let wire = &self.buf[at..];
                if wire.len() <= LENGTH_AT {
                    self.keep_from(at);
                    return None;
                }
                let len = usize::from(wire[LENGTH_AT]);
                if self.index >= len {
                    // The wire predates this fuse.
                    self.found = Some(Fuse::NoWire);
                } else if let Some(&b) = wire.get(FUSES_AT + self.index) {
                    self.found = Some(Fuse::from_byte(b));
                } else {
                    self.keep_from(at);
                }
            }
            // A sentinel may start in the last 31 bytes and end in the next chunk.
            None => self.keep_from(self.buf.len().saturating_sub(SENTINEL.len() - 1)),
        }
        if self.found.is_some() {
            self.buf = Vec::new();
        }
        self.found
    }

    /// The answer once the whole file was fed: a wire cut off by the end of the file is no wire.
    pub(crate) fn finish(self) -> Fuse {
        self.found.unwrap_or(Fuse::NoWire)
    }

    fn keep_from(&mut self, at: usize) {
        self.buf.drain(..at);
    }
}

/// The first position of [`SENTINEL`] in `hay`. Scans for its first byte, then compares: the
/// first byte is rare enough in a binary that this runs at memory speed.
fn find_sentinel(hay: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, SENTINEL)
}

/// The `RunAsNode` fuse of the Electron binary at `path`.
pub(crate) fn run_as_node(path: &Path) -> io::Result<Fuse> {
    let mut file = File::open(path)?;
    let mut scanner = FuseScanner::new(RUN_AS_NODE);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => return Ok(scanner.finish()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(fuse) = scanner.feed(&chunk[..n]) {
            return Ok(fuse);
        }
    }
}

/// Why `start()` refuses a Node service on `electron` when its `RunAsNode` fuse is off, and the
/// two ways out.
pub(crate) fn run_as_node_disabled_message(electron: &Path) -> String {
    format!(
        "{} has Electron's RunAsNode fuse turned off, so it cannot run a Node service \
         (ELECTRON_RUN_AS_NODE is ignored and it would start a second copy of the app). \
         Either turn the fuse on where the app is packaged (@electron/fuses: \
         [FuseV1Options.RunAsNode]: true), or set the option interpreter to a Node binary \
         that the app ships",
        electron.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `filler` bytes, then the sentinel, wire version 1, and `fuses` as the wire, then more filler.
    fn binary_with(fuses: &[u8], filler: usize) -> Vec<u8> {
        // Filler full of the sentinel's first byte and near-misses, to exercise the search.
        let mut out: Vec<u8> = b"dL7pKGdnNz796Pbb"
            .iter()
            .cycle()
            .take(filler)
            .copied()
            .collect();
        out.extend_from_slice(SENTINEL);
        out.push(1);
        out.push(u8::try_from(fuses.len()).unwrap());
        out.extend_from_slice(fuses);
        out.extend_from_slice(&[0u8; 64]);
        out
    }

    fn scan_in_chunks(bytes: &[u8], chunk: usize) -> Fuse {
        let mut s = FuseScanner::new(RUN_AS_NODE);
        for c in bytes.chunks(chunk) {
            if let Some(f) = s.feed(c) {
                return f;
            }
        }
        s.finish()
    }

    #[test]
    fn each_state_of_run_as_node() {
        for (byte, want) in [
            (b'1', Fuse::Enabled),
            (b'0', Fuse::Disabled),
            (b'r', Fuse::Removed),
            (b'x', Fuse::Disabled),
        ] {
            let bin = binary_with(&[byte, b'1', b'0'], 1000);
            assert_eq!(
                scan_in_chunks(&bin, 4096),
                want,
                "fuse byte {:?}",
                byte as char
            );
        }
    }

    #[test]
    fn only_fuse_0_counts() {
        let bin = binary_with(b"1000000", 10);
        assert_eq!(scan_in_chunks(&bin, 4096), Fuse::Enabled);
        let bin = binary_with(b"0111111", 10);
        assert_eq!(scan_in_chunks(&bin, 4096), Fuse::Disabled);
    }

    #[test]
    fn sentinel_or_wire_across_every_chunk_boundary() {
        let bin = binary_with(b"01", 100);
        // Every chunk size from 1 byte up puts the boundary somewhere inside the sentinel, the
        // version, the length or the fuse byte.
        for chunk in 1..=80 {
            assert_eq!(
                scan_in_chunks(&bin, chunk),
                Fuse::Disabled,
                "chunk size {chunk}"
            );
        }
        // And a split at each offset around the wire, in two pieces.
        for split in 90..150 {
            let mut s = FuseScanner::new(RUN_AS_NODE);
            let got = s.feed(&bin[..split]).or_else(|| s.feed(&bin[split..]));
            assert_eq!(got, Some(Fuse::Disabled), "split at {split}");
        }
    }

    #[test]
    fn no_sentinel_is_no_wire() {
        let bin: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(scan_in_chunks(&bin, 4096), Fuse::NoWire);
        assert_eq!(scan_in_chunks(b"", 4096), Fuse::NoWire);
        // Most of a sentinel at the very end.
        let mut cut = vec![0u8; 50];
        cut.extend_from_slice(&SENTINEL[..31]);
        assert_eq!(scan_in_chunks(&cut, 7), Fuse::NoWire);
    }

    #[test]
    fn truncated_wire_is_no_wire() {
        let whole = binary_with(b"0", 20);
        let sentinel_end = 20 + SENTINEL.len();
        // Cut after the sentinel, after the version, after the length: no fuse byte to read.
        for end in [sentinel_end, sentinel_end + 1, sentinel_end + 2] {
            for chunk in [1, 5, 4096] {
                assert_eq!(
                    scan_in_chunks(&whole[..end], chunk),
                    Fuse::NoWire,
                    "cut at {end}, chunk {chunk}"
                );
            }
        }
        assert_eq!(
            scan_in_chunks(&whole[..sentinel_end + 3], 4096),
            Fuse::Disabled
        );
    }

    #[test]
    fn a_wire_without_fuse_0_is_no_wire() {
        let bin = binary_with(b"", 5);
        assert_eq!(scan_in_chunks(&bin, 3), Fuse::NoWire);
    }

    #[test]
    fn the_first_wire_wins_and_later_chunks_are_ignored() {
        let mut bin = binary_with(b"1", 5);
        bin.extend(binary_with(b"0", 5));
        assert_eq!(scan_in_chunks(&bin, 3), Fuse::Enabled);
        let mut s = FuseScanner::new(RUN_AS_NODE);
        assert_eq!(s.feed(&bin), Some(Fuse::Enabled));
        assert_eq!(s.feed(&binary_with(b"0", 0)), Some(Fuse::Enabled));
    }

    #[test]
    fn other_fuse_indexes() {
        let bin = binary_with(b"10r", 5);
        let fuse = |i| {
            let mut s = FuseScanner::new(i);
            s.feed(&bin);
            s.finish()
        };
        assert_eq!(fuse(1), Fuse::Disabled);
        assert_eq!(fuse(2), Fuse::Removed);
        assert_eq!(fuse(3), Fuse::NoWire);
    }

    #[test]
    fn what_allows_run_as_node() {
        assert!(Fuse::Enabled.allows_run_as_node());
        assert!(Fuse::Removed.allows_run_as_node());
        assert!(Fuse::NoWire.allows_run_as_node());
        assert!(!Fuse::Disabled.allows_run_as_node());
    }

    #[test]
    fn run_as_node_reads_a_file_bigger_than_a_chunk() {
        let dir = std::env::temp_dir().join(format!("elife-fuse-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("electron");
        // The sentinel straddles the first 1 MiB read.
        let bin = binary_with(b"0", CHUNK - 10);
        std::fs::write(&path, &bin).unwrap();
        assert_eq!(run_as_node(&path).unwrap(), Fuse::Disabled);
        std::fs::write(&path, vec![7u8; CHUNK * 2 + 3]).unwrap();
        assert_eq!(run_as_node(&path).unwrap(), Fuse::NoWire);
        let missing = run_as_node(&dir.join("missing")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_message_names_the_fuse_and_both_fixes() {
        let m = run_as_node_disabled_message(Path::new("/opt/App/app"));
        assert!(
            m.starts_with("/opt/App/app has Electron's RunAsNode fuse turned off"),
            "{m}"
        );
        assert!(m.contains("turn the fuse on"), "{m}");
        assert!(m.contains("[FuseV1Options.RunAsNode]: true"), "{m}");
        assert!(
            m.contains("set the option interpreter to a Node binary"),
            "{m}"
        );
    }
}
