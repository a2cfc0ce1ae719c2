"""elife_pm's channel on Windows: Node's IPC pipe as CRT fd 3, framed the way libuv frames it.

On Windows the child inherits (as fd 3, `NODE_CHANNEL_FD=3`) the client end of a duplex named
pipe opened for overlapped I/O, and every chunk on it is framed by libuv (`src/win/pipe.c`): a
16-byte little-endian header `{flags, reserved, data_length, reserved}`, a transferred socket's
632-byte description when flags has 0x02 (skipped: pm sends no sockets), then the data. The
payload is the same JSON lines as on Unix. `PipeChannel` hands the rest of the helper what a
socket gives it there: `makefile("rb")` (lines) and `sendall`. The pure parts (`frame`,
`Deframer`) are tested on every host; `_winapi` is only imported when a channel is opened.
Untested on real Windows (no Windows Python could be had to run it).
"""

import io
import struct

HEADER_LEN = 16
HAS_DATA = 0x01
HAS_SOCKET_XFER = 0x02
XFER_IS_TCP_CONNECTION = 0x04
_VALID_FLAGS = HAS_DATA | HAS_SOCKET_XFER | XFER_IS_TCP_CONNECTION
# sizeof(uv__ipc_socket_xfer_info_t): WSAPROTOCOL_INFOW (628) + a uint32_t.
XFER_INFO_LEN = 632
_HEADER = struct.Struct("<4I")
_READ_SIZE = 65536


class FrameError(ValueError):
    """The bytes read are not libuv's framing (the channel is then unusable, as libuv treats it)."""


def frame(data):
    """`data` (bytes) as one frame, as libuv writes it."""
    data = bytes(data)
    if len(data) > 0xFFFFFFFF:
        raise ValueError("elife_pm: a message of %d bytes is too large for one frame" % len(data))
    return _HEADER.pack(HAS_DATA if data else 0, 0, len(data), 0) + data


class Deframer:
    """Strips the frames from the bytes read, in pieces of any size."""

    def __init__(self):
        self._header = b""
        self._skip = 0  # bytes of a transferred socket's description still to skip
        self._data = 0  # payload bytes of the current frame (after the skip) still to come

    def push(self, chunk, out):
        """Appends the payload in `chunk` (bytes) to `out` (a bytearray). Raises FrameError on a
        bad header (the payload before it is in `out`)."""
        view = memoryview(chunk)
        while len(view):
            if self._skip:
                n = min(self._skip, len(view))
                self._skip -= n
                view = view[n:]
            elif self._data:
                n = min(self._data, len(view))
                out += view[:n]
                self._data -= n
                view = view[n:]
            else:
                n = min(HEADER_LEN - len(self._header), len(view))
                self._header += bytes(view[:n])
                view = view[n:]
                if len(self._header) == HEADER_LEN:
                    header, self._header = self._header, b""
                    self._skip, self._data = _after_header(header)


def _after_header(header):
    flags, _reserved, length, reserved2 = _HEADER.unpack(header)

    def bad(why):
        return FrameError("elife_pm: bad IPC frame from pm (%s): %s" % (why, header.hex()))

    if flags & ~_VALID_FLAGS or reserved2 != 0:
        raise bad("unknown flags")
    if not flags & HAS_DATA and length != 0:
        raise bad("length without data")
    if flags & XFER_IS_TCP_CONNECTION and not flags & HAS_SOCKET_XFER:
        raise bad("socket type without a socket")
    skip = XFER_INFO_LEN if flags & HAS_SOCKET_XFER else 0
    return skip, (length if flags & HAS_DATA else 0)


class PipeChannel:
    """The channel on a pipe HANDLE opened for overlapped I/O. `winapi` is `_winapi` (a fake in
    the tests). Reads and writes may run at once on two threads: each uses its own OVERLAPPED
    (and event). The handle belongs to the CRT's fd 3: it is never closed here."""

    def __init__(self, handle, winapi):
        self._handle = handle
        self._winapi = winapi

    def _complete(self, ov, err):
        """Waits for an overlapped call to finish; returns the bytes transferred."""
        w = self._winapi
        try:
            if err == w.ERROR_IO_PENDING:
                w.WaitForMultipleObjects([ov.event], False, w.INFINITE)
        except BaseException:
            ov.cancel()
            raise
        finally:
            # Also after a cancel: the OVERLAPPED must not be freed while the I/O may still use it.
            # A broken pipe (pm gone) raises OSError here.
            transferred, err = ov.GetOverlappedResult(True)
        if err not in (0, w.ERROR_MORE_DATA):
            raise OSError(None, "elife_pm: I/O on pm's channel failed", None, err)
        return transferred

    def read_chunk(self):
        """The next bytes pm wrote (framed); b"" at the end (a broken pipe: pm is gone)."""
        w = self._winapi
        while True:
            try:
                ov, err = w.ReadFile(self._handle, _READ_SIZE, overlapped=True)
                self._complete(ov, err)
            except BrokenPipeError:
                return b""
            except OSError as e:
                if getattr(e, "winerror", None) in (w.ERROR_BROKEN_PIPE, w.ERROR_NO_DATA):
                    return b""
                raise
            data = bytes(ov.getbuffer())
            # A byte-mode pipe read completes with data, an error, or the rare zero-byte write
            # from the other end (not the end of the channel: read on).
            if data:
                return data

    def sendall(self, data):
        """Writes `data` as one frame (libuv delivers each frame as it comes; a message is one
        write so frames of two threads never interleave: the caller holds the send lock)."""
        buf = frame(data)
        while buf:
            ov, err = self._winapi.WriteFile(self._handle, buf, overlapped=True)
            written = self._complete(ov, err)
            if written <= 0:
                raise BrokenPipeError("elife_pm: pm's channel accepted no bytes")
            buf = buf[written:]

    def makefile(self, mode="rb"):
        """A buffered reader of the payload: iterate it for lines, as on a socket's makefile."""
        if mode != "rb":
            raise ValueError("elife_pm: only makefile('rb') is supported, got %r" % (mode,))
        return io.BufferedReader(_Payload(self))


class _Payload(io.RawIOBase):
    """The deframed payload of a PipeChannel as a raw stream."""

    def __init__(self, channel):
        super().__init__()
        self._channel = channel
        self._deframer = Deframer()
        self._pending = bytearray()
        self._error = None

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._pending:
            if self._error is not None:
                # The reader treats an OSError as the channel's end.
                raise OSError(str(self._error)) from self._error
            chunk = self._channel.read_chunk()
            if not chunk:
                return 0
            try:
                self._deframer.push(chunk, self._pending)
            except FrameError as e:
                self._error = e  # after the payload that came before the bad frame
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        del self._pending[:n]
        return n


def open_channel(fd):
    """The channel on CRT fd `fd` (Windows only)."""
    import _winapi
    import msvcrt

    return PipeChannel(msvcrt.get_osfhandle(fd), _winapi)
