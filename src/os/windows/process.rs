//! A running service on Windows: its process handle (to wait on and read the exit code), and
//! its Job Object (to end it and everything it started).
//!
//! Waiting: tokio has no Windows child type for a process it did not spawn, so the handle is
//! watched with `RegisterWaitForSingleObject` (a thread-pool wait, no thread per service); the
//! callback flips a `watch` channel that `wait` awaits, which makes `wait` cancel-safe.
//! Spawner cancellation needs nothing more: a `Spawned` nobody takes is dropped, and with it
//! the process and its job.
//!
//! Ending: `TerminateJobObject` runs on a thread of its own (`ender`), never on the runtime's
//! workers: each call is a round trip to the kernel, which under Wine is a round trip to a
//! wineserver busy with every process that ends at once (1-5 ms each when 20 services stopped
//! together, which held up the pipes and exits of the others on the same workers).

use std::ffi::c_void;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::watch;
use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE, WAIT_TIMEOUT};
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, RegisterWaitForSingleObject, UnregisterWaitEx, WaitForSingleObject,
    INFINITE, WT_EXECUTEINWAITTHREAD, WT_EXECUTEONLYONCE,
};

use super::handles::check;
use super::job::Job;
use crate::os::Exit;

const NOTHING: u8 = 0;
const TERMINATED: u8 = 1;
const KILLED: u8 = 2;

/// What the process and its killers share.
struct Shared {
    process: OwnedHandle,
    job: Job,
    /// How pm ended it, if it did (the first reason wins).
    ended_by: AtomicU8,
    /// The job was terminated: every process in it is ended, and no process can join it any
    /// more (its only member's children are born into it), so once is enough. Each call is a
    /// round trip to the kernel (to wineserver under Wine, which is busy while many processes
    /// end at once: a second one per stopped service cost milliseconds there).
    terminated: AtomicBool,
}

impl Shared {
    /// Ends the job (once), on the ender thread; at once if that thread cannot run.
    fn end(self: &Arc<Self>, why: u8) {
        if self.terminated.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Err(mpsc::SendError((shared, why))) = ender().send((self.clone(), why)) {
            shared.terminate(why);
        }
    }

    fn terminate(&self, why: u8) {
        // SAFETY: the process handle is open while `self` lives; a zero timeout only polls.
        let running =
            unsafe { WaitForSingleObject(self.process.as_raw_handle(), 0) } == WAIT_TIMEOUT;
        if running {
            let _ =
                self.ended_by
                    .compare_exchange(NOTHING, why, Ordering::AcqRel, Ordering::Acquire);
        }
        self.job.terminate();
    }
}

/// A job to end, and why.
type Ending = (Arc<Shared>, u8);

/// The ender thread's queue, started at the first ending.
fn ender() -> mpsc::Sender<Ending> {
    static ENDER: OnceLock<Mutex<mpsc::Sender<Ending>>> = OnceLock::new();
    let tx = ENDER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Ending>();
        // Without the thread, `end` ends the job itself (the send fails).
        let _ = std::thread::Builder::new()
            .name("elife-pm-ender".into())
            .spawn(move || {
                for (shared, why) in rx {
                    shared.terminate(why);
                }
            });
        Mutex::new(tx)
    });
    crate::sync::lock(tx).clone()
}

pub(crate) struct Process {
    // Declared first so it is dropped first: the wait is unregistered before the process
    // handle it watches can close.
    _watch: ExitWatch,
    shared: Arc<Shared>,
    exited: watch::Receiver<bool>,
}

impl Process {
    /// `process` must already be in `job`.
    pub(crate) fn new(process: OwnedHandle, job: Job) -> std::io::Result<Process> {
        let (tx, exited) = watch::channel(false);
        let watch = ExitWatch::register(&process, tx)?;
        Ok(Process {
            _watch: watch,
            shared: Arc::new(Shared {
                process,
                job,
                ended_by: AtomicU8::new(NOTHING),
                terminated: AtomicBool::new(false),
            }),
            exited,
        })
    }

    /// Resolves when the process has exited. Cancel-safe. As Node reports a child on Windows:
    /// when pm ended it, the signal says how ("SIGTERM" by `terminate`, "SIGKILL" by
    /// `kill_tree`) and the code is None; otherwise the code is the process's exit code (a u32,
    /// so NTSTATUS crash codes such as 0xC0000005 come out negative) and the signal None.
    pub(crate) async fn wait(&mut self) -> Exit {
        // An error means the sender is gone, which happens only after the callback ran.
        let _ = self.exited.wait_for(|done| *done).await;
        let mut code = 0u32;
        // SAFETY: an open process handle and a valid out pointer.
        let got =
            check(unsafe { GetExitCodeProcess(self.shared.process.as_raw_handle(), &mut code) });
        let signal = match self.shared.ended_by.load(Ordering::Acquire) {
            TERMINATED => Some("SIGTERM".to_string()),
            KILLED => Some("SIGKILL".to_string()),
            _ => None,
        };
        Exit {
            code: got.ok().filter(|_| signal.is_none()).map(|_| code as i32),
            signal,
        }
    }

    /// Windows has no polite signal, whatever `stopSignal` says: ends the job at once (see
    /// `mod.rs`).
    pub(crate) fn terminate(&self, _signal: crate::os::StopSignal) {
        self.shared.end(TERMINATED);
    }

    pub(crate) fn killer(&self) -> Killer {
        Killer {
            shared: self.shared.clone(),
        }
    }
}

/// A process dropped before it was seen to exit (a spawn whose caller stopped waiting) is ended
/// with its job, as on Unix; the job's last handle closing would also end it, but a `Killer`
/// may still hold one.
impl Drop for Process {
    fn drop(&mut self) {
        if !*self.exited.borrow() {
            self.shared.end(KILLED);
        }
    }
}

/// Ends the service's whole job, from any thread, any number of times.
#[derive(Clone)]
pub(crate) struct Killer {
    shared: Arc<Shared>,
}

impl Killer {
    pub(crate) fn kill_tree(&self) {
        self.shared.end(KILLED);
    }
}

/// The registered thread-pool wait on the process handle.
struct ExitWatch {
    wait: HANDLE,
    tx: *mut watch::Sender<bool>,
}

// SAFETY: `wait` is a registration handle usable from any thread; `tx` points to a
// `watch::Sender` (Send + Sync) owned by this struct and freed only in `drop`.
unsafe impl Send for ExitWatch {}
// SAFETY: as above; `ExitWatch` exposes nothing through `&self`.
unsafe impl Sync for ExitWatch {}

unsafe extern "system" fn on_exit(ctx: *mut c_void, _timed_out: bool) {
    // SAFETY: `ctx` is the `Box<watch::Sender>` leaked in `register`, freed only after
    // `UnregisterWaitEx` has waited for this callback to finish.
    let tx = unsafe { &*(ctx as *const watch::Sender<bool>) };
    tx.send_replace(true);
}

impl ExitWatch {
    fn register(process: &OwnedHandle, tx: watch::Sender<bool>) -> std::io::Result<ExitWatch> {
        let tx = Box::into_raw(Box::new(tx));
        let mut wait: HANDLE = std::ptr::null_mut();
        // SAFETY: an open process handle, which outlives the registration (`Process` drops
        // its `ExitWatch` first); the callback and its context stay valid until `drop`
        // unregisters the wait and waits for a running callback.
        let ok = unsafe {
            RegisterWaitForSingleObject(
                &mut wait,
                process.as_raw_handle(),
                Some(on_exit),
                tx as *const c_void,
                INFINITE,
                WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD,
            )
        };
        if let Err(e) = check(ok) {
            // SAFETY: not registered, so nothing else holds `tx`.
            drop(unsafe { Box::from_raw(tx) });
            return Err(e);
        }
        Ok(ExitWatch { wait, tx })
    }
}

impl Drop for ExitWatch {
    fn drop(&mut self) {
        // SAFETY: `wait` is our registration; INVALID_HANDLE_VALUE makes the call wait until
        // a running callback has returned, after which `tx` is ours alone to free.
        unsafe {
            UnregisterWaitEx(self.wait, INVALID_HANDLE_VALUE);
            drop(Box::from_raw(self.tx));
        }
    }
}
