//! libuv's framing of IPC pipes on Windows (`src/win/pipe.c`): Node writes every chunk on its
//! channel behind a 16-byte header `{flags, reserved, data_length, reserved}` (little-endian
//! u32s), and a transferred socket's 632-byte description (`WSAPROTOCOL_INFOW` + an error code)
//! between the header and the data. The JSON lines themselves are the same as on Unix
//! (`ipc.rs`). Pure, so it is tested on every host.

pub(crate) const HEADER_LEN: usize = 16;
const HAS_DATA: u32 = 0x01;
const HAS_SOCKET_XFER: u32 = 0x02;
const XFER_IS_TCP_CONNECTION: u32 = 0x04;
const VALID_FLAGS: u32 = HAS_DATA | HAS_SOCKET_XFER | XFER_IS_TCP_CONNECTION;
/// `sizeof(uv__ipc_socket_xfer_info_t)`: `WSAPROTOCOL_INFOW` (628) + `uint32_t`.
const XFER_INFO_LEN: usize = 632;

/// `data` as one frame, as libuv writes it.
pub(crate) fn frame(data: &[u8]) -> Vec<u8> {
    let len = u32::try_from(data.len()).expect("IPC messages are small");
    let flags = if data.is_empty() { 0 } else { HAS_DATA };
    let mut out = Vec::with_capacity(HEADER_LEN + data.len());
    for word in [flags, 0, len, 0] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// Where the reader is in the stream of frames.
#[derive(Debug)]
enum At {
    Header {
        got: [u8; HEADER_LEN],
        len: usize,
    },
    /// A transferred socket's description (pm does not take sockets: skipped), then data.
    Xfer {
        left: usize,
        data: u32,
    },
    Data {
        left: u32,
    },
}

/// Strips the frames from the bytes read, in pieces of any size.
#[derive(Debug)]
pub(crate) struct Deframer {
    at: At,
}

impl Default for Deframer {
    fn default() -> Self {
        Deframer {
            at: At::Header {
                got: [0; HEADER_LEN],
                len: 0,
            },
        }
    }
}

impl Deframer {
    /// Appends the payload in `input` to `out`. An error means the stream is not libuv's
    /// framing (the channel is then unusable, as libuv treats it).
    pub(crate) fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        while !input.is_empty() {
            match &mut self.at {
                At::Header { got, len } => {
                    let n = (HEADER_LEN - *len).min(input.len());
                    got[*len..*len + n].copy_from_slice(&input[..n]);
                    *len += n;
                    input = &input[n..];
                    if *len == HEADER_LEN {
                        self.at = Self::after_header(got)?;
                    }
                }
                At::Xfer { left, data } => {
                    let n = (*left).min(input.len());
                    *left -= n;
                    input = &input[n..];
                    if *left == 0 {
                        self.at = Self::data(*data);
                    }
                }
                At::Data { left } => {
                    let n = (*left as usize).min(input.len());
                    out.extend_from_slice(&input[..n]);
                    *left -= n as u32;
                    input = &input[n..];
                    if *left == 0 {
                        *self = Deframer::default();
                    }
                }
            }
        }
        Ok(())
    }

    fn after_header(h: &[u8; HEADER_LEN]) -> Result<At, String> {
        let word = |i: usize| u32::from_le_bytes(h[i * 4..i * 4 + 4].try_into().unwrap());
        let (flags, data_length, reserved2) = (word(0), word(2), word(3));
        let bad = |why: &str| Err(format!("bad IPC frame from the child ({why}): {h:02x?}"));
        if flags & !VALID_FLAGS != 0 || reserved2 != 0 {
            return bad("unknown flags");
        }
        if flags & HAS_DATA == 0 && data_length != 0 {
            return bad("length without data");
        }
        if flags & XFER_IS_TCP_CONNECTION != 0 && flags & HAS_SOCKET_XFER == 0 {
            return bad("socket type without a socket");
        }
        let data = if flags & HAS_DATA != 0 {
            data_length
        } else {
            0
        };
        Ok(if flags & HAS_SOCKET_XFER != 0 {
            At::Xfer {
                left: XFER_INFO_LEN,
                data,
            }
        } else {
            Self::data(data)
        })
    }

    fn data(left: u32) -> At {
        if left == 0 {
            Deframer::default().at
        } else {
            At::Data { left }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(flags: u32, len: u32) -> Vec<u8> {
        [flags, 0, len, 0]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect()
    }

    #[test]
    fn a_frame_is_a_header_and_the_data() {
        let f = frame(b"{\"a\":1}\n");
        assert_eq!(&f[..HEADER_LEN], header(HAS_DATA, 8).as_slice());
        assert_eq!(&f[HEADER_LEN..], b"{\"a\":1}\n");
        assert_eq!(frame(b""), header(0, 0));
    }

    #[test]
    fn frames_split_anywhere_give_back_the_stream() {
        let mut stream = frame(b"{\"cmd\":\"one\"}\n{\"x\"");
        stream.extend(frame(b":2}\n"));
        stream.extend(frame(b""));
        stream.extend(frame(b"last\n"));
        for piece in 1..stream.len() {
            let mut d = Deframer::default();
            let mut out = Vec::new();
            for chunk in stream.chunks(piece) {
                d.push(chunk, &mut out).unwrap();
            }
            assert_eq!(
                out, b"{\"cmd\":\"one\"}\n{\"x\":2}\nlast\n",
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn a_transferred_socket_is_skipped() {
        let mut stream = header(HAS_DATA | HAS_SOCKET_XFER, 3);
        stream.extend(vec![0xAB; XFER_INFO_LEN]);
        stream.extend(b"hi\n");
        stream.extend(frame(b"next\n"));
        let mut out = Vec::new();
        Deframer::default().push(&stream, &mut out).unwrap();
        assert_eq!(out, b"hi\nnext\n");
    }

    #[test]
    fn garbage_is_an_error() {
        let mut out = Vec::new();
        assert!(Deframer::default()
            .push(b"{\"not\":\"framed\"}\n", &mut out)
            .is_err());
        assert!(Deframer::default().push(&header(0, 5), &mut out).is_err());
    }
}
