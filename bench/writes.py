"""Write throughput through the HTTP API, and the connections 200 districts hold.

    python -m bench.writes [--seconds 10]

Starts `stations serve` on a fresh database (a new database on DATABASE_URL's server, or an
embedded PostgreSQL), then prints `name: value` lines. Each throughput is also given as a
ratio against asyncpg doing the nearest raw equivalent on the same server in the same run,
since these machines are shared and absolute figures drift.
"""

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import psycopg

from api import auth
from bench import print_figures
from domain.divisions import DistrictVersion, TownVersion
from stations.database import embedded_postgres
from tenants import registry
from tenants.event_store import open_datastore

SECRET = secrets.token_hex(32)
DISTRICT, TOWN = "350203", "350203001"


def service(record_id: str, town: str = TOWN) -> dict:
    """A service to one of 5000 people (a district serves the same people again and again)."""
    person = int(record_id[-6:], 16) % 5000
    return {"id": record_id, "type": "service_delivered", "town": town,
            "occurred_on": f"2025-{1 + person % 6:02d}-18", "domain": "elderly_care", "service_type": "visit",
            "recipient_category": "living_alone_elderly", "recipient_ref": f"R-{person:05d}", "hours": "1.5"}


@contextmanager
def fresh_database(stack: ExitStack):
    """A database nobody else uses: created on DATABASE_URL's server, or embedded."""
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


@contextmanager
def running_service(database_url: str):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "STATIONS_DATABASE_URL": database_url, "STATIONS_JWT_SECRET": SECRET,
           "STATIONS_ENVIRONMENT": "test"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                                "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the service did not start")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(10)


async def post_batches(base: str, district: str, batches: list[list[dict]], clients: int) -> float:
    """Records per second, sending the batches from `clients` concurrent connections."""
    headers = {"Authorization": "Bearer " + auth.mint(SECRET, sub="bench", role=auth.Role.district, district=district)}
    queue: asyncio.Queue[list[dict]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            while not queue.empty():
                batch = queue.get_nowait()
                answer = await http.post(f"/v1/districts/{district}/records", json={"records": batch})
                answer.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return sum(map(len, batches)) / (time.perf_counter() - started)


async def copy_baseline(database_url: str, rows: int) -> float:
    """Rows per second of asyncpg COPY of event-sized rows into a scratch table, 1000 a copy."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TEMP TABLE scratch (id uuid, version bigint, topic text, state bytea)")
        state = b"x" * 420  # about the size of a stored service_delivered event
        chunk = [(uuid.uuid4(), 1, "domain.service:ServiceDelivery.Delivered", state) for _ in range(1000)]
        started = time.perf_counter()
        for _ in range(rows // 1000):
            await conn.copy_records_to_table("scratch", records=chunk)
        return rows / (time.perf_counter() - started)
    finally:
        await conn.close()


async def insert_baseline(database_url: str, rows: int, clients: int) -> float:
    """Single-row INSERT transactions per second from `clients` connections."""
    pool = await asyncpg.create_pool(database_url, min_size=clients, max_size=clients)
    try:
        await pool.execute("CREATE TABLE IF NOT EXISTS scratch_single (id uuid, state bytea)")

        async def insert(n: int) -> None:
            for _ in range(n):
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute("INSERT INTO scratch_single VALUES ($1, $2)", uuid.uuid4(), b"x" * 420)

        started = time.perf_counter()
        await asyncio.gather(*(insert(rows // clients) for _ in range(clients)))
        return rows / (time.perf_counter() - started)
    finally:
        await pool.close()


async def connections_for_200_districts(base: str, database_url: str, service_pid: int) -> int:
    datastore = open_datastore(database_url, pool_size=1, max_overflow=0)
    codes = [f"{700_000 + n}" for n in range(200)]
    registry.register(datastore, [DistrictVersion(c, f"区{c}") for c in codes],
                      [TownVersion(f"{c}001", c, "甲街道", "街道") for c in codes])
    datastore.close()
    for code in codes:
        await post_batches(base, code, [[service(f"c-{uuid.uuid4().hex}", f"{code}001")]], 1)
    conn = await asyncpg.connect(database_url)
    try:
        # Every client connection to the database but this one: the service's pools.
        return await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                   " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
    finally:
        await conn.close()


async def measure(seconds: float) -> dict[str, float]:
    figures: dict[str, float] = {}
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database(stack))
        base, pid = stack.enter_context(running_service(database_url))
        ids = (f"b-{uuid.uuid4().hex}" for _ in iter(int, 1))
        await post_batches(base, DISTRICT, [[service(next(ids)) for _ in range(1000)]], 1)  # warm up

        rate_1000 = await post_batches(base, DISTRICT, [[service(next(ids)) for _ in range(1000)]
                                                        for _ in range(max(4, int(seconds * 4)))], 4)
        rate_1 = await post_batches(base, DISTRICT, [[service(next(ids))] for _ in range(int(seconds * 200))], 32)
        copy_rate = await copy_baseline(database_url, 200_000)
        insert_rate = await insert_baseline(database_url, 6400, 32)

        figures["batch_1000_records_per_s"] = rate_1000
        figures["batch_1_records_per_s"] = rate_1
        figures["baseline_copy_rows_per_s"] = copy_rate
        figures["baseline_insert_tx_per_s"] = insert_rate
        figures["ingest_ratio"] = rate_1000 / copy_rate
        figures["single_write_ratio"] = rate_1 / insert_rate
        figures["connections_200_districts"] = await connections_for_200_districts(base, database_url, pid)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="rough length of each throughput run")
    args = parser.parse_args()
    print_figures(asyncio.run(measure(args.seconds)))


if __name__ == "__main__":
    main()
