//! Paths inside an Electron `app.asar` archive. Electron's `fs` reads inside archives, but the
//! OS does not: a process cannot start in a directory inside one, and only Node (Electron's own)
//! can read a script from one. Pure path logic; the caller says what exists.
//!
//! On Windows the same code reads `C:\…\resources\app.asar\services\x.js` (drive, backslashes
//! or slashes: `Path` splits them there) and, like Electron (`FilePath::MatchesExtension`),
//! takes the `.asar` extension in any case.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Splits `path` at the first component that names an archive (`*.asar`): the archive's path,
/// and the path inside it (empty when `path` is the archive itself).
pub(crate) fn split(path: &Path) -> Option<(PathBuf, PathBuf)> {
    let mut archive = PathBuf::new();
    let mut components = path.components();
    for c in components.by_ref() {
        archive.push(c.as_os_str());
        if let Component::Normal(name) = c {
            if is_archive_name(&name.to_string_lossy(), cfg!(windows)) {
                return Some((archive, components.as_path().to_path_buf()));
            }
        }
    }
    None
}

/// Whether a path component names an archive: `*.asar`, in any case on Windows.
fn is_archive_name(name: &str, any_case: bool) -> bool {
    let n = name.len();
    n > 5
        && name.is_char_boundary(n - 5)
        && if any_case {
            name[n - 5..].eq_ignore_ascii_case(".asar")
        } else {
            name.ends_with(".asar")
        }
}

/// The same path under the archive's `.asar.unpacked` sibling, where electron-builder's
/// `asarUnpack` puts files that must be real. `None` when `path` is not inside an archive.
pub(crate) fn unpacked(path: &Path) -> Option<PathBuf> {
    let (archive, inner) = split(path)?;
    let mut name: OsString = archive.file_name()?.to_os_string();
    name.push(".unpacked");
    Some(archive.with_file_name(name).join(inner))
}

/// A path inside an archive the way electron-builder's `asarUnpack` patterns write it: with
/// `/` between components, on Windows too.
pub(crate) fn unpack_pattern(inner: &Path) -> String {
    inner
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A directory a process can start in, for a `cwd` that may lie inside an archive: the same
/// directory under `.asar.unpacked` when that exists, else the directory holding the archive
/// (for a packaged app, its `resources` directory). Paths outside archives are kept.
pub(crate) fn real_cwd(cwd: &Path, is_dir: impl Fn(&Path) -> bool) -> PathBuf {
    let Some((archive, _)) = split(cwd) else {
        return cwd.to_path_buf();
    };
    match unpacked(cwd) {
        Some(dir) if is_dir(&dir) => dir,
        _ => archive
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_the_archive() {
        let (a, rest) = split(Path::new("/r/app.asar/svc/main.js")).unwrap();
        assert_eq!(a, PathBuf::from("/r/app.asar"));
        assert_eq!(rest, PathBuf::from("svc/main.js"));
        let (a, rest) = split(Path::new("/r/app.asar")).unwrap();
        assert_eq!((a, rest), (PathBuf::from("/r/app.asar"), PathBuf::new()));
        assert!(split(Path::new("/r/app.asarx/main.js")).is_none());
        assert!(split(Path::new("/r/app/main.js")).is_none());
    }

    #[test]
    fn archive_names_are_dot_asar_in_any_case_on_windows() {
        assert!(is_archive_name("app.asar", false));
        assert!(!is_archive_name("App.ASAR", false));
        assert!(is_archive_name("App.ASAR", true));
        assert!(!is_archive_name(".asar", true));
        assert!(!is_archive_name("app.asarx", true));
        assert!(!is_archive_name("ünï.asa", true));
    }

    /// Real Windows paths: run by `cargo test --target x86_64-pc-windows-gnu` under Wine
    /// (scripts/windows/test.sh).
    #[cfg(windows)]
    #[test]
    fn windows_paths_with_drives_and_backslashes() {
        let script = Path::new(r"C:\Program Files\App\resources\app.asar\services\x.js");
        let (a, rest) = split(script).unwrap();
        assert_eq!(a, PathBuf::from(r"C:\Program Files\App\resources\app.asar"));
        assert_eq!(rest, PathBuf::from(r"services\x.js"));
        assert_eq!(
            unpacked(script),
            Some(PathBuf::from(
                r"C:\Program Files\App\resources\app.asar.unpacked\services\x.js"
            ))
        );
        assert_eq!(
            unpacked(Path::new(r"D:/r/App.Asar/py/svc.py")),
            Some(PathBuf::from(r"D:/r/App.Asar.unpacked/py/svc.py"))
        );
        assert_eq!(
            real_cwd(Path::new(r"C:\r\app.asar\svc"), |_| false),
            PathBuf::from(r"C:\r")
        );
        assert_eq!(
            real_cwd(Path::new(r"\\srv\share\r\app.asar\svc"), |p| {
                p == Path::new(r"\\srv\share\r\app.asar.unpacked\svc")
            }),
            PathBuf::from(r"\\srv\share\r\app.asar.unpacked\svc")
        );
        assert!(split(Path::new(r"C:\r\app\main.js")).is_none());
        assert_eq!(
            unpack_pattern(&rest),
            "services/x.js",
            "electron-builder's form"
        );
    }

    #[test]
    fn unpacked_is_the_sibling_directory() {
        assert_eq!(
            unpacked(Path::new("/r/app.asar/py/svc.py")),
            Some(PathBuf::from("/r/app.asar.unpacked/py/svc.py"))
        );
        assert_eq!(unpacked(Path::new("/r/app/py/svc.py")), None);
        assert_eq!(unpack_pattern(Path::new("py/svc.py")), "py/svc.py");
    }

    #[test]
    fn cwd_prefers_the_unpacked_directory_then_the_archives_parent() {
        let cwd = Path::new("/r/app.asar/svc");
        assert_eq!(
            real_cwd(cwd, |p| p == Path::new("/r/app.asar.unpacked/svc")),
            PathBuf::from("/r/app.asar.unpacked/svc")
        );
        assert_eq!(real_cwd(cwd, |_| false), PathBuf::from("/r"));
        assert_eq!(
            real_cwd(Path::new("/srv/x"), |_| false),
            PathBuf::from("/srv/x")
        );
    }
}
