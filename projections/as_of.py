"""The report tables as they stood at a past position: the nearest snapshot, then a replay.

The projection worker snapshots a district's report tables every `every` events, inside the
batch that crosses the mark, so a snapshot is exactly the state at its position. An as-of read
copies the nearest snapshot at or before its position into temporary tables of the same names
(found first on the search path), replays only the events after it, and reads the report from
them with the ordinary code; the temporary tables vanish with the transaction.
"""

from datetime import datetime

import asyncpg

from projections.batches import BatchProjection
from projections.tables import REPORT_TABLES
from tenants.event_store import SCHEMA, chain_table


async def position_at(conn: asyncpg.Connection, district: str, moment: datetime) -> int:
    """The last position the district's log held at `moment`."""
    return await conn.fetchval(f'SELECT coalesce(max(position), 0) FROM {SCHEMA}."{chain_table(district)}"'
                               f" WHERE recorded_at <= $1", moment)


async def shadow_tables(conn: asyncpg.Connection, district: str, position: int) -> int:
    """Within the caller's transaction, temporary report tables holding the district's state at
    `position`; how many events had to be replayed on top of the snapshot."""
    snapshot = await conn.fetchval("SELECT coalesce(max(position), 0) FROM snapshots.taken"
                                   " WHERE district = $1 AND position <= $2", district, position)
    for table in (*REPORT_TABLES, "tracking"):
        await conn.execute(f"CREATE TEMPORARY TABLE {table} (LIKE reports.{table} INCLUDING ALL)"
                           f" ON COMMIT DROP")
    for table in REPORT_TABLES:
        columns = [r["attname"] for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attnum", f"reports.{table}")]
        await conn.execute(f"INSERT INTO pg_temp.{table} SELECT {', '.join(columns)} FROM snapshots.{table}"
                           f" WHERE district = $1 AND snapshot_position = $2", district, snapshot)
    await conn.execute("INSERT INTO pg_temp.tracking (district, position) VALUES ($1, $2)", district, snapshot)
    # Statements this pooled connection prepared earlier are bound to the live tables: forget
    # them, so that the names resolve to the temporary tables from here on.
    await conn.reload_schema_state()
    batches = BatchProjection()
    replayed, reached = 0, snapshot
    while True:
        done, reached = await batches.project_next(conn, district, reached, until=position)
        if not done:
            return replayed
        replayed += done
