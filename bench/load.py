"""Loading a demo-shaped year through `POST /records`, streaming, in two steps (1x, then 10x).

Each district's records must arrive in the generator's order (a service after its town's
station and project), so a client takes a district that no other client is writing to, sends
its next batch and lets it go: `clients` batches are in flight whenever as many districts
still have records. Only one batch per district is held in memory at a time.
"""

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

import httpx

from api import auth
from bench.environment import bearer
from demo import DemoYear

BATCH = 1000


@dataclass
class Stream:
    """One district's records, and how far they have been sent."""

    district: str
    records: Iterator[dict]
    total: int
    sent: int = 0
    position: int = 0  # the district's log position after its last answered batch

    def next_batch(self, until: int) -> list[dict]:
        return list(islice(self.records, min(BATCH, until - self.sent)))


def streams(year: DemoYear) -> list[Stream]:
    return [Stream(d.code, year.district_records(d), year.district_total(d)) for d in year.districts]


async def send(base: str, districts: list[Stream], fraction: float, clients: int) -> tuple[int, float]:
    """Send each district's records up to `fraction` of its total; how many, and the seconds taken."""
    idle: asyncio.Queue[Stream | None] = asyncio.Queue()
    for stream in districts:
        idle.put_nowait(stream)
    sent, unfinished = 0, len(districts)

    async def client() -> None:
        nonlocal sent, unfinished
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            while (stream := await idle.get()) is not None:
                batch = stream.next_batch(round(stream.total * fraction))
                if not batch:  # this district is done for this step
                    unfinished -= 1
                    if not unfinished:
                        for _ in range(clients):
                            idle.put_nowait(None)
                    continue
                answer = await http.post(f"/v1/districts/{stream.district}/records", json={"records": batch},
                                         headers=bearer(auth.Role.district, stream.district))
                answer.raise_for_status()
                stream.sent += len(batch)
                stream.position = answer.json()["position"]
                sent += len(batch)
                idle.put_nowait(stream)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return sent, time.perf_counter() - started


async def projected(base: str, districts: list[Stream]) -> None:
    """Wait until every district's report reflects everything sent to it."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for stream in districts:
            for _ in range(60):  # each read waits up to the service's min_position timeout
                answer = await http.get(f"/v1/districts/{stream.district}/reports/2025H1",
                                        params={"min_position": stream.position},
                                        headers=bearer(auth.Role.district, stream.district))
                if answer.status_code != 503:
                    answer.raise_for_status()
                    break
            else:
                raise RuntimeError(f"projections of {stream.district} did not reach {stream.position}")
