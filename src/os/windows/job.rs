//! One Job Object per service. `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` ends every process in it
//! when its last handle closes; pm holds the only one (never inheritable), so the service's
//! whole tree ends when pm drops the job or the main process dies, however it dies.

use std::io;
use std::os::windows::io::{AsRawHandle, OwnedHandle};

use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
    SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};

use super::handles::{check, owned};

/// The exit code of processes pm ends (the value Node and libuv use for a killed child).
pub(super) const KILLED_EXIT_CODE: u32 = 1;

pub(crate) struct Job {
    handle: OwnedHandle,
}

impl Job {
    pub(crate) fn new() -> io::Result<Job> {
        // SAFETY: null attributes (a handle that is not inherited) and no name.
        let handle = owned(unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) })?;
        // SAFETY: a zeroed JOBOBJECT_EXTENDED_LIMIT_INFORMATION is valid (plain integers).
        let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
        info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        // SAFETY: a valid job handle and a pointer to a struct of the size given.
        check(unsafe {
            SetInformationJobObject(
                handle.as_raw_handle(),
                JobObjectExtendedLimitInformation,
                (&info as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast(),
                size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            )
        })?;
        Ok(Job { handle })
    }

    /// Puts a (suspended) process in the job; what it starts later is in the job too.
    pub(crate) fn assign(&self, process: &OwnedHandle) -> io::Result<()> {
        // SAFETY: both handles are open.
        check(unsafe {
            AssignProcessToJobObject(self.handle.as_raw_handle(), process.as_raw_handle())
        })
    }

    /// Ends every process in the job. Failure (the job is already empty) needs no handling.
    pub(crate) fn terminate(&self) {
        // SAFETY: the job handle is open while `self` lives.
        unsafe { TerminateJobObject(self.handle.as_raw_handle(), KILLED_EXIT_CODE) };
    }
}
