"""The service is killed with SIGKILL three times under load and started again on the same
database and port; clients retry through the errors with the same ids. Nothing acknowledged is
lost and nothing is stored twice."""

import asyncio
import random
import time

from tests.reliability import harness
from tests.reliability.harness import Stored, Tally

CLIENTS = 16
KILLS = 3


async def kill_now_and_then(service: harness.Service, seconds: float, kills: int) -> list[float]:
    """Kill -9 at a random moment of each of `kills` equal slices of the run; restart at once."""
    started, moments = time.monotonic(), []
    for n in range(kills):
        at = started + seconds * (n + random.uniform(0.2, 0.8)) / kills
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        service.kill()
        moments.append(round(time.monotonic() - started, 1))
        await asyncio.to_thread(service.restart)
    return moments


async def test_api_killed(database_url, logs):
    tally = Tally()
    seconds = harness.SECONDS * 1.5
    with harness.running(harness.Service(database_url, logs)) as service:
        pids = [service.pid]
        until = time.monotonic() + seconds
        clients = [harness.writer_loop(service.base, tally, f"kill{n}", until=until, give_up_at=until + 90)
                   for n in range(CLIENTS)]
        moments, *_ = await asyncio.gather(kill_now_and_then(service, seconds, KILLS), *clients)
        pids.append(service.pid)
        stored = Stored.of(await harness.read_log(service.base))
        report = await harness.read_report(service.base, stored.last_position)
    counted = report["figures"]["person_times"]
    harness.report("api_killed", clients=CLIENTS, kills=service.kills, killed_at_s=moments,
                   requests=tally.requests, acknowledged=len(tally.acknowledged), sent=len(tally.sent),
                   stored=len(stored.ids), stored_not_acknowledged=len(set(stored.ids) - set(tally.acknowledged)),
                   doubled=len(stored.doubled()), counted=counted,
                   person_times_acknowledged=sum(tally.acknowledged.values()),
                   unacknowledged_batches=tally.unacknowledged_batches, errors=dict(tally.errors))

    assert service.kills == KILLS and pids[0] != pids[-1]
    assert tally.unacknowledged_batches == 0  # every batch got through in the end
    assert set(tally.acknowledged) - set(stored.ids) == set()  # nothing acknowledged was lost
    assert stored.doubled() == []  # nothing stored twice
    assert set(stored.ids) == set(tally.acknowledged)  # and nothing stored that nobody sent
    assert counted == sum(tally.acknowledged.values())
    assert sum(tally.errors.values()) > 0  # the kills were felt
