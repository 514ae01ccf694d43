"""Projection throughput and write-to-report latency.

    python -m bench.projection [--events 50000] [--samples 200]

On a fresh database (as bench.writes makes one) it loads service records through the API,
then prints `name: value` lines: the events/s of a full rebuild of the report tables against
the events/s of merely reading and JSON-decoding the same log with asyncpg in pages of 1000
(the baseline, same run), and the time from a write's answer to a report that shows it.
"""

import argparse
import asyncio
import json
import statistics
import time
import uuid
from contextlib import ExitStack

import asyncpg
import httpx

from api import auth
from bench import print_figures
from bench.writes import (
    DISTRICT,
    SECRET,
    fresh_database,
    post_batches,
    running_service,
    service,
)
from projections import connections
from projections.rebuild import log_length, rebuild
from tenants.event_store import SCHEMA, events_table


async def decode_baseline(pool: asyncpg.Pool, district: str) -> float:
    """Events per second of paging through the log and JSON-decoding each event's state."""
    started, after, count = time.perf_counter(), 0, 0
    async with pool.acquire() as conn:
        while rows := await conn.fetch(f'SELECT notification_id, state FROM {SCHEMA}."{events_table(district)}"'
                                       f" WHERE notification_id > $1 ORDER BY notification_id LIMIT 1000", after):
            for row in rows:
                json.loads(row["state"])
            count += len(rows)
            after = rows[-1]["notification_id"]
    return count / (time.perf_counter() - started)


async def visible_latencies(base: str, samples: int) -> list[float]:
    """Milliseconds from a one-record write's 200 to the district report reflecting it."""
    headers = {"Authorization": "Bearer " + auth.mint(SECRET, sub="bench", role=auth.Role.district,
                                                      district=DISTRICT)}
    latencies = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        for _ in range(samples):
            written = await http.post(f"/v1/districts/{DISTRICT}/records",
                                      json={"records": [service(f"v-{uuid.uuid4().hex}")]})
            written.raise_for_status()
            done = time.perf_counter()
            shown = await http.get(f"/v1/districts/{DISTRICT}/reports/2025H1",
                                   params={"min_position": written.json()["position"]})
            shown.raise_for_status()
            latencies.append((time.perf_counter() - done) * 1000)
    return latencies


async def measure(events: int, samples: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database(stack))
        base, _ = stack.enter_context(running_service(database_url))
        batches = [[service(f"p-{uuid.uuid4().hex}") for _ in range(1000)] for _ in range(events // 1000)]
        await post_batches(base, DISTRICT, batches, 4)
        latencies = sorted(await visible_latencies(base, samples))
        figures["visible_ms_p50"] = statistics.median(latencies)
        figures["visible_ms_p99"] = latencies[int(len(latencies) * 0.99) - 1]

        pool = await connections.create_pool(database_url, min_size=1, max_size=2)
        try:
            total = await log_length(pool, DISTRICT)
            baseline = await decode_baseline(pool, DISTRICT)
            started = time.perf_counter()
            await rebuild(pool, DISTRICT, batch_size=1000)
            rate = total / (time.perf_counter() - started)
        finally:
            await pool.close()
        figures["events"] = total
        figures["projection_events_per_s"] = rate
        figures["baseline_read_decode_events_per_s"] = baseline
        figures["projection_ratio"] = rate / baseline
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000, help="service records to load first")
    parser.add_argument("--samples", type=int, default=200, help="writes timed until visible")
    args = parser.parse_args()
    print_figures(asyncio.run(measure(args.events, args.samples)))


if __name__ == "__main__":
    main()
