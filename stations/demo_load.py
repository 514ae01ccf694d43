"""Loading a demo year into the database: its records through the district ledgers, in process,
then its reporting chain through the same steps the API takes.

Idempotent: records already stored come back as duplicates, and a report's status tells which
of its planned steps are done, so a second load adds nothing. The demo's events say when they
would have happened in the demo year (each batch at the end of its latest business day, each
report step at its planned moment); the log's own `recorded_at` is the real time they entered it.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time
from itertools import groupby

from api.reports import decide, freeze_and_submit
from demo.areas import District
from demo.chain import ReportStep, reporting_plan, steps_left
from demo.generator import DemoYear
from domain.decisions import Context
from domain.events import Provenance
from domain.records import parse_record
from projections import connections
from projections.connections import ServerPools
from projections.progress import Progress
from projections.worker import ProjectionWorker, lags
from kernel import clock
from service.runtime import Runtime
from kernel.clock import CST

WRITERS = 3  # districts written at once: the database works while Python decides the next batch
PROJECTION_TIMEOUT = 60.0  # seconds a submission waits for projections it has just caught up


@dataclass
class Tally:
    accepted: int = 0
    duplicates: int = 0
    steps_taken: int = 0
    steps_done_before: int = 0

    @property
    def added_nothing(self) -> bool:
        return self.accepted == 0 and self.steps_taken == 0


def write_records(runtime: Runtime, demo: DemoYear, tally: Tally, advance: Callable[[int], None],
                  threads: int = WRITERS) -> None:
    """Every batch of the demo year through its district's ledger, as the API would record it;
    districts side by side, as their ledgers are independent."""
    with ThreadPoolExecutor(threads) as pool:
        for accepted, duplicates in pool.map(lambda d: _write_district(runtime, demo, d, advance), demo.districts):
            tally.accepted += accepted
            tally.duplicates += duplicates


def _write_district(runtime: Runtime, demo: DemoYear, district: District,
                    advance: Callable[[int], None]) -> tuple[int, int]:
    today, ledger = clock.today(), runtime.tenants.ledger(district.code)
    accepted = duplicates = 0
    for number, batch in enumerate(demo.district_batches(district)):
        records = [parse_record(r) for r in batch]
        days = [day for r in records for day in r.business_dates.values()]
        at = min(datetime.combine(max(days), time(18), CST), clock.now()) if days else clock.now()
        who = Provenance(f"demo-{district.code}", "district", f"demo-{demo.seed}-{district.code}-{number}", at)
        written = ledger.record(records, Context(district.code, runtime.tenants.divisions, today, who))
        new = sum(r.status == "accepted" for r in written.results)
        accepted, duplicates = accepted + new, duplicates + len(written.results) - new
        advance(len(batch))
    return accepted, duplicates


def pending_steps(runtime: Runtime, demo: DemoYear, tally: Tally) -> list[ReportStep]:
    """The planned steps not yet taken (and none that lies ahead of today)."""
    now = clock.now()
    plan = [s for s in reporting_plan(demo.districts, demo.seed, demo.year) if s.at <= now]

    def report(step: ReportStep) -> tuple[str, str, str]:
        return step.period, step.district, step.town

    left: list[ReportStep] = []
    for (period, district, town), steps in groupby(sorted(plan, key=report), key=report):
        steps = list(steps)
        todo = steps_left(steps, runtime.tenants.ledger(district).report_status(period, town))
        tally.steps_done_before += len(steps) - len(todo)
        left += todo
    return sorted(left, key=lambda s: s.at)


async def take_steps(runtime: Runtime, url: str, steps: list[ReportStep], tally: Tally,
                     advance: Callable[[int], None]) -> None:
    """Each step as its API route takes it: figures frozen at the log's head, checkpoints signed.
    A district's steps in their order; districts side by side."""
    pools = ServerPools(url, runtime.tenants.server_of, min_size=1, max_size=WRITERS)
    pool = await pools.of_server(None)  # the demo's districts are on the service's own database
    progress = Progress(pools, PROJECTION_TIMEOUT)
    worker = ProjectionWorker(pool)

    async def take(district_steps: list[ReportStep]) -> None:
        for step in district_steps:
            who = Provenance(f"demo-{step.by}-{step.town or step.district}", step.by,
                             f"demo-{step.period}-{step.district}-{step.town or 'district'}-{step.action}", step.at)
            if step.action == "submit":
                await worker.catch_up(step.district)
                await freeze_and_submit(runtime, pool, progress, step.district, step.period, step.town, who,
                                        step.district)
            else:
                await decide(runtime, pool, step.district, step.period, step.town, who, step.reason)
            tally.steps_taken += 1
            advance(1)

    by_district: dict[str, list[ReportStep]] = {}
    for step in steps:
        by_district.setdefault(step.district, []).append(step)
    try:
        await asyncio.gather(*map(take, by_district.values()))
    finally:
        await pools.close()


async def behind(url: str, stores: list[str]) -> dict[str, int]:
    conn = await connections.connect(url)
    try:
        return await lags(conn, stores)
    finally:
        await conn.close()


async def project(url: str, stores: list[str], advance: Callable[[int], None]) -> None:
    """Bring every store's report tables up to its log, so the service opens on them."""
    pool = await connections.create_pool(url, min_size=1, max_size=WRITERS)
    worker = ProjectionWorker(pool)

    async def follow(store: str) -> None:
        while (done := await worker.project_batch(store)) > 0:
            advance(done)
    try:
        await asyncio.gather(*map(follow, stores))  # as many at once as the pool has connections
    finally:
        await pool.close()


def demo_loaded(runtime: Runtime, demo: DemoYear) -> bool:
    """Whether the demo's reporting chain is complete, which it is only after all its records."""
    return not pending_steps(runtime, demo, Tally())

