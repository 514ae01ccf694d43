"""Write throughput through the HTTP API against asyncpg's raw equivalents, and the connections
200 districts hold. Each baseline runs on the same server in the same run, since these machines
are shared and absolute figures drift."""

import asyncio
import time
import uuid

import aiohttp
import asyncpg
import httpx
import orjson
from eventsourcing.persistence import StoredEvent

from api import auth
from bench.environment import bearer
from domain.divisions import DistrictVersion, TownVersion
from writes.ledger import IndexedRecord
from tenants import registry
from tenants.event_store import DistrictRecorder, open_datastore
from tenants.stores import events_table, records_table


def service(record_id: str, town: str) -> dict:
    """A service to one of 5000 people (a district serves the same people again and again)."""
    person = int(record_id[-6:], 16) % 5000
    return {"id": record_id, "type": "service_delivered", "town": town,
            "occurred_on": f"2025-{1 + person % 6:02d}-18", "domain": "elderly_care", "service_type": "visit",
            "recipient_category": "living_alone_elderly", "recipient_ref": f"R-{person:05d}", "hours": "1.5"}


async def copy_baseline(database_url: str, district: str, rows: int) -> float:
    """Rows per second of asyncpg COPY, 1000 rows a copy, of the district's own stored events
    (at most 50,000 of them, copied again as needed) into a scratch table."""
    conn = await asyncpg.connect(database_url)
    try:
        sample = [tuple(r) for r in await conn.fetch(
            f'SELECT originator_id, originator_version, topic, state FROM {events_table(district)}'
            f" ORDER BY notification_id LIMIT 50000")]
        await conn.execute(COPY_SCRATCH)
        started = time.perf_counter()
        return await copy_rows(conn, sample, rows) / (time.perf_counter() - started)
    finally:
        await conn.close()


COPY_SCRATCH = "CREATE TEMP TABLE scratch (originator_id uuid, originator_version bigint, topic text, state bytea)"


async def copy_rows(conn: asyncpg.Connection, sample: list[tuple], rows: int) -> int:
    """COPY the sample's rows into the scratch table, 1000 a copy, again and again until `rows`; how many."""
    chunks = [sample[at:at + 1000] for at in range(0, len(sample), 1000)]
    copied = 0
    while copied < rows:
        chunk = chunks[(copied // 1000) % len(chunks)]
        await conn.copy_records_to_table("scratch", records=chunk)
        copied += len(chunk)
    return copied


# Scratch stores for the store's own write: schemas the worker does not follow, codes no district has.
STORE_SCHEMA = "bench_store"  # each scratch store's schema is this and its code
STORE_CODES = ("990001", "990002", "990003", "990004")


async def store_write(database_url: str, district: str, rows: int) -> float:
    """Records per second of the event store's own write (`DistrictRecorder.insert_events`: each
    event with its record index row and chain link, 1000 to a transaction) from 4 threads into 4
    scratch stores, of the district's own stored events under new ids: the write path with no
    HTTP, validation, decision or projection, so the most `ingest_ratio` could reach here if
    those cost nothing. The batches are made ahead; only their writing is timed."""
    conn = await asyncpg.connect(database_url)
    try:
        sample = await conn.fetch(
            f"SELECT e.topic, e.state, r.record_type, r.content_hash FROM {events_table(district)} e"
            f" JOIN {records_table(district)} r ON r.stream_id = e.originator_id"
            " AND r.stream_version = e.originator_version ORDER BY e.notification_id LIMIT 1000")
    finally:
        await conn.close()
    datastore = open_datastore(database_url, pool_size=len(STORE_CODES), max_overflow=0)
    try:
        recorders = [DistrictRecorder(datastore, code, schema=f"{STORE_SCHEMA}_{code}") for code in STORE_CODES]
        for recorder in recorders:
            recorder.create_table()
        per_store = max(1, rows // len(recorders) // len(sample))
        batches = [[_under_new_ids(sample) for _ in range(per_store)] for _ in recorders]
        started = time.perf_counter()
        await asyncio.gather(*(asyncio.to_thread(_write_all, recorder, its)
                               for recorder, its in zip(recorders, batches, strict=True)))
        return per_store * len(sample) * len(recorders) / (time.perf_counter() - started)
    finally:
        datastore.close()
        conn = await asyncpg.connect(database_url)
        try:
            for code in STORE_CODES:
                await conn.execute(f"DROP SCHEMA IF EXISTS {STORE_SCHEMA}_{code} CASCADE")
        finally:
            await conn.close()


def _under_new_ids(sample: list[asyncpg.Record]) -> tuple[list[StoredEvent], list[IndexedRecord]]:
    events, index = [], []
    for row in sample:
        stream = uuid.uuid4()
        events.append(StoredEvent(stream, 1, row["topic"], bytes(row["state"])))
        index.append(IndexedRecord(f"b-{stream.hex}", row["record_type"], row["content_hash"], stream, 1))
    return events, index


def _write_all(recorder: DistrictRecorder, batches: list[tuple[list[StoredEvent], list[IndexedRecord]]]) -> None:
    for events, index in batches:
        recorder.insert_events(events, index=index)


async def single_writes(base: str, district: str, town: str, clients: int, seconds: float) -> float:
    """Records per second of one-record requests from `clients` concurrent clients."""
    headers = {**bearer(auth.Role.district, district), "Content-Type": "application/json"}
    deadline, done = time.perf_counter() + seconds, 0

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            body = orjson.dumps({"records": [service(f"s-{uuid.uuid4().hex}", town)]})
            async with http.post(f"/v1/districts/{district}/records", data=body, headers=headers) as answer:
                answer.raise_for_status()
            done += 1

    async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=60),
                                     connector=aiohttp.TCPConnector(limit=clients)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return done / (time.perf_counter() - started)


async def insert_baseline(database_url: str, clients: int, seconds: float) -> float:
    """Single-row INSERT transactions per second from `clients` asyncpg connections."""
    pool = await asyncpg.create_pool(database_url, min_size=clients, max_size=clients)
    try:
        await pool.execute("CREATE TABLE scratch_single (id uuid, state bytea)")
        deadline, done = time.perf_counter() + seconds, 0

        async def insert() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute("INSERT INTO scratch_single VALUES ($1, $2)", uuid.uuid4(), b"x" * 420)
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(insert() for _ in range(clients)))
        return done / (time.perf_counter() - started)
    finally:
        await pool.execute("DROP TABLE scratch_single")
        await pool.close()


async def connections_for_200_districts(base: str, database_url: str) -> int:
    """Database connections held once 200 more districts are registered and each has written."""
    datastore = open_datastore(database_url, pool_size=1, max_overflow=0)
    codes = [f"{700_000 + n}" for n in range(200)]
    registry.register(datastore, [DistrictVersion(c, f"区{c}") for c in codes],
                      [TownVersion(f"{c}001", c, "甲街道", "街道") for c in codes])
    datastore.close()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for code in codes:
            answer = await http.post(f"/v1/districts/{code}/records", headers=bearer(auth.Role.district, code),
                                     json={"records": [service(f"c-{uuid.uuid4().hex}", f"{code}001")]})
            answer.raise_for_status()
    conn = await asyncpg.connect(database_url)
    try:
        # Every client connection to the database but this one: the service's pools.
        return await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                   " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
    finally:
        await conn.close()
