//! pm's own threads (the runtime's workers, the log writers) run at a lower priority than the
//! app: when the CPUs are busy, the main JS thread and the services come first, and a log flood
//! does not show up as event-loop delay in the app.

/// The nice value of pm's threads, relative to the process's.
#[cfg(target_os = "linux")]
pub(crate) const BACKGROUND_NICE: i32 = 5;

/// Lowers the calling thread's priority. Linux: nice is per thread there. macOS: the utility
/// QoS class (`setpriority` would lower the whole main process). Elsewhere nothing.
pub(crate) fn lower_this_thread() {
    #[cfg(target_os = "macos")]
    super::macos::lower_this_thread();
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread; failure leaves the priority as it was.
    unsafe {
        // The raw syscall: glibc's gettid() wrapper is 2.30+, the Linux packages target 2.17.
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if *libc::__errno_location() == 0 {
            libc::setpriority(libc::PRIO_PROCESS, tid, now + BACKGROUND_NICE);
        }
    }
}
