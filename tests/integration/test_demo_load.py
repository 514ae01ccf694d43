"""`stations demo` against a real PostgreSQL: a small demo year into two fresh districts, twice."""

from collections import Counter
from datetime import date

import pytest

from demo import DemoYear, from_divisions, reporting_plan
from demo.chain import CITY
from domain.errors import RecordConflict
from projections import connections
from projections.reports import Scope, district_report
from service import demo_load
from stations import demo_cli
from kernel.clock import today
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
