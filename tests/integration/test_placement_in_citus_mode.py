"""On a Citus coordinator the service's own placement is refused, before anything is touched:
Citus places each district's store schema on a worker and moves it (`citus_move_shard_placement`,
`citus_rebalance_start()`). Against the suite's plain PostgreSQL: the refusal never reaches Citus."""

import pytest

from domain.divisions import DistrictVersion, TownVersion
from service.moving import MoveRefused, move_district
from tenants import registry
from tenants.event_store import open_datastore
from tests.builders import service_delivered
from tests.support import stored_count, write

ELSEWHERE = "postgresql://postgres@127.0.0.1:9/nowhere"  # never opened: the refusal comes first


@pytest.fixture
def coordinator(database_url: str):
    """The test database's datastore as Citus mode opens it (`Settings.citus`)."""
    datastore = open_datastore(database_url, pool_size=1, max_overflow=0, citus=True)
    yield datastore
    datastore.close()


def names_citus(refusal: pytest.ExceptionInfo) -> None:
    message = str(refusal.value)
    assert "citus_move_shard_placement" in message and "citus_rebalance_start()" in message
    assert "Citus 模式" in message and "in Citus mode" in message


def test_move_district_is_refused_and_changes_nothing(coordinator, runtime, database_url, district):
    write(runtime, district, [service_delivered(district.town)])
    before = (stored_count(runtime, district), registry.placements(runtime.datastore))

    def opened(_: str):
        raise AssertionError("the target was opened")

    with pytest.raises(MoveRefused) as refusal:
        move_district(coordinator, database_url, district.code, None, ELSEWHERE, open_server=opened)
    names_citus(refusal)
    assert (stored_count(runtime, district), registry.placements(runtime.datastore)) == before


def test_placing_a_district_or_registering_one_on_a_server_is_refused(coordinator, runtime, district):
    before = registry.placements(runtime.datastore)
    with pytest.raises(registry.PlacementRefused) as refusal:
        registry.place(coordinator, district.code, ELSEWHERE)
    names_citus(refusal)
    with pytest.raises(registry.PlacementRefused):
        registry.place(coordinator, district.code, None)
    code = "699999"  # below make_district's codes: never registered by another test
    with pytest.raises(registry.PlacementRefused):
        registry.register(coordinator, [DistrictVersion(code, "试区")], [TownVersion(f"{code}001", code, "甲街道", "街道")],
                          server=ELSEWHERE)
    assert registry.placements(runtime.datastore) == before
    assert not registry.load(runtime.datastore).has_district(code)
