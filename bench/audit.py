"""The cost of as_of reads as history grows, and the speed of verifying a log.

    python -m bench.audit [--events 10000] [--snapshot-every 5000]

On a fresh database it records `--events` service records in one district, projects them
(snapshotting every `--snapshot-every` events), times as_of reads of the report at a moment
three quarters through the log, then grows the log to ten times the size and times them again.
Prints `name: value` lines; `asof_growth` is the ratio of the two medians.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from contextlib import ExitStack

from api.deps import scoped_connection
from audit.verify import verify
from bench import print_figures
from bench.writes import DISTRICT, fresh_database, service
from domain.decisions import Context
from domain.events import Provenance
from domain.records import parse_record
from projections import connections
from projections.as_of import position_at, shadow_tables
from projections.reports import Scope, district_report
from projections.worker import ProjectionWorker
from stations import clock
from stations.bootstrap import bootstrap
from stations.settings import Settings


def record(runtime, count: int) -> list:
    """Record `count` services in batches of 1000; the database's clock after each batch."""
    ledger = runtime.tenants.ledger(DISTRICT)
    for start in range(0, count, 1000):
        batch = [parse_record(service(f"a-{uuid.uuid4().hex}")) for _ in range(min(1000, count - start))]
        ledger.record(batch, Context(DISTRICT, runtime.tenants.divisions, clock.today(),
                                     Provenance("bench", "district", "bench", clock.now())))


async def time_as_of(pool, runtime, fraction: float, samples: int = 5) -> tuple[float, int]:
    async with pool.acquire() as conn:
        times = await conn.fetch(f'SELECT recorded_at FROM eventstore."d{DISTRICT}_chain" ORDER BY position')
    moment = times[int(len(times) * fraction)]["recorded_at"]
    took, replayed = [], 0
    for _ in range(samples):
        started = time.perf_counter()
        async with scoped_connection(pool, DISTRICT, readonly=False) as conn:
            replayed = await shadow_tables(conn, DISTRICT, await position_at(conn, DISTRICT, moment))
            await district_report(conn, Scope(DISTRICT, "2025H1", runtime.tenants.divisions, clock.today()))
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), replayed


async def measure(events: int, snapshot_every: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(stack))
        runtime = bootstrap(Settings(database_url=url, environment="test"), url)
        stack.callback(runtime.close)
        pool = await connections.create_pool(url, min_size=1, max_size=2)
        try:
            worker = ProjectionWorker(pool, snapshot_every=snapshot_every)
            for label, size in (("1x", events), ("10x", events * 10)):
                record(runtime, size - (events if label == "10x" else 0))
                await worker.catch_up(DISTRICT)
                figures[f"asof_ms_{label}"], figures[f"asof_replayed_{label}"] = await time_as_of(pool, runtime, 0.75)
            figures["asof_growth"] = figures["asof_ms_10x"] / figures["asof_ms_1x"]
            key = runtime.signing_key
            async with pool.acquire() as conn:
                result = await verify(conn, DISTRICT, {key.key_id: key.public})
            figures["verify_events"] = result.events
            figures["verify_events_per_s"] = result.events / result.seconds
        finally:
            await pool.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="events at 1x (the log grows to 10x)")
    parser.add_argument("--snapshot-every", type=int, default=5_000, help="events between snapshots")
    args = parser.parse_args()
    print_figures(asyncio.run(measure(args.events, args.snapshot_every)))


if __name__ == "__main__":
    main()
