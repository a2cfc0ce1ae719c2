"""elife_pm on Linux, in a child Python that this test starts the way pm does: one end of a Unix
socketpair as its channel (NODE_CHANNEL_FD) and ELIFE_PM_PARENT set to this process. The test
plays pm: it reads the child's JSON lines, sends messages and the stop request, or closes its
end (the main process gone). What run() is for: registering handlers does not keep a Python
script alive; run() serves until pm stops the service, and the onstopping handlers then run on
the thread that called it.
Run: cd python && python3 -m unittest discover -s tests"""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHONPATH = os.path.dirname(HERE)
TIMEOUT = 30

# The service: onstopping and on_message handlers (the message handler answers), ready(), then
# run() or not. It prints where its handlers ran; "after run" must never be printed.
SERVICE = textwrap.dedent("""
    import sys, threading
    import elife_pm
    from elife_pm import onstopping, on_message, ready, run, send, under_pm

    mode = sys.argv[1]

    def where():
        return "main" if threading.current_thread() is threading.main_thread() else "other"

    @onstopping
    def close():
        print("onstopping on", where(), flush=True)

    @on_message
    def handle(message):
        send({"got": message, "on": where()})

    print("under_pm", under_pm(), flush=True)
    ready()
    if mode == "wait-reader-gone":
        # run() only once the reader has seen the channel close
        while any(t.name == "elife_pm" for t in threading.enumerate()):
            threading.Event().wait(0.01)
    if mode == "run" and under_pm():
        # Tells the test once this thread waits in run(), so that a stop comes after it.
        def probe():
            while elife_pm._runner is None:
                threading.Event().wait(0.01)
            send({"running": True})
        threading.Thread(target=probe, daemon=True).start()
    if mode != "no-run":
        run()
        print("after run", flush=True)
    print("script ended", flush=True)
""")


class Pm:
    """This process as pm: the child's channel and its output."""

    def __init__(self, mode, channel=True):
        env = dict(os.environ, PYTHONPATH=PYTHONPATH)
        for name in ("NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "ELIFE_PM_PARENT"):
            env.pop(name, None)
        fds = ()
        self.sock = None
        if channel:
            self.sock, theirs = socket.socketpair()
            env.update(NODE_CHANNEL_FD=str(theirs.fileno()), ELIFE_PM_PARENT=str(os.getpid()))
            fds = (theirs.fileno(),)
        self.proc = subprocess.Popen([sys.executable, "-c", SERVICE, mode], env=env, pass_fds=fds,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if channel:
            theirs.close()
            self.lines = self.sock.makefile("rb")

    def read(self):
        """The child's next message to pm."""
        self.sock.settimeout(TIMEOUT)
        line = self.lines.readline()
        if not line:
            raise AssertionError("the channel closed: the child exited early (%r)" % (self.finish(),))
        return json.loads(line)

    def send(self, message):
        self.sock.sendall((json.dumps(message) + "\n").encode())

    def finish(self):
        """(stdout, stderr, returncode) once the child has exited."""
        out, err = self.proc.communicate(timeout=TIMEOUT)
        if self.sock is not None:
            self.sock.close()
        return out.decode(), err.decode(), self.proc.returncode


class Run(unittest.TestCase):
    def started(self, pm, in_run=False):
        self.assertEqual(pm.read(), {"cmd": "NODE_ELIFE_PM", "type": "onstopping"})
        self.assertEqual(pm.read(), {"cmd": "NODE_ELIFE_PM", "type": "ready"})
        if in_run:
            self.assertEqual(pm.read(), {"running": True})

    def test_run_serves_messages_until_pm_asks_to_stop(self):
        pm = Pm("run")
        self.started(pm, in_run=True)
        for n in (1, 2):
            pm.send({"n": n})
            # Answered on pm's reader thread, by a service that is still up.
            self.assertEqual(pm.read(), {"got": {"n": n}, "on": "other"})
            self.assertIsNone(pm.proc.poll())
        pm.send({"cmd": "NODE_ELIFE_PM", "type": "stop"})
        self.assertEqual(pm.finish(), ("under_pm True\nonstopping on main\n", "", 0))

    def test_run_ends_the_service_when_the_main_process_is_gone(self):
        pm = Pm("run")
        self.started(pm, in_run=True)
        pm.sock.shutdown(socket.SHUT_RDWR)
        self.assertEqual(pm.finish(), ("under_pm True\nonstopping on main\n", "", 0))

    def test_run_after_the_channel_closed_ends_at_once(self):
        # The reader saw the channel close before run() was called; run() must not wait forever.
        pm = Pm("wait-reader-gone")
        self.started(pm)
        pm.sock.shutdown(socket.SHUT_RDWR)
        out, err, code = pm.finish()
        # The reader ran the handlers itself (onstopping is registered) or run() did.
        self.assertEqual((err, code), ("", 0))
        self.assertRegex(out, r"^under_pm True\nonstopping on (main|other)\n$")

    def test_without_run_the_script_ends_with_its_main_code(self):
        # Handlers alone do not keep a Python script alive: this is what run() is for.
        pm = Pm("no-run")
        self.started(pm)
        self.assertEqual(pm.finish(), ("under_pm True\nscript ended\n", "", 0))

    def test_outside_pm_run_waits_for_sigterm(self):
        pm = Pm("run", channel=False)
        self.assertEqual(pm.proc.stdout.readline(), b"under_pm False\n")
        pm.proc.send_signal(signal.SIGTERM)
        out, err, code = pm.finish()
        self.assertEqual((out, err, code), ("onstopping on main\n", "", 0))


if __name__ == "__main__":
    unittest.main()
