"""The demo year generator: deterministic, valid record by record, accepted by the rules in order."""

from collections import Counter
from itertools import islice

import pytest

from demo import DemoYear, generate, xiamen
from demo.chain import CITY, reporting_plan, steps_left
from domain import personal_data
from domain.records import MAX_BATCH, parse_record
from demo.duties import Division
from tests.unit.support import by_their_writers, History

SMALL = 1500


@pytest.fixture(scope="module")
def year() -> list[tuple[str, list[dict]]]:
    return list(generate(seed=7, services=SMALL))


def test_the_same_seed_gives_the_same_year(year):
    assert list(generate(seed=7, services=SMALL)) == year


def test_another_seed_gives_another_year(year):
    other = list(generate(seed=8, services=SMALL))
    services = [r for _, batch in other for r in batch if r["type"] == "service_delivered"]
    assert services != [r for _, batch in year for r in batch if r["type"] == "service_delivered"]


def test_batches_are_of_one_district_and_at_most_the_api_s_size(year):
    xiamen_codes = [d.code for d in xiamen()]
    assert all(1 <= len(batch) <= MAX_BATCH for _, batch in year)
    assert list(dict.fromkeys(code for code, _ in year)) == xiamen_codes
    assert all(r["town"].startswith(code) for code, batch in year for r in batch if "town" in r)


def test_ids_are_unique_within_a_district_and_the_count_is_known_ahead(year):
    ids = Counter((code, r["id"]) for code, batch in year for r in batch)
    assert max(ids.values()) == 1
    assert sum(ids.values()) == DemoYear(7, SMALL).total()
    assert sum(r["type"] == "service_delivered" for _, batch in year for r in batch) == SMALL


def test_every_record_is_valid_and_names_people_only_by_pseudonyms(year):
    for _, batch in year:
        for record in batch:
            parsed = parse_record(record)
            for ref in (getattr(parsed, "recipient_ref", None), getattr(parsed, "person_ref", None)):
                if ref is not None:
                    assert ref[:2] in ("R-", "S-") and personal_data.in_reference(ref) is None


def test_the_rules_accept_every_batch_in_order(year):
    """Each batch through the domain's own decision, against what the batches before it recorded."""
    history: dict[str, History] = {}
    divisions: dict[str, Division] = {}
    for code, batch in year:
        parts = by_their_writers(code, batch, divisions.setdefault(code, Division()))
        events = [e for records, ctx in parts for e in history.setdefault(code, History()).write(*records, ctx=ctx)]
        assert len(events) == len(batch)


def test_a_year_shaped_like_a_real_one(year):
    records = [r for _, batch in year for r in batch]
    types = Counter(r["type"] for r in records)
    towns = [t.code for d in xiamen() for t in d.towns]
    stations = {r["town"] for r in records if r["type"] == "station_established"}
    cores = Counter(r["town"] for r in records if r["type"] == "project_contracted" and r["role"] == "core")
    assert stations == set(towns) and cores == Counter(towns)
    assert types["project_contracted"] > len(towns)  # linked projects too
    services = [r for r in records if r["type"] == "service_delivered"]
    assert {s["occurred_on"][:4] for s in services} == {"2025"}
    assert len({s["occurred_on"][:7] for s in services}) == 12
    repeat = Counter(s["recipient_ref"] for s in services)
    assert max(repeat.values()) > 3 and len(repeat) > SMALL / 20
    assert len({s["domain"] for s in services}) >= 8 and len({s["service_type"] for s in services}) == 10
    assert len({s["recipient_category"] for s in services}) == 14
    inspections = [r for r in records if r["type"] == "inspection_done"]
    rectified = {r["inspection"] for r in records if r["type"] == "rectification_done"}
    open_ones = [i for i in inspections if i["issues_found"] and i["id"] not in rectified]
    assert rectified and open_ones
    assert types["self_evaluation_submitted"] and types["final_evaluation_done"] and types["fund_spent"]
    assert 0 < types["record_voided"] < SMALL / 50


def test_districts_do_not_depend_on_each_other():
    """A district's records are the same whether or not other districts are generated with it."""
    siming, *_ = xiamen()
    alone = DemoYear(3, 400, (siming,))
    together = DemoYear(3, 400)
    share = together.services_by_district[siming.code]
    assert [r for r in DemoYear(3, share, (siming,)).district_records(siming) if r["type"] != "service_delivered"] \
        == [r for r in together.district_records(siming) if r["type"] != "service_delivered"]
    assert alone.services_by_district == {siming.code: 400}


def test_it_streams_a_large_year_batch_by_batch():
    first = list(islice(generate(services=10_000_000, batch_size=500), 3))
    assert [len(batch) for _, batch in first] == [500, 500, 500]


def test_the_reporting_plan_has_every_fate_once_and_no_report_goes_back():
    districts = xiamen()
    plan = reporting_plan(districts, 7, 2025)
    first = [s for s in plan if s.period == "2025H1"]
    district_steps = Counter((s.district, s.action) for s in first if not s.town and s.district != CITY)
    submitted = {d for d, action in district_steps if action == "submit"}
    assert len(submitted) == len(districts) - 1
    assert sum(action == "return" for _, action in district_steps) == 1
    assert sum(1 for s in first if s.town and s.action == "return") == 1
    assert plan == sorted(plan, key=lambda s: s.at)
    reports = Counter((s.period, s.district, s.town, s.status) for s in plan if s.district != CITY)
    assert max(reports.values()) == 1  # so a report's status tells which of its steps are done
    city = [s for s in first if s.district == CITY]
    assert [(s.action, s.by) for s in city] == [("submit", "city"), ("return", "province"), ("submit", "city"),
                                                ("approve", "province")]
    assert min(s.at for s in city) > max(s.at for s in first if s.district != CITY)
    assert city[0].incomplete_reason  # one district never reported
    assert steps_left(city, "returned") == city[2:] and steps_left(city, "submitted") == city[3:]
    steps = [s for s in first if s.town == first[0].town]
    assert steps_left(steps, None) == steps and steps_left(steps, "submitted") == steps[1:]
    assert steps_left(steps, steps[-1].status) == []
    assert steps_left(steps, "returned" if steps[-1].status == "approved" else "approved") == []


def test_a_year_can_be_asked_for_by_its_number_of_records():
    year = DemoYear.of_size(5_000, seed=7)
    assert 4_998 <= year.total() <= 5_000  # one more service might bring its void along too
    assert year.total() == sum(len(batch) for _, batch in year.batches())
    assert DemoYear.of_size(10_000_000).total() == 10_000_000
    assert DemoYear.of_size(10).services == 0  # the stations and projects alone are more
