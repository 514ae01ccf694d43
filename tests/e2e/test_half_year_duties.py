"""A half year written two ways through the API (API.md, "Roles and duties"): in one district each party
writes its own records (the town government its station and its purchase, the provider its services
and self-evaluation, the district its contract and inspection); in another the district writes every
one of the same records on their behalf. The reports' figures are equal; only `on_behalf` tells the
second district's towns apart: each counts the records entered for its station and its town government.
"""

from collections import Counter
from typing import Any

import httpx

from tests.support import SampleDistrict, bearer, caught_up
from tests.unit import support as build

PERIOD = "2025H1"


def half_year(district: SampleDistrict) -> list[tuple[str, list[Any]]]:
    """The town's half year as batches, each with the role whose duty its records are."""
    town = district.town
    sign = f"{district.name}{district.towns[town]}民政服务站"
    # The same project codes in both districts: the reports name them.
    town_project = build.contract("P-TOWN", town=town, purchaser_kind="town_government")
    district_project = build.contract("P-DISTRICT", town=town, purchaser_kind="district_bureau")
    by_town, by_district = build.inspection(town, by="town"), build.inspection(town, by="district")
    noted = build.progress(town)
    services = [build.service(town, recipient_ref=f"R-{n:08x}", occurred_on=f"2025-0{1 + n % 6}-1{n % 9}",
                              project=district_project.project if n % 2 else None) for n in range(12)]
    return [
        ("town", [build.station(town), build.signboard(sign, town), build.equipment(town), build.rules(town),
                  build.staff_assigned(build.rid("S"), town, role="station_head"), town_project]),
        ("district", [district_project, build.allocation()]),
        ("station", [build.staff_assigned(build.rid("S"), town), *services, noted,
                     build.self_evaluation(district_project.project)]),
        ("town", [build.spend(town_project.project, amount="300.00"), by_town,
                  build.problem_resolved(noted.id), build.final_evaluation(town_project.project)]),
        ("district", [build.spend(district_project.project, amount="450.50"), by_district]),
        ("station", [build.rectification(by_town.id), build.rectification(by_district.id)]),
    ]


async def write(client: httpx.AsyncClient, district: SampleDistrict, role: str, records: list[Any]) -> int:
    headers = bearer(role, district.code, district.town if role in ("station", "town") else None)
    answer = await client.post(f"/v1/districts/{district.code}/records", headers=headers,
                               json={"records": [r.model_dump(mode="json", exclude_none=True) for r in records]})
    assert answer.status_code == 200, answer.text
    return answer.json()["position"]


async def report(client: httpx.AsyncClient, district: SampleDistrict, position: int) -> dict[str, Any]:
    answer = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/reports/{PERIOD}",
                                                headers=bearer("district", district.code),
                                                params={"min_position": position}))
    assert answer.status_code == 200, answer.text
    return answer.json()


def without_names(part: dict[str, Any]) -> dict[str, Any]:
    """A town's part but its code and the count this test compares apart (the districts' codes differ)."""
    return {k: v for k, v in part.items() if k not in ("town", "on_behalf")}


async def test_each_party_writing_its_own_or_the_district_on_their_behalf_makes_the_same_report(
        client: httpx.AsyncClient, district: SampleDistrict, other_district: SampleDistrict):
    position = 0
    for role, records in half_year(district):
        position = await write(client, district, role, records)
    theirs = await report(client, district, position)

    entered_for: Counter[str] = Counter()
    for role, records in half_year(other_district):
        position = await write(client, other_district, "district", records)
        if role != "district":
            entered_for[role] += len(records)
    on_behalf = await report(client, other_district, position)

    assert on_behalf["figures"] == theirs["figures"]
    assert theirs["figures"]["person_times"] > 0 and theirs["figures"]["inspections"] == 2
    assert [without_names(t) for t in on_behalf["towns"]] == [without_names(t) for t in theirs["towns"]]
    assert all(t["on_behalf"] == {} for t in theirs["towns"])
    own = {t["town"]: t["on_behalf"] for t in on_behalf["towns"]}
    assert own.pop(other_district.town) == dict(entered_for) == {"station": 17, "town": 10}
    assert all(counts == {} for counts in own.values())  # the district's other towns: nothing written for them

    # The town's report: submitted by the town itself, or by the district on its behalf.
    await submit(client, district, "town")
    await submit(client, other_district, "district")
    assert Counter(e["on_behalf_of"] for e in await log(client, district)) == {None: 32}
    # The district's own four (its contract, payment, inspection and the funds it allocated) on no one's behalf;
    # the town's report is the town's, submitted on its behalf.
    assert Counter(e["on_behalf_of"] for e in await log(client, other_district)) == \
        {"station": 17, "town": 11, None: 4}


async def submit(client: httpx.AsyncClient, district: SampleDistrict, role: str) -> None:
    headers = bearer(role, district.code, district.town if role == "town" else None)
    where = f"/v1/districts/{district.code}/reports/{PERIOD}/towns/{district.town}/submit"
    submitted = await caught_up(lambda: client.post(where, headers=headers))
    assert submitted.status_code == 200, submitted.text


async def log(client: httpx.AsyncClient, district: SampleDistrict) -> list[dict[str, Any]]:
    page = await client.get(f"/v1/districts/{district.code}/events", headers=bearer("district", district.code),
                            params={"limit": 1000})
    assert page.status_code == 200, page.text
    return page.json()["events"]
