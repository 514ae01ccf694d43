"""Rebuilding a district's report tables from its event log, while reads go on.

The whole rebuild of a district is one transaction. Its log is projected from position 0 into
empty temporary tables of the report tables' names (found first on the search path, as an
as-of read does), so the projection writes no WAL and meets none of the old rows; then each
report table takes only the difference: old rows the rebuild no longer yields are deleted,
rows it yields anew are inserted, and rows that stand unchanged are not written at all. The
tables end exactly as if they had been emptied and projected again, readers keep seeing the
old rows (PostgreSQL's MVCC) until the commit switches them at once, and the district's
tracking row is locked throughout, so the worker waits rather than projecting the same events
twice.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager, suppress

import asyncpg

from domain.events import RecordEvent
from projections import stream_snapshots, tables
from projections.batches import BatchProjection
from projections.worker import lock_tracking
from tenants.stores import events_table

# Room to compare a big district's old and new rows in memory, for this transaction only.
_WORK_MEM = "SET LOCAL work_mem = '64MB'"

# Each report table's columns, and which of them are its primary key.
_COLUMNS = """
SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum),
       array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnum = ANY(i.indkey))
FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE s.nspname = 'reports' AND c.relname = ANY($1::text[])
GROUP BY c.relname
"""


async def log_length(pool: asyncpg.Pool, district: str) -> int:
    return await pool.fetchval(f'SELECT coalesce(max(notification_id), 0) FROM {events_table(district)}')


async def rebuild(pool: asyncpg.Pool, district: str, advance: Callable[[int], None] = lambda _: None, *,
                  batch_size: int = 5000, stream_snapshot_every: int = stream_snapshots.EVERY) -> int:
    """Project the district's whole log afresh; `advance` hears how many events each batch took.
    A long project stream's snapshots it lacks are taken on the way (a log recorded before them)."""
    batches = BatchProjection(batch_size)
    total = 0
    # Both connections before the tracking lock, so that no one waiting on the lock can hold
    # the connection the rebuild would need.
    async with pool.acquire() as conn, _second(pool) as reader:
        try:
            async with conn.transaction():
                await lock_tracking(conn, district)
                await conn.execute(_WORK_MEM)
                await shadow_report_tables(conn)
                await tables.begin_rebuild(conn)
                position = 0
                async with aclosing(_read_ahead(reader or conn, batches, district, ahead=reader is not None)) as log:
                    async for events in log:
                        await batches.project(conn, district, events, rebuilding=True)
                        await stream_snapshots.take(conn, district, batches.mapper, events, stream_snapshot_every)
                        position = events[-1][0]
                        total += len(events)
                        advance(len(events))
                await tables.finish_rebuild(conn, district)
                await apply_difference(conn, district)
                await conn.execute("UPDATE tracking SET position = $2 WHERE district = $1", district, position)
        finally:
            # Statements prepared while the temporary tables stood are bound to them: forget them.
            await conn.reload_schema_state()
    return total


@asynccontextmanager
async def _second(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection | None]:
    """A second connection of the pool, if it has room for one."""
    if pool.get_max_size() < 2:
        yield None
        return
    async with pool.acquire() as conn:
        yield conn


async def _read_ahead(reader: asyncpg.Connection, batches: BatchProjection, district: str, *,
                      ahead: bool) -> AsyncIterator[list[tuple[int, RecordEvent]]]:
    """The district's log batch by batch; `ahead`, each next batch is read and decoded (on a
    connection of its own) while the caller writes the one before: the log only grows, so both
    connections see the same events."""
    reading = asyncio.ensure_future(batches.read(reader, district, 0))
    try:
        while events := await reading:
            if not ahead:
                yield events
            reading = asyncio.ensure_future(batches.read(reader, district, events[-1][0]))
            if ahead:
                yield events
    finally:
        reading.cancel()
        with suppress(asyncio.CancelledError):
            await reading


async def shadow_report_tables(conn: asyncpg.Connection) -> None:
    """Empty temporary report tables, dropped with the transaction, that the projection writes to."""
    for table in tables.REPORT_TABLES:
        like = "" if table in tables.INSERTED_ONLY_IN_REBUILD else " INCLUDING ALL"
        await conn.execute(f"CREATE TEMPORARY TABLE {table} (LIKE reports.{table}{like}) ON COMMIT DROP")
    await conn.reload_schema_state()


async def apply_difference(conn: asyncpg.Connection, district: str) -> None:
    """Make each report table's rows of the district equal to its rebuilt temporary table's."""
    for table, columns, key in await conn.fetch(_COLUMNS, list(tables.REPORT_TABLES)):
        await conn.execute(_difference(table, columns, key), district)


def _difference(table: str, columns: list[str], key: list[str]) -> str:
    """One statement: old and new rows matched by key (one hash join), then the old rows whose
    key is gone deleted (found by their key: Citus plans no modification by `ctid`), and the new
    or changed ones inserted or updated."""
    rest = [c for c in columns if c not in key]
    same_key = " AND ".join(f"o.{_q(c)} = n.{_q(c)}" for c in key)
    differ = f"({', '.join(f'o.{_q(c)}' for c in rest)}) IS DISTINCT FROM ({', '.join(f'n.{_q(c)}' for c in rest)})"
    update = f"UPDATE SET {', '.join(f'{_q(c)} = excluded.{_q(c)}' for c in rest)}"
    old_key = ", ".join(f"o.{_q(c)} AS {_q('was_' + c)}" for c in key)
    gone_key = " AND ".join(f"t.{_q(c)} = c.{_q('was_' + c)}" for c in key)
    return f"""
WITH changed AS MATERIALIZED (
    SELECT {old_key}, n.district IS NULL AS gone, n.*
    FROM (SELECT * FROM reports.{table} WHERE district = $1) o FULL JOIN pg_temp.{table} n ON {same_key}
    WHERE o.district IS NULL OR n.district IS NULL{f" OR {differ}" if rest else ""}
), deleted AS (
    DELETE FROM reports.{table} t USING changed c WHERE c.gone AND t.district = $1 AND {gone_key}
)
INSERT INTO reports.{table} SELECT {", ".join(map(_q, columns))} FROM changed WHERE NOT gone
ON CONFLICT ({", ".join(map(_q, key))}) DO {update if rest else "NOTHING"}
"""


def _q(column: str) -> str:
    return f'"{column}"'
