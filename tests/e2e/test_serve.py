"""`stations serve` runs the projection worker as its child process: the reports follow the
writes, a worker that dies is started again, and it ends with the service, whether the service
is stopped or killed outright."""

import os
import signal
import time
from contextlib import ExitStack

import httpx

from api import auth
from bench.environment import Service, bearer, fresh_database, running_service
from tests.reliability.harness import DISTRICT, new_batch


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _zombie(pid):
            return True
        time.sleep(0.1)
    return False


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _worker_of(service: Service, within: float = 30.0) -> int:
    deadline = time.monotonic() + within
    while not (pids := service.worker_pids()):
        assert time.monotonic() < deadline, "serve started no projection worker"
        time.sleep(0.1)
    [pid] = pids
    return pid


def test_the_child_worker_projects_and_ends_when_the_service_is_killed():
    with ExitStack() as stack:
        service = stack.enter_context(running_service(stack.enter_context(fresh_database(stack))))
        worker = _worker_of(service)
        writer = bearer(auth.Role.district, DISTRICT)
        written = httpx.post(f"{service.base}/v1/districts/{DISTRICT}/records",
                             json={"records": new_batch("serve", 3)}, headers=writer, timeout=30)
        assert written.status_code == 200, written.text
        report = httpx.get(f"{service.base}/v1/districts/{DISTRICT}/reports/2025H1",
                           params={"min_position": written.json()["position"]}, headers=writer, timeout=30)
        assert report.status_code == 200, report.text  # projected by the child, not timed out (503)
        # Writes come first when both want the CPU (STATIONS_PROJECTION_NICE's default).
        assert os.getpriority(os.PRIO_PROCESS, worker) == os.getpriority(os.PRIO_PROCESS, service.pid) + 10

        os.kill(service.pid, signal.SIGKILL)
        assert _gone(worker), "the worker outlived its service"


def test_a_worker_that_dies_is_started_again_and_sigterm_stops_both():
    with ExitStack() as stack:
        service = stack.enter_context(running_service(stack.enter_context(fresh_database(stack))))
        first = _worker_of(service)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (worker := _worker_of(service)) == first:  # the dead one, until it is reaped
            assert time.monotonic() < deadline
            time.sleep(0.1)

        os.kill(service.pid, signal.SIGTERM)
        assert _gone(service.pid) and _gone(worker)
