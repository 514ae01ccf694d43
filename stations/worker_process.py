"""The projection worker beside `stations serve`, in a process of its own.

Inside the API's process, the worker's Python (decoding each batch, counting its services) ran
on the event loop that answers requests, and under the same interpreter lock as the writes: a
batch of 1000 events held every request back for tens of milliseconds, and the API and the
worker shared one core while the machine had more. As a child process it has its own; the
API learns how far it got from its NOTIFYs, as it does from a `stations project` on another host.

The child is `stations project --parent PID`: it stops when its parent is gone (killed without
a chance to stop it), and is started again if it ends while the service runs (the database
was down when it started, say).
"""

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

RESTART_AFTER_SECONDS = (1.0, 2.0, 5.0, 10.0)  # backing off while it keeps ending


@contextmanager
def projection_process(database_url: str, stop_within: float) -> Iterator[None]:
    """Run the worker until the block ends, then stop it (SIGTERM: it finishes the batch in
    hand; killed after `stop_within` seconds)."""
    stopping = threading.Event()
    child: list[subprocess.Popen[bytes]] = []
    command = [sys.executable, "-m", "stations.cli", "project", "--parent", str(os.getpid())]
    environment = {**os.environ, "STATIONS_DATABASE_URL": database_url}

    def supervise() -> None:
        restarts = 0
        while not stopping.is_set():
            child[:] = [subprocess.Popen(command, env=environment)]
            code = child[0].wait()
            if stopping.is_set():
                return
            delay = RESTART_AFTER_SECONDS[min(restarts, len(RESTART_AFTER_SECONDS) - 1)]
            log.warning("the projection worker ended (exit code %s); starting it again in %.0f s", code, delay)
            restarts += 1
            stopping.wait(delay)

    supervisor = threading.Thread(target=supervise, name="projection-process", daemon=True)
    supervisor.start()
    try:
        yield
    finally:
        stopping.set()
        if child:
            child[0].terminate()
            try:
                child[0].wait(stop_within)
            except subprocess.TimeoutExpired:
                child[0].kill()
                child[0].wait()
        supervisor.join()
