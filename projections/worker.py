"""The projection worker: follows each district's event log and keeps its report tables.

Each batch (up to `batch_size` events of one district) is read, projected and written in one
transaction together with the district's tracking position, so a crash at any point neither
loses nor double-counts an event. The worker wakes on the NOTIFY the event store sends with
every write, and announces each committed batch on the `reports_progress` channel.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
from prometheus_client import Histogram

from domain.events import RecordEvent
from projections import report_cache, snapshots, stream_snapshots, tables
from projections.batches import BatchProjection
from projections.projector import Changes
from tenants.stores import notify_channel, store_codes, store_of_channel
from tenants.registry import REGISTRY_CHANNEL

log = logging.getLogger(__name__)

PROGRESS_CHANNEL = "reports_progress"
SAFETY_SWEEP_SECONDS = 10.0
# The database went away (stopped, restarting, its socket gone): reconnect rather than give up.
LOST_DATABASE = (asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
                 asyncpg.InterfaceError, OSError)
# A Citus coordinator that could not reach the worker holding a store: the coordinator itself is
# there, and only the stores on that worker wait for it (README, Citus mode).
NODE_UNREACHABLE = ("connection to the remote node", "failure on connection marked as essential")
SNAPSHOT_EVERY = 50_000  # events between snapshots of a district's report tables (for as_of reads)
# A batch's most events. A worker keeping up takes what is new, a few at a time; one behind its log
# (a burst of writes) folds up to this many into each figure row it writes: PostgreSQL's CPU an
# event 45 µs in batches of 1000, 26-29 in batches of 5000 (bench/README.md, section 41).
BATCH_SIZE = 5000
BATCH_SECONDS = Histogram("stations_projection_batch_duration_seconds",
                          "Time to read, project and commit one batch of a district's events", ["district"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class ProjectionWorker:
    def __init__(self, pool: asyncpg.Pool, *, batch_size: int = BATCH_SIZE, snapshot_every: int = SNAPSHOT_EVERY,
                 before_commit: Callable[[str, int], Awaitable[None]] | None = None,
                 stream_snapshot_every: int = stream_snapshots.EVERY):
        self.pool = pool
        self.batches = BatchProjection(batch_size)
        self.before_commit = before_commit  # a test's way to fail between the rows and the commit
        self.snapshot_every = snapshot_every
        self.stream_snapshot_every = stream_snapshot_every  # a long project stream's, for its past states
        self._touched: dict[str, snapshots.Touched] = {}  # by district, since its last snapshot here

    async def catch_up(self, district: str, stopping: asyncio.Event | None = None) -> int:
        """Project the district's log up to its head (or until `stopping`, between two batches,
        so a shutdown finishes the batch in hand and no more); how many events that took.

        A batch shorter than `batch_size` reached the head its transaction saw, so no empty
        batch is tried after it: events committed since then came with their own NOTIFY, which
        brings the district back (the listener marks it dirty while this runs)."""
        total = 0
        while not (stopping and stopping.is_set()):
            done = await self.project_batch(district)
            total += done
            if done < self.batches.batch_size:
                break
        return total

    async def project_batch(self, district: str) -> int:
        """Project the next batch of the district's events in one transaction; how many there were.

        The tracking row moves and the batch is announced in one statement (the notice goes out
        when the transaction commits, to every API process listening: `progress.py`). The notice
        names the row's stamps before and after, and the report tables the batch changed, so
        that a report read next reads only those again (`report_cache.MOVES`).

        The batch commits without waiting for its WAL to reach the disk (`synchronous_commit`
        off for this transaction: a reader waiting on the notice waited for the flush too). What
        it writes is derived from events already durable, and its tracking row commits with it:
        a database crash can lose the last batches' rows only together with their position,
        and they are projected again (`progress.py` forgets the positions it heard then)."""
        started = time.perf_counter()
        async with self.pool.acquire() as conn, conn.transaction():
            if (tracked := await self.batches.read_tracked(conn, district)) is not None:
                position, moved_by, events = tracked
            else:  # the district's first batch (its tracking row made), or no store yet
                position, moved_by = await _lock_tracking(conn, district)
                events = await self.batches.read(conn, district, position)
            if events:
                changes = await self._project(conn, district, position, events)
                last = events[-1][0]
                moved_to = await conn.fetchval(_MOVE, district, last, district, *tables.record_period_columns(*changes))
                await conn.execute(_ANNOUNCE, PROGRESS_CHANNEL, district, last, moved_by, position, moved_to,
                                   report_cache.changes_text(tables.written(*changes)))
                await stream_snapshots.take(conn, district, self.batches.mapper, events, self.stream_snapshot_every)
                if self.before_commit is not None:
                    await self.before_commit(district, last)
        if events:  # an empty batch (a sweep that found nothing) would only blur the figure
            BATCH_SECONDS.labels(district).observe(time.perf_counter() - started)
        return len(events)

    async def _project(self, conn: asyncpg.Connection, district: str, position: int,
                       events: list[tuple[int, RecordEvent]]) -> list[Changes]:
        """The batch projected part by part, each part ending at the event that crosses a snapshot
        mark, where the snapshot is taken: a batch may hold several marks' worth of events (a
        worker behind its log takes up to `batch_size`, and each figure row is written once a
        part), and an as-of read still replays at most about `snapshot_every` events."""
        changes = []
        for part, crossed in self._at_marks(position, events):
            changes.append(done := await self.batches.project(conn, district, part, periods=False))
            last = part[-1][0]
            touched = self._touched_through(district, position, last, done)
            if crossed:
                await snapshots.take_snapshot(conn, district, last, touched)
                self._touched[district] = snapshots.Touched(last, last)
            position = last
        return changes

    def _at_marks(self, position: int, events: list[tuple[int, RecordEvent]]) -> Iterator[tuple[list, bool]]:
        """The events cut after each one that passes a multiple of `snapshot_every` (counted from
        `position`, where the batch starts), each part with whether it ends at such a crossing."""
        part, mark = [], position // self.snapshot_every
        for item in events:
            part.append(item)
            if item[0] // self.snapshot_every > mark:
                yield part, True
                part, mark = [], item[0] // self.snapshot_every
        if part:
            yield part, False

    def _touched_through(self, district: str, position: int, last: int, changes: Changes) -> snapshots.Touched:
        """The recipients this worker saw named since its last snapshot of the district, this
        batch's (after `position` up to `last`) added. They start again from this batch when
        the last batch it projected did not end at `position`: another worker's batches came
        between, or its own transaction did not commit."""
        touched = self._touched.get(district)
        if touched is None or touched.until != position:
            touched = self._touched[district] = snapshots.Touched(position, position)
        touched.refs |= changes.recipients()
        touched.until = last
        return touched

    async def stores(self) -> list[str]:
        async with self.pool.acquire() as conn:
            return await store_codes(conn)

    async def run(self, database_url: str, stopping: asyncio.Event) -> None:
        """Follow every store until `stopping` is set; when the database goes away, wait (backing
        off) and follow again from where the tracking rows say, without a restart."""
        delay = 0.5
        while not stopping.is_set():
            try:
                await self._follow(database_url, stopping)
            except LOST_DATABASE as exc:
                log.warning("the projection worker lost the database (%s: %s); retrying in %.1f s",
                            type(exc).__name__, exc, delay)
                await _wait_any(stopping, timeout=delay)
                delay = min(delay * 2, 10.0)

    async def _follow(self, database_url: str, stopping: asyncio.Event) -> None:
        listener = await asyncpg.connect(database_url)
        wake = asyncio.Event()
        dirty: set[str] = set()  # stores notified of new events
        behind: set[str] = set()  # stores a sweep found behind their logs
        listened: set[str] = set()
        registry_changed = True

        def on_events(_conn: object, _pid: int, channel: str, _payload: str) -> None:
            dirty.add(store_of_channel(channel))
            wake.set()

        def on_registry(*_: object) -> None:
            nonlocal registry_changed
            registry_changed = True
            wake.set()

        await listener.add_listener(REGISTRY_CHANNEL, on_registry)
        loop = asyncio.get_running_loop()
        sweep_due = 0.0
        try:
            while not stopping.is_set():
                sweep = loop.time() >= sweep_due
                if sweep or registry_changed:
                    registry_changed = False
                    here = set(await self.stores())
                    for store in listened - here:  # moved to another server: its worker there follows it
                        await listener.remove_listener(notify_channel(store), on_events)
                    found = here - listened
                    for store in found:
                        await listener.add_listener(notify_channel(store), on_events)
                    listened = here
                    if not sweep:
                        dirty.update(found)
                if sweep:  # now and then look for any store behind its log, in case a notice was missed
                    sweep_due = loop.time() + SAFETY_SWEEP_SECONDS
                    try:
                        async with self.pool.acquire() as conn:
                            behind |= {store for store, lag in (await lags(conn, sorted(listened))).items()
                                       if lag > 0}
                    except LOST_DATABASE as exc:
                        if not node_unreachable(exc):
                            raise
                        log.warning("looking for stores behind their logs: a node is unreachable (%s)", exc)
                    except asyncpg.PostgresError:
                        log.exception("looking for stores behind their logs failed; will look again")
                while (dirty or behind) and not stopping.is_set():
                    # A store just written to goes before the sweep's backlog (a long one at
                    # start-up), so that a writer reading its own write does not wait behind it.
                    store = dirty.pop() if dirty else behind.pop()
                    behind.discard(store)
                    try:
                        await self.catch_up(store, stopping)
                    except LOST_DATABASE as exc:
                        if not node_unreachable(exc):
                            raise
                        log.warning("projecting %s: its node is unreachable (%s); the sweep will retry", store, exc)
                    except asyncpg.PostgresError:
                        log.exception("projecting %s failed; will retry", store)
                await _wait_any(wake, stopping, timeout=max(0.0, sweep_due - loop.time()))
                wake.clear()
        finally:
            listener.terminate()


def node_unreachable(exc: BaseException) -> bool:
    """Whether the error is a Citus worker's being out of reach, not the coordinator's."""
    return isinstance(exc, asyncpg.PostgresError) and any(sign in str(exc) for sign in NODE_UNREACHABLE)


async def lags(conn: asyncpg.Connection, stores: list[str]) -> dict[str, int]:
    """How many events each store's log holds beyond what its projection has reached."""
    rows = await conn.fetch("SELECT h.store, h.head - coalesce(t.position, 0) AS lag"
                            " FROM eventstore.heads($1::text[]) h LEFT JOIN reports.tracking t ON t.district = h.store",
                            stores)
    return {row["store"]: row["lag"] for row in rows}


async def lock_tracking(conn: asyncpg.Connection, district: str) -> int:
    """The district's projected position, locked for this transaction (one projector at a time)."""
    return (await _lock_tracking(conn, district))[0]


async def _lock_tracking(conn: asyncpg.Connection, district: str) -> tuple[int, str]:
    """`lock_tracking`, with the transaction that last moved the row (its `xmin`)."""
    lock = "SELECT position, xmin::text AS moved_by FROM tracking WHERE district = $1 FOR UPDATE"
    row = await conn.fetchrow(lock, district)
    if row is None:  # the district's first batch: its row, then the lock
        await conn.execute("INSERT INTO tracking (district) VALUES ($1) ON CONFLICT DO NOTHING", district)
        row = await conn.fetchrow(lock, district)
    return row["position"], row["moved_by"]


# The batch's record periods inserted ($3 on) and the tracking row moved, in one round trip; then
# the batch announced (delivered on commit): the district, its new position, and the move from the
# row's stamp before ($4, $5) to its stamp after ($6), as `report_rows.heads` reads them, with the
# tables changed ($7: `report_cache.Moves`). Two statements: on a Citus coordinator a statement
# naming a district's tracking row is sent whole to its worker, and a NOTIFY raised there is never
# heard here (nor would the server named be this one).
_MOVE = f"""
WITH periods AS ({tables.insert_record_periods(3)})
UPDATE tracking SET position = $2 WHERE district = $1 RETURNING xmin::text AS moved_by
"""
_ANNOUNCE = """
SELECT pg_notify($1, json_build_object(
    'district', $2::text, 'position', $3::bigint,
    'server', json_build_array(current_database(), extract(epoch FROM pg_postmaster_start_time())::text),
    'before', json_build_array($4::text, $5::bigint), 'after', $6::text, 'changed', $7::json)::text),
    set_config('synchronous_commit', 'off', true)
"""


async def _wait_any(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
