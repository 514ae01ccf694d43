"""The registry of districts and towns, and many districts on one fixed connection pool."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from domain.decisions import Context
from domain.events import Provenance
from domain.records import parse_record
from kernel import clock
from tenants import registry
from tenants.event_store import open_datastore
from tenants.registry import bundled_divisions
from tenants.tenancy import Tenants
from tests.builders import station_established
from tests.support import make_district


def test_the_bundled_registry_is_xiamen():
    districts, towns = bundled_divisions()
    assert {d.code: d.name for d in districts} == {
        "350203": "思明区", "350206": "湖里区", "350211": "集美区",
        "350205": "海沧区", "350212": "同安区", "350213": "翔安区"}
    assert len(towns) == 45
    assert sum(t.kind == "镇" for t in towns) == 8


def test_the_seeded_registry_answers_by_date(runtime):
    divisions = runtime.tenants.divisions
    assert divisions.town("350203001", date(2025, 1, 1)).name == "厦港街道"
    assert divisions.town("350213002", date(2020, 12, 31)) is None  # 马巷 became a 街道 in 2021
    assert divisions.town("350213002", date(2021, 1, 6)).kind == "街道"


def test_a_rename_is_a_new_version_from_its_date(runtime):
    district = make_district(runtime)
    town = district.other_town
    registry.rename_town(runtime.datastore, town, date(2024, 7, 1), "新乙街道", "街道")
    divisions = registry.load(runtime.datastore)

    assert divisions.town(town, date(2024, 6, 30)).name == district.towns[town]
    assert divisions.town(town, date(2024, 7, 1)).name == "新乙街道"


def test_two_hundred_districts_share_one_fixed_pool(runtime, database_url):
    districts = [make_district(runtime) for _ in range(200)]
    datastore = open_datastore(database_url, pool_size=2, max_overflow=2)
    try:
        tenants = Tenants(datastore)

        def record_in(district) -> int:
            ctx = Context(district.code, tenants.divisions, clock.today(),
                          Provenance("tester", "district", "req", clock.now()))
            return tenants.ledger(district.code).record(
                [parse_record(station_established(district.town))], ctx).position

        with ThreadPoolExecutor(16) as pool:
            positions = list(pool.map(record_in, districts))

        assert positions == [1] * 200, "each district has its own log, starting at 1"
        stats = datastore.pool.get_stats()
        assert stats["pool_size"] <= 4
    finally:
        datastore.close()
