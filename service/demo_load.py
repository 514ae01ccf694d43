"""Loading a demo year into the database: its records and then its reporting chain through the
very commands the API's routes call (`service.commands`), in process.

The year is recorded in waves, quarter by quarter, each half year's reporting chain after its
records (`waves`): each wave is written, projected and over before the next begins, in a later
second, so the log's `recorded_at` and `as_of` tell the waves apart.

Idempotent: records already stored come back as duplicates, and a report's status tells which
of its planned steps are done, so a second load adds nothing. The demo's events say when they
would have happened in the demo year (each batch at the end of its latest business day, each
report step at its planned moment); the log's own `recorded_at` is the real time they entered it.
"""

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import groupby

from demo.areas import District
from demo.chain import CITY, ReportStep, reporting_plan, steps_left
from demo.duties import Division, Part
from demo.generator import BATCH_SIZE, DemoYear
from domain.duties import Level
from domain.records import parse_record
from kernel import clock
from kernel.clock import CST
from projections import connections
from projections.worker import ProjectionWorker, lags
from service import commands
from service.callers import Caller, Role
from service.runtime import Runtime

WRITERS = 3  # districts written at once: the database works while Python decides the next batch


@dataclass
class Tally:
    accepted: int = 0
    duplicates: int = 0
    steps_taken: int = 0
    steps_done_before: int = 0

    @property
    def added_nothing(self) -> bool:
        return self.accepted == 0 and self.steps_taken == 0


@dataclass(frozen=True)
class Wave:
    """A part of the year recorded at once: the records that happened up to `until` (everything
    left when None), then the reporting chain of the half year `reports`, if it has ended with it."""

    name: str
    until: date | None
    reports: str | None = None


def waves(year: int) -> list[Wave]:
    """The year quarter by quarter, each half year's reporting after its records, as it happened."""
    return [Wave("一季度 / Q1", date(year, 3, 31)), Wave("二季度 / Q2", date(year, 6, 30), f"{year}H1"),
            Wave("三季度 / Q3", date(year, 9, 30)), Wave("四季度 / Q4", None, f"{year}H2")]


class DistrictStream:
    """A district's records in the order they happened, taken wave after wave: a record dated
    after a wave's end waits for the next."""

    def __init__(self, demo: DemoYear, district: District):
        self.district = district
        self.division = Division()  # who wrote what so far: the next wave's parts depend on it
        self.batches = 0
        self._records = iter(demo.district_records(district))
        self._waiting: dict | None = None

    def batches_until(self, until: date | None) -> Iterator[list[dict]]:
        batch: list[dict] = []
        while (record := self._waiting or next(self._records, None)) is not None:
            self._waiting = None
            if until is not None and max(parse_record(record).business_dates.values(), default=until) > until:
                self._waiting = record
                break
            batch.append(record)
            if len(batch) == BATCH_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch


def streams(demo: DemoYear) -> list[DistrictStream]:
    return [DistrictStream(demo, district) for district in demo.districts]


async def write_records(runtime: Runtime, demo: DemoYear, districts: list[DistrictStream], until: date | None,
                        tally: Tally, advance: Callable[[int], None], writers: int = WRITERS) -> None:
    """Each district's records up to `until`, recorded as the API records them; `writers`
    districts side by side, as their ledgers are independent."""
    turns = asyncio.Semaphore(writers)

    async def write(stream: DistrictStream) -> None:
        async with turns:
            await _write_district(runtime, demo, stream, until, tally, advance)

    await asyncio.gather(*map(write, districts))


async def _write_district(runtime: Runtime, demo: DemoYear, stream: DistrictStream, until: date | None,
                          tally: Tally, advance: Callable[[int], None]) -> None:
    code = stream.district.code
    for batch in stream.batches_until(until):
        number, stream.batches = stream.batches, stream.batches + 1
        records = [parse_record(r) for r in batch]
        days = [day for r in records for day in r.business_dates.values()]
        at = min(datetime.combine(max(days), time(18), CST), clock.now()) if days else None
        for part_number, part in enumerate(stream.division.parts(batch)):
            written = await commands.record_batch(runtime, writer(part, code), code,
                                                  [parse_record(r) for r in part.records],
                                                  f"demo-{demo.seed}-{code}-{number}.{part_number}", at=at)
            new = sum(r.status == "accepted" for r in written.results)
            tally.accepted, tally.duplicates = tally.accepted + new, tally.duplicates + len(written.results) - new
        advance(len(batch))


async def next_second() -> None:
    """Wait for the clock's next second, so that the next wave is recorded in a later second than
    this one and an `as_of` given to the second tells them apart."""
    await asyncio.sleep(1 - clock.now().microsecond / 1_000_000)


_ROLES = {Level.station: Role.station, Level.town: Role.town, Level.district: Role.district, Level.city: Role.city}


def writer(part: Part, district: str) -> Caller:
    """The demo's party that writes the part: a town's station or government, the district, the city."""
    role = _ROLES[part.level]
    if role is Role.city:
        return Caller("demo-city", role)
    return Caller(f"demo-{role}-{part.town or district}", role, district, part.town)


def pending_steps(runtime: Runtime, demo: DemoYear, tally: Tally, period: str | None = None) -> list[ReportStep]:
    """The planned steps not yet taken (of one half year, when given; none that lies ahead of today)."""
    now = clock.now()
    plan = [s for s in reporting_plan(demo.districts, demo.seed, demo.year)
            if s.at <= now and period in (None, s.period)]

    def report(step: ReportStep) -> tuple[str, str, str]:
        return step.period, step.district, step.town

    left: list[ReportStep] = []
    for (period, district, town), steps in groupby(sorted(plan, key=report), key=report):
        steps = list(steps)
        todo = steps_left(steps, runtime.tenants.ledger(district).report_status(period, town))
        tally.steps_done_before += len(steps) - len(todo)
        left += todo
    return sorted(left, key=lambda s: s.at)


async def take_steps(runtime: Runtime, steps: list[ReportStep], tally: Tally, advance: Callable[[int], None]) -> None:
    """Each step through the command its API route calls: figures frozen at the log's head,
    checkpoints signed. A district's steps in their order; districts side by side; then the
    city's, on its districts' decisions. (The runtime is `reading`; the demo's districts are on
    the service's own database.)"""
    worker = ProjectionWorker(runtime.own_reads.home)

    async def take(district_steps: list[ReportStep]) -> None:
        for step in district_steps:
            request_id = f"demo-{step.period}-{step.district}-{step.town or 'district'}-{step.action}-{step.at:%m%d}"
            if step.district == CITY:
                await _city_step(runtime, step, request_id)
                tally.steps_taken += 1
                advance(1)
                continue
            who = Caller(f"demo-{step.by}-{step.town or step.district}", Role(step.by), step.district,
                         step.town or None)
            if step.action == "submit":
                await worker.catch_up(step.district)
                await commands.submit_report(runtime, who, step.district, step.period, step.town, request_id,
                                             at=step.at, incomplete_reason=step.incomplete_reason)
            else:
                await commands.decide_report(runtime, who, step.district, step.period, step.town, request_id,
                                             reason=step.reason, at=step.at)
            tally.steps_taken += 1
            advance(1)

    by_district: dict[str, list[ReportStep]] = {}
    for step in steps:
        by_district.setdefault(step.district, []).append(step)
    city = by_district.pop(CITY, [])
    await asyncio.gather(*map(take, by_district.values()))
    for district in by_district:  # the city's submission reads its districts' decisions
        await worker.catch_up(district)
    await take(city)


async def _city_step(runtime: Runtime, step: ReportStep, request_id: str) -> None:
    """The city's report to the province: submitted by the city, returned or approved by the province."""
    who = Caller(f"demo-{step.by}", Role(step.by))
    if step.action == "submit":
        await commands.submit_city_report(runtime, who, step.period, request_id, at=step.at,
                                          incomplete_reason=step.incomplete_reason)
    else:
        await commands.decide_city_report(runtime, who, step.period, request_id, reason=step.reason, at=step.at)


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

