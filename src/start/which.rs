//! Finds a program the way a shell does: a name with a slash is a path (relative to a base
//! directory), anything else is looked up in PATH. Pure: the caller says what is executable.

use std::path::{Path, PathBuf};

pub fn find(
    name: &str,
    path_var: Option<&str>,
    base: &Path,
    is_executable: &dyn Fn(&Path) -> bool,
) -> Option<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_looked_up_in_path_in_order() {
        let exe = |p: &Path| p == Path::new("/b/python3") || p == Path::new("/c/python3");
        assert_eq!(
            find("python3", Some("/a::/b:/c"), Path::new("/"), &exe),
            Some(PathBuf::from("/b/python3"))
        );
        assert_eq!(find("python3", Some("/a"), Path::new("/"), &exe), None);
        assert_eq!(find("python3", None, Path::new("/"), &exe), None);
    }

    #[test]
    fn paths_are_taken_relative_to_the_base() {
        let exe = |p: &Path| p == Path::new("/app/bin/node");
        assert_eq!(
            find("bin/node", Some("/usr/bin"), Path::new("/app"), &exe),
            Some(PathBuf::from("/app/bin/node"))
        );
        assert_eq!(
            find("/app/bin/node", None, Path::new("/x"), &exe),
            Some(PathBuf::from("/app/bin/node"))
        );
    }
}
