//! Files on Windows: what counts as a program, and which state directory pm trusts.

use std::ffi::OsString;
use std::io;
use std::os::windows::ffi::OsStringExt;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::Security::TOKEN_QUERY;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
use windows_sys::Win32::UI::Shell::GetUserProfileDirectoryW;

use super::handles::{check, owned};

/// A file whose extension is in PATHEXT (`.EXE`, `.CMD`, …), as Windows decides what it can
/// run; there is no execute bit.
pub(crate) fn is_executable(path: &Path) -> bool {
    let pathext = std::env::var("PATHEXT").ok();
    crate::os::pathext::has_pathext(path, pathext.as_deref())
        && std::fs::metadata(path)
            .map(|m| m.is_file())
            .unwrap_or(false)
}

/// Makes `dir` if needed and checks that it lies inside the current user's profile directory
/// (`C:\Users\<name>`, from the process token, not the environment). The sweep acts on what
/// the directory says, so it must be one other users cannot write to: Windows gives a profile
/// directory, and what is made inside it, an ACL of the user, SYSTEM and Administrators only.
/// pm's default state directories (Electron's userData under `%APPDATA%`, or under the user's
/// `%TEMP%`) are there; a directory elsewhere (a shared folder) is refused. A symbolic link or
/// junction is refused too, as on Unix.
pub(crate) fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let refuse = |why: String| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{why}; not using it"),
        ))
    };
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return refuse("is not a directory (or is a link)".into());
    }
    let profile = profile_dir()?;
    let (real, home) = (
        std::fs::canonicalize(dir)?,
        std::fs::canonicalize(&profile)?,
    );
    if real != home && real.starts_with(&home) {
        Ok(())
    } else {
        refuse(format!(
            "is not inside your profile directory {} (other users may be able to write there)",
            profile.display()
        ))
    }
}

fn profile_dir() -> io::Result<PathBuf> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the current-process pseudo-handle and a valid out pointer.
    check(unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) })?;
    let token: OwnedHandle = owned(token)?;
    let mut buf = vec![0u16; 1024];
    let mut len = buf.len() as u32;
    // SAFETY: an open token with TOKEN_QUERY; `buf` holds `len` UTF-16 units.
    check(unsafe { GetUserProfileDirectoryW(token.as_raw_handle(), buf.as_mut_ptr(), &mut len) })?;
    let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    Ok(PathBuf::from(OsString::from_wide(&buf[..end])))
}
