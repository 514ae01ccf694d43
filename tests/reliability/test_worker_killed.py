"""The projection worker runs alone (`stations project`) and is killed with SIGKILL several times
while it catches up on a few thousand records; once it has caught up, the report tables equal a
from-scratch rebuild (`stations rebuild --district 350203`) and count every acknowledged record."""

import asyncio
import random
import subprocess
import sys
import time


from tests.reliability import harness
from tests.reliability.harness import DISTRICT, ROOT, Stored, Tally

RECORDS = int(200 * harness.SECONDS)  # written before the worker first starts, and half as many before each restart
KILLS = 4


async def write(base: str, tally: Tally, records: int, clients: int = 8) -> None:
    """About `records` records in batches of 20, from `clients` retrying clients."""
    async def client(n: int) -> None:
        async with harness.httpx.AsyncClient(base_url=base, timeout=30) as http:
            for _ in range(records // 20 // clients):
                await harness.post_until_acknowledged(http, harness.new_batch(f"wk{n}", 20), tally,
                                                      give_up_at=time.monotonic() + 60)
    await asyncio.gather(*(client(n) for n in range(clients)))


async def wait_for(condition, within: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(every)
    return False


async def test_worker_killed(database_url, logs):
    tally = Tally()
    service = harness.Service(database_url, logs, STATIONS_RUN_PROJECTIONS="false")
    # Batches of 200: a start's few thousand events are several batches, so a kill finds work in hand.
    worker = harness.worker(database_url, logs, STATIONS_PROJECTION_BATCH_SIZE="200")
    kills: list[tuple[int, int]] = []  # (projected, head) at each kill
    with harness.running(service):
        await write(service.base, tally, RECORDS)
        assert (await harness.positions(database_url))[0] == 0  # nobody projected yet

        # No writes while the worker starts: see test_worker_starts_while_records_are_written.
        for _ in range(KILLS):
            await write(service.base, tally, RECORDS // 2)  # work in hand for the next start
            before = (await harness.positions(database_url))[0]
            worker.start()

            async def moved(before: int = before) -> bool:
                return (await harness.positions(database_url))[0] > before

            assert await wait_for(moved, within=60, every=0.005), (
                f"the worker projected nothing; see {logs}", kills, await harness.activity(database_url))
            # The worker can catch up on a start's few thousand events within the 0.15 s a kill may
            # wait, so the first kill lands as soon as it is seen to move, with most of them still in
            # hand; the others anywhere in the next batches.
            await asyncio.sleep(random.uniform(0.0, 0.15) if kills else 0.0)
            assert worker.alive()
            worker.pause()
            kills.append(await harness.positions(database_url))
            worker.kill()

        with harness.running(worker):
            async def caught_up() -> bool:
                projected, head = await harness.positions(database_url)
                return projected == head

            assert await wait_for(caught_up, within=120, every=0.2)
            incremental = await harness.snapshot(database_url)
            stored = Stored.of(await harness.read_log(service.base))
            report = await harness.read_report(service.base, stored.last_position)

        rebuild = subprocess.run([sys.executable, "-m", "stations.cli", "rebuild", "--district", DISTRICT],
                                 env=worker.env, cwd=ROOT, capture_output=True, timeout=300)
        assert rebuild.returncode == 0, rebuild.stderr.decode()[-2000:]
        rebuilt = await harness.snapshot(database_url)

    counted = report["figures"]["person_times"]
    harness.report("worker_killed", records_first=RECORDS, records_before_each_start=RECORDS // 2, kills=worker.kills,
                   kills_at_projected_head=kills,
                   kills_mid_catch_up=sum(projected < head for projected, head in kills),
                   acknowledged=len(tally.acknowledged), stored=len(stored.ids), counted=counted,
                   person_times_acknowledged=sum(tally.acknowledged.values()),
                   report_rows={t: len(rows) for t, rows in incremental.items() if rows},
                   errors=dict(tally.errors))

    assert worker.kills == KILLS
    assert any(projected < head for projected, head in kills)  # killed with work in hand
    assert set(stored.ids) == set(tally.acknowledged) and stored.doubled() == []
    assert counted == sum(tally.acknowledged.values())
    assert incremental == rebuilt


async def test_worker_starts_while_records_are_written(database_url, logs):
    tally = Tally()
    attempts, died, stop = 0, [], asyncio.Event()
    with harness.running(harness.Service(database_url, logs, STATIONS_RUN_PROJECTIONS="false")) as service:
        until = time.monotonic() + 60
        writing = asyncio.create_task(asyncio.wait_for(asyncio.gather(
            *(harness.writer_loop(service.base, tally, f"ws{n}", until=until, give_up_at=until + 30,
                                  sizes=(20, 100), stop=stop) for n in range(8))), 120))
        try:
            await asyncio.sleep(1)
            for n in range(25):  # about one start in five dies: stop at the first
                if died or time.monotonic() > until - 5:
                    break
                attempts += 1
                worker = harness.worker(database_url, logs)
                worker.name = f"worker-start{n}"
                worker.start()
                log = logs / f"{worker.name}-1.log"

                async def settled(worker=worker, log=log) -> bool:
                    return not worker.alive() or "running" in log.read_text(errors="replace")

                await wait_for(settled, within=30, every=0.1)
                await asyncio.sleep(0.5)
                if not worker.alive():
                    died.append(log.read_text(errors="replace").strip().splitlines()[-8:])
                else:
                    worker.kill()
        finally:
            stop.set()
            await writing
    harness.report("worker_start_under_writes", starts=attempts, died=len(died),
                   acknowledged=len(tally.acknowledged), errors=dict(tally.errors),
                   first_death=" ".join(died[0]) if died else None)
    assert died == []
