"""The service on the Citus coordinator answers as on one plain PostgreSQL: the same records,
through the API, into the same districts of both, make the same district, town and city reports."""

import httpx
import pytest

from service.runtime import Runtime
from tests.citus.compare import differences, without_moments
from tests.builders import compliant_station, inspection_done, service_delivered
from tests.support import SampleDistrict, bearer, caught_up, make_district, sign
from tenants import registry
from domain.divisions import DistrictVersion, TownVersion

PERIOD = "2025H1"


def registered_in(runtime: Runtime, district: SampleDistrict) -> None:
    registry.register(runtime.datastore, [DistrictVersion(district.code, district.name)],
                      [TownVersion(t, district.code, n, "街道" if n.endswith("街道") else "镇")
                       for t, n in district.towns.items()])
    runtime.tenants.refresh()


def batches(district: SampleDistrict, n: int) -> list[list[dict]]:
    """A district's records in three batches: services in two towns, a station, an inspection
    (made once, so that both runs get the very same records)."""
    services = [service_delivered(district.town if i % 2 else district.other_town, person_times=i + n + 1,
                                  hours=f"{i % 4 + 1}.5") for i in range(12)]
    station = compliant_station(district.town, sign(district, district.town))
    return [services[:6], services[6:] + station, [inspection_done(district.town)]]


async def write_all(client: httpx.AsyncClient, planned: list[tuple[SampleDistrict, list[list[dict]]]]) -> str:
    """Every batch through the API; the positions the reads wait on (`min_position`)."""
    written = {}
    for district, district_batches in planned:
        for batch in district_batches:
            answer = await client.post(f"/v1/districts/{district.code}/records", json={"records": batch},
                                       headers=bearer("district", district.code))
            assert answer.status_code == 200, answer.text
            written[district.code] = answer.json()["position"]
    return ",".join(f"{code}:{position}" for code, position in written.items())


async def reports(client: httpx.AsyncClient, districts: list[SampleDistrict], waits: str) -> dict:
    found = {}
    city = await caught_up(lambda: client.get(f"/v1/city/reports/{PERIOD}", params={"min_position": waits},
                                              headers=bearer("city")))
    assert city.status_code == 200, city.text
    found["city"] = {d["district"]: d for d in city.json()["districts"] if d["district"] in {x.code for x in districts}}
    found["city_sums"] = city.json()["figures"] == _sum_of(city.json())
    for district in districts:
        base, staff = f"/v1/districts/{district.code}/reports/{PERIOD}", bearer("district", district.code)
        found[district.code] = (await client.get(base, headers=staff)).json()
        for town in district.towns:
            found[town] = (await client.get(f"{base}/towns/{town}", headers=staff)).json()
    return found


def _sum_of(city: dict) -> dict:
    """The city's counted figures (integers) summed over its districts, as the city's own."""
    return {key: sum(d["figures"][key] for d in city["districts"]) if isinstance(value, int) else value
            for key, value in city["figures"].items()}


@pytest.mark.parametrize("count", [4])
async def test_district_town_and_city_reports_equal_a_single_node_run(app, client, single_app, single, count):
    runtime, single_runtime = app.state.runtime, single_app.state.runtime
    districts = [make_district(runtime) for _ in range(count)]
    for district in districts:
        registered_in(single_runtime, district)
    planned = [(district, batches(district, n)) for n, district in enumerate(districts)]
    on_citus = await reports(client, districts, await write_all(client, planned))
    on_one = await reports(single, districts, await write_all(single, planned))
    assert on_citus["city_sums"] and on_one["city_sums"]
    for key in on_one:
        assert without_moments(on_citus[key]) == without_moments(on_one[key]), (key, differences(
            on_citus[key], on_one[key]))

