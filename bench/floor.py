"""`stations bench --floor`: what a record costs with everything issue 35's decision does not
require taken away (bench/README.md, section 45).

The decision keeps two lines: every recorded action is its own event, and the eventsourcing
library's recorder is the only writer of events. Inside them, the biggest district's records of the
size's year (at most `MOST`), in batches of up to 1000, go through these steps in one process on a
fresh database; each step's CPU is read in this process (Python, `time.process_time`) and in the
database server (its postmaster and their children, as `Service.cpu_seconds` counts it), a record:

- (d) the service's write path without HTTP: each writer's batch (`bench.load`'s windows and parts)
  validated from its bytes, then recorded by the API's use case (`service.commands.record_batch`:
  the district's ledger through the write queue). Run first: its stored rows are every other step's rows.
- (a) a raw COPY of those events' rows into a scratch table (`writes.copy_rows`, the ratio's baseline).
- (b) the library's recorder alone: `PostgresApplicationRecorder`'s insert of those stored events (its
  table lock, NOTIFY and composite-array insert), 1000 a transaction, into a scratch schema (no record
  index, no chain). Its statements are sent one by one, not in its pipeline: that deadlocks over the
  embedded server's Unix socket near 1000 events (`tenants/event_store.py`).
- (c) the store's write: `DistrictRecorder.insert_events` of them with their record index rows, the
  chain linked in the same transaction, into another scratch schema.
- (e) the projection of the district's store: `ProjectionWorker.catch_up`, as the service's worker runs.

The floor is (c) + (e): the store's write and its projection with no API at all.
"""

import asyncio
import gc
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from bench import Figures, step
from bench.environment import database_cpu_seconds, fresh_database, postmaster_of, prepared
from bench.load import BATCH, WINDOW
from bench.run import Size
from bench.writes import COPY_SCRATCH, copy_rows
from demo import DemoYear
from demo.duties import Division
from domain.records import RecordBatch
from kernel.collection import tune_garbage_collection
from projections import connections
from projections.gaps import Rules
from projections.reports import Deadlines
from projections.worker import ProjectionWorker
from service import commands
from service.callers import Caller, Role
from service.runtime import AuditOptions, ReadOptions, Runtime
from tenants.event_store import DistrictRecorder, open_datastore
from tenants.stores import CHAIN, EVENTS, RECORDS, events_table, records_table
from tenants.tenancy import Tenants
from writes.ledger import IndexedRecord

ORDER = ("a", "b", "c0", "c", "h", "d", "e")  # as printed: cumulative from the COPY to the whole service
WARM = 0.1  # of the records, written and projected untimed first (then ANALYZE), as a live store is
MOST = 50_000  # records: the quick year's biggest district has ~26,500
COPY_AT_LEAST = 100_000  # rows the COPY step copies (the district's rows again and again): enough ticks to count
SCRATCH = "bench_floor"  # (b)'s and (c)'s scratch schemas are this and their step's letter


@dataclass
class Step:
    """One step's work: the records it was given, the rows it left in the database, its CPU and time."""

    name: str
    records: int
    stored: int = 0
    python_s: float = 0.0
    database_s: float = 0.0
    wall_s: float = 0.0

    def per_record(self) -> dict[str, Any]:
        us = 1e6 / max(self.records, 1)
        return {**asdict(self), "python_us": self.python_s * us, "database_us": self.database_s * us,
                "cpu_us": (self.python_s + self.database_s) * us, "wall_us": self.wall_s * us}


@contextmanager
def counted(work: Step, postmaster: int | None) -> Iterator[Step]:
    """The block's CPU seconds in this process and in the database server, and its wall time, added to `work`."""
    python, database, wall = time.process_time(), database_cpu_seconds(postmaster), time.perf_counter()
    yield work
    work.python_s += time.process_time() - python
    work.database_s += database_cpu_seconds(postmaster) - database
    work.wall_s += time.perf_counter() - wall


@contextmanager
def collected_as_the_service() -> Iterator[None]:
    """This process's cycle collector paced as the service's processes pace theirs (`kernel.collection`):
    at its default pace, collections over the records made ahead added tens of µs a record."""
    thresholds = gc.get_threshold()
    tune_garbage_collection()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@dataclass(frozen=True)
class Stored:
    """What (d) stored, read back: each event and its record index row, in log order."""

    events: list[StoredEvent]
    index: list[IndexedRecord]

    def batches(self) -> Iterator[tuple[list[StoredEvent], list[IndexedRecord]]]:
        for at in range(0, len(self.events), BATCH):
            yield self.events[at:at + BATCH], self.index[at:at + BATCH]


async def measure(size: Size) -> dict[str, Any]:
    """Each step's µs a record (Python, PostgreSQL, both, wall) and the arithmetic of the floor."""
    year = DemoYear.of_size(size.events, districts=size.districts)
    district = max(year.districts, key=year.district_total)
    records = list(islice(year.district_records(district), MOST))
    async with AsyncExitStack() as stack:
        url = stack.enter_context(fresh_database(stack))
        step("preparing the database (migrations, every district's store)")
        _, data_dir = prepared(url)
        postmaster = postmaster_of(url)
        datastore = open_datastore(url, pool_size=2, max_overflow=0)
        stack.callback(datastore.close)
        runtime, division, code = _runtime(url, datastore, data_dir), Division(), district.code
        pool = await connections.create_pool(url, min_size=1, max_size=2)
        stack.push_async_callback(pool.close)
        worker = ProjectionWorker(pool, snapshot_every=size.snapshot_every)
        warm = round(len(records) * WARM)
        stack.enter_context(collected_as_the_service())
        step(f"a tenth untimed: {warm:,} records of district {code} written and projected, then ANALYZE")
        await service_write(runtime, division, code, records[:warm], postmaster)
        await worker.catch_up(code)
        await analyze(url)
        step(f"(d) the service's write path: the other {len(records) - warm:,} records")
        steps = {"d": await service_write(runtime, division, code, records[warm:], postmaster)}
        stored = await stored_rows(url, code, after=await worker_position(pool, code))
        step("(a) COPY of the same rows")
        steps["a"] = await copy_step(url, stored, postmaster)
        step("(b) the library's recorder alone")
        steps["b"] = await asyncio.to_thread(library_write, url, stored, postmaster)
        step("(c) the store's write: record index and chain, and without the index (c0)")
        steps["c0"] = await asyncio.to_thread(store_write, datastore, code, stored, postmaster, indexed=False)
        steps["c"] = await asyncio.to_thread(store_write, datastore, code, stored, postmaster, indexed=True)
        steps["h"] = chain_hashes(stored)
        step("(e) the projection of the district's store")
        steps["e"] = await projection(worker, code, len(stored.events), postmaster)
        await drop_scratch(url)
    return {"district": code, "steps": {name: steps[name].per_record() for name in ORDER},
            "figures": arithmetic(steps)}


def _runtime(url: str, datastore: Any, data_dir: Path) -> Runtime:
    """What the write use case runs in: the stores (`Tenants`) and the write queue; nothing it does
    not use is opened (no read pools, keys or witness)."""
    return Runtime(url, url, datastore, Tenants(datastore), AuditOptions(data_dir, data_dir, "bench", 0.0), Deadlines(),
                   Rules(), ReadOptions(1, None, 1.0))


async def service_write(runtime: Runtime, division: Division, district: str, records: list[dict],
                        postmaster: int | None) -> Step:
    """(d): each writer's batch validated from its bytes and recorded as the API's route records it."""
    ledger = await asyncio.to_thread(runtime.tenants.ledger, district)
    batches = list(_batches(division, district, records))  # made ahead: the load generator's work
    before = await asyncio.to_thread(_count, ledger.recorder, EVENTS)
    work = Step("d", len(records))
    with counted(work, postmaster):
        for caller, body in batches:
            await commands.record_batch(runtime, caller, district, RecordBatch.model_validate_json(body).records,
                                        f"floor-{id(body)}")
    work.stored = await asyncio.to_thread(_count, ledger.recorder, EVENTS) - before
    return work


def _batches(division: Division, district: str, records: list[dict]) -> Iterator[tuple[Caller, bytes]]:
    """The records as `bench.load` sends them: each writer's in batches of up to 1000, with its writer
    (`division` remembers what decides a later record's writer: a project's purchaser, a void's owner)."""
    for start in range(0, len(records), WINDOW):
        for part in division.parts(records[start:start + WINDOW]):
            for at in range(0, len(part.records), BATCH):
                caller = Caller(f"bench-{part.level.name}", Role(part.level.name), district, part.town)
                yield caller, orjson.dumps({"records": part.records[at:at + BATCH]})


async def analyze(url: str) -> None:
    """The statistics autovacuum gives a live store within a minute: without them, in this one process,
    the write path's look-ups kept the plans made on the store's small tables and scanned them whole
    as they grew (~370 µs of PostgreSQL's CPU a record instead of ~30; bench/README.md, section 45)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def worker_position(pool: asyncpg.Pool, district: str) -> int:
    """The last position the projection has taken of the district (where the timed steps' rows begin)."""
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT position FROM tracking WHERE district = $1", district)


async def stored_rows(url: str, district: str, *, after: int) -> Stored:
    """The district's events after `after`, with their record index rows, in log order."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            f"SELECT e.originator_id, e.originator_version, e.topic, e.state, r.record_id, r.record_type,"
            f" r.content_hash FROM {events_table(district)} e JOIN {records_table(district)} r"
            " ON r.stream_id = e.originator_id AND r.stream_version = e.originator_version"
            " WHERE e.notification_id > $1 ORDER BY e.notification_id", after)
    finally:
        await conn.close()
    return Stored([StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])) for r in rows],
                  [IndexedRecord(r["record_id"], r["record_type"], r["content_hash"], r["originator_id"],
                                 r["originator_version"]) for r in rows])


async def copy_step(url: str, stored: Stored, postmaster: int | None) -> Step:
    """(a): the events' rows COPYed into a scratch table, 1000 a copy, until at least `COPY_AT_LEAST`."""
    rows = [(e.originator_id, e.originator_version, e.topic, e.state) for e in stored.events]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(COPY_SCRATCH)
        work = Step("a", 0)
        with counted(work, postmaster):
            work.records = await copy_rows(conn, rows, COPY_AT_LEAST)
        work.stored = await conn.fetchval("SELECT count(*) FROM scratch")
        return work
    finally:
        await conn.close()


def library_write(url: str, stored: Stored, postmaster: int | None) -> Step:
    """(b): the library's own recorder and its own insert (the table's lock, the NOTIFY, the events)."""
    datastore = open_datastore(url, pool_size=1, max_overflow=0, schema=f"{SCRATCH}_b")
    try:
        with datastore.transaction(commit=True) as curs:
            curs.execute(f"CREATE SCHEMA IF NOT EXISTS {SCRATCH}_b")
        recorder = PostgresApplicationRecorder(datastore, events_table_name=EVENTS)
        recorder.create_table()
        datastore.register_type_adapters()  # its composite type exists only now
        work = Step("b", len(stored.events))
        with counted(work, postmaster):
            for events, _ in stored.batches():  # what its `insert_events` runs inside its pipeline
                with datastore.transaction(commit=True) as curs:
                    recorder._insert_stored_events(curs, events)
                    recorder._fetch_ids_after_insert_events(curs, events)
        work.stored = _count(recorder, EVENTS)
        return work
    finally:
        datastore.close()


def store_write(datastore: Any, district: str, stored: Stored, postmaster: int | None, *, indexed: bool) -> Step:
    """(c): the district store's own write, its record index rows and chain links in each transaction;
    (c0) the same without the index rows (the chain is linked in the same statement: it stays)."""
    name = "c" if indexed else "c0"
    recorder = DistrictRecorder(datastore, district, schema=f"{SCRATCH}_{name}")
    recorder.create_table()
    work = Step(name, len(stored.events))
    with counted(work, postmaster):
        for events, index in stored.batches():
            recorder.insert_events(events, index=index if indexed else ())
    work.stored = min(_count(recorder, table) for table in (EVENTS, CHAIN, *([RECORDS] if indexed else ())))
    return work


def chain_hashes(stored: Stored) -> Step:
    """(h) of (c) and (c0): the chain's hashes alone, in Python (`DistrictRecorder._links`), on the
    positions a new store gives."""
    head, python, wall = None, time.process_time(), time.perf_counter()
    for at, (events, _) in enumerate(stored.batches()):
        _, links = DistrictRecorder._links(events, range(at * BATCH + 1, at * BATCH + len(events) + 1), head)
        head = links[-1]
    return Step("h", len(stored.events), len(stored.events), python_s=time.process_time() - python,
                wall_s=time.perf_counter() - wall)


async def projection(worker: ProjectionWorker, district: str, events: int, postmaster: int | None) -> Step:
    """(e): the rest of the district's log projected by the service's worker (its default batch size)."""
    work = Step("e", events)
    with counted(work, postmaster):
        work.stored = await worker.catch_up(district)
    return work


def _count(recorder: Any, table: str) -> int:
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(f'SELECT count(*) AS n FROM {recorder.datastore.schema}."{table}"')
        return curs.fetchone()["n"]


async def drop_scratch(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for letter in ("b", "c0", "c"):
            await conn.execute(f"DROP SCHEMA IF EXISTS {SCRATCH}_{letter} CASCADE")
    finally:
        await conn.close()


CORES = 2  # this host's: the best case spends both on the one step, nothing else
MUST_US, MUST_RATIO = 80.0, 0.10  # issue 35's musts: ingest_cpu_us_per_record, ingest_ratio


def arithmetic(steps: dict[str, Step]) -> Figures:
    """COPY's rows/s, and for the floor (c)+(e), (b)+(e) and the in-process service (d)+(e): CPU µs
    a record and the records/s it would allow with both cores on it and nothing else, over COPY's."""
    us = {name: s.per_record()["cpu_us"] for name, s in steps.items()}  # (h) is part of (c)
    f = Figures()
    f["copy_rows_per_s"] = steps["a"].records / steps["a"].wall_s
    for name, total in (("library_floor", us["b"] + us["e"]), ("floor", us["c"] + us["e"]),
                        ("service_in_process", us["d"] + us["e"])):
        f[f"{name}_cpu_us_per_record"] = total
        f[f"{name}_records_per_s_{CORES}_cores"] = CORES * 1e6 / total
        f[f"{name}_ingest_ratio"] = f[f"{name}_records_per_s_{CORES}_cores"] / f["copy_rows_per_s"]
        f[f"{name}_within_musts"] = total <= MUST_US and f[f"{name}_ingest_ratio"] >= MUST_RATIO
    return f
