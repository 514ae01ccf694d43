"""Rebuilding a district's report tables from its event log, while reads go on.

The whole rebuild of a district is one transaction: its rows are deleted and projected again
from position 0, and readers keep seeing the old rows (PostgreSQL's MVCC) until the commit
switches them to the new ones at once. The district's tracking row is locked throughout, so
the worker waits rather than projecting the same events twice.
"""

from collections.abc import Callable

import asyncpg

from projections import tables
from projections.batches import BatchProjection
from projections.worker import lock_tracking
from tenants.event_store import SCHEMA, events_table

async def log_length(pool: asyncpg.Pool, district: str) -> int:
    return await pool.fetchval(f'SELECT coalesce(max(notification_id), 0) FROM {SCHEMA}."{events_table(district)}"')


async def rebuild(pool: asyncpg.Pool, district: str, advance: Callable[[int], None] = lambda _: None, *,
                  batch_size: int = 5000) -> int:
    """Project the district's whole log afresh; `advance` hears how many events each batch took."""
    batches = BatchProjection(batch_size)
    total = 0
    async with pool.acquire() as conn, conn.transaction():
        await lock_tracking(conn, district)
        for table in tables.REPORT_TABLES:
            await conn.execute(f"DELETE FROM {table} WHERE district = $1", district)
        await tables.begin_rebuild(conn)
        position = 0
        while True:
            done, position = await batches.project_next(conn, district, position, defer_services=True)
            if not done:
                break
            total += done
            advance(done)
        await tables.finish_rebuild(conn, district)
        await conn.execute("UPDATE tracking SET position = $2 WHERE district = $1", district, position)
    return total
