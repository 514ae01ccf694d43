"""One batch of a district's events projected into the report tables, in the caller's transaction.

Used by the worker (one batch a transaction), by a rebuild (every batch in one transaction)
and by an as-of read (into temporary tables).
"""

import asyncpg
from eventsourcing.persistence import StoredEvent

from domain.events import RecordEvent, RecordKeeping
from domain.inspection import Inspection
from domain.progress import ProgressNote
from writes.ledger import event_mapper
from domain.project import Project
from projections import tables
from projections.projector import Changes, Projector
from tenants.stores import events_table, records_table


_EVENT_COLUMNS = "notification_id, originator_id, originator_version, topic, state"


class BatchProjection:
    def __init__(self, batch_size: int = 1000):
        self.batch_size = batch_size
        self.mapper = event_mapper()  # the library's JSON, read by orjson (domain/transcoding.py)
        self._opened: set[str] = set()

    async def project_next(self, conn: asyncpg.Connection, district: str, position: int, *,
                           until: int | None = None) -> tuple[int, int]:
        """Within the caller's transaction, project up to a batch after `position` (and not past
        `until`) and move the tracking row with it; how many events, and the position reached."""
        events = await self.read(conn, district, position, until=until)
        if not events:
            return 0, position
        await self.project(conn, district, events)
        last = events[-1][0]
        await conn.execute("UPDATE tracking SET position = $2 WHERE district = $1", district, last)
        return len(events), last

    async def read(self, conn: asyncpg.Connection, district: str, position: int, *,
                   until: int | None = None) -> list[tuple[int, RecordEvent]]:
        """Up to a batch of the district's events after `position` (not past `until`), decoded."""
        if not await self._has_store(conn, district):
            return []
        rows = await conn.fetch(
            f'SELECT {_EVENT_COLUMNS} FROM {events_table(district)} WHERE notification_id > $1'
            f' AND ($3::bigint IS NULL OR notification_id <= $3) ORDER BY notification_id LIMIT $2',
            position, self.batch_size, until)
        return [(row["notification_id"], self._decode(row)) for row in rows]

    async def read_tracked(self, conn: asyncpg.Connection,
                           district: str) -> tuple[int, str, list[tuple[int, RecordEvent]]] | None:
        """The district's tracking row locked for the caller's transaction (its position, and the
        transaction that last moved it), with up to a batch of events after it, in one round
        trip; None while the district has no tracking row or no store."""
        if not await self._has_store(conn, district):
            return None
        rows = await conn.fetch(
            f"WITH t AS (SELECT position, xmin::text AS moved_by FROM tracking WHERE district = $1 FOR UPDATE)"
            f" SELECT t.position, t.moved_by, e.* FROM t LEFT JOIN LATERAL ("
            f'  SELECT {_EVENT_COLUMNS} FROM {events_table(district)}'
            f"  WHERE notification_id > t.position ORDER BY notification_id LIMIT $2) AS e ON true"
            f" ORDER BY e.notification_id", district, self.batch_size)
        if not rows:
            return None
        events = [(row["notification_id"], self._decode(row)) for row in rows if row["notification_id"] is not None]
        return rows[0]["position"], rows[0]["moved_by"], events

    async def project(self, conn: asyncpg.Connection, district: str, events: list[tuple[int, RecordEvent]], *,
                      rebuilding: bool = False, periods: bool = True) -> Changes:
        """Within the caller's transaction, write what the events do to the report tables (a
        rebuild's batch gathers its services for `tables.finish_rebuild`; `periods=False` leaves
        the record periods to the caller's next statement, `tables.insert_record_periods`)."""
        voided = await self._voided(conn, district, events)
        towns = await self._towns(conn, district, [e for _, e in events] + list(voided.values()))
        changes = Projector(voided, *towns).project(events)
        await self.write(conn, district, changes, rebuilding=rebuilding, periods=periods)
        return changes

    async def write(self, conn: asyncpg.Connection, district: str, changes: Changes, *, rebuilding: bool,
                    periods: bool) -> None:
        await tables.write(conn, district, changes, rebuilding=rebuilding, periods=periods)

    async def _has_store(self, conn: asyncpg.Connection, district: str) -> bool:
        """Whether the district's event store exists (a district just registered may not have one)."""
        if district not in self._opened and await conn.fetchval(
                "SELECT to_regclass($1) IS NOT NULL", events_table(district)):
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
            f' FROM {records_table(district)} r JOIN {events_table(district)} e'
            f' ON e.originator_id = r.stream_id AND e.originator_version = r.stream_version'
            f' WHERE r.record_id = ANY($1)', targets)
        return {row["record_id"]: self._decode(row) for row in rows}

    async def _towns(self, conn: asyncpg.Connection, district: str,
                     events: list[RecordEvent]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """The towns of the projects, inspections and progress notes these events name (projected earlier)."""
        projects = {e.project for e in events if isinstance(e, (Project.FundSpent, Project.SelfEvaluationSubmitted,
                                                                  Project.FinalEvaluationDone, Project.ProviderExited))}
        inspections = {e.inspection for e in events if isinstance(e, Inspection.RectificationDone)}
        project_towns = {row["project"]: row["town"] for row in await conn.fetch(
            "SELECT project, town FROM projects WHERE district = $1 AND project = ANY($2)",
            district, list(projects))} if projects else {}
        inspection_towns = {row["record_id"]: row["town"] for row in await conn.fetch(
            "SELECT record_id, town FROM inspections WHERE district = $1 AND record_id = ANY($2)",
            district, list(inspections))} if inspections else {}
        notes = {e.progress for e in events if isinstance(e, ProgressNote.ProblemResolved)}
        progress_towns = {row["record_id"]: row["town"] for row in await conn.fetch(
            "SELECT record_id, town FROM progress_notes WHERE district = $1 AND record_id = ANY($2)",
            district, list(notes))} if notes else {}
        return project_towns, inspection_towns, progress_towns
