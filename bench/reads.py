"""Report reads as the log grows: district and city reports, and a district's report as of a
moment deep in its history."""

import statistics
import time

import aiohttp
import asyncpg

from api import auth
from bench.environment import bearer
from bench.projection import percentile
from tenants.stores import chain_table

PERIOD = "2025H1"


async def at_rest(database_url: str) -> None:
    """Vacuum and analyse the database after a load, as autovacuum would minutes later, so that
    the reads timed at 1x and at 10x are both reads at rest, not reads racing its work."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def timed_gets(base: str, path: str, headers: dict[str, str], samples: int, **params: str) -> list[float]:
    """Milliseconds of each of `samples` reads, the answer read whole (aiohttp: `visible_latencies`)."""
    took = []
    async with aiohttp.ClientSession(base, headers=headers, timeout=aiohttp.ClientTimeout(total=120)) as http:
        for _ in range(samples):
            started = time.perf_counter()
            async with http.get(path, params=params) as answer:
                answer.raise_for_status()
                await answer.read()
            took.append((time.perf_counter() - started) * 1000)
    return took


ROUNDS = 5


async def report_latencies(base: str, district: str, samples: int) -> dict[str, float]:
    """Milliseconds of the district's and the city's half-year reports: p50 of each, p99 of the city's.

    The reads go in `ROUNDS` rounds, the district's and the city's in turn, and a p50 is the
    lowest of its rounds' medians. A read of 1-3 ms is slowed by a second's noise from the rest of
    the shared machine, and noise only ever slows it: with one median, `report_growth` moved from
    0.87 to 1.89 between runs of one version (bench/README section 24). The p99 is of every read."""
    district_medians, city_medians, city_ms = [], [], []
    for _ in range(ROUNDS):
        district_medians.append(statistics.median(await timed_gets(
            base, f"/v1/districts/{district}/reports/{PERIOD}", bearer(auth.Role.district, district),
            max(1, samples // ROUNDS))))
        city = await timed_gets(base, f"/v1/city/reports/{PERIOD}", bearer(auth.Role.city), max(1, samples // ROUNDS))
        city_medians.append(statistics.median(city))
        city_ms += city
    return {"district_report_ms_p50": min(district_medians), "city_report_ms_p50": min(city_medians),
            "city_report_ms_p99": percentile(city_ms, 0.99)}


async def as_of_latency(base: str, database_url: str, district: str, samples: int, depth: float = 0.5) -> float:
    """Median milliseconds of the district's report as of the moment its log was `depth` through."""
    conn = await asyncpg.connect(database_url)
    try:
        table = chain_table(district)
        length = await conn.fetchval(f"SELECT count(*) FROM {table}")
        moment = await conn.fetchval(f"SELECT recorded_at FROM {table} ORDER BY position OFFSET $1 LIMIT 1",
                                     int(length * depth))
    finally:
        await conn.close()
    took = await timed_gets(base, f"/v1/districts/{district}/reports/{PERIOD}", bearer(auth.Role.district, district),
                            samples, as_of=moment.isoformat())
    return statistics.median(took)
