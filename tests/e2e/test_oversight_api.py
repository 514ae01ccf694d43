"""The station's linked projects ("N"), the provider's progress notes and the city's training,
through the API and into the town, district and city reports."""

import httpx

from tests.builders import compliant_station, project_contracted, rid, service_delivered, training_held
from tests.support import SampleDistrict, bearer, record, report, sign


def linked(town: str, **fields) -> dict:
    return {"id": rid("lf"), "type": "linked_figures_collected", "town": town, "period": "2025H1",
            "name": "困境儿童关爱项目", "purchaser": "区妇联", "domain": "child_welfare", "people_served": 40,
            "person_times": 120, "amount": "5000.00", "collected_on": "2025-06-25", **fields}


async def town_report(client: httpx.AsyncClient, district: SampleDistrict, town: str, position: int) -> dict:
    answer = await client.get(f"/v1/districts/{district.code}/reports/2025H1/towns/{town}",
                              params={"min_position": position}, headers=bearer("district", district.code))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_linked_project_figures_are_kept_apart_from_the_stations_own(client, district):
    town = district.town
    station = bearer("station", district.code, town)
    core = project_contracted(town)
    await record(client, district, [*compliant_station(town, sign(district, town)), core,
                                    service_delivered(town, project=core["project"], person_times=2)])
    contracted_linked = project_contracted(town, role="linked", domains=["child_welfare"],
                                           funds=[{"source": "child_welfare", "amount": "300000.00"}])
    await record(client, district, [contracted_linked])
    sent = await client.post(f"/v1/districts/{district.code}/records", headers=station, json={"records": [
        linked(town), linked(town, name="社区助残项目", purchaser="区残联", domain="disability_welfare",
                             people_served=10, person_times=None, amount="2000.50",
                             project=contracted_linked["project"])]})
    assert sent.status_code == 200, sent.text
    position = sent.json()["position"]

    part = await town_report(client, district, town, position)
    assert part["figures"]["person_times"] == 2, "the linked projects' people are not the station's"
    assert part["figures"]["funds_spent"] == "0.00"
    section = part["linked_projects"]
    assert section["collected"] == {"projects": 2, "people_served": 50, "person_times": 120, "amount": "7000.50"}
    assert section["by_domain"]["child_welfare"]["people_served"] == 40
    assert section["contracted_linked_projects"] == 1
    whole = await report(client, district, position)
    assert whole["linked_projects"]["collected"]["amount"] == "7000.50"
    assert whole["figures"]["person_times"] == 2

    core_as_linked = await client.post(f"/v1/districts/{district.code}/records", headers=station, json={
        "records": [linked(town, name="核心项目", project=core["project"])]})
    assert core_as_linked.status_code == 422, "the core project's figures are the station's own"
    twice = await client.post(f"/v1/districts/{district.code}/records", headers=station,
                              json={"records": [linked(town, name=" 困境儿童 关爱项目")]})
    assert twice.status_code == 422, "one linked project's figures are collected once a half year"
    other_town = await client.post(f"/v1/districts/{district.code}/records", headers=station,
                                   json={"records": [linked(district.other_town)]})
    assert other_town.status_code == 403

    city = await client.get("/v1/city/reports/2025H1", params={"min_position": f"{district.code}:{position}"},
                            headers=bearer("city"))
    mine = next(d for d in city.json()["districts"] if d["district"] == district.code)
    assert mine["linked_projects"]["collected"]["people_served"] == 50
    assert city.json()["linked_projects"]["collected"]["people_served"] >= 50


async def test_progress_notes_and_open_problems(client, district):
    town = district.town
    station = bearer("station", district.code, town)
    note = {"id": rid("pr"), "type": "progress_reported", "town": town, "reported_on": "2025-04-30",
            "summary": "四月服务按计划推进", "problems": [{"key": "P1", "description": "部分村居配合不足"},
                                                          {"key": "P2", "description": "活动场地不足"}]}
    await record(client, district, [service_delivered(town)])
    sent = await client.post(f"/v1/districts/{district.code}/records", headers=station, json={"records": [note]})
    assert sent.status_code == 200, sent.text
    part = await town_report(client, district, town, sent.json()["position"])
    assert (part["progress_notes"], [p["key"] for p in part["open_problems"]]) == (1, ["P1", "P2"])

    government = bearer("town", district.code, town)  # the town resolves what its provider raised
    resolved = await client.post(f"/v1/districts/{district.code}/records", headers=government, json={"records": [
        {"id": rid("ps"), "type": "problem_resolved", "progress": note["id"], "problem": "P1",
         "resolved_on": "2025-05-15", "note": "镇里已协调村居"}]})
    assert resolved.status_code == 200, resolved.text
    part = await town_report(client, district, town, resolved.json()["position"])
    assert [p["key"] for p in part["open_problems"]] == ["P2"]
    unknown = await client.post(f"/v1/districts/{district.code}/records", headers=government, json={"records": [
        {"id": rid("ps"), "type": "problem_resolved", "progress": note["id"], "problem": "P9",
         "resolved_on": "2025-05-15", "note": "无"}]})
    assert unknown.status_code == 422
    whole = await report(client, district, resolved.json()["position"])
    assert [(p["town"], p["key"]) for p in whole["open_problems"]] == [(town, "P2")]


async def test_the_city_records_training_and_sees_the_untrained_stations(client, district):
    a, b = district.town, district.other_town
    position = await record(client, district, [*compliant_station(a, sign(district, a)),
                                               *compliant_station(b, sign(district, b))])
    await report(client, district, position)
    city = bearer("city")
    refused = await client.post("/v1/city/records", json={"records": [training_held(a)]},
                                headers=bearer("district", district.code))
    assert refused.status_code == 403
    session = training_held(a)
    held = await client.post("/v1/city/records", json={"records": [session]}, headers=city)
    assert held.status_code == 200, held.text
    again = await client.post("/v1/city/records", json={"records": [session]}, headers=city)
    assert again.json()["results"][0]["status"] == "duplicate"
    bad = await client.post("/v1/city/records", headers=city,
                            json={"records": [training_held(a), training_held("999999001")]})
    assert bad.status_code == 422 and [e["record"] for e in bad.json()["errors"]] == [1]

    answer = await client.get("/v1/city/reports/2025H1", params={"min_position": f"city:{held.json()['position']}"},
                              headers=city)
    assert answer.status_code == 200, answer.text
    mine = next(d for d in answer.json()["districts"] if d["district"] == district.code)
    assert mine["training"]["untrained_stations"] == [{"town": b, "name": district.towns[b]}]
    assert answer.json()["training"]["untrained_stations"][district.code] == [{"town": b, "name": district.towns[b]}]

    whole = await report(client, district, position)
    assert whole["training"]["by_town"] == {a: 2, b: 0}
    assert whole["training"]["sessions"] == 1
    assert (await town_report(client, district, a, position))["training"]["untrained_stations"] == []

    voided = await client.post("/v1/city/records", headers=city, json={"records": [
        {"id": rid("void"), "type": "record_voided", "record": session["id"], "reason": "录错日期"}]})
    assert voided.status_code == 200, voided.text
    await client.get("/v1/city/reports/2025H1", params={"min_position": f"city:{voided.json()['position']}"},
                     headers=city)
    whole = await report(client, district, position)
    assert [s["town"] for s in whole["training"]["untrained_stations"]] == [a, b]
