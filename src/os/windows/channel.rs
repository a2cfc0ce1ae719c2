//! The parent's end of a service's Node IPC channel on Windows: the server end of a duplex
//! overlapped named pipe whose client end the child has as CRT fd 3 (`NODE_CHANNEL_FD=3`).
//! libuv frames every chunk on Windows IPC pipes (`frame.rs`); this end adds and strips the
//! frames, so callers see the same JSON lines as on Unix (`ipc.rs`).
//!
//! Reads go through tokio. Writes do not: tokio (mio) counts a write as in flight until its
//! completion has come back through the reactor, so a second message sent right after a first
//! would be refused although the pipe had room. Writes go directly instead, with an event whose
//! low bit is set (no completion is queued to the reactor's port).
//!
//! Every message is one frame, and frames never interleave: app messages (`send`) go through
//! an ordered outbox that a writer thread drains (it may wait on a child that reads slowly);
//! a control message (`send_now`) is written at once when that writer is idle, and queued
//! behind it otherwise, so the caller (on the runtime) never waits for the child.

use std::io;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::sync::{Arc, Mutex};

use tokio::net::windows::named_pipe::NamedPipeServer;
use windows_sys::Win32::Foundation::{GetLastError, ERROR_IO_PENDING, HANDLE};
use windows_sys::Win32::Storage::FileSystem::WriteFile;
use windows_sys::Win32::System::Threading::CreateEventW;
use windows_sys::Win32::System::IO::{CancelIoEx, GetOverlappedResult, OVERLAPPED};

use super::frame::{self, Deframer};
use super::handles::owned;
use crate::sync::lock;

/// Bytes of messages queued for a child that does not read its channel, at most; past this,
/// `send` refuses.
pub(crate) const MAX_QUEUED: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub(crate) struct Channel {
    pipe: Arc<NamedPipeServer>,
    rx: Arc<Mutex<Rx>>,
    /// The event for direct writes; the lock also keeps each frame whole.
    tx: Arc<Mutex<Option<OwnedHandle>>>,
    /// Messages for the app's `process.on('message')`, written in order by a writer thread
    /// that lives while there is a backlog.
    out: Arc<Mutex<Outbox>>,
}

#[derive(Default)]
struct Outbox {
    queue: std::collections::VecDeque<Vec<u8>>,
    bytes: usize,
    writing: bool,
    closed: bool,
}

#[derive(Default)]
struct Rx {
    deframer: Deframer,
    /// Payload read but not yet handed out.
    pending: Vec<u8>,
    at: usize,
}

impl Channel {
    pub(crate) fn new(pipe: NamedPipeServer) -> Channel {
        Channel {
            pipe: Arc::new(pipe),
            rx: Arc::default(),
            tx: Arc::default(),
            out: Arc::default(),
        }
    }

    /// Queues a message for the child; false when the child is gone or the queue is full.
    /// Messages go out whole and in order; a control message sent meanwhile (`send_now`) goes
    /// between two of them, never inside one.
    pub(crate) fn send(&self, bytes: Vec<u8>) -> bool {
        let mut out = lock(&self.out);
        if out.closed || out.bytes + bytes.len() > MAX_QUEUED {
            return false;
        }
        out.bytes += bytes.len();
        out.queue.push_back(bytes);
        if !out.writing {
            out.writing = true;
            let me = self.clone();
            let spawned = std::thread::Builder::new()
                .name("elife-pm-ipc-write".into())
                .spawn(move || me.write_queue());
            if spawned.is_err() {
                out.writing = false;
                out.queue.clear();
                out.bytes = 0;
                return false;
            }
        }
        true
    }

    /// The writer thread: each queued message as one frame, waiting while the pipe is full.
    fn write_queue(self) {
        loop {
            let next = {
                let mut out = lock(&self.out);
                match out.queue.pop_front() {
                    Some(m) => {
                        out.bytes -= m.len();
                        m
                    }
                    None => {
                        out.writing = false;
                        return;
                    }
                }
            };
            if self.write_frame(&frame::frame(&next), true).is_err() {
                let mut out = lock(&self.out);
                out.closed = true;
                out.queue.clear();
                out.bytes = 0;
                out.writing = false;
                return;
            }
        }
    }

    /// Sends a small control message without waiting: one frame, into the pipe's buffer, or
    /// behind the app messages still being written. Fails when the child is gone, or when the
    /// buffer is full because the child does not read its channel (the write is then taken
    /// back).
    pub(crate) fn send_now(&self, bytes: &[u8]) -> io::Result<()> {
        // Held across the direct write: the writer thread cannot start meanwhile, so the two
        // never write at once (lock order: outbox, then the write lock; the thread never holds
        // both).
        let mut out = lock(&self.out);
        if out.closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the service's channel is closed",
            ));
        }
        if out.writing {
            if out.bytes + bytes.len() > MAX_QUEUED {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "the service is not reading its IPC channel",
                ));
            }
            out.bytes += bytes.len();
            out.queue.push_back(bytes.to_vec());
            return Ok(());
        }
        self.write_frame(&frame::frame(bytes), false)
    }

    /// Writes one frame. Without `wait`, a full pipe takes the write back and says WouldBlock;
    /// with it, the call waits until the child read enough (or is gone).
    fn write_frame(&self, framed: &[u8], wait: bool) -> io::Result<()> {
        let len = u32::try_from(framed.len()).map_err(io::Error::other)?;
        let mut event = lock(&self.tx);
        if event.is_none() {
            // SAFETY: default attributes, manual reset, not signalled, unnamed.
            *event = Some(owned(unsafe {
                CreateEventW(std::ptr::null(), 1, 0, std::ptr::null())
            })?);
        }
        let event = event.as_ref().expect("made above").as_raw_handle();
        let pipe: HANDLE = self.pipe.as_raw_handle();
        // SAFETY: a zeroed OVERLAPPED is valid; the low bit on the event keeps the completion
        // off the reactor's port (documented for GetQueuedCompletionStatus).
        let mut ov: OVERLAPPED = unsafe { std::mem::zeroed() };
        ov.hEvent = (event as usize | 1) as HANDLE;
        let mut written = 0u32;
        // SAFETY: `framed` and `ov` live until the write is complete or cancelled below.
        let ok = unsafe { WriteFile(pipe, framed.as_ptr(), len, &mut written, &mut ov) };
        if ok == 0 {
            // SAFETY: no preconditions.
            let err = unsafe { GetLastError() };
            if err != ERROR_IO_PENDING {
                return Err(io::Error::from_raw_os_error(err as i32));
            }
            if wait {
                // SAFETY: `ov` identifies our write on our handle; waiting keeps `framed` and
                // `ov` alive until the kernel is done with them.
                let done = unsafe { GetOverlappedResult(pipe, &ov, &mut written, 1) };
                if done == 0 {
                    return Err(io::Error::last_os_error());
                }
            } else {
                // The buffer is full. Cancel, and wait until the write is really over (it may
                // have finished meanwhile) before `framed` and `ov` go away.
                // SAFETY: `ov` identifies our write on our handle; waiting makes the kernel
                // done with both buffers.
                unsafe {
                    CancelIoEx(pipe, &ov);
                    GetOverlappedResult(pipe, &ov, &mut written, 1);
                }
                if written != len {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        "the service is not reading its IPC channel",
                    ));
                }
            }
        }
        if written == len {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::WriteZero, "partial message"))
        }
    }

    /// Reads some payload bytes; Ok(0) once the child closed its end.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(n) = self.take_pending(buf) {
                return Ok(n);
            }
            self.pipe.readable().await?;
            match self.read_frames()? {
                Some(0) => return Ok(0),
                _ => continue,
            }
        }
    }

    /// Reads the payload that is there without waiting; Ok(0) when there is none (or the
    /// child closed its end).
    pub(crate) fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(n) = self.take_pending(buf) {
                return Ok(n);
            }
            match self.read_frames()? {
                Some(0) | None => return Ok(0),
                Some(_) => {}
            }
        }
    }

    /// Payload already deframed, if any.
    fn take_pending(&self, buf: &mut [u8]) -> Option<usize> {
        let mut rx = lock(&self.rx);
        if rx.at >= rx.pending.len() {
            return None;
        }
        let n = (rx.pending.len() - rx.at).min(buf.len());
        buf[..n].copy_from_slice(&rx.pending[rx.at..rx.at + n]);
        rx.at += n;
        if rx.at == rx.pending.len() {
            rx.pending.clear();
            rx.at = 0;
        }
        Some(n)
    }

    /// One read of the pipe into the deframer: how many bytes it took (`Some(0)` at the end),
    /// or `None` when nothing was there.
    fn read_frames(&self) -> io::Result<Option<usize>> {
        let mut raw = [0u8; 8 * 1024];
        let n = match self.pipe.try_read(&mut raw) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Some(0)),
            Err(e) => return Err(e),
        };
        if n > 0 {
            let mut rx = lock(&self.rx);
            let Rx {
                deframer, pending, ..
            } = &mut *rx;
            deframer
                .push(&raw[..n], pending)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        Ok(Some(n))
    }
}
