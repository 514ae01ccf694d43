"""The report tables as they stood at a past position: the nearest snapshot, then a replay.

The projection worker snapshots a district's report tables every `every` events, inside the
batch that crosses the mark, so a snapshot is exactly the state at its position. An as-of read
copies the nearest snapshot at or before its position into temporary tables of the same names
(found first on the search path), replays only the events after it, and reads the report from
them with the ordinary code; the temporary tables vanish with the transaction.

Its cost follows the events it replays, not the length of the log: it copies no rows of the
tables that only other reads read (`snapshots.UNREAD`), and none of the counted recipients (a
row per recipient and period, growing with the log, kept by the snapshots as deltas). The replay counts
its services onto the snapshot's figures batch by batch, looking up in the snapshots only the
recipients they name (`service_counts.SnapshotCounting`).
"""

from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg

from projections import service_counts, tables
from projections.batches import BatchProjection
from projections.connections import SERVER_SETTINGS
from projections.projector import Changes
from projections.snapshots import WHOLE
from projections.tables import REPORT_TABLES
from tenants.stores import chain_table

# The tables no report reads (`snapshots.UNREAD`) are written by the replay, nothing is copied
# into them; nor into service_recipients: the replay's services are counted against the snapshots'
# rows of the recipients they name (`service_counts.SnapshotCounting`), its temporary table
# stays empty.

SHADOWED = (*REPORT_TABLES, "tracking")


@dataclass(frozen=True)
class _Statements:
    """What makes the temporary tables, and what fills them from a snapshot ($1 the district, $2
    its position), as the catalog describes the live tables (migrations run before the service
    starts: a process learns them once)."""

    create: str
    copies: tuple[str, ...]


_statements: _Statements | None = None


async def position_at(conn: asyncpg.Connection, district: str, moment: datetime) -> int:
    """The last position the district's log held at `moment`.

    The log is appended under its table's lock, each row stamped as it is inserted, so its times
    grow with its positions: the row recorded last by then, found by the index on the times (a
    max over positions would read every row after the moment)."""
    return await conn.fetchval(f'SELECT coalesce((SELECT position FROM {chain_table(district)}'
                               f" WHERE recorded_at <= $1 ORDER BY recorded_at DESC, position DESC LIMIT 1), 0)",
                               moment)


async def shadow_tables(conn: asyncpg.Connection, district: str, position: int) -> int:
    """Within the caller's transaction, temporary report tables holding the district's state at
    `position` (as far as the reports read it); how many events had to be replayed on top of the
    snapshot."""
    snapshot = await conn.fetchval("SELECT coalesce(max(position), 0) FROM snapshots.taken"
                                   " WHERE district = $1 AND position <= $2", district, position)
    statements = await _statements_for(conn)
    await conn.execute(statements.create)
    for copy in statements.copies:
        await conn.execute(copy, district, snapshot)
    # Statements this pooled connection prepared earlier are bound to the live tables. PostgreSQL
    # parses a prepared statement again when search_path has changed since it was prepared: a
    # path naming pg_temp explicitly makes their names resolve to the temporary tables in this
    # transaction, and to the live ones again after it, with no statement of the pool forgotten
    # (asyncpg's reload_schema_state would drop every pooled connection's statements and types).
    await conn.execute(f"SET LOCAL search_path = pg_temp, {SERVER_SETTINGS['search_path']}")
    replay = _Replay(service_counts.SnapshotCounting(district, snapshot))
    replayed, reached = 0, snapshot
    while True:
        done, reached = await replay.project_next(conn, district, reached, until=position)
        if not done:
            break
        replayed += done
    await replay.counting.finish(conn)
    return replayed


class _Replay(BatchProjection):
    """The ordinary batch projection, every batch of which writes as a rebuild's does, but whose
    services are counted onto the snapshot's recipients (`SnapshotCounting`)."""

    def __init__(self, counting: service_counts.SnapshotCounting) -> None:
        super().__init__()
        self.counting = counting

    async def write(self, conn: asyncpg.Connection, district: str, changes: Changes, *, rebuilding: bool,
                    periods: bool) -> None:
        await self.counting.add(conn, changes.services)
        await tables.write(conn, district, replace(changes, services=[]), rebuilding=True)


async def _statements_for(conn: asyncpg.Connection) -> _Statements:
    global _statements
    if _statements is None:
        shapes = {row["relname"]: row for row in await conn.fetch(_SHAPES, list(SHADOWED))}
        # A temporary table needs only the key its upserts name: the live tables' other indexes
        # serve reads of a whole log, and cost more to make than a report's read saves.
        create = ";".join(f"CREATE TEMPORARY TABLE {t} (LIKE reports.{t} INCLUDING ALL EXCLUDING INDEXES,"
                          f" PRIMARY KEY ({shapes[t]['key']})) ON COMMIT DROP" for t in SHADOWED)
        # A snapshot table was made from an older live table and extended since, so its columns
        # are named in the live table's order. A statement a table: Citus plans no statement whose
        # CTEs write temporary tables from distributed ones.
        copies = tuple(f"INSERT INTO pg_temp.{t} SELECT {shapes[t]['columns']} FROM snapshots.{t}"
                       f" WHERE district = $1 AND snapshot_position = $2" for t in WHOLE)
        tracking = "INSERT INTO pg_temp.tracking (district, position) VALUES ($1, $2)"
        _statements = _Statements(create, (*copies, tracking))
    return _statements


_SHAPES = """
SELECT c.relname,
       (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, n)
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE i.indrelid = c.oid AND i.indisprimary) AS key
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'reports' AND c.relname = ANY($1::text[])
"""
