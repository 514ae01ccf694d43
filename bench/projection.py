"""Projection throughput against merely reading the log, and the time from a write to a report
that shows it."""

import json
import statistics
import time
import uuid

import aiohttp
import asyncpg

from api import auth
from bench.environment import bearer
from bench.writes import service
from projections import connections
from projections.rebuild import log_length, rebuild
from tenants.stores import events_table


async def decode_baseline(pool: asyncpg.Pool, district: str) -> float:
    """Events per second of paging through the log and JSON-decoding each event's state."""
    started, after, count = time.perf_counter(), 0, 0
    async with pool.acquire() as conn:
        while rows := await conn.fetch(f'SELECT notification_id, state FROM {events_table(district)}'
                                       f" WHERE notification_id > $1 ORDER BY notification_id LIMIT 1000", after):
            for row in rows:
                json.loads(row["state"])
            count += len(rows)
            after = rows[-1]["notification_id"]
    return count / (time.perf_counter() - started)


async def rebuild_rates(database_url: str, district: str) -> tuple[int, float, float]:
    """The district's log length, a full rebuild's events/s and the read-and-decode baseline's."""
    pool = await connections.create_pool(database_url, min_size=1, max_size=2)
    try:
        total = await log_length(pool, district)
        baseline = await decode_baseline(pool, district)
        started = time.perf_counter()
        await rebuild(pool, district, batch_size=1000)
        return total, total / (time.perf_counter() - started), baseline
    finally:
        await pool.close()


async def visible_latencies(base: str, district: str, town: str, samples: int) -> tuple[float, float]:
    """p50 and p99 milliseconds from a one-record write's 200 to the district report reflecting
    it (aiohttp, as every client of the bench: httpx took ~2 ms more of the two cores per report)."""
    headers = bearer(auth.Role.district, district)
    latencies = []
    async with aiohttp.ClientSession(base, headers=headers, timeout=aiohttp.ClientTimeout(total=30)) as http:
        for _ in range(samples):
            async with http.post(f"/v1/districts/{district}/records",
                                 json={"records": [service(f"v-{uuid.uuid4().hex}", town)]}) as written:
                written.raise_for_status()
                position = (await written.json())["position"]
            done = time.perf_counter()
            async with http.get(f"/v1/districts/{district}/reports/2025H1",
                                params={"min_position": str(position)}) as shown:
                shown.raise_for_status()
                await shown.read()
            latencies.append((time.perf_counter() - done) * 1000)
    return statistics.median(latencies), percentile(latencies, 0.99)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * fraction) - 1))]
