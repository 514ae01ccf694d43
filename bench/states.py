"""An aggregate's past state (issue 38): a project of `events` events (its contract and the rest
spending), read as of the moment its last event was recorded, replaying every one of them; and a
demo town's station now, whose compliance finds the projects and inspections naming its town."""

import statistics

import aiohttp
import asyncpg

from api import auth
from bench.environment import bearer
from bench.load import Stream
from bench.reads import timed_gets
from tenants.stores import chain_table

PROJECT = "P-bench-state-0001"
BATCH = 1000


def _contract(town: str) -> dict:
    return {"id": f"{PROJECT}-contract", "type": "project_contracted", "project": PROJECT, "town": town,
            "role": "linked", "name": "状态回放测量项目", "purchaser_kind": "district_bureau",
            "provider": {"name": "厦门市某社工服务中心", "kind": "social_organization", "credit_code": "523502004JURQ283F9"},
            "method": "open_tender", "amount": "100000.00", "contract_start": "2025-01-01", "contract_end": "2025-12-31",
            "funds": [{"source": "elderly_care", "amount": "100000.00"}], "domains": ["elderly_care"]}


def _spent(n: int) -> dict:
    return {"id": f"{PROJECT}-spent-{n}", "type": "fund_spent", "project": PROJECT, "occurred_on": "2025-03-01",
            "source": "elderly_care", "amount": "0.01", "purpose": "测量"}


async def write_project(base: str, stream: Stream, town: str, events: int) -> int:
    """The project and its spending, in batches of 1000 through the API, in the district of
    `stream` (whose position then waits for them too: `load.projected`); the last position."""
    district = stream.district
    records = [_contract(town), *(_spent(n) for n in range(1, events))]
    position = 0
    async with aiohttp.ClientSession(base, headers=bearer(auth.Role.district, district),
                                     timeout=aiohttp.ClientTimeout(total=120)) as http:
        for start in range(0, len(records), BATCH):
            async with http.post(f"/v1/districts/{district}/records",
                                 json={"records": records[start:start + BATCH]}) as answer:
                answer.raise_for_status()
                position = (await answer.json())["position"]
    stream.position = max(stream.position, position)
    return position


async def state_as_of_latency(base: str, database_url: str, district: str, position: int,
                              samples: int) -> tuple[float, float]:
    """Milliseconds of the project's state as of the moment `position` was recorded: the first read
    (the API process has kept none of its events: it reads the worker's latest snapshot of the
    stream and the events after it, `projections.stream_snapshots`) and the median of `samples`
    reads after it."""
    conn = await asyncpg.connect(database_url)
    try:
        moment = await conn.fetchval(f'SELECT recorded_at FROM {chain_table(district)} WHERE position = $1',
                                     position)
    finally:
        await conn.close()
    path, auditor = f"/v1/districts/{district}/projects/{PROJECT}", bearer(auth.Role.auditor)
    first = await timed_gets(base, path, auditor, 1, as_of=moment.isoformat())
    return first[0], statistics.median(await timed_gets(base, path, auditor, samples, as_of=moment.isoformat()))


async def station_latency(base: str, district: str, town: str, samples: int) -> float:
    """Median milliseconds of the town's station now (after one read that keeps its streams' events)."""
    path, auditor = f"/v1/districts/{district}/towns/{town}/station", bearer(auth.Role.auditor)
    await timed_gets(base, path, auditor, 1)
    return statistics.median(await timed_gets(base, path, auditor, samples))
