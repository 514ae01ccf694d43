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
from projections.connections import with_login

SECRET = secrets.token_hex(32)


def bearer(role: auth.Role, district: str | None = None, town: str | None = None) -> dict[str, str]:
    return {"Authorization": "Bearer " + auth.mint(SECRET, sub=f"bench-{role.value}", role=role, district=district,
                                                   town=town)}


@contextmanager
def fresh_database(stack: ExitStack) -> Iterator[str]:
    """A database nobody else uses: created on DATABASE_URL's server and dropped after, or an
    embedded server in a temporary directory. With BENCH_DATABASE_AS_IS=true, DATABASE_URL's own
    database as it is: one prepared beforehand (a Citus coordinator's, whose extension and
    workers a new database would not have: Citus 12.1 does not propagate CREATE DATABASE)."""
    base = os.environ.get("DATABASE_URL")
    if base and os.environ.get("BENCH_DATABASE_AS_IS") == "true":
        yield base
        return
    if not base:
        import pgserver  # as `stations.database` runs one: the bench is a client of the service, above it

        server = pgserver.get_server(Path(tempfile.mkdtemp(prefix="stations-bench-")), cleanup_mode="stop")
        stack.callback(server.cleanup)
        yield server.get_uri()
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
    """The process's peak resident memory so far (Linux's VmHWM), in MiB; 0 if it has ended."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


@dataclass(frozen=True)
class Service:
    base: str
    pid: int
    log: Path  # what it printed, stdout and stderr
    postmaster: int | None = None  # the database server's, when it runs on this machine

    def children(self) -> list[int]:
        """`serve`'s child processes: the projection worker, and with `--workers N` uvicorn's N API processes."""
        return _children(self.pid)

    def worker_pids(self) -> list[int]:
        """The projection worker `serve` runs as its child process (`stations.cli project`)."""
        return [pid for pid in self.children() if "project" in _arguments(pid)]

    def api_pids(self) -> list[int]:
        """The process started, and every other child of it: with `--workers N` the first only supervises."""
        return [self.pid, *(pid for pid in self.children() if "project" not in _arguments(pid))]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by the API processes (summed), by the projection worker, and by the
        database server's processes (its postmaster and their children; of a server elsewhere, every
        PostgreSQL process of this machine). Other sessions' servers on a shared machine are not the
        service's: counted, they added tens of µs a record that moved from run to run (section 40)."""
        return {"service": sum(map(_cpu_seconds, self.api_pids())),
                "worker": sum(_cpu_seconds(pid) for pid in self.worker_pids()),
                "database": database_cpu_seconds(self.postmaster)}

    def database_pids(self) -> list[int]:
        return database_pids(self.postmaster)

    def peak_rss_mb(self) -> dict[str, float]:
        """The peak resident memory so far of the largest API process and of the worker."""
        return {"api": max(map(peak_rss_mb, self.api_pids())), "worker": max(map(peak_rss_mb, self.worker_pids()), default=0.0)}


def database_pids(postmaster: int | None) -> list[int]:
    """The database server's processes: its postmaster and their children; with no postmaster
    known (a server elsewhere), every PostgreSQL process of this machine."""
    if postmaster is not None:
        return [postmaster, *_children(postmaster)]
    return [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit() and _command(int(d.name)) == "postgres"]


def database_cpu_seconds(postmaster: int | None) -> float:
    """CPU seconds the database server's processes have used so far (`database_pids`), those that
    have ended too (a closed connection's backend, an autovacuum worker: the postmaster reaps them)."""
    reaped = _cpu_seconds(postmaster, reaped=True) if postmaster is not None else 0.0
    return reaped + sum(map(_cpu_seconds, database_pids(postmaster)))


def _children(pid: int) -> list[int]:
    pids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):  # the thread that started a child lists it
        try:
            pids += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):  # the thread or the process has ended
            pass
    return pids


def postmaster_of(database_url: str) -> int | None:
    """The PID of the server's postmaster, when the server runs on this machine: the parent of a
    backend of ours, if that backend is a local postgres process."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        if _command(backend) != "postgres":
            return None
        parent = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return parent if _command(parent) == "postgres" else None


def _cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """The process's own CPU seconds, or with `reaped` those of its children that ended and it waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):  # it ended meanwhile
        return 0.0
    at = 13 if reaped else 11  # cutime + cstime, or utime + stime
    return (int(fields[at]) + int(fields[at + 1])) / os.sysconf("SC_CLK_TCK")


def _arguments(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def prepared(database_url: str, **env: str) -> tuple[dict[str, str], Path]:
    """The service's environment on the database (`STATIONS_*` settings from `env`) and its data
    directory, the database prepared as a deployment prepares it: migrated (the registry seeded,
    every district's store made), the keys made, the reader's login enabled."""
    data_dir = Path(tempfile.mkdtemp(prefix="stations-bench-data-"))
    environment = {**os.environ, "STATIONS_DATABASE_URL": database_url, "STATIONS_JWT_SECRET": SECRET,
                   "STATIONS_ENVIRONMENT": "production", "STATIONS_DATA_DIR": str(data_dir),
                   "STATIONS_SIGNING_KEY_FILE": str(data_dir / "signing-key.pem"),
                   **{f"STATIONS_{k.upper()}": v for k, v in env.items()}}
    environment.pop("DATABASE_URL", None)
    if environment["STATIONS_ENVIRONMENT"] == "production":  # elsewhere the start gives the reader its login itself
        environment["STATIONS_READER_DATABASE_URL"] = with_login(database_url, "stations_reader")
    # A production start neither migrates nor makes keys: both come first, as in a deployment.
    for step in (["migrate"], ["keys", "init"]) if environment["STATIONS_ENVIRONMENT"] == "production" else ():
        done = subprocess.run([sys.executable, "-m", "stations.cli", *step], env=environment, capture_output=True,
                              text=True)
        if done.returncode:
            raise RuntimeError(f"stations {' '.join(step)} failed: {(done.stdout + done.stderr)[-3000:]}")
    if environment["STATIONS_ENVIRONMENT"] == "production":  # as a deployment gives the reader its login
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("ALTER ROLE stations_reader LOGIN")
    return environment, data_dir


@contextmanager
def running_service(database_url: str, workers: int = 1, **env: str) -> Iterator[Service]:
    """`stations serve` (the API process and its projection worker as a child: what it runs by default) on a
    free port, with `STATIONS_*` settings from `env`; its output goes to a log file, shown if it fails."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    environment, data_dir = prepared(database_url, **env)
    with (data_dir / "service.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "stations.cli", "serve", "--port", str(port),
                                    "--workers", str(workers)],
                                   env=environment, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                if process.poll() is not None:
                    raise RuntimeError(f"the service exited: {(data_dir / 'service.log').read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("the service did not start")
            yield Service(base, process.pid, data_dir / "service.log", postmaster_of(database_url))
        finally:
            process.terminate()
            process.wait(30)
