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
    pid: int

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)


@contextmanager
def running_service(database_url: str, **env: str) -> Iterator[Service]:
    """`uvicorn api.app:create_app` (what `stations serve` runs, projection worker included) on a
    free port, with `STATIONS_*` settings from `env`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = tempfile.mkdtemp(prefix="stations-bench-data-")
    environment = {**os.environ, "STATIONS_DATABASE_URL": database_url, "STATIONS_JWT_SECRET": SECRET,
                   "STATIONS_ENVIRONMENT": "test", "STATIONS_DATA_DIR": data_dir,
                   **{f"STATIONS_{k.upper()}": v for k, v in env.items()}}
    environment.pop("DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                                "--port", str(port), "--log-level", "warning"], env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"the service exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the service did not start")
        yield Service(base, process.pid)
    finally:
        process.terminate()
        process.wait(30)
