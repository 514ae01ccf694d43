"""64 clients write and read at once for a fixed time: no 5xx, and every acknowledged record is
in the event log exactly once and counted in the report."""

import asyncio
import random
import time

import httpx

from tests.reliability import harness
from tests.reliability.harness import AUDITOR, DISTRICT, PERIOD, WRITER, Stored, Tally

CLIENTS = 64
READ_SHARE = 0.3


async def mixed_client(base: str, tally: Tally, n: int, until: float) -> None:
    """Mostly writes of 1-20 records, sometimes a read of the report or of the event log."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(100_000):
            if time.monotonic() >= until:
                return
            if random.random() >= READ_SHARE:
                await harness.post_until_acknowledged(http, harness.new_batch(f"load{n}", random.randint(1, 20)),
                                                      tally, give_up_at=until + 60)
                continue
            path, headers = random.choice([(f"/v1/districts/{DISTRICT}/reports/{PERIOD}", WRITER),
                                           (f"/v1/districts/{DISTRICT}/events", AUDITOR)])
            tally.requests += 1
            try:
                answer = await http.get(path, headers=headers,
                                        params={"after": random.randint(0, 500)} if "events" in path else None)
            except httpx.HTTPError as exc:
                tally.errors[harness.outcome(exc)] += 1
                continue
            tally.reads += 1
            if answer.status_code != 200:
                tally.errors[harness.outcome(answer.status_code)] += 1


async def test_load(database_url, logs):
    tally = Tally()
    started = time.monotonic()
    with harness.running(harness.Service(database_url, logs)) as service:
        until = time.monotonic() + harness.SECONDS
        await asyncio.gather(*(mixed_client(service.base, tally, n, until) for n in range(CLIENTS)))
        loaded = time.monotonic() - started
        stored = Stored.of(await harness.read_log(service.base))
        report = await harness.read_report(service.base, stored.last_position)
    counted = report["figures"]["person_times"]
    harness.report("load", clients=CLIENTS, seconds=round(loaded, 1), requests=tally.requests, reads=tally.reads,
                   acknowledged=len(tally.acknowledged), stored=len(stored.ids),
                   person_times_acknowledged=sum(tally.acknowledged.values()), counted=counted,
                   unacknowledged_batches=tally.unacknowledged_batches, errors=dict(tally.errors))

    assert tally.status_5xx() == {}
    assert tally.unacknowledged_batches == 0
    assert len(tally.acknowledged) > 0
    assert stored.doubled() == []
    assert set(stored.ids) == set(tally.acknowledged)
    assert counted == sum(tally.acknowledged.values()) == stored.person_times
