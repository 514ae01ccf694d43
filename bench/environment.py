"""What every measurement runs against: a fresh database and the real service as a subprocess."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

from api import auth
from stations.database import embedded_postgres

SECRET = secrets.token_hex(32)


def bearer(role: auth.Role, district: str | None = None) -> dict[str, str]:
    return {"Authorization": "Bearer " + auth.mint(SECRET, sub=f"bench-{role.value}", role=role, district=district)}


@contextmanager
def fresh_database(stack: ExitStack) -> Iterator[str]:
    """A database nobody else uses: created on DATABASE_URL's server and dropped after, or an
    embedded server in a temporary directory."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        yield stack.enter_context(embedded_postgres(Path(tempfile.mkdtemp(prefix="stations-bench-"))))
        return
    name = f"stations_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(base)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (Linux's VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


@dataclass(frozen=True)
class Service:
    base: str
    api_pid: int  # `stations serve`: with more than one process, the parent of its workers
    worker_pid: int  # `stations project`

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by the API's processes, the projection worker, and every
        PostgreSQL process of the machine (the database server's share, others' work included)."""
        return {"api": sum(_cpu_seconds(pid) for pid in [self.api_pid, *_children(self.api_pid)]),
                "worker": _cpu_seconds(self.worker_pid),
                "database": sum(_cpu_seconds(int(d.name)) for d in Path("/proc").iterdir()
                                if d.name.isdigit() and _command(int(d.name)) == "postgres")}

    def peak_rss_mb(self) -> tuple[float, float]:
        """The peak resident memory of the largest API process, and of the projection worker."""
        api = [self.api_pid, *_children(self.api_pid)]
        return max(peak_rss_mb(pid) for pid in api), peak_rss_mb(self.worker_pid)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):  # it ended meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


# The projection worker gives way to the API under load (a write burst is answered first and
# the reports catch up after it), as `docker-compose.yml` gives it a smaller CPU share.
WORKER_NICENESS = 10


@contextmanager
def running_service(database_url: str, api_processes: int, **env: str) -> Iterator[Service]:
    """The service as deployed (`docker-compose.yml`): `stations serve` with `api_processes`
    processes and the projection worker apart (`stations project`), on a free port, with
    `STATIONS_*` settings from `env`. Their output goes to a log file, shown if they fail."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = Path(tempfile.mkdtemp(prefix="stations-bench-data-"))
    environment = {**os.environ, "STATIONS_DATABASE_URL": database_url, "STATIONS_JWT_SECRET": SECRET,
                   "STATIONS_ENVIRONMENT": "test", "STATIONS_DATA_DIR": str(data_dir),
                   **{f"STATIONS_{k.upper()}": v for k, v in env.items()}}
    environment.pop("DATABASE_URL", None)
    log = (data_dir / "service.log").open("wb")
    command = [sys.executable, "-m", "stations.cli"]
    api = subprocess.Popen([*command, "serve", "--port", str(port), "--workers", str(api_processes)],
                           env={**environment, "STATIONS_RUN_PROJECTIONS": "false"}, stdout=log, stderr=log)
    worker = subprocess.Popen([*command, "project"], env=environment, stdout=log, stderr=log,
                              preexec_fn=lambda: os.nice(WORKER_NICENESS))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if api.poll() is not None or worker.poll() is not None:
                raise RuntimeError(f"the service exited: {(data_dir / 'service.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the service did not start")
        yield Service(base, api.pid, worker.pid)
    finally:
        for process in (api, worker):
            process.terminate()
        for process in (api, worker):
            process.wait(30)
        log.close()
