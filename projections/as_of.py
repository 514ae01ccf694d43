"""The report tables as they stood at a past position: the nearest snapshot, then a replay.

The projection worker snapshots a district's report tables every `every` events, inside the
batch that crosses the mark, so a snapshot is exactly the state at its position. An as-of read
copies the nearest snapshot at or before its position into temporary tables of the same names
(found first on the search path), replays only the events after it, and reads the report from
them with the ordinary code; the temporary tables vanish with the transaction.

A read copies only what a report or the replay reads, so that its cost follows the events it
replays, not the length of the log: no rows of the tables only ever appended to for other reads
(`UNREAD`), and of the counted recipients (a row per recipient and figure, the bulk of a
snapshot) only those of the recipients the replayed services name.
"""

from collections.abc import Iterable
from datetime import datetime

import asyncpg

from domain.events import RecordEvent
from domain.service import ServiceDelivery
from projections.batches import BatchProjection
from projections.tables import REPORT_TABLES
from tenants.event_store import SCHEMA, chain_table

# Tables no report reads (a submitted version's later adjustments, its frozen figures, a plan's
# steps are read live, never as of a moment) and the replay only appends to.
UNREAD = ("record_periods", "report_versions", "plan_steps")
RECIPIENTS = "service_recipients"

# Each table's columns by name, in the live table's order (a snapshot table was made from an
# older live table and extended since, so its own order may differ). Migrations run before the
# service starts: a process learns them once.
_columns: dict[str, str] = {}


async def position_at(conn: asyncpg.Connection, district: str, moment: datetime) -> int:
    """The last position the district's log held at `moment`."""
    return await conn.fetchval(f'SELECT coalesce(max(position), 0) FROM {SCHEMA}."{chain_table(district)}"'
                               f" WHERE recorded_at <= $1", moment)


async def shadow_tables(conn: asyncpg.Connection, district: str, position: int) -> int:
    """Within the caller's transaction, temporary report tables holding the district's state at
    `position` (as far as the reports read it); how many events had to be replayed on top of the
    snapshot."""
    snapshot = await conn.fetchval("SELECT coalesce(max(position), 0) FROM snapshots.taken"
                                   " WHERE district = $1 AND position <= $2", district, position)
    for table in (*REPORT_TABLES, "tracking"):
        await conn.execute(f"CREATE TEMPORARY TABLE {table} (LIKE reports.{table} INCLUDING ALL)"
                           f" ON COMMIT DROP")
    if snapshot:
        columns = await _columns_of(conn)
        for table in REPORT_TABLES:
            if table not in UNREAD and table != RECIPIENTS:
                await conn.execute(f"INSERT INTO pg_temp.{table} SELECT {columns[table]} FROM snapshots.{table}"
                                   f" WHERE district = $1 AND snapshot_position = $2", district, snapshot)
    await conn.execute("INSERT INTO pg_temp.tracking (district, position) VALUES ($1, $2)", district, snapshot)
    # Statements this pooled connection prepared earlier are bound to the live tables: forget
    # them, so that the names resolve to the temporary tables from here on.
    await conn.reload_schema_state()
    replay = _Replay(snapshot)
    replayed, reached = 0, snapshot
    while True:
        done, reached = await replay.project_next(conn, district, reached, until=position)
        if not done:
            return replayed
        replayed += done


class _Replay(BatchProjection):
    """The ordinary batch projection, on top of a snapshot whose counted recipients are copied
    only as the replayed services come to count against them."""

    def __init__(self, snapshot: int):
        super().__init__()
        self.snapshot = snapshot
        self.copied: set[str] = set()

    async def project(self, conn: asyncpg.Connection, district: str, events: list[tuple[int, RecordEvent]], *,
                      rebuilding: bool = False) -> None:
        if self.snapshot:
            # A voided service counts its recipient out: they are named by the event it voids.
            named = _recipients([e for _, e in events]) | _recipients((await self._voided(conn, district, events))
                                                                      .values())
            if new := named - self.copied:
                columns = await _columns_of(conn)
                # A recipient at a time by the snapshot's index (OFFSET 0 keeps the planner from
                # reading the whole snapshot instead, as its row estimates may tempt it to).
                await conn.execute(f"INSERT INTO pg_temp.{RECIPIENTS} SELECT s.* FROM unnest($3::text[]) AS named (ref),"
                                   f" LATERAL (SELECT {columns[RECIPIENTS]} FROM snapshots.{RECIPIENTS}"
                                   f" WHERE district = $1 AND snapshot_position = $2 AND recipient_ref = named.ref"
                                   f" OFFSET 0) AS s", district, self.snapshot, list(new))
                self.copied |= new
        await super().project(conn, district, events, rebuilding=rebuilding)


def _recipients(events: Iterable[RecordEvent]) -> set[str]:
    return {e.recipient_ref for e in events if isinstance(e, ServiceDelivery.Delivered)}


async def _columns_of(conn: asyncpg.Connection) -> dict[str, str]:
    if not _columns:
        rows = await conn.fetch(
            "SELECT c.relname, string_agg(a.attname, ', ' ORDER BY a.attnum) AS columns"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " WHERE n.nspname = 'reports' AND c.relname = ANY($1::text[]) GROUP BY c.relname", list(REPORT_TABLES))
        _columns.update({row["relname"]: row["columns"] for row in rows})
    return _columns
