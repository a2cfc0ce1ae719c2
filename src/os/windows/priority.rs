//! pm's own threads (the runtime's workers, the log writers) run below normal priority, so
//! when the CPUs are busy the app's threads and the services come first. On Windows thread
//! priority is per thread and not inherited by children (they get the normal priority class).

use windows_sys::Win32::System::Threading::{
    GetCurrentThread, SetThreadPriority, THREAD_PRIORITY_BELOW_NORMAL,
};

/// Lowers the calling thread's priority one step; failure leaves it as it was.
pub(crate) fn lower_this_thread() {
    // SAFETY: the pseudo-handle of the calling thread needs no closing.
    unsafe { SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_BELOW_NORMAL) };
}
