//! Windows' PATHEXT: which file extensions name a program that Windows can run (there is no
//! execute bit). Pure and built on every host, so that `start::which` tests both flavours of
//! program lookup anywhere and the Windows layer asks the same rule.

use std::path::Path;

/// PATHEXT when the environment has none (Windows' own default, trimmed to what can be run
/// without a file association).
const DEFAULT_PATHEXT: &str = ".COM;.EXE;.BAT;.CMD";

/// PATHEXT's extensions (`None` or blank: the default), upper-cased, each with its dot.
pub(crate) fn parse(pathext: Option<&str>) -> Vec<String> {
    pathext
        .filter(|p| !p.trim().is_empty())
        .unwrap_or(DEFAULT_PATHEXT)
        .split(';')
        .map(|e| e.trim().to_uppercase())
        .filter(|e| e.len() > 1 && e.starts_with('.'))
        .collect()
}

/// Whether the file name of `path` (either separator) ends in one of `pathext`, in any case.
pub(crate) fn has_extension(path: &Path, pathext: &[String]) -> bool {
    let name = path.to_string_lossy();
    let name = name.rsplit(['\\', '/']).next().unwrap_or(&name);
    match name.rfind('.') {
        Some(dot) if dot > 0 => pathext.contains(&name[dot..].to_uppercase()),
        _ => false,
    }
}

/// Whether `path`'s extension is one of PATHEXT's (`None`: the default list).
#[cfg_attr(not(windows), allow(dead_code))] // the Windows layer's; tested everywhere
pub(crate) fn has_pathext(path: &Path, pathext: Option<&str>) -> bool {
    has_extension(path, &parse(pathext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathext_decides_what_windows_can_run() {
        assert!(has_pathext(Path::new(r"C:\x\node.exe"), None));
        assert!(has_pathext(Path::new(r"C:\x\RUN.Cmd"), Some(".exe;.cmd")));
        assert!(!has_pathext(Path::new(r"C:\x\svc.py"), None));
        assert!(has_pathext(Path::new(r"C:\x\svc.py"), Some(".EXE;.PY")));
        assert!(!has_pathext(Path::new(r"C:\x.y\node"), None));
        assert!(!has_pathext(Path::new(r"C:\x\.exe"), None));
        assert_eq!(parse(Some("  ")), parse(None));
    }
}
