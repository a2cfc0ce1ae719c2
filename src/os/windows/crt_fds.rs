//! The C runtime's file descriptors for a child, passed through `STARTUPINFO.lpReserved2` as
//! libuv does (`src/win/process-stdio.c`): a 32-bit count, one flags byte per fd, then one
//! handle per fd (pointer-sized, unaligned). The child's UCRT opens fd *n* on handle *n*; this
//! is how Node's IPC channel reaches a child as fd 3 (`NODE_CHANNEL_FD=3`), and how the
//! Python helper finds it too. Pure, so the layout is tested on every host.

/// The fd is open.
pub(crate) const FOPEN: u8 = 0x01;
/// The fd is a pipe.
pub(crate) const FPIPE: u8 = 0x08;
/// The fd is a character device (`NUL`).
pub(crate) const FDEV: u8 = 0x40;

/// The buffer for `lpReserved2`, fd *i* being `fds[i]` = (flags, handle as an integer).
/// `None` when it would not fit `cbReserved2` (a `u16`); pm passes four fds.
pub(crate) fn layout(fds: &[(u8, usize)]) -> Option<Vec<u8>> {
    let count = u32::try_from(fds.len()).ok()?;
    let mut buf = Vec::with_capacity(4 + fds.len() * (1 + size_of::<usize>()));
    buf.extend_from_slice(&count.to_le_bytes());
    buf.extend(fds.iter().map(|(flags, _)| *flags));
    for (_, handle) in fds {
        buf.extend_from_slice(&handle.to_le_bytes());
    }
    u16::try_from(buf.len()).ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_then_flags_then_handles() {
        let buf = layout(&[
            (FOPEN | FDEV, 0x10),
            (FOPEN | FPIPE, 0x24),
            (FOPEN | FPIPE, 0x28),
            (FOPEN | FPIPE, 0x1_0000_0030),
        ])
        .unwrap();
        let h = size_of::<usize>();
        assert_eq!(buf.len(), 4 + 4 + 4 * h);
        assert_eq!(&buf[..4], &[4, 0, 0, 0]);
        assert_eq!(&buf[4..8], &[0x41, 0x09, 0x09, 0x09]);
        let handle = |i: usize| {
            let at = 8 + i * h;
            usize::from_le_bytes(buf[at..at + h].try_into().unwrap())
        };
        assert_eq!(handle(0), 0x10);
        assert_eq!(handle(3), 0x1_0000_0030);
    }

    #[test]
    fn too_many_fds_do_not_fit() {
        assert!(layout(&vec![(FOPEN, 1); 8000]).is_none());
        assert_eq!(layout(&[]).unwrap(), vec![0, 0, 0, 0]);
    }
}
