"""`stations demo` against a real PostgreSQL: a small demo year into two fresh districts, twice."""

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from demo import DemoYear, from_divisions, reporting_plan
from demo.chain import CITY
from domain.errors import RecordConflict
from projections import connections
from projections.as_of import position_at, shadow_tables
from projections.connections import scoped
from projections.reports import Scope, district_report
from service import demo_load
from stations import demo_cli
from kernel.clock import today
from tenants.stores import chain_table
from tests.support import make_district

SERVICES = 300


@pytest.fixture(scope="module")
def loaded(runtime, database_url):
    first, second = make_district(runtime), make_district(runtime)
    districts = from_divisions(runtime.tenants.divisions, [first.code, second.code], date(2025, 12, 31))
    year = DemoYear(seed=11, services=SERVICES, districts=districts)
    return year, demo_cli.load(runtime, database_url, year)


async def report(database_url, runtime, district: str, period: str) -> dict:
    conn = await connections.connect(database_url)
    try:
        return await district_report(conn, Scope(district, period, runtime.tenants.divisions, today()))
    finally:
        await conn.close()


def test_every_record_is_stored_and_every_planned_step_taken(loaded, runtime):
    year, tally = loaded
    plan = reporting_plan(year.districts, year.seed, year.year)
    assert (tally.accepted, tally.duplicates) == (year.total(), 0)
    city = sum(s.district == CITY for s in plan)
    assert tally.steps_taken + tally.steps_done_before == len(plan)
    assert tally.steps_done_before <= city  # only the city's: its store is shared by every demo on the database
    for district in year.districts:
        stored = runtime.tenants.ledger(district.code).recorder.max_notification_id()
        steps = sum(s.district == district.code for s in plan)
        assert stored == year.district_total(district) + steps


def test_a_second_run_adds_nothing_and_says_so(loaded, runtime, database_url):
    year, _ = loaded
    again = demo_cli.load(runtime, database_url, year)
    assert again.added_nothing
    assert again.duplicates == year.total()
    assert demo_load.demo_loaded(runtime, year)


async def test_the_reports_show_a_living_year(loaded, runtime, database_url):
    year, _ = loaded
    first_half = [await report(database_url, runtime, d.code, "2025H1") for d in year.districts]
    second_half = [await report(database_url, runtime, d.code, "2025H2") for d in year.districts]
    for h1, h2 in zip(first_half, second_half, strict=True):
        services = h1["figures"]["person_times"] + h2["figures"]["person_times"]
        assert services >= SERVICES / len(year.districts) / 2
        assert h1["figures"]["stations"] == 3 and h1["figures"]["projects"]["core"] == 3
        assert h1["figures"]["inspections"] > 0 and h1["figures"]["funds_spent"] != "0.00"
    # Of two districts, one is approved and one never reported (the plan gives the city's return
    # to a third); of six towns, one was returned, one reported late and one never.
    assert sorted(r["status"] for r in first_half) == ["approved", "draft"]
    assert sorted(r["timeliness"]["state"] for r in first_half) == ["on_time", "overdue"]
    towns = Counter(t["status"] for r in first_half for t in r["towns"])
    assert towns == Counter({"approved": 3, "returned": 1, "submitted": 1, "draft": 1})
    timeliness = Counter(t["timeliness"]["state"] for r in first_half for t in r["towns"])
    assert timeliness == Counter({"on_time": 4, "late": 1, "overdue": 1})
    assert any(t["status"] != "draft" for r in second_half for t in r["towns"])
    gaps = {t["town"] for r in first_half + second_half for t in r["towns"] if t["compliance"]["gaps"]}
    assert 0 < len(gaps) < 6


def test_a_demo_of_another_seed_is_refused_and_changes_nothing(loaded, runtime, database_url):
    year, _ = loaded
    heads = [runtime.tenants.ledger(d.code).recorder.max_notification_id() for d in year.districts]
    with pytest.raises(RecordConflict):
        demo_cli.load(runtime, database_url, DemoYear(seed=12, services=SERVICES, districts=year.districts))
    assert [runtime.tenants.ledger(d.code).recorder.max_notification_id() for d in year.districts] == heads


def first_wave(year: DemoYear, district) -> list[dict]:
    """The district's records of the demo's first wave (its first quarter), as the load sends them."""
    stream = demo_load.DistrictStream(year, district)
    return [r for batch in stream.batches_until(demo_load.waves(year.year)[0].until) for r in batch]


async def test_as_of_between_two_waves_sees_the_first_and_not_the_second(loaded, database_url, runtime):
    year, _ = loaded
    district = year.districts[0]
    wave = first_wave(year, district)
    voided = {r["record"] for r in wave if r["type"] == "record_voided"}
    person_times = sum(r.get("person_times", 1) for r in wave if r["type"] == "service_delivered"
                       and r["id"] not in voided)
    conn = await connections.connect(database_url)
    try:
        times = dict(await conn.fetch(f'SELECT position, recorded_at FROM {chain_table(district.code)}'
                                      " WHERE position = ANY($1)", [len(wave), len(wave) + 1]))
    finally:
        await conn.close()
    last_of_first, first_of_second = times[len(wave)], times[len(wave) + 1]
    assert first_of_second.replace(microsecond=0) > last_of_first, "the waves are recorded in different seconds"

    pool = await connections.create_pool(database_url, min_size=1, max_size=1)
    try:
        async with scoped(pool, district.code, readonly=False) as conn:
            assert await position_at(conn, district.code, last_of_first) == len(wave)
            await shadow_tables(conn, district.code, len(wave))
            scope = Scope(district.code, "2025H1", runtime.tenants.divisions, today())
            then = await district_report(conn, replace(scope, as_of=last_of_first))
    finally:
        await pool.close()
    now = await report(database_url, runtime, district.code, "2025H1")
    assert {r["type"] for r in wave} >= {"service_delivered", "station_established"}
    assert all(max(d for d in (r.get("occurred_on"), r.get("contract_start")) if d) <= "2025-03-31"
               for r in wave if r.get("occurred_on") or r.get("contract_start"))
    assert then["figures"]["person_times"] == person_times > 0
    assert now["figures"]["person_times"] > then["figures"]["person_times"]  # the second quarter's, unseen then
