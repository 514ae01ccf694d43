"""What the read scope costs a read: `python -m bench.scope` (on DATABASE_URL's server, a fresh
database made and dropped; else an embedded one).

Row-level security asks `stations_guard.scope()` once for each policy-bound table a query reads
(twice for `IN (district, '*')`). Its cost grows with the cluster's lock table when it is read from
`pg_locks`, so another session holds `LOCKS_ELSEWHERE` advisory locks meanwhile, as the shared
cluster's other sessions do. Each figure is the median of `ROUNDS`; the ratios are a scoped read
transaction, on a connection opened as the service's reader pool opens them (its scope read back
from the guard's table: migration 0023) and on one that was not (every check reads pg_locks, as
migration 0021 did), against the same transaction run by the superuser, whom row-level security
does not bind.
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

import asyncpg

from bench.environment import fresh_database

LOCKS_ELSEWHERE = 600  # about what the shared cluster held when scope() was measured at 1.3 ms
QUERIES = 10  # about the policy-bound reads of one district report's transaction
ROUNDS = 200
DISTRICT = "350203"
READ = "SELECT status FROM reports.report_states WHERE district = $1 AND period = '2025H1' AND town = $2"


def migrated(url: str) -> None:
    """The schema, its roles and its guard, as a development start makes them."""
    environment = {**os.environ, "STATIONS_ENVIRONMENT": "development", "STATIONS_DATABASE_URL": url,
                   "STATIONS_MIGRATE_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "stations.cli", "migrate"], env=environment, capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"stations migrate failed: {(done.stdout + done.stderr)[-3000:]}")


async def medians_ms(works: dict[str, Callable[[], Awaitable[Any]]], rounds: int = ROUNDS) -> dict[str, float]:
    """Each work's median, the works taking turns round by round: the machine's noise falls on all alike."""
    taken: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            started = time.perf_counter()
            await work()
            taken[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(times) for name, times in taken.items()}


async def measure(url: str) -> dict[str, float]:
    elsewhere, conn, unopened = await asyncpg.connect(url), await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        await conn.execute("SELECT stations_guard.open_session()")
        await elsewhere.execute("BEGIN; SELECT pg_advisory_xact_lock_shared(4242, g)"
                                f" FROM generate_series(1, {LOCKS_ELSEWHERE}) g")
        towns = [f"{DISTRICT}{i:03d}" for i in range(1, QUERIES + 1)]
        await conn.executemany("INSERT INTO reports.report_states (district, period, town, status)"
                               " VALUES ($1, '2025H1', $2, 'submitted') ON CONFLICT DO NOTHING",
                               [(DISTRICT, town) for town in towns])
        locks = await conn.fetchval("SELECT count(*) FROM pg_locks")

        async def transaction(on: asyncpg.Connection, begin: str) -> None:
            await on.execute(begin)
            for town in towns:
                assert await on.fetchval(READ, DISTRICT, town) == "submitted"  # a scope that hid it would lie
            await on.execute("COMMIT")

        plain = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        scoped = f"{plain}; SET LOCAL ROLE stations_reader; SELECT stations_guard.bind_scope('{DISTRICT}')"

        async def one_check(on: asyncpg.Connection) -> None:
            await on.execute(scoped)
            await on.fetchval("SELECT stations_guard.scope()")
            await on.execute("COMMIT")

        # On the unopened connection every check reads pg_locks: what migration 0021's checks cost.
        ms = await medians_ms({"unscoped": lambda: transaction(conn, plain),
                               "scoped": lambda: transaction(conn, scoped),
                               "from_lock": lambda: transaction(unopened, scoped),
                               "bind": lambda: conn.execute(f"{scoped}; COMMIT"),
                               "check": lambda: one_check(conn),
                               "check_from_lock": lambda: one_check(unopened)})
        return {"locks_on_cluster": locks, **{f"{name}_ms_p50": round(value, 3) for name, value in ms.items()},
                "scoped_ratio": round(ms["scoped"] / ms["unscoped"], 2),
                "from_lock_ratio": round(ms["from_lock"] / ms["unscoped"], 2),
                "scoped_over_from_lock": round(ms["scoped"] / ms["from_lock"], 3)}
    finally:
        await asyncio.gather(elsewhere.close(), conn.close(), unopened.close())


def main() -> None:
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(stack))
        migrated(url)
        print(json.dumps(asyncio.run(measure(url)), indent=1))


if __name__ == "__main__":
    main()
