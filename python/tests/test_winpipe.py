"""elife_pm on Windows, as far as Linux can run it: libuv's framing (pure), the pipe reader and
writer on a fake `_winapi`, and the whole helper in a child Python that believes it runs on
Windows (`os.name == "nt"`, fake `_winapi`/`msvcrt`). Real Windows I/O is not exercised.
Run: cd python && python3 -m unittest discover -s tests"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import fakewin  # noqa: E402
from elife_pm import _winpipe  # noqa: E402
from elife_pm._winpipe import HEADER_LEN, XFER_INFO_LEN, Deframer, FrameError, frame  # noqa: E402


def header(flags, length):
    return struct.pack("<4I", flags, 0, length, 0)


def deframe_all(data, piece=None):
    """The payload of `data` fed to one Deframer in pieces of `piece` bytes (all at once: None)."""
    d, out = Deframer(), bytearray()
    piece = piece or max(len(data), 1)
    for i in range(0, len(data), piece):
        d.push(data[i:i + piece], out)
    return bytes(out)


class Framing(unittest.TestCase):
    def test_a_frame_is_a_header_and_the_data(self):
        f = frame(b'{"a":1}\n')
        self.assertEqual(f[:HEADER_LEN], header(0x01, 8))
        self.assertEqual(f[HEADER_LEN:], b'{"a":1}\n')
        self.assertEqual(frame(b""), header(0, 0))

    def test_frames_split_anywhere_give_back_the_stream(self):
        stream = frame(b'{"cmd":"one"}\n{"x"') + frame(b":2}\n") + frame(b"") + frame(b"last\n")
        for piece in range(1, len(stream) + 1):
            self.assertEqual(deframe_all(stream, piece), b'{"cmd":"one"}\n{"x":2}\nlast\n',
                             "pieces of %d" % piece)

    def test_a_transferred_socket_is_skipped(self):
        for flags in (0x01 | 0x02, 0x01 | 0x02 | 0x04):
            stream = header(flags, 3) + b"\xab" * XFER_INFO_LEN + b"hi\n" + frame(b"next\n")
            self.assertEqual(deframe_all(stream), b"hi\nnext\n")
            self.assertEqual(deframe_all(stream, 7), b"hi\nnext\n")
        # a socket without data
        self.assertEqual(deframe_all(header(0x02, 0) + b"\0" * XFER_INFO_LEN + frame(b"x")), b"x")

    def test_a_bad_header_is_an_error(self):
        with self.assertRaises(FrameError):
            deframe_all(b'{"not":"framed"}\n')
        with self.assertRaisesRegex(FrameError, "length without data"):
            deframe_all(header(0, 5))
        with self.assertRaisesRegex(FrameError, "socket type without a socket"):
            deframe_all(header(0x01 | 0x04, 1))
        with self.assertRaisesRegex(FrameError, "unknown flags"):
            deframe_all(header(0x08, 0))
        with self.assertRaisesRegex(FrameError, "unknown flags"):
            deframe_all(struct.pack("<4I", 1, 0, 1, 7))
        # an error only once the header is whole, after the payload that came before it
        self.assertEqual(deframe_all(frame(b"ok\n") + b'{"not"'), b"ok\n")
        out = bytearray()
        with self.assertRaises(FrameError):
            Deframer().push(frame(b"ok\n") + b"x" * HEADER_LEN, out)
        self.assertEqual(out, b"ok\n")


class Pipe(unittest.TestCase):
    def channel(self, **kw):
        w = fakewin.FakeWinapi(**kw)
        return _winpipe.PipeChannel(fakewin.HANDLE, w), w

    def test_lines_come_whole_across_chunks_and_frames(self):
        stream = frame(b'{"a":1}\n{"b"') + frame(b":2}\n") \
            + header(0x03, 4) + b"\0" * XFER_INFO_LEN + b"{}\n\n" \
            + frame(b'{"c":' + b"3" * 100000 + b"}\n")
        chunks = [(0, stream[i:i + 5000]) for i in range(0, len(stream), 5000)] \
            + [(0, fakewin.BROKEN)]
        ch, w = self.channel(reads=chunks)
        with ch.makefile("rb") as lines:
            got = list(lines)
        self.assertEqual(got, [b'{"a":1}\n', b'{"b":2}\n', b"{}\n", b"\n",
                               b'{"c":' + b"3" * 100000 + b"}\n"])
        self.assertGreater(w.waits, 0, "a pending read is waited for")

    def test_a_zero_byte_read_is_not_the_end(self):
        ch, _ = self.channel(reads=[(0, b""), (0, frame(b"x\n")), (0, fakewin.BROKEN)])
        with ch.makefile("rb") as lines:
            self.assertEqual(list(lines), [b"x\n"])

    def test_reads_that_complete_at_once_are_not_waited_on(self):
        ch, w = self.channel(reads=[(0, frame(b"x\n")), (0, fakewin.BROKEN)], pending=False)
        with ch.makefile("rb") as lines:
            self.assertEqual(list(lines), [b"x\n"])
        self.assertEqual(w.waits, 0)

    def test_a_bad_frame_ends_the_channel_with_an_oserror(self):
        garbage = b'{"raw":"not framed"}\n'
        ch, _ = self.channel(reads=[(0, frame(b"ok\n") + garbage), (0, fakewin.BROKEN)])
        with ch.makefile("rb") as lines:
            self.assertEqual(next(lines), b"ok\n")
            with self.assertRaisesRegex(OSError, "bad IPC frame"):
                next(lines)

    def test_every_message_is_one_frame(self):
        ch, w = self.channel()
        ch.sendall(b'{"cmd":"NODE_ELIFE_PM","type":"ready"}\n')
        ch.sendall(b"x" * 70000)
        self.assertEqual(w.writes, [frame(b'{"cmd":"NODE_ELIFE_PM","type":"ready"}\n'),
                                    frame(b"x" * 70000)])

    def test_short_writes_are_completed(self):
        ch, w = self.channel(max_write=7)
        ch.sendall(b"hello there\n")
        self.assertEqual(b"".join(w.writes), frame(b"hello there\n"))
        self.assertTrue(all(len(x) <= 7 for x in w.writes))

    def test_a_broken_pipe_on_write_raises_oserror(self):
        class Broken(fakewin.FakeWinapi):
            def WriteFile(self, handle, buf, overlapped=False):
                raise BrokenPipeError(32, "The pipe is being closed")
        ch = _winpipe.PipeChannel(fakewin.HANDLE, Broken())
        with self.assertRaises(OSError):
            ch.sendall(b"x\n")


# The whole helper in a child Python that takes itself for Windows. It registers onstopping,
# on_message, says ready and sends; `pm` (the fake pipe) sends an app message, a NODE_ internal
# one and a transferred socket once on_message is registered, and the scenario's end (a stop, a
# broken pipe, garbage) after the child's three writes ("run": the child then waits in
# elife_pm.run() and says so with a fourth write, after which the stop comes).
# The child prints what it got; its writes go to a file.
CHILD = textwrap.dedent("""
    import json, os, signal, struct, sys, threading
    import fakewin
    out = open(sys.argv[1], "ab", buffering=0)
    scenario = sys.argv[2]
    def frame(data):  # not elife_pm's: importing it here would open its channel as on Linux
        return struct.pack("<4I", 1 if data else 0, 0, len(data), 0) + data
    stop = frame(b'{"cmd":"NODE_ELIFE_PM","type":"stop"}\\n')
    end = {"stop": stop, "launcher": stop, "notpipe": stop, "broken": fakewin.BROKEN,
           "garbage": b'{"not":"framed"}\\n', "run": stop}[scenario]
    first = frame(b'{"hello":') + frame(b'"win"}\\n{"cmd":"NODE_HANDLE_ACK"}\\n') \\
        + b"\\x03\\0\\0\\0" + bytes(12) + bytes(632)
    # once on_message is registered; the end once the child has written all it writes
    reads = [(2, first[:10]), (2, first[10:]), (4 if scenario == "run" else 3, end)]
    if scenario == "garbage":
        reads.append((3, fakewin.BROKEN))
    fake = fakewin.FakeWinapi(reads=reads, on_write=lambda b: out.write(b))
    msvcrt = fakewin.FakeMsvcrt()
    sys.modules["_winapi"], sys.modules["msvcrt"] = fake, msvcrt
    inheritable = []
    os.set_inheritable = lambda fd, on: inheritable.append((fd, on))
    real_fstat = os.fstat
    # fd 3 as Windows' fstat shows a pipe (only looked at when a launcher sits between pm and
    # this Python); "notpipe": something else is on fd 3
    os.fstat = lambda fd: os.stat_result(
        (0o644 | (0o100000 if scenario == "notpipe" else 0o010000),) + (0,) * 9) \\
        if fd == 3 else real_fstat(fd)
    os.name = "nt"
    import elife_pm
    os.name = "posix"
    if scenario == "notpipe":
        print("under_pm", elife_pm.under_pm(), msvcrt.asked, inheritable)
        sys.exit(0)
    assert elife_pm._WINDOWS and elife_pm.under_pm() and msvcrt.asked == [3], msvcrt.asked
    assert inheritable == [(3, False)] and "NODE_CHANNEL_FD" not in os.environ
    got = threading.Event()

    @elife_pm.onstopping
    def bye():
        got.wait(10)
        on_main = threading.current_thread() is threading.main_thread()
        print("stopping" + (" on main" if on_main else ""), flush=True)

    # Windows: no SIGTERM handler (pm asks over the channel or ends the job object)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

    @elife_pm.on_message
    def message(m):
        print("message", json.dumps(m), flush=True)
        got.set()

    assert elife_pm.ready() and not elife_pm.ready()
    elife_pm.send({"x": [1, "\\u00e9"]})
    if scenario == "run":
        def probe():  # tells pm once the main thread waits in run()
            while elife_pm._runner is None:
                threading.Event().wait(0.01)
            elife_pm.send({"running": True})
        threading.Thread(target=probe, daemon=True).start()
        elife_pm.run()
        print("after run", flush=True)
    threading.Event().wait(20)
    print("not stopped", flush=True)
""")


class Helper(unittest.TestCase):
    def run_child(self, scenario, parent=None):
        with tempfile.TemporaryDirectory() as tmp:
            written = os.path.join(tmp, "written")
            open(written, "wb").close()
            parent = str(os.getpid()) if parent is None else parent
            env = dict(os.environ, NODE_CHANNEL_FD="3", ELIFE_PM_PARENT=parent,
                       PYTHONPATH=os.pathsep.join([os.path.dirname(HERE), HERE]))
            p = subprocess.run([sys.executable, "-c", CHILD, written, scenario], env=env,
                               capture_output=True, timeout=30,
                               # a group leader: on Linux the orphaned helper would kill its
                               # group; on Windows there is none to kill (and no os.killpg)
                               start_new_session=True)
            with open(written, "rb") as f:
                data = f.read()
        return p, data

    def check_writes(self, data, extra=()):
        # Each message is one frame, in order.
        msgs = []
        while data:
            flags, _, length, _ = struct.unpack("<4I", data[:HEADER_LEN])
            self.assertEqual(flags, 1)
            body = data[HEADER_LEN:HEADER_LEN + length]
            self.assertTrue(body.endswith(b"\n") and body.count(b"\n") == 1, body)
            msgs.append(json.loads(body))
            data = data[HEADER_LEN + length:]
        self.assertEqual(msgs, [{"cmd": "NODE_ELIFE_PM", "type": "onstopping"},
                                {"cmd": "NODE_ELIFE_PM", "type": "ready"},
                                {"x": [1, "\u00e9"]}] + list(extra))

    def test_pm_asks_the_service_to_stop(self):
        p, data = self.run_child("stop")
        self.assertEqual(p.stderr, b"")
        self.assertEqual(p.stdout, b'message {"hello": "win"}\nstopping\n')
        self.assertEqual(p.returncode, 0)
        self.check_writes(data)

    def test_run_waits_and_runs_the_handlers_on_its_thread(self):
        p, data = self.run_child("run")
        self.assertEqual((p.stdout, p.stderr, p.returncode),
                         (b'message {"hello": "win"}\nstopping on main\n', b"", 0))
        self.check_writes(data, extra=[{"running": True}])

    def test_the_main_process_is_gone(self):
        p, data = self.run_child("broken")
        self.assertEqual((p.stdout, p.stderr, p.returncode),
                         (b'message {"hello": "win"}\nstopping\n', b"", 0))
        self.check_writes(data)

    def test_a_bad_frame_counts_as_the_channel_closing(self):
        p, data = self.run_child("garbage")
        self.assertEqual((p.stdout, p.stderr, p.returncode),
                         (b'message {"hello": "win"}\nstopping\n', b"", 0))
        self.check_writes(data)

    def test_a_launcher_between_pm_and_python_keeps_the_channel(self):
        # `py -3` runs python.exe as its child: the parent is not pm, fd 3 is still its pipe
        p, data = self.run_child("launcher", parent="1")
        self.assertEqual((p.stdout, p.stderr, p.returncode),
                         (b'message {"hello": "win"}\nstopping\n', b"", 0))
        self.check_writes(data)

    def test_not_a_pipe_from_another_parent_is_not_the_channel(self):
        p, data = self.run_child("notpipe", parent="1")
        self.assertEqual((p.stdout, p.stderr, p.returncode), (b"under_pm False [] []\n", b"", 0))
        self.assertEqual(data, b"")


if __name__ == "__main__":
    unittest.main()
