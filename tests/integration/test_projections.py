"""The projection worker against a real PostgreSQL: reports equal a naive recomputation,
whether projected batch by batch, after crashes, or rebuilt from scratch."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from contextlib import asynccontextmanager

import asyncpg
import pytest

from domain.events import Provenance
from domain.records import parse_record
from projections import worker as worker_module
from projections.connections import ServerPools
from projections.periods import period_of
from projections.progress import Progress
from projections.reports import Scope, district_report, town_report
from projections.rebuild import rebuild
from projections.tables import REPORT_TABLES
from projections.worker import ProjectionWorker, lags
from kernel import clock
from tenants.event_store import DistrictRecorder
from tenants.stores import chain_table, events_table, records_table
from tests.builders import service_delivered
from tests.integration.halfyear import generate, matches, naive_figures, record_year
from tests.integration.halfyear_duties import (
    duties_seen, funding_seen, naive_duties, naive_duty_gaps, naive_funding, naive_station_gaps, naive_villages,
    villages_seen,
)
from tests.support import context


async def snapshot(pool: asyncpg.Pool, district: str) -> dict[str, list]:
    """Every report-table row of the district, in a stable order."""
    tables = {}
    for table in REPORT_TABLES:
        rows = await pool.fetch(f"SELECT * FROM reports.{table} WHERE district = $1", district)
        tables[table] = sorted(tuple(r.values()) for r in rows)
    return tables


def file_plan(runtime, district) -> int:
    """The district submits its generated 2025 plan and the city files it: two events."""
    ledger = runtime.tenants.ledger(district.code)
    ledger.submit_plan(2025, Provenance("tester", "district", "req", clock.now()))
    return ledger.file_plan(2025, Provenance("city-officer", "city", "req", clock.now()))


def naive_project_services(records: list[dict], period: str, project: str, town: str | None = None) -> dict:
    """A project's services of the period (in a town, or anywhere), in all and by domain, from scratch."""
    voided = {r["record"] for r in records if r["type"] == "record_voided"}
    mine = [r for r in records if r["type"] == "service_delivered" and r["id"] not in voided
            and r.get("project") == project and period_of(date.fromisoformat(r["occurred_on"])) == period
            and town in (None, r["town"])]

    def cell(services: list[dict]) -> dict:
        return {"person_times": sum(s.get("person_times", 1) for s in services),
                "recipients": len({s["recipient_ref"] for s in services}),
                "hours": str(sum((Decimal(s["hours"]) for s in services), Decimal(0)).quantize(Decimal("0.01")))}
    return {**cell(mine), "by_domain": {d: cell([s for s in mine if s["domain"] == d])
                                        for d in sorted({s["domain"] for s in mine})}}


def projects_seen(report: dict, records: list[dict], period: str, town: str | None = None) -> list[tuple]:
    """Each listed project's services against their naive recomputation: the ones that differ."""
    return [(p["project"], p["services"], expected) for p in report["projects"]
            if p["services"] != (expected := naive_project_services(records, period, p["project"], town))]


async def check_reports(pool, runtime, district, records, *, filed: bool = False) -> None:
    for period in ("2025H1", "2025H2"):
        scope = Scope(district.code, period, runtime.tenants.divisions, clock.today())
        async with pool.acquire() as conn:
            whole = await district_report(conn, scope)
            expected = naive_figures(records, period)
            towns = list(district.towns)
            assert matches(whole["figures"], expected) == expected, period
            assert duties_seen(whole) == naive_duties(records, period, filed=filed), period
            assert funding_seen(whole) == naive_funding(records, period), period
            assert villages_seen(whole) == naive_villages(records, period), period
            assert projects_seen(whole, records, period) == [], period
            assert any(p["services"]["recipients"] for p in whole["projects"]), period
            assert whole["duty_compliance"]["gap_codes"] == naive_duty_gaps(records, period, towns), period
            for town in district.towns:
                part = await town_report(conn, scope, town)
                expected = naive_figures(records, period, town)
                assert matches(part["figures"], expected) == expected, (period, town)
                assert duties_seen(part) == naive_duties(records, period, town, filed=filed), (period, town)
                assert villages_seen(part) == naive_villages(records, period, town), (period, town)
                assert projects_seen(part, records, period, town) == [], (period, town)
                assert sorted(part["compliance"]["gap_codes"]) == naive_station_gaps(records, period, town), (period, town)
                assert part["duty_compliance"]["gap_codes"] == naive_duty_gaps(records, period, towns, town), (period, town)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_reports_equal_a_naive_recomputation_and_a_rebuild(pool, runtime, district, seed):
    records = record_year(runtime, district, seed)
    worker = ProjectionWorker(pool, batch_size=97)

    assert await worker.catch_up(district.code) == len(records)
    await check_reports(pool, runtime, district, records)
    file_plan(runtime, district)
    assert await worker.catch_up(district.code) == 2
    await check_reports(pool, runtime, district, records, filed=True)
    incremental = await snapshot(pool, district.code)

    assert await rebuild(pool, district.code) == len(records) + 2
    assert await snapshot(pool, district.code) == incremental
    await check_reports(pool, runtime, district, records, filed=True)


async def test_a_rebuild_repairs_rows_that_were_lost_changed_or_added(pool, runtime, district):
    records = record_year(runtime, district, seed=4)
    await ProjectionWorker(pool).catch_up(district.code)
    projected = await snapshot(pool, district.code)
    async with pool.acquire() as conn:
        for table in REPORT_TABLES:
            await conn.execute(f"DELETE FROM reports.{table} WHERE ctid ="
                               f" (SELECT ctid FROM reports.{table} WHERE district = $1 LIMIT 1)", district.code)
        await conn.execute("UPDATE reports.service_figures SET hours = hours + 1 WHERE district = $1", district.code)
        await conn.execute("UPDATE reports.projects SET budget = '{}' WHERE district = $1", district.code)
        await conn.execute("INSERT INTO reports.service_recipients (district, recipient_ref, period, counts)"
                           " VALUES ($1, 'stray', '2025H1', '{\"x/total/\": 1}')", district.code)
    assert await snapshot(pool, district.code) != projected

    assert await rebuild(pool, district.code) == len(records)
    assert await snapshot(pool, district.code) == projected


class Crash(Exception):
    pass


async def test_a_crash_between_the_rows_and_the_commit_loses_and_doubles_nothing(pool, runtime, district):
    records = record_year(runtime, district, seed=7)
    crashes = 0

    async def crash_every_other_batch(_district: str, _position: int) -> None:
        nonlocal crashes
        crashes += 1
        if crashes % 2:
            raise Crash

    flaky = ProjectionWorker(pool, batch_size=50, before_commit=crash_every_other_batch)
    while True:
        try:
            if await flaky.project_batch(district.code) == 0:
                break
        except Crash:
            continue

    assert crashes > 10
    await check_reports(pool, runtime, district, records)


@asynccontextmanager
async def worker_followed(pool, runtime, database_url) -> AsyncIterator[tuple[asyncio.Task, Progress]]:
    """A projection worker following every store, and the progress it announces."""
    stopping = asyncio.Event()
    task = asyncio.create_task(ProjectionWorker(pool).run(database_url, stopping))
    pools = ServerPools(database_url, runtime.tenants.server_of, min_size=1, max_size=2)
    progress = Progress(pools, timeout=5)
    await progress.start([None])
    try:
        yield task, progress
    finally:
        stopping.set()
        await task
        await progress.stop()
        await pools.close()


async def test_the_worker_follows_new_events_and_announces_progress(pool, runtime, district, database_url):
    async with worker_followed(pool, runtime, database_url) as (_, progress):
        [batch, *_] = generate(district, seed=11, services=5)
        written = await asyncio.to_thread(
            runtime.tenants.ledger(district.code).record, [parse_record(r) for r in batch], context(runtime, district))
        assert await progress.wait_for(district.code, written.position)


async def test_a_store_that_leaves_the_server_is_let_go_and_the_others_still_followed(
        pool, runtime, district, other_district, database_url, monkeypatch):
    """A district moved to another server has its tables dropped here while the worker still
    knows its name: the worker once stopped for good at its next sweep, on the missing table."""
    swept = asyncio.Event()

    async def sweep(conn: asyncpg.Connection, stores: list[str]) -> dict[str, int]:
        try:
            return await lags(conn, stores)
        finally:
            swept.set()

    monkeypatch.setattr(worker_module, "SAFETY_SWEEP_SECONDS", 0.05)
    monkeypatch.setattr(worker_module, "lags", sweep)

    def record(sample) -> int:
        ledger = runtime.tenants.ledger(sample.code)
        return ledger.record([parse_record(service_delivered(sample.town))], context(runtime, sample)).position

    try:
        async with worker_followed(pool, runtime, database_url) as (task, progress):
            for sample in (district, other_district):
                assert await progress.wait_for(sample.code, await asyncio.to_thread(record, sample))
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT stations_guard.enter_maintenance('a test drops a store')")
                for table in (events_table(district.code), records_table(district.code), chain_table(district.code)):
                    await conn.execute(f"DROP TABLE {table}")
                await conn.execute("SELECT stations_guard.leave_maintenance()")
            for _ in range(2):  # the first may have begun before the drop
                swept.clear()
                await asyncio.wait_for(swept.wait(), 5)
            async with pool.acquire() as conn:
                assert await lags(conn, [district.code, other_district.code]) == {other_district.code: 0}
            assert await progress.wait_for(other_district.code, await asyncio.to_thread(record, other_district))
            assert not task.done()
    finally:
        DistrictRecorder(runtime.datastore, district.code).create_table()  # the registry still places it here


async def test_the_lag_readiness_looks_at_is_the_unprojected_part_of_each_log(pool, runtime, district):
    [batch, *_] = generate(district, seed=13, services=5)
    runtime.tenants.ledger(district.code).record([parse_record(r) for r in batch], context(runtime, district))
    async with pool.acquire() as conn:
        assert (await lags(conn, [district.code]))[district.code] == len(batch)
    await ProjectionWorker(pool).catch_up(district.code)
    async with pool.acquire() as conn:
        assert (await lags(conn, [district.code]))[district.code] == 0
