"""What the read scope costs a read on a Citus worker: `scripts/bench-citus scope` (DATABASE_URL a
Citus coordinator, STATIONS_CITUS=true).

A district's policy is checked per row on the worker holding its store. Migration 0028 asked the
coordinator for the reader's advisory lock at each check; 0029 asks once a transaction of the
worker's backend and keeps the answer in the guard's temporary table there. Both are measured in
the same run, on the same rows: the guard as main had it (0023's `scope()`, 0028's
`locked_scope()`, their migrations' text applied again by the superuser), then 0029's. Each read
is the service's (`scoped`: the reader pool's connection, its scope bound on the coordinator),
of `ROWS` events of one district held by a worker, against the same read by the superuser, whom
row-level security does not bind.
"""

import asyncio
import json
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import asyncpg

from bench.scope import migrated
from projections.connections import open_reader, scoped, with_login

ROWS = 2000
DISTRICT = "350203"
ROUNDS_BEFORE = 2  # ~25 ms a row: a minute a read
ROUNDS_AFTER = 20
MIGRATIONS = Path(__file__).resolve().parent.parent / "stations" / "migrations"  # read as text: no import of stations
GUARDS = {"before": ("0023_bound_scope.sql", "0028_citus_scope.sql"), "after": ("0029_worker_scope_once.sql",)}


async def probe_store(conn: asyncpg.Connection) -> str:
    """A distributed schema on a worker, its events table under the policy a store has in Citus mode."""
    schema = f"bench_scope_{random.randrange(10**9)}"
    async with conn.transaction():
        await conn.execute("SET LOCAL citus.enable_schema_based_sharding = on")
        await conn.execute(f"CREATE SCHEMA {schema}")
    await conn.execute(f"CREATE TABLE {schema}.events (notification_id bigint PRIMARY KEY, topic text NOT NULL,"
                       " state bytea NOT NULL)")
    await conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO stations_reader")
    await conn.execute(f"GRANT SELECT ON {schema}.events TO stations_reader")
    await conn.execute(f"ALTER TABLE {schema}.events ENABLE ROW LEVEL SECURITY")
    await conn.execute(f"CREATE POLICY district_scope ON {schema}.events TO stations_reader"
                       f" USING (stations_guard.scope() IN ('{DISTRICT}', '*'))")
    await conn.execute(f"INSERT INTO {schema}.events SELECT g, 'service-delivered', '\\x00'::bytea"
                       f" FROM generate_series(1, {ROWS}) g")
    return schema


async def read_scoped(pool: asyncpg.Pool, read: str) -> int:
    async with scoped(pool, DISTRICT) as conn:
        return len(await conn.fetch(read))


async def timed_ms(work: Callable[[], Awaitable[int]], rounds: int) -> list[float]:
    taken = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert await work() == ROWS  # a scope that hid a row would lie
        taken.append((time.perf_counter() - started) * 1000)
    return taken


async def measure(url: str) -> dict[str, float | int]:
    superuser = await asyncpg.connect(url)
    try:
        schema = await probe_store(superuser)
        read = f"SELECT notification_id, topic, state FROM {schema}.events"

        async def unscoped() -> int:
            return len(await superuser.fetch(read))

        figures: dict[str, float | int] = {"rows": ROWS}
        figures["superuser_ms_p50"] = round(statistics.median(await timed_ms(unscoped, ROUNDS_AFTER)), 1)
        for name, files in GUARDS.items():
            for file in files:
                await superuser.execute((MIGRATIONS / file).read_text())
            # A new pool: a new coordinator's backend, so a new connection to the worker and its backend.
            pool = await asyncpg.create_pool(with_login(url, "stations_reader"), min_size=1, max_size=1,
                                             init=open_reader)
            try:
                first, *rest = await timed_ms(partial(read_scoped, pool, read),
                                              ROUNDS_BEFORE if name == "before" else ROUNDS_AFTER + 1)
                figures[f"{name}_first_ms"] = round(first, 1)
                if rest:
                    figures[f"{name}_ms_p50"] = round(statistics.median(rest), 1)
            finally:
                await pool.close()
        figures["after_us_a_row_over_superuser"] = round(
            (figures["after_ms_p50"] - figures["superuser_ms_p50"]) * 1000 / ROWS, 1)
        figures["before_over_after"] = round(figures["before_ms_p50"] / figures["after_ms_p50"])
        return figures
    finally:
        await superuser.close()


def main() -> None:
    url = os.environ["DATABASE_URL"]
    migrated(url)
    print(json.dumps(asyncio.run(measure(url)), indent=1))


if __name__ == "__main__":
    main()
