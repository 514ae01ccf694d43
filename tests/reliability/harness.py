"""The machinery of the fault-injection suite: a fresh database, the service and the projection
worker as real subprocesses (start, kill -9, restart), a retrying client that behaves like a
station's tablet, and readers of the event log and the report.

Everything here is bounded: every loop has a count or a deadline, every request a timeout.
"""

import asyncio
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import psycopg

from api import auth
from audit.signing import init_keys
from projections.tables import REPORT_TABLES
from projections.connections import with_login
from stations.bootstrap import prepare
from stations.database import reader_login
from tenants.stores import events_table
from tests.support import unstarted_settings

SECRET = "reliability-secret-that-is-long-enough-for-hs256-0123"
DISTRICT = "350203"
TOWNS = ("350203001", "350203003", "350203005", "350203006", "350203007", "350203008", "350203009",
         "350203010", "350203011", "350203012")
PERIOD = "2025H1"
ROOT = Path(__file__).resolve().parents[2]

# The default run is short; STATIONS_RELIABILITY_SECONDS=120 makes every scenario longer.
SECONDS = float(os.environ.get("STATIONS_RELIABILITY_SECONDS", "15"))

# What each scenario printed, for the terminal summary.
SUMMARY: list[str] = []


def report(scenario: str, **counts: object) -> None:
    line = f"{scenario}: " + ", ".join(f"{k}={v}" for k, v in counts.items())
    print(line)
    SUMMARY.append(line)


def token(role: auth.Role, district: str | None = DISTRICT) -> dict[str, str]:
    return {"Authorization": "Bearer " + auth.mint(SECRET, sub=f"reliability-{role.value}", role=role,
                                                   district=district if role is not auth.Role.auditor else None)}


WRITER = token(auth.Role.district)
AUDITOR = token(auth.Role.auditor)


# ---------------------------------------------------------------------------------------------
# Databases


@dataclass
class Embedded:
    """An embedded PostgreSQL (pgserver) this suite started, which it may stop and start again."""

    pgdata: Path

    @property
    def system_user(self) -> str | None:
        return "pgserver" if os.geteuid() == 0 else None  # pgserver runs it as this user under root

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        from pgserver._commands import pg_ctl
        pg_ctl(list(args), pgdata=self.pgdata, user=self.system_user, timeout=timeout)

    def stop_immediately(self) -> None:
        self.pg_ctl("-w", "-m", "immediate", "stop")

    def start(self) -> None:
        """Start it as pgserver did: the options it was started with are in postmaster.opts."""
        opts = shlex.split((self.pgdata / "postmaster.opts").read_text())[1:]  # drop the executable
        if "-D" in opts:
            at = opts.index("-D")
            del opts[at:at + 2]
        self.pg_ctl("-w", "-l", str(self.pgdata / "log"), "-o", shlex.join(opts), "start")

    def running(self) -> bool:
        from pgserver._commands import POSTGRES_BIN_PATH
        return subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "status"],
                              user=self.system_user, capture_output=True, timeout=30).returncode == 0


@contextmanager
def embedded_server(data_dir: Path) -> Iterator[tuple[str, Embedded]]:
    """An embedded server in `data_dir`; stopped at the end even if a test restarted it itself
    (pgserver only stops the postmaster it started)."""
    from stations.database import embedded_postgres
    with embedded_postgres(data_dir) as url:
        server = Embedded(data_dir / "pgdata")
        try:
            yield url, server
        finally:
            if server.running():
                server.pg_ctl("-w", "-m", "fast", "stop")


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new database on the server, migrated by its owner's part as `stations migrate` does
    before a production start, dropped afterwards."""
    name = f"stations_reliability_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlsplit(server_url)._replace(path=f"/{name}").geturl()
        prepare(unstarted_settings(), url)
        reader_login(url)
        yield url
    finally:
        try:
            with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        except psycopg.Error as exc:  # the server may have been stopped by a failing test
            print(f"could not drop {name}: {exc}")


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A subprocess of the project that can be killed with SIGKILL and started again."""

    def __init__(self, name: str, args: list[str], database_url: str, log_dir: Path, **env: str):
        self.name, self.args, self.log_dir = name, args, log_dir
        self.env = {**os.environ, "STATIONS_DATABASE_URL": database_url, "STATIONS_JWT_SECRET": SECRET,
                    "STATIONS_READER_DATABASE_URL": with_login(database_url, "stations_reader"),
                    "STATIONS_ENVIRONMENT": "production", "STATIONS_DATA_DIR": str(log_dir),
                    "STATIONS_SIGNING_KEY_FILE": str(log_dir / "signing-key.pem"), **env}
        self.env.pop("DATABASE_URL", None)
        init_keys(log_dir / "signing-key.pem", log_dir / "keyring.pem")  # as `stations keys init` does
        self.process: subprocess.Popen | None = None
        self.starts = self.kills = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"{self.name}-{self.starts}.log", "wb")
        self.process = subprocess.Popen(self.args, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _signal(self, number: int) -> None:
        assert self.process is not None and self.process.poll() is None, f"{self.name} had already exited"
        self.process.send_signal(number)

    def pause(self) -> None:
        """SIGSTOP: it does no more work until killed, so what it has done can be read exactly."""
        self._signal(signal.SIGSTOP)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
        self.process.wait(30)
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Service(Process):
    """`uvicorn stations.app:create_app --factory` on a fixed port of 127.0.0.1."""

    def __init__(self, database_url: str, log_dir: Path, **env: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__("service", [sys.executable, "-m", "uvicorn", "stations.app:create_app", "--factory",
                                     "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
                                     "--timeout-graceful-shutdown", "30"],
                         database_url, log_dir, **env)

    def start(self, within: float = 60) -> None:
        super().start()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the service exited with {self.process.returncode}; see {self.log_dir}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the service did not start within {within} s")

    def restart(self) -> None:
        self.start()


def worker(database_url: str, log_dir: Path, **env: str) -> Process:
    """The projection worker alone: `stations project`."""
    return Process("worker", [sys.executable, "-m", "stations.cli", "project"], database_url, log_dir, **env)


@contextmanager
def running(process: Process) -> Iterator[Process]:
    process.start()
    try:
        yield process
    finally:
        process.stop()


# ---------------------------------------------------------------------------------------------
# Clients


def service_record(record_id: str) -> dict:
    rng = random.Random(record_id)
    return {"id": record_id, "type": "service_delivered", "town": rng.choice(TOWNS),
            "occurred_on": f"2025-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}",
            "domain": "elderly_care", "service_type": rng.choice(["visit", "daily_care", "counselling"]),
            "recipient_category": rng.choice(["living_alone_elderly", "advanced_age_elderly", "disabled_elderly"]),
            "recipient_ref": f"R-{rng.randrange(3000):05d}", "person_times": rng.randint(1, 3), "hours": "1.5"}


def new_batch(prefix: str, size: int) -> list[dict]:
    return [service_record(f"{prefix}-{uuid.uuid4().hex[:16]}") for _ in range(size)]


def outcome(exc_or_status: object) -> str:
    return str(exc_or_status) if isinstance(exc_or_status, int) else type(exc_or_status).__name__


@dataclass
class Tally:
    """What the clients saw: records acknowledged (id -> person_times), errors by status."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)
    errors: Counter = field(default_factory=Counter)
    requests: int = 0
    reads: int = 0
    unacknowledged_batches: int = 0

    def status_5xx(self) -> dict[str, int]:
        return {k: v for k, v in self.errors.items() if k.isdigit() and int(k) >= 500}


async def post_until_acknowledged(http: httpx.AsyncClient, batch: list[dict], tally: Tally, *,
                                  give_up_at: float, max_attempts: int = 1000) -> bool:
    """Send the batch, and again with the same ids on any error or timeout, as a tablet would,
    until it is acknowledged, `max_attempts` tries or the monotonic time `give_up_at`."""
    tally.sent.update(r["id"] for r in batch)
    for _ in range(max_attempts):
        if time.monotonic() > give_up_at:
            break
        tally.requests += 1
        try:
            answer = await http.post(f"/v1/districts/{DISTRICT}/records", json={"records": batch}, headers=WRITER)
        except httpx.HTTPError as exc:  # refused, reset, timed out: the outcome is unknown
            tally.errors[outcome(exc)] += 1
            await asyncio.sleep(0.05 + random.random() * 0.2)
            continue
        if answer.status_code == 200:
            for r in batch:
                tally.acknowledged[r["id"]] = r["person_times"]
            return True
        tally.errors[outcome(answer.status_code)] += 1
        retry_after = float(answer.headers.get("Retry-After", "0.2"))
        await asyncio.sleep(min(retry_after, 1.0) * (0.5 + random.random()))  # capped: the run is short
    tally.unacknowledged_batches += 1
    return False


async def writer_loop(base: str, tally: Tally, prefix: str, *, until: float, give_up_at: float,
                      sizes: tuple[int, int] = (1, 20), timeout: float = 10,
                      stop: asyncio.Event | None = None) -> None:
    """Write new batches until `until` (or `stop`); finish the batch in hand (retrying) by `give_up_at`."""
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as http:
        for _ in range(1_000_000):
            if time.monotonic() >= until or (stop is not None and stop.is_set()):
                return
            await post_until_acknowledged(http, new_batch(prefix, random.randint(*sizes)), tally,
                                          give_up_at=give_up_at)


# ---------------------------------------------------------------------------------------------
# Reading back


async def read_log(base: str, *, within: float = 120) -> list[dict]:
    """The district's whole event log through the API, as an auditor, page by page."""
    events: list[dict] = []
    after, deadline = 0, time.monotonic() + within
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=AUDITOR) as http:
        while time.monotonic() < deadline:
            answer = await http.get(f"/v1/districts/{DISTRICT}/events", params={"after": after, "limit": 1000})
            if answer.status_code == 503:
                await asyncio.sleep(0.5)
                continue
            answer.raise_for_status()
            page = answer.json()
            events += page["events"]
            if not page["events"]:
                return events
            after = page["next_after"]
    raise TimeoutError("the event log could not be read in time")


async def read_report(base: str, min_position: int, *, within: float = 90) -> dict:
    """The district's half-year report once the projections reached `min_position`."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=AUDITOR) as http:
        while time.monotonic() < deadline:
            answer = await http.get(f"/v1/districts/{DISTRICT}/reports/{PERIOD}",
                                    params={"min_position": min_position})
            if answer.status_code == 200:
                return answer.json()
            assert answer.status_code == 503, answer.text
            await asyncio.sleep(0.5)
    raise TimeoutError(f"the report did not reach position {min_position} within {within} s")


@dataclass
class Stored:
    ids: Counter  # record id -> how many events carry it
    person_times: int  # summed over the stored service records
    last_position: int

    @classmethod
    def of(cls, events: list[dict]) -> "Stored":
        return cls(Counter(e["record_id"] for e in events),
                   sum(e["payload"].get("person_times", 0) for e in events if e["type"] == "service_delivered"),
                   events[-1]["position"] if events else 0)

    def doubled(self) -> list[str]:
        return [rid for rid, n in self.ids.items() if n > 1]


async def snapshot(database_url: str, district: str = DISTRICT) -> dict[str, list]:
    """Every report-table row of the district, in a stable order (as tests/integration does)."""
    conn = await asyncpg.connect(database_url)
    try:
        return {table: sorted(tuple(r.values()) for r in
                              await conn.fetch(f"SELECT * FROM reports.{table} WHERE district = $1", district))
                for table in REPORT_TABLES}
    finally:
        await conn.close()


async def positions(database_url: str, district: str = DISTRICT) -> tuple[int, int]:
    """(projected position, head of the log) read straight from the database."""
    conn = await asyncpg.connect(database_url)
    try:
        projected = await conn.fetchval("SELECT position FROM reports.tracking WHERE district = $1", district)
        head = await conn.fetchval(f"SELECT max(notification_id) FROM {events_table(district)}")
        return projected or 0, head or 0
    finally:
        await conn.close()


async def activity(database_url: str) -> list[tuple]:
    """What the database's other sessions are doing (for failure messages)."""
    conn = await asyncpg.connect(database_url)
    try:
        return [tuple(r) for r in await conn.fetch(
            "SELECT pid, state, wait_event_type, wait_event, now() - xact_start, left(query, 120)"
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    finally:
        await conn.close()
