//! Wider pipes for the streams that fill theirs, within a budget shared by the whole process.
//!
//! A Linux pipe holds 64 KiB; a chatty service blocks on a full pipe and pm reads its output in
//! small pieces. 1 MiB helps, but the kernel charges a pipe's capacity, used or not, to its
//! user (/proc/sys/fs/pipe-user-pages-soft, 64 MiB by default): past that, every new pipe of
//! that user (any of the desktop's programs, not only this app's) gets 8 KiB. Widening every
//! service's stdout and stderr would cross it at 32 services. So a pipe is widened only once
//! its stream has filled the default size in one go, and at most [`BUDGET`] at a time: 16 MiB,
//! a quarter of the default limit. A [`Wide`] is one slot of it, given back when the reader
//! that holds it is dropped with its pipe.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many pipes may be wide at once.
pub(crate) const BUDGET: usize = 16;
/// What a wide pipe holds.
#[cfg(target_os = "linux")]
const WIDE: libc::c_int = 1 << 20;

/// Slots of a budget: the process has one ([`PIPES`]); tests make their own.
pub(crate) struct Budget {
    used: AtomicUsize,
    limit: usize,
}

static PIPES: Budget = Budget::new(BUDGET);

impl Budget {
    pub(crate) const fn new(limit: usize) -> Self {
        Budget {
            used: AtomicUsize::new(0),
            limit,
        }
    }

    /// A slot, if one is free.
    fn take(&'static self) -> Option<Wide> {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Wide(self))
    }
}

/// One slot of the budget, held as long as its pipe is.
pub(crate) struct Wide(&'static Budget);

impl Drop for Wide {
    fn drop(&mut self) {
        self.0.used.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Wide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wide")
    }
}

/// Widens `pipe` to 1 MiB if a slot is free and the kernel allows it (a user over the soft
/// limit is refused); `None` leaves it as it was, which still works.
pub(crate) fn widen(pipe: &impl AsRawFd) -> Option<Wide> {
    widen_within(&PIPES, pipe)
}

fn widen_within(budget: &'static Budget, pipe: &impl AsRawFd) -> Option<Wide> {
    let slot = budget.take()?;
    #[cfg(target_os = "linux")]
    {
        // SAFETY: fcntl on an open pipe fd that `pipe` owns; F_SETPIPE_SZ changes only its
        // capacity.
        let set = unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, WIDE) };
        (set >= WIDE).then_some(slot)
    }
    #[cfg(not(target_os = "linux"))]
    {
        // macOS grows a busy pipe itself (up to 64 KiB); there is nothing to set.
        let _ = (pipe, slot);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_never_exceeded_and_slots_come_back() {
        static THREE: Budget = Budget::new(3);
        let pipes: Vec<_> = (0..5)
            .map(|_| {
                let (r, w) = std::io::pipe().unwrap();
                drop(w);
                r
            })
            .collect();
        let wide: Vec<_> = pipes
            .iter()
            .filter_map(|p| widen_within(&THREE, p))
            .collect();
        assert!(wide.len() <= 3, "{} wide", wide.len());
        assert!(THREE.used.load(Ordering::Relaxed) <= 3);
        #[cfg(target_os = "linux")]
        {
            // Root, or a user under the soft limit: the first three are widened, no more.
            assert_eq!(wide.len(), 3);
            // SAFETY: F_GETPIPE_SZ on an open pipe.
            let size =
                |p: &std::io::PipeReader| unsafe { libc::fcntl(p.as_raw_fd(), libc::F_GETPIPE_SZ) };
            assert_eq!(size(&pipes[0]), WIDE);
            assert_eq!(size(&pipes[4]), crate::os::BUSY_PIPE as libc::c_int);
        }
        drop(wide);
        assert_eq!(THREE.used.load(Ordering::Relaxed), 0);
        assert!(THREE.take().is_some());
    }
}
