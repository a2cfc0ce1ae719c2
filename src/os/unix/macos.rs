//! macOS answers to what Linux reads from /proc and sets per thread: a process's start time
//! (so the sweep of a killed run's leftovers can tell a service from a process that reused its
//! pid) and a lower priority for pm's own threads (nice is per process on macOS; the per-thread
//! tool is the quality-of-service class).

/// The start time of a live process, in microseconds since the epoch; None for no such process
/// or a zombie.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let pid = libc::c_int::try_from(pid).ok()?;
    // SAFETY: an all-zero proc_bsdinfo is a valid value of this plain C struct.
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::proc_bsdinfo>() as libc::c_int;
    // SAFETY: proc_pidinfo writes at most `size` bytes into `info`.
    let n = unsafe {
        libc::proc_pidinfo(
            pid,
            libc::PROC_PIDTBSDINFO,
            0,
            (&mut info as *mut libc::proc_bsdinfo).cast(),
            size,
        )
    };
    if n != size || info.pbi_status == libc::SZOMB {
        return None;
    }
    Some(info.pbi_start_tvsec * 1_000_000 + info.pbi_start_tvusec)
}

/// QOS_CLASS_UTILITY (<sys/qos.h>): below the app's default and user-initiated work, above
/// background (which would also throttle the log writers' disk I/O).
const QOS_CLASS_UTILITY: libc::c_uint = 0x11;

extern "C" {
    // libSystem (<pthread/qos.h>); not in the libc crate.
    fn pthread_set_qos_class_self_np(
        qos: libc::c_uint,
        relative_priority: libc::c_int,
    ) -> libc::c_int;
}

/// Puts the calling thread in the utility QoS class. Failure leaves it as it was.
pub(crate) fn lower_this_thread() {
    // SAFETY: affects only the calling thread; no pointers.
    unsafe { pthread_set_qos_class_self_np(QOS_CLASS_UTILITY, 0) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn our_own_start_time_is_known_and_stable() {
        let me = std::process::id();
        let t = super::start_time(me).unwrap();
        assert_eq!(super::start_time(me), Some(t));
        assert_eq!(super::start_time(u32::MAX), None);
    }
}
