//! Small helpers shared by the Windows modules: wide strings and owned handles.

use std::ffi::OsStr;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE};

/// `s` as UTF-16 without a terminator.
pub(super) fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().collect()
}

/// `s` as a NUL-terminated UTF-16 string for a `PCWSTR` parameter.
pub(super) fn wide_z(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

/// Takes ownership of a handle a Win32 call returned, or its error.
pub(super) fn owned(h: HANDLE) -> io::Result<OwnedHandle> {
    if h.is_null() || h == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `h` is a valid handle just returned to us, and nothing else owns it.
    Ok(unsafe { OwnedHandle::from_raw_handle(h) })
}

/// A `BOOL` result as `io::Result`.
pub(super) fn check(ok: windows_sys::core::BOOL) -> io::Result<()> {
    if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
