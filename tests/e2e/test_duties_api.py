"""Separation of duties through the HTTP API (API.md, "Roles and duties"): a record of another
level's duty is a 403 `/problems/not-your-duty` naming its owner, with nothing of the batch stored;
the town submits its report, which its station reads but may not submit; the city records its
inspections into a district."""

import httpx

from tests.builders import inspection_done, project_contracted, record_voided, service_delivered, station_established
from tests.support import SampleDistrict, bearer, caught_up

PERIOD = "2025H1"


def records(district: SampleDistrict) -> str:
    return f"/v1/districts/{district.code}/records"


async def test_a_batch_with_another_level_s_record_is_refused_whole_naming_the_owner(client: httpx.AsyncClient,
                                                                                  district: SampleDistrict):
    station = bearer("station", district.code, district.town)
    delivered = service_delivered(district.town)
    answer = await client.post(records(district), headers=station,
                               json={"records": [delivered, project_contracted(district.town)]})
    assert answer.status_code == 403, answer.text
    problem = answer.json()
    assert problem["type"] == "/problems/not-your-duty"
    assert "district" in problem["detail"]
    assert [(e["record"], e["owner"]) for e in problem["errors"]] == [(1, "district")]
    again = await client.post(records(district), headers=station, json={"records": [delivered]})
    assert again.status_code == 200, again.text
    assert again.json()["results"][0]["status"] == "accepted"  # the refused batch stored nothing


async def test_a_provider_cannot_void_the_purchaser_s_contract(client: httpx.AsyncClient, district: SampleDistrict):
    contract = project_contracted(district.town, purchaser_kind="town_government")
    town = bearer("town", district.code, district.town)
    written = await client.post(records(district), headers=town,
                                json={"records": [station_established(district.town), contract]})
    assert written.status_code == 200, written.text
    voided = await client.post(records(district), headers=bearer("station", district.code, district.town),
                               json={"records": [record_voided(contract["id"])]})
    assert voided.status_code == 403, voided.text
    assert voided.json()["errors"][0]["owner"] == "town"
    by_the_district = await client.post(records(district), headers=bearer("district", district.code),
                                        json={"records": [record_voided(contract["id"])]})
    assert by_the_district.status_code == 200, by_the_district.text  # a level above, on the town's behalf


async def test_a_by_above_the_caller_s_level_is_refused(client: httpx.AsyncClient, district: SampleDistrict):
    answer = await client.post(records(district), headers=bearer("district", district.code),
                               json={"records": [inspection_done(district.town, by="city")]})
    assert answer.status_code == 403, answer.text
    assert answer.json()["type"] == "/problems/not-your-duty"


async def test_the_city_records_its_inspection_into_a_district(client: httpx.AsyncClient, district: SampleDistrict):
    city = bearer("city")
    refused = await client.post(records(district), headers=city, json={"records": [service_delivered(district.town)]})
    assert refused.status_code == 403, refused.text
    answer = await client.post(records(district), headers=city,
                               json={"records": [inspection_done(district.town, by="city")]})
    assert answer.status_code == 200, answer.text


async def test_the_town_submits_its_report_and_its_station_only_reads_it(client: httpx.AsyncClient,
                                                                        district: SampleDistrict):
    written = await client.post(records(district), headers=bearer("station", district.code, district.town),
                                json={"records": [service_delivered(district.town)]})
    assert written.status_code == 200, written.text
    report = f"/v1/districts/{district.code}/reports/{PERIOD}/towns/{district.town}"
    station = bearer("station", district.code, district.town)
    read = await caught_up(lambda: client.get(report, headers=station,
                                              params={"min_position": written.json()["position"]}))
    assert read.status_code == 200, read.text
    assert (await client.post(f"{report}/submit", headers=station)).status_code == 403
    other_town = bearer("town", district.code, district.other_town)
    assert (await client.post(f"{report}/submit", headers=other_town)).status_code == 403
    town = bearer("town", district.code, district.town)
    submitted = await caught_up(lambda: client.post(f"{report}/submit", headers=town))
    assert submitted.status_code == 200, submitted.text
