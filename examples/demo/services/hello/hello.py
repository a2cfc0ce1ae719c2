"""The Python service: it runs from app.asar.unpacked (Python cannot read inside an archive)
and says hello every second and a half, on stdout (the log) and to the main process with
elife_pm.send (a 'message' event there). pm puts the elife_pm helper on PYTHONPATH."""

import os
import platform
import time

from elife_pm import onstopping, ready, send, under_pm

version = platform.python_version()


@onstopping
def goodbye():
    print("asked to stop after %d hellos: goodbye" % count)


count = 0
while True:
    count += 1
    print("hello #%d from Python %s (pid %d)" % (count, version, os.getpid()))
    if under_pm():
        send({"hello": count, "python": version, "pid": os.getpid()})
        # The first hello is out: start({ waitReady: true }) resolves, and api may start.
        ready()
    time.sleep(1.5)
