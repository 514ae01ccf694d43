"""Loading a demo-shaped year through `POST /records`, streaming, in two steps (1x, then 10x).

Each district's records must arrive in the generator's order (a service after its town's
station and project), so a client takes a district that no other client is writing to, sends
its next batch and lets it go: `clients` batches are in flight whenever as many districts
still have records.

The load is made before it is timed: the demo generator and the JSON encoding are the load
generator's work, not the service's, and on a machine of two cores they would take their
time from the service. A step is made and sent in chunks of about `CHUNK` records (every
district's next batches, encoded), so memory does not grow with the size; only the sending
of each chunk is timed.
"""

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

import aiohttp
import orjson

from api import auth
from bench.environment import Service, bearer
from demo import DemoYear
from demo.duties import Division, Part

BATCH = 1000  # the most records a request carries: each writer's, in the order they need
WINDOW = 10 * BATCH  # a district's records split by writer at once: Xiamen's districts have 4 to 11 towns
CHUNK = 200_000  # records made ahead of a timed send


@dataclass
class Stream:
    """One district's records, and how far they have been sent."""

    district: str
    records: Iterator[dict]
    total: int
    sent: int = 0
    position: int = 0  # the district's log position after its last answered batch
    # Encoded windows made ahead: (records, each batch's writer and body), each batch sent by its owner.
    ready: list[tuple[int, list[tuple[dict[str, str], bytes]]]] = field(default_factory=list)
    division: Division = field(default_factory=Division)

    def make(self, until: int, most: int) -> int:
        """Encode the next batches up to record `until` of the stream, at most `most` records."""
        made = 0
        while made < most and (count := min(WINDOW, until - self.sent - self.made_ahead)) > 0:
            window = list(islice(self.records, count))
            parts = [(self.writer(part), orjson.dumps({"records": part.records[start:start + BATCH]}))
                     for part in self.division.parts(window) for start in range(0, len(part.records), BATCH)]
            self.ready.append((len(window), parts))
            made += len(window)
        return made

    def writer(self, part: Part) -> dict[str, str]:
        role = auth.Role(part.level.name)
        return {**bearer(role, None if role is auth.Role.city else self.district, part.town),
                "Content-Type": "application/json"}

    @property
    def made_ahead(self) -> int:
        return sum(n for n, _ in self.ready)


def streams(year: DemoYear) -> list[Stream]:
    return [Stream(d.code, year.district_records(d), year.district_total(d)) for d in year.districts]


async def send(base: str, districts: list[Stream], fraction: float, clients: int) -> tuple[int, float]:
    """Send each district's records up to `fraction` of its total; how many, and the seconds
    the sending took (not the making)."""
    sent, seconds = 0, 0.0
    async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=120)) as http:
        whole = sum(stream.total for stream in districts)
        while True:  # each district's share of a chunk is its share of the year, so all end it together
            made = sum(stream.make(round(stream.total * fraction), max(BATCH, CHUNK * stream.total // whole))
                       for stream in districts)
            if not made:
                return sent, seconds
            started = time.perf_counter()
            sent += await _send_ready(http, districts, clients)
            seconds += time.perf_counter() - started


async def send_measured(service: Service, districts: list[Stream], fraction: float,
                        clients: int) -> tuple[int, float, dict[str, float]]:
    """As `send`, with the CPU microseconds a record that each part used meanwhile: the API processes
    (summed), the projection worker and PostgreSQL (`Service.cpu_seconds`)."""
    before = service.cpu_seconds()
    sent, seconds = await send(service.base, districts, fraction, clients)
    used = {part: spent - before[part] for part, spent in service.cpu_seconds().items()}
    return sent, seconds, {part: spent / max(sent, 1) * 1e6 for part, spent in used.items()}


async def _send_ready(http: aiohttp.ClientSession, districts: list[Stream], clients: int) -> int:
    idle: asyncio.Queue[Stream] = asyncio.Queue()
    for stream in districts:
        if stream.ready:
            idle.put_nowait(stream)
    sent = 0

    async def client() -> None:
        nonlocal sent
        while not idle.empty():
            stream = idle.get_nowait()
            count, parts = stream.ready.pop(0)
            for headers, body in parts:
                async with http.post(f"/v1/districts/{stream.district}/records", data=body, headers=headers) as answer:
                    answer.raise_for_status()
                    stream.position = orjson.loads(await answer.read())["position"]
            stream.sent += count
            sent += count
            if stream.ready:
                idle.put_nowait(stream)

    # A client finding no idle district stops, so the last batches of a district are sent by
    # one client while the others end: the few seconds of a chunk's tail are in the timing.
    await asyncio.gather(*(client() for _ in range(clients)))
    return sent


async def projected(base: str, districts: list[Stream]) -> None:
    """Wait until every district's report reflects everything sent to it."""
    async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=60)) as http:
        for stream in districts:
            for _ in range(600):  # each read waits up to the service's min_position timeout
                async with http.get(f"/v1/districts/{stream.district}/reports/2025H1",
                                    params={"min_position": str(stream.position)},
                                    headers=bearer(auth.Role.district, stream.district)) as answer:
                    if answer.status != 503:
                        answer.raise_for_status()
                        break
            else:
                raise RuntimeError(f"projections of {stream.district} did not reach {stream.position}")
