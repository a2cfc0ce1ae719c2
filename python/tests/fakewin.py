"""A stand-in for `_winapi` and `msvcrt` on Linux: one pipe whose reads return scripted chunks
(each released once pm's side has seen a given number of writes) and whose writes are recorded,
so elife_pm's Windows path runs here as far as it can without Windows."""

import threading

ERROR_IO_PENDING = 997
ERROR_MORE_DATA = 234
ERROR_BROKEN_PIPE = 109
ERROR_NO_DATA = 232
INFINITE = 0xFFFFFFFF
HANDLE = 0x1234

BROKEN = object()  # a read that finds the pipe broken (pm gone)


class FakeOverlapped:
    def __init__(self, complete, pending):
        self.event = object()
        self._complete = complete  # () -> (bytes, transferred); may block or raise
        self.pending = pending
        self.cancelled = False
        self._buffer = b""

    def GetOverlappedResult(self, wait):
        assert wait is True, "the helper must wait for its I/O"
        self._buffer, transferred = self._complete()
        return transferred, 0

    def getbuffer(self):
        return self._buffer

    def cancel(self):
        self.cancelled = True


class FakeWinapi:
    ERROR_IO_PENDING = ERROR_IO_PENDING
    ERROR_MORE_DATA = ERROR_MORE_DATA
    ERROR_BROKEN_PIPE = ERROR_BROKEN_PIPE
    ERROR_NO_DATA = ERROR_NO_DATA
    INFINITE = INFINITE

    def __init__(self, reads=(), pending=True, max_write=None, on_write=None):
        """`reads`: (writes_seen_before, chunk or BROKEN) in order; `max_write`: bytes a write
        takes at most (a short write); `on_write(bytes)`: told of every write."""
        self._reads = list(reads)
        self._left = b""
        self.pending = pending
        self.max_write = max_write
        self.on_write = on_write
        self.writes = []
        self.waits = 0
        self._cond = threading.Condition()

    def ReadFile(self, handle, size, overlapped=False):
        assert handle == HANDLE and overlapped is True, "reads must be overlapped"

        def complete():
            with self._cond:
                if not self._left:
                    if not self._reads:
                        raise AssertionError("the helper read past the script")
                    after, chunk = self._reads[0]
                    self._cond.wait_for(lambda: len(self.writes) >= after, timeout=10)
                    assert len(self.writes) >= after, "the writes pm waits for never came"
                    self._reads.pop(0)
                    if chunk is BROKEN:
                        err = BrokenPipeError(32, "The pipe has been ended")
                        raise err
                    self._left = chunk
                data, self._left = self._left[:size], self._left[size:]
                return data, len(data)

        return FakeOverlapped(complete, self.pending), (ERROR_IO_PENDING if self.pending else 0)

    def WriteFile(self, handle, buf, overlapped=False):
        assert handle == HANDLE and overlapped is True, "writes must be overlapped"
        buf = bytes(buf)

        def complete():
            n = len(buf) if self.max_write is None else min(self.max_write, len(buf))
            # Told before the write counts: a read waiting for it may end the process at once.
            if self.on_write:
                self.on_write(buf[:n])
            with self._cond:
                self.writes.append(buf[:n])
                self._cond.notify_all()
            return b"", n

        return FakeOverlapped(complete, self.pending), (ERROR_IO_PENDING if self.pending else 0)

    def WaitForMultipleObjects(self, handles, wait_all, timeout):
        assert len(handles) == 1 and timeout == INFINITE
        self.waits += 1
        return 0


class FakeMsvcrt:
    def __init__(self):
        self.asked = []

    def get_osfhandle(self, fd):
        self.asked.append(fd)
        return HANDLE
