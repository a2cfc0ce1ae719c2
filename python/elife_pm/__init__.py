"""elife_pm: the service side of elife/pm for Python services (standard library only).

    from elife_pm import onstopping, on_message, ready, run, send

    @onstopping
    def close():
        server.close()

    @on_message
    def handle(message):       # pm.send('name', message) in the main process
        send({"got": message})  # a 'message' event there

    ready()                    # start({ waitReady: true }) resolves; dependents start
    run()                      # serve until pm stops the service

pm puts this package on the PYTHONPATH of every Python service it starts. Registering handlers
does not keep a Python script alive (as with any callback API in Python): a script that ends,
ends the service, and pm counts that as a crash and starts it again. A service whose work
happens in its handlers ends with `run()`, which waits until pm asks the service to stop (or the
main process is gone), runs the onstopping handlers on its own thread, and exits. A service
with a loop of its own (a server's serve_forever, an asyncio loop) needs no run().

An onstopping handler runs when pm asks the service to stop (over the same channel Node services
use), when the main process is gone (the channel closes, or the kernel's death signal SIGTERM
arrives), or on SIGTERM; once the handlers have run, the service exits (code 1 if one of them
raised). They run on the thread waiting in run(), else on pm's reader thread, or on the main
thread for SIGTERM. on_message handlers always run on pm's reader thread: hand work to your own
loop with its thread-safe calls (e.g. loop.call_soon_threadsafe) or guard shared state with a
lock.

On Windows the same calls work over Node's channel there (`_winpipe`: the libuv-framed named
pipe pm hands the service as fd 3); there is no SIGTERM, and the job object pm puts the service
in ends its children; a launcher between pm and Python (`py -3`, a venv's python.exe) is
allowed there when fd 3 is a pipe. That path is implemented and unit-tested on Linux against a fake
`_winapi`, but untested on real Windows (no Windows Python could be had to run it).
"""

import json
import os
import signal
import socket
import stat
import sys
import threading
import traceback

__all__ = ["onstopping", "on_message", "ready", "run", "send", "under_pm"]

_CMD = "NODE_ELIFE_PM"
_PARENT_ENV = "ELIFE_PM_PARENT"
_WINDOWS = os.name == "nt"
_handlers = []
_lock = threading.Lock()
_send_lock = threading.Lock()
_listening = False
_stopping = False
_reading = False
_ready_sent = False
_message_handlers = []
_runner = None  # the thread waiting in run(): it runs the stop when the reader ends
_end = None  # how the reader ended: "asked" (pm asked to stop) or "closed" (pm is gone)
_ended = threading.Event()
# Windows cannot interrupt a wait without a timeout with Ctrl+C: wait in slices there.
_WAIT_SLICE = 0.5 if _WINDOWS else None


def _open_channel():
    # Take pm's variables out of the environment, so that this service's own children do not
    # think pm started them.
    fd = os.environ.pop("NODE_CHANNEL_FD", None)
    os.environ.pop("NODE_CHANNEL_SERIALIZATION_MODE", None)
    parent = os.environ.pop(_PARENT_ENV, None)
    if fd is None or parent is None:
        return None
    try:
        fd = int(fd)
        if parent != str(os.getppid()):
            # Windows: pm's `py -3` (and a venv's python.exe) is a launcher that runs the real
            # Python as its own child and passes fd 3 on: there, a pipe on fd 3 is the channel.
            if not (_WINDOWS and stat.S_ISFIFO(os.fstat(fd).st_mode)):
                return None
        os.set_inheritable(fd, False)
        if _WINDOWS:
            from . import _winpipe

            return _winpipe.open_channel(fd)
        return socket.socket(fileno=fd)
    except (ValueError, OSError):
        return None


_channel = _open_channel()


def under_pm():
    """True when elife/pm started this process and its channel is open."""
    return _channel is not None


def send(message):
    """Sends a JSON-serialisable message to the main process ('message' events there)."""
    if _channel is None:
        raise RuntimeError("elife_pm.send: this process was not started by elife/pm")
    data = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
    with _send_lock:
        _channel.sendall(data)


def ready():
    """Tells pm this service is ready (start({ waitReady: true }) resolves, dependents start).
    Returns True when pm was told; a second call, or a call in a process pm did not start,
    does nothing and returns False."""
    global _ready_sent
    with _lock:
        if _channel is None or _ready_sent:
            return False
        _ready_sent = True
    send({"cmd": _CMD, "type": "ready"})
    return True


def on_message(handler):
    """Registers `handler(message)` for messages from the main process (pm.send); usable as a
    decorator. Handlers run on pm's reader thread. A registered handler does not keep the
    script alive: end a service that only answers messages with run()."""
    if not callable(handler):
        raise TypeError("elife_pm.on_message: expected a callable, got %r" % (handler,))
    with _lock:
        _message_handlers.append(handler)
    _start_reader()
    return handler


def onstopping(handler):
    """Registers `handler` (a callable with no arguments) to run when the service is asked to
    stop or the main process is gone; usable as a decorator. See run() for where it runs."""
    if not callable(handler):
        raise TypeError("elife_pm.onstopping: expected a callable, got %r" % (handler,))
    global _listening
    with _lock:
        _handlers.append(handler)
        first = not _listening
        _listening = True
    if first:
        _listen()
    return handler


def run():
    """Serves until the service is stopped, then exits: blocks until pm asks the service to stop
    or the main process is gone, runs the onstopping handlers on this thread, and exits the
    process (code 1 if a handler raised). It never returns. Call it last in a service whose work
    happens in its on_message and onstopping handlers. Outside pm there is nobody to ask: it
    blocks until a signal ends the process (SIGTERM runs the onstopping handlers; Ctrl+C raises
    KeyboardInterrupt as usual)."""
    global _runner
    with _lock:
        if _runner is None:
            _runner = threading.current_thread()
    _start_reader()
    while not _ended.wait(_WAIT_SLICE):
        pass
    _stop(orphaned=_end != "asked")
    # Another thread (a SIGTERM handler, or the reader before run() was called) is stopping
    # the service and exits the process once its handlers ran.
    while True:
        threading.Event().wait(_WAIT_SLICE)


def _listen():
    # Windows: no SIGTERM reaches a service (pm asks over the channel, or ends its job object).
    if not _WINDOWS and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: _stop(orphaned=True))
    if _channel is None:
        return
    _start_reader()
    try:
        # Tells pm to ask this service politely instead of sending SIGTERM.
        send({"cmd": _CMD, "type": "onstopping"})
    except OSError:
        pass


def _start_reader():
    global _reading
    with _lock:
        if _channel is None or _reading:
            return
        _reading = True
    threading.Thread(target=_read, name="elife_pm", daemon=True).start()


def _deliver(msg):
    with _lock:
        handlers = list(_message_handlers)
    for handler in handlers:
        try:
            handler(msg)
        except Exception:  # one handler's failure must not stop the reader
            sys.stderr.write("elife_pm: an on_message handler failed:\n" + traceback.format_exc())


def _read():
    asked = False
    try:
        with _channel.makefile("rb") as lines:
            for line in lines:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                cmd = msg.get("cmd") if isinstance(msg, dict) else None
                if cmd == _CMD and msg.get("type") == "stop":
                    asked = True
                    break
                if not (isinstance(cmd, str) and cmd.startswith("NODE_")):
                    _deliver(msg)
    except OSError:
        pass
    # Asked to stop, or the channel closed because the main process is gone: a thread waiting
    # in run() takes it from here; otherwise only a service with onstopping handlers acts on it
    # here (the others get SIGTERM).
    global _end
    with _lock:
        listening = _listening
        runner = _runner
        _end = "asked" if asked else "closed"
    _ended.set()
    if runner is None and (listening or asked):
        _stop(orphaned=not asked)


def _stop(orphaned=False):
    global _stopping
    with _lock:
        if _stopping:
            return
        _stopping = True
        handlers = list(_handlers)
    code = 0
    for handler in handlers:
        try:
            handler()
        except BaseException:  # a handler's failure must not keep the others from running
            code = 1
            sys.stderr.write("elife_pm: an onstopping handler failed:\n" + traceback.format_exc())
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    # Windows has no process groups to kill: the job object pm put the service in ends its tree.
    if orphaned and not _WINDOWS and _channel is not None and os.getpgid(0) == os.getpid():
        # The main process is gone (or someone else sent SIGTERM): nobody will clean up after
        # this service, so it takes its process group (its own children) with it.
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(code)
