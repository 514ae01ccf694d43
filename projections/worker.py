"""The projection worker: follows each district's event log and keeps its report tables.

Each batch (up to `batch_size` events of one district) is read, projected and written in one
transaction together with the district's tracking position, so a crash at any point neither
loses nor double-counts an event. The worker wakes on the NOTIFY the event store sends with
every write, and announces each committed batch on the `reports_progress` channel.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from eventsourcing.persistence import StoredEvent

from domain.events import RecordEvent, RecordKeeping
from domain.ledger import event_mapper
from domain.inspection import Inspection
from domain.project import Project
from projections import tables
from projections.projector import Projector
from tenants.event_store import SCHEMA, events_table, records_table, store_codes
from tenants.registry import REGISTRY_CHANNEL

log = logging.getLogger(__name__)

PROGRESS_CHANNEL = "reports_progress"
SAFETY_SWEEP_SECONDS = 10.0


class ProjectionWorker:
    def __init__(self, pool: asyncpg.Pool, *, batch_size: int = 1000,
                 before_commit: Callable[[str, int], Awaitable[None]] | None = None):
        self.pool = pool
        self.batch_size = batch_size
        self.before_commit = before_commit  # a test's way to fail between the rows and the commit
        self.mapper = event_mapper()
        self._opened: set[str] = set()

    async def catch_up(self, district: str) -> int:
        """Project the district's log up to its head; how many events that took."""
        total = 0
        while (done := await self.project_batch(district)) > 0:
            total += done
        return total

    async def catch_up_all(self) -> int:
        return sum([await self.catch_up(store) for store in await self.stores()])

    async def project_batch(self, district: str) -> int:
        """Project the next batch of the district's events in one transaction; how many there were."""
        async with self.pool.acquire() as conn, conn.transaction():
            position = await lock_tracking(conn, district)
            done, last = await self.project_next(conn, district, position)
            if done:
                if self.before_commit is not None:
                    await self.before_commit(district, last)
                await conn.execute("SELECT pg_notify($1, $2)", PROGRESS_CHANNEL, f"{district}:{last}")
        return done

    async def project_next(self, conn: asyncpg.Connection, district: str, position: int, *,
                           defer_services: bool = False) -> tuple[int, int]:
        """Within the caller's transaction, project up to a batch after `position` and move the
        tracking row with it; how many events, and the position reached."""
        if not await self._has_store(conn, district):
            return 0, position
        rows = await conn.fetch(
            f'SELECT notification_id, originator_id, originator_version, topic, state'
            f' FROM {SCHEMA}."{events_table(district)}" WHERE notification_id > $1'
            f' ORDER BY notification_id LIMIT $2', position, self.batch_size)
        if not rows:
            return 0, position
        events = [(row["notification_id"], self._decode(row)) for row in rows]
        voided = await self._voided(conn, district, events)
        towns = await self._towns(conn, district, [e for _, e in events] + list(voided.values()))
        await tables.write(conn, district, Projector(voided, *towns).project(events), defer_services=defer_services)
        last = rows[-1]["notification_id"]
        await conn.execute("UPDATE tracking SET position = $2 WHERE district = $1", district, last)
        return len(rows), last

    async def _has_store(self, conn: asyncpg.Connection, district: str) -> bool:
        """Whether the district's event store exists (a district just registered may not have one)."""
        if district not in self._opened and await conn.fetchval(
                "SELECT to_regclass($1) IS NOT NULL", f'{SCHEMA}."{events_table(district)}"'):
            self._opened.add(district)
        return district in self._opened

    def _decode(self, row: asyncpg.Record) -> RecordEvent:
        return self.mapper.to_domain_event(StoredEvent(
            row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"])))

    async def _voided(self, conn: asyncpg.Connection, district: str,
                      events: list[tuple[int, RecordEvent]]) -> dict[str, RecordEvent]:
        """The events that recorded what this batch voids."""
        targets = [e.record for _, e in events if isinstance(e, RecordKeeping.RecordVoided)]
        if not targets:
            return {}
        rows = await conn.fetch(
            f'SELECT r.record_id, e.originator_id, e.originator_version, e.topic, e.state'
            f' FROM {SCHEMA}."{records_table(district)}" r JOIN {SCHEMA}."{events_table(district)}" e'
            f' ON e.originator_id = r.stream_id AND e.originator_version = r.stream_version'
            f' WHERE r.record_id = ANY($1)', targets)
        return {row["record_id"]: self._decode(row) for row in rows}

    async def _towns(self, conn: asyncpg.Connection, district: str,
                     events: list[RecordEvent]) -> tuple[dict[str, str], dict[str, str]]:
        """The towns of the projects and inspections these events name (projected earlier)."""
        projects = {e.project for e in events if isinstance(e, (Project.FundSpent, Project.SelfEvaluationSubmitted,
                                                                  Project.FinalEvaluationDone))}
        inspections = {e.inspection for e in events if isinstance(e, Inspection.RectificationDone)}
        project_towns = {row["project"]: row["town"] for row in await conn.fetch(
            "SELECT project, town FROM projects WHERE district = $1 AND project = ANY($2)",
            district, list(projects))} if projects else {}
        inspection_towns = {row["record_id"]: row["town"] for row in await conn.fetch(
            "SELECT record_id, town FROM inspections WHERE district = $1 AND record_id = ANY($2)",
            district, list(inspections))} if inspections else {}
        return project_towns, inspection_towns

    async def stores(self) -> list[str]:
        async with self.pool.acquire() as conn:
            return await store_codes(conn)

    async def run(self, database_url: str, stopping: asyncio.Event) -> None:
        """Follow every store until `stopping` is set."""
        listener = await asyncpg.connect(database_url)
        wake = asyncio.Event()
        dirty: set[str] = set()
        listened: set[str] = set()
        registry_changed = True

        def on_events(_conn: object, _pid: int, channel: str, _payload: str) -> None:
            dirty.add(channel.removeprefix("d").removesuffix("_events"))
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
                    for store in await self.stores():
                        if store not in listened:
                            await listener.add_listener(events_table(store), on_events)
                            listened.add(store)
                            dirty.add(store)
                if sweep:  # now and then look at every store, in case a notice was missed
                    dirty |= listened
                    sweep_due = loop.time() + SAFETY_SWEEP_SECONDS
                while dirty and not stopping.is_set():
                    store = dirty.pop()
                    try:
                        await self.catch_up(store)
                    except (asyncpg.PostgresError, OSError):
                        log.exception("projecting %s failed; will retry", store)
                await _wait_any(wake, stopping, timeout=max(0.0, sweep_due - loop.time()))
                wake.clear()
        finally:
            await listener.close()


async def lock_tracking(conn: asyncpg.Connection, district: str) -> int:
    """The district's projected position, locked for this transaction (one projector at a time)."""
    await conn.execute("INSERT INTO tracking (district) VALUES ($1) ON CONFLICT DO NOTHING", district)
    return await conn.fetchval("SELECT position FROM tracking WHERE district = $1 FOR UPDATE", district)


async def _wait_any(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
