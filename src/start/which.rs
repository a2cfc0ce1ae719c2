//! Finds a program the way the host's shell does. Unix: a name with a slash is a path
//! (relative to a base directory), anything else is looked up in PATH (`:`-separated).
//! Windows: a name with `\`, `/` or a drive is a path; PATH is `;`-separated (entries may be
//! quoted); a name without one of PATHEXT's extensions (`.COM;.EXE;.BAT;.CMD`…) is tried with
//! each of them in turn. Pure: the caller says what is executable and gives PATHEXT, so both
//! flavours are tested on every host.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::os::pathext;

/// How the host looks programs up.
#[derive(Debug, Clone, PartialEq)]
pub enum Flavor {
    Unix,
    /// With PATHEXT's extensions, upper-cased, each with its dot.
    Windows {
        pathext: Vec<String>,
    },
}

impl Flavor {
    /// The host's flavour; on Windows with PATHEXT from `var` (the main process's environment).
    pub fn host(var: &dyn Fn(&str) -> Option<String>) -> Flavor {
        if cfg!(windows) {
            Flavor::windows(var("PATHEXT").as_deref())
        } else {
            Flavor::Unix
        }
    }

    pub fn windows(pathext: Option<&str>) -> Flavor {
        Flavor::Windows {
            pathext: pathext::parse(pathext),
        }
    }
}

/// [`find_with`] in the host's flavour, with Windows' default PATHEXT.
pub fn find(
    name: &str,
    path_var: Option<&str>,
    base: &Path,
    is_executable: &dyn Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let flavor = if cfg!(windows) {
        Flavor::windows(None)
    } else {
        Flavor::Unix
    };
    find_with(&flavor, name, path_var, base, is_executable)
}

/// The first executable file that `name` means: `name` itself when it is a path (relative to
/// `base`), else the first match in `path_var`'s directories, in order.
pub fn find_with(
    flavor: &Flavor,
    name: &str,
    path_var: Option<&str>,
    base: &Path,
    is_executable: &dyn Fn(&Path) -> bool,
) -> Option<PathBuf> {
    match flavor {
        Flavor::Unix => {
            if name.contains('/') {
                let p = base.join(name);
                return is_executable(&p).then_some(p);
            }
            path_var?
                .split(':')
                .filter(|dir| !dir.is_empty())
                .map(|dir| Path::new(dir).join(name))
                .find(|p| is_executable(p))
        }
        Flavor::Windows { pathext } => {
            if is_windows_path(name) {
                let p = if is_windows_absolute(name) {
                    PathBuf::from(name)
                } else {
                    windows_join(base.as_os_str().to_owned(), name)
                };
                return with_extensions(p, pathext).find(|p| is_executable(p));
            }
            path_var?
                .split(';')
                .map(|dir| dir.trim().trim_matches('"'))
                .filter(|dir| !dir.is_empty())
                .flat_map(|dir| with_extensions(windows_join(dir.into(), name), pathext))
                .find(|p| is_executable(p))
        }
    }
}

/// Whether `name` is a path (looked at where it points) rather than a name looked up in PATH.
pub fn names_a_path(flavor: &Flavor, name: &str) -> bool {
    match flavor {
        Flavor::Unix => name.contains('/'),
        Flavor::Windows { .. } => is_windows_path(name),
    }
}

/// `p` as is when it already has a PATHEXT extension, else `p` with each extension appended.
fn with_extensions(p: PathBuf, pathext: &[String]) -> Box<dyn Iterator<Item = PathBuf> + '_> {
    if pathext::has_extension(&p, pathext) {
        return Box::new(std::iter::once(p));
    }
    Box::new(pathext.iter().map(move |ext| {
        let mut s = p.clone().into_os_string();
        s.push(ext.to_lowercase());
        PathBuf::from(s)
    }))
}

fn is_windows_path(name: &str) -> bool {
    name.contains(['\\', '/']) || name.as_bytes().get(1) == Some(&b':')
}

/// `C:\x`, `C:/x`, `\\server\share`, `\x` (the current drive's root).
fn is_windows_absolute(name: &str) -> bool {
    let b = name.as_bytes();
    b.first().is_some_and(|c| *c == b'\\' || *c == b'/')
        || (b.len() > 2
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && (b[2] == b'\\' || b[2] == b'/'))
}

/// `dir\name`, by string so that the result is the same on every host.
fn windows_join(mut dir: OsString, name: &str) -> PathBuf {
    if !dir.to_string_lossy().ends_with(['\\', '/']) && !dir.is_empty() {
        dir.push("\\");
    }
    dir.push(name);
    PathBuf::from(dir)
}

/// The Pythons tried, in order, when neither the `interpreter` option nor `ELIFE_PM_PYTHON`
/// names one: each a program to find on PATH and the arguments that go before the script.
/// Windows: the `py` launcher that python.org's installer puts on PATH (`py -3` picks the newest
/// Python 3), then `python.exe`. Not `python3.exe`: on a Windows without Python that is the
/// Microsoft Store's placeholder, which opens the Store instead of running anything.
pub fn pythons(flavor: &Flavor) -> &'static [(&'static str, &'static [&'static str])] {
    match flavor {
        Flavor::Unix => &[("python3", &[]), ("python", &[])],
        Flavor::Windows { .. } => &[("py", &["-3"]), ("python", &[])],
    }
}

/// The first of [`pythons`] found on `path_var`: its path and its leading arguments.
pub fn find_python(
    flavor: &Flavor,
    path_var: Option<&str>,
    base: &Path,
    is_executable: &dyn Fn(&Path) -> bool,
) -> Option<(PathBuf, &'static [&'static str])> {
    pythons(flavor).iter().find_map(|(name, args)| {
        find_with(flavor, name, path_var, base, is_executable).map(|p| (p, *args))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_looked_up_in_path_in_order() {
        let exe = |p: &Path| p == Path::new("/b/python3") || p == Path::new("/c/python3");
        let unix = |name, path| find_with(&Flavor::Unix, name, path, Path::new("/"), &exe);
        assert_eq!(
            unix("python3", Some("/a::/b:/c")),
            Some(PathBuf::from("/b/python3"))
        );
        assert_eq!(unix("python3", Some("/a")), None);
        assert_eq!(unix("python3", None), None);
    }

    #[test]
    fn paths_are_taken_relative_to_the_base() {
        let exe = |p: &Path| p == Path::new("/app/bin/node");
        let unix = |name, path, base| find_with(&Flavor::Unix, name, path, Path::new(base), &exe);
        assert_eq!(
            unix("bin/node", Some("/usr/bin"), "/app"),
            Some(PathBuf::from("/app/bin/node"))
        );
        assert_eq!(
            unix("/app/bin/node", None, "/x"),
            Some(PathBuf::from("/app/bin/node"))
        );
    }

    fn win(name: &str, path: Option<&str>, base: &str, exes: &[&str]) -> Option<String> {
        let exe = |p: &Path| exes.iter().any(|e| Path::new(e) == p);
        find_with(
            &Flavor::windows(Some(".COM;.EXE;.BAT;.CMD")),
            name,
            path,
            Path::new(base),
            &exe,
        )
        .map(|p| p.to_string_lossy().into_owned())
    }

    #[test]
    fn windows_path_is_semicolon_separated_and_tries_pathext() {
        let exes = [r"C:\Python312\python.exe", r"D:\tools\py.bat"];
        let path = Some(r#"C:\Windows;;"D:\tools";C:\Python312\"#);
        assert_eq!(
            win("python", path, r"C:\app", &exes).as_deref(),
            Some(exes[0])
        );
        assert_eq!(
            win("python.exe", path, r"C:\app", &exes).as_deref(),
            Some(exes[0])
        );
        assert_eq!(win("py", path, r"C:\app", &exes).as_deref(), Some(exes[1]));
        assert_eq!(win("node", path, r"C:\app", &exes), None);
        assert_eq!(win("node", None, r"C:\app", &exes), None);
    }

    #[test]
    fn windows_paths_with_a_separator_or_drive_are_not_searched() {
        let exes = [r"C:\app\bin\node.exe", r"E:\n\node.exe"];
        assert_eq!(
            win(r"bin\node", Some(r"E:\n"), r"C:\app", &exes).as_deref(),
            Some(exes[0])
        );
        assert_eq!(
            win(r"E:\n\node.exe", None, r"C:\app", &exes).as_deref(),
            Some(exes[1])
        );
        let run = [r"C:\app\tools\run.cmd"];
        assert_eq!(
            win(r"tools\run", None, r"C:\app\", &run).as_deref(),
            Some(run[0])
        );
        assert_eq!(
            win(
                r"\\srv\share\node",
                None,
                r"C:\app",
                &[r"\\srv\share\node.exe"]
            )
            .as_deref(),
            Some(r"\\srv\share\node.exe")
        );
    }

    #[test]
    fn what_names_a_path_depends_on_the_flavor() {
        let w = Flavor::windows(None);
        assert!(names_a_path(&Flavor::Unix, "bin/node") && !names_a_path(&Flavor::Unix, "node"));
        assert!(!names_a_path(&Flavor::Unix, r"bin\node"));
        for p in [r"bin\node", "bin/node", r"C:node", r"\\srv\x"] {
            assert!(names_a_path(&w, p), "{p}");
        }
        assert!(!names_a_path(&w, "node.exe"));
    }

    #[test]
    fn python_is_py_dash_3_then_python_on_windows_and_python3_then_python_on_unix() {
        let w = Flavor::windows(None);
        let path = Some(r"C:\Windows;C:\Python312");
        let both = |p: &Path| {
            p == Path::new(r"C:\Windows\py.exe") || p == Path::new(r"C:\Python312\python.exe")
        };
        let (p, args) = find_python(&w, path, Path::new(r"C:\"), &both).unwrap();
        assert_eq!(
            (p, args),
            (PathBuf::from(r"C:\Windows\py.exe"), &["-3"][..])
        );
        let no_launcher = |p: &Path| p == Path::new(r"C:\Python312\python.exe");
        let (p, args) = find_python(&w, path, Path::new(r"C:\"), &no_launcher).unwrap();
        assert_eq!(
            (p, args.len()),
            (PathBuf::from(r"C:\Python312\python.exe"), 0)
        );
        assert!(find_python(&w, path, Path::new(r"C:\"), &|_: &Path| false).is_none());
        let u = |p: &Path| p == Path::new("/usr/bin/python3") || p == Path::new("/usr/bin/python");
        let (p, _) = find_python(&Flavor::Unix, Some("/usr/bin"), Path::new("/"), &u).unwrap();
        assert_eq!(p, PathBuf::from("/usr/bin/python3"));
    }

    #[test]
    fn the_host_flavor_reads_pathext_on_windows_only() {
        let var = |k: &str| (k == "PATHEXT").then(|| ".exe;.PY".to_string());
        let f = Flavor::host(&var);
        if cfg!(windows) {
            assert_eq!(
                f,
                Flavor::Windows {
                    pathext: vec![".EXE".into(), ".PY".into()]
                }
            );
        } else {
            assert_eq!(f, Flavor::Unix);
        }
        assert_eq!(Flavor::windows(Some("  ")), Flavor::windows(None));
    }
}
