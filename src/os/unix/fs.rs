//! File facts that need the OS: whether a file may be executed, and whether a directory is
//! private to this user.

use std::io;
use std::path::Path;

/// A regular file this process may execute.
pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: c is a valid NUL-terminated path; access has no other effect.
    p.is_file() && unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0
}

/// Makes `dir` (mode 0700) if needed and checks that only we can write to it: the sweep acts on
/// what the directory says, so a directory another user could plant records in (a shared temp
/// dir) must not be trusted.
pub(crate) fn private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    let problem = if !meta.is_dir() {
        Some("is not a directory (or is a symbolic link)")
    } else if meta.uid() != me {
        Some("belongs to another user")
    } else if meta.mode() & 0o022 != 0 {
        Some("is writable by other users")
    } else {
        None
    };
    match problem {
        Some(p) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{p}; not using it"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_a_private_directory_is_trusted() {
        let base = std::env::temp_dir().join(format!("elife-pm-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dir = base.join("state");
        private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = private_dir(&dir).unwrap_err();
        assert!(e.to_string().contains("writable by other users"), "{e}");

        let link = base.join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(
            private_dir(&link).is_err(),
            "a symbolic link is not trusted"
        );
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn executables() {
        let file = std::env::temp_dir().join(format!("elife-pm-exe-{}", std::process::id()));
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(!is_executable(&file), "no execute bit");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(is_executable(&file));
        assert!(
            !is_executable(Path::new("/")),
            "a directory is not a program"
        );
        let _ = std::fs::remove_file(&file);
    }
}
