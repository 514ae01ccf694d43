"""The half-year reports through the API: figures, compliance and the reporting chain."""


from tests.builders import (
    compliant_station, fund_spent, inspection_done, project_contracted, record_voided, rid, service_delivered,
)
from tests.support import approve_towns, bearer, forging, record, report, sign


async def test_services_are_counted_by_period_scope_and_dimension(client, district):
    a, b = district.town, district.other_town
    person = rid("R")
    position = await record(client, district, [
        service_delivered(a, recipient_ref=person, person_times=2, hours="1.5"),
        service_delivered(b, recipient_ref=person, domain="social_assistance", recipient_category="other",
                          hours="2.25", village="沙坡尾社区"),
        service_delivered(a, occurred_on="2025-07-01"),  # the second half year
    ])

    figures = (await report(client, district, position))["figures"]

    assert (figures["person_times"], figures["recipients"], figures["service_hours"]) == (3, 1, "3.75")
    assert figures["by_domain"]["elderly_care"] == {"person_times": 2, "recipients": 1, "hours": "1.50"}
    assert figures["by_domain"]["social_assistance"]["recipients"] == 1
    assert figures["by_domain"]["charity"] == {"person_times": 0, "recipients": 0, "hours": "0.00"}
    assert figures["by_recipient_category"]["other"]["person_times"] == 1
    assert figures["by_month"]["2025-03"]["person_times"] == 3
    assert figures["by_village"] == {"沙坡尾社区": {"person_times": 1, "recipients": 1, "hours": "2.25"}}
    towns = {t["town"]: t["figures"] for t in (await report(client, district, position))["towns"]}
    assert towns[a]["recipients"] == towns[b]["recipients"] == 1, "one person, counted once in each town"
    assert (await report(client, district, position, "2025H2"))["figures"]["person_times"] == 1


async def test_a_voided_record_counts_nowhere(client, district):
    service = service_delivered(district.town)
    await record(client, district, [service])
    position = await record(client, district, [record_voided(service["id"])])

    figures = (await report(client, district, position))["figures"]

    assert (figures["person_times"], figures["recipients"], figures["service_hours"]) == (0, 0, "0.00")
    assert figures["by_month"]["2025-03"]["recipients"] == 0


async def test_funds_inspections_and_projects(client, district):
    contract = project_contracted(district.town)
    inspection = inspection_done(district.town)
    position = await record(client, district, [
        contract, fund_spent(contract["project"], amount="1000.00"),
        fund_spent(contract["project"], source="social_assistance", amount="250.50"),
        inspection, inspection_done(district.town, issues_found=False, rectification_due=None),
        project_contracted(district.other_town, role="linked"),
    ])

    figures = (await report(client, district, position))["figures"]

    assert figures["funds_spent"] == "1250.50"
    assert figures["funds_by_source"]["elderly_care"] == "1000.00"
    assert figures["funds_by_source"]["child_welfare"] == "0.00"
    assert (figures["inspections"], figures["open_rectifications"]) == (2, 1)
    assert figures["projects"] == {"core": 1, "linked": 1}

    position = await record(client, district, [{"id": rid("rect"), "type": "rectification_done",
                                                "inspection": inspection["id"], "occurred_on": "2025-05-01",
                                                "note": "已补齐台账"}])
    assert (await report(client, district, position))["figures"]["open_rectifications"] == 0


async def test_compliance_names_each_gap(client, district):
    town = district.town
    position = await record(client, district, compliant_station(town, sign(district, town)))

    before = {t["town"]: t for t in (await report(client, district, position))["towns"]}
    assert before[town]["compliance"] == {
        "compliant": False, "gaps": ["无核心项目"], "gap_codes": ["no_core_project"],
        "gap_details": [{"code": "no_core_project", "kind": "no_core_project", "zh": "无核心项目", "en": "no core project",
                         "before_rules": False}]}
    assert before[district.other_town]["compliance"]["gap_codes"] == ["no_station"]

    position = await record(client, district, [project_contracted(town)])
    after = await report(client, district, position)
    assert next(t for t in after["towns"] if t["town"] == town)["compliance"]["compliant"] is True
    assert (after["figures"]["stations"], after["figures"]["stations_compliant"]) == (1, 1)


async def test_the_reporting_chain(client, district):
    town = district.town
    station = bearer("station", district.code, town)
    staff = bearer("district", district.code)
    base = f"/v1/districts/{district.code}/reports/2025H1"
    position = await record(client, district, [service_delivered(town)])
    await report(client, district, position)

    premature = await client.post(f"{base}/towns/{town}/approve", headers=staff)
    assert premature.status_code == 409
    assert premature.headers["content-type"] == "application/problem+json"

    assert (await client.post(f"{base}/towns/{town}/submit", headers=station)).status_code == 403  # the town's duty
    government = bearer("town", district.code, town)
    submitted = await client.post(f"{base}/towns/{town}/submit", headers=government)
    assert submitted.status_code == 200, submitted.text
    assert (await client.post(f"{base}/towns/{town}/submit", headers=government)).status_code == 409
    assert (await client.post(f"{base}/towns/{town}/approve", headers=station)).status_code == 403
    returned = await client.post(f"{base}/towns/{town}/return", json={"reason": "数据有误"}, headers=staff)
    assert returned.json()["status"] == "returned"
    assert (await client.post(f"{base}/towns/{town}/submit", headers=staff)).status_code == 200
    assert (await client.post(f"{base}/towns/{town}/approve", headers=staff)).json()["status"] == "approved"

    district_submitted = await client.post(f"{base}/submit", headers=staff)
    assert district_submitted.status_code == 200
    own_approval = await client.post(f"/v1/city/reports/2025H1/districts/{district.code}/approve", headers=staff)
    assert own_approval.status_code == 403
    city = bearer("city")
    approved = await client.post(f"/v1/city/reports/2025H1/districts/{district.code}/approve", headers=city)
    assert approved.json()["status"] == "approved"

    current = await report(client, district, approved.json()["position"])
    assert current["status"] == "approved"
    assert next(t for t in current["towns"] if t["town"] == town)["status"] == "approved"
    assert current["completeness"]["approved"] == 1


async def test_a_submitted_report_never_changes_and_lists_later_records(client, district):
    town = district.town
    staff = bearer("district", district.code)
    base = f"/v1/districts/{district.code}/reports/2025H1"
    await record(client, district, [service_delivered(town)])
    await approve_towns(client, district, [town])
    submitted = await client.post(f"{base}/submit", headers=staff)
    assert submitted.status_code == 200
    frozen = await report(client, district, submitted.json()["position"], version="submitted")

    late = service_delivered(town)
    position = await record(client, district, [late])
    again = await report(client, district, position, version="submitted")

    assert again["figures"] == frozen["figures"]
    assert frozen["figures"]["person_times"] == 1
    assert [a["record_id"] for a in again["adjustments"]] == [late["id"]]
    assert (await report(client, district, position))["figures"]["person_times"] == 2
    missing = await client.get(f"{base}", params={"version": "approved"}, headers=staff)
    assert missing.status_code == 404


async def test_the_city_report_sums_its_districts(client, district, other_district):
    first = await record(client, district, [service_delivered(district.town, person_times=3)])
    position = await record(client, other_district, [service_delivered(other_district.town)])
    # Both writes read back: each district's projection follows its own log, in its own time.
    answer = await client.get("/v1/city/reports/2025H1", headers=bearer("city"),
                              params={"min_position": f"{district.code}:{first},{other_district.code}:{position}"})
    assert answer.status_code == 200, answer.text
    city = answer.json()

    parts = {d["district"]: d["figures"] for d in city["districts"]}
    assert parts[district.code]["person_times"] == 3
    assert city["figures"]["person_times"] == sum(f["person_times"] for f in parts.values())
    assert city["figures"]["recipients"] == sum(f["recipients"] for f in parts.values())
    assert (await client.get("/v1/city/reports/2025H1", headers=bearer("district", district.code))).status_code == 403


async def test_min_position_beyond_the_log_answers_503(client, district):
    answer = await client.get(f"/v1/districts/{district.code}/reports/2025H1", params={"min_position": 10**9},
                              headers=bearer("district", district.code))
    assert answer.status_code == 503
    assert answer.headers["retry-after"]


async def test_a_forged_progress_notice_does_not_answer_a_min_position_read(client, district, forger_login):
    beyond = await record(client, district, [service_delivered(district.town)]) + 1000
    async with forging(forger_login, district.code, beyond):  # from another login of the cluster
        answer = await client.get(f"/v1/districts/{district.code}/reports/2025H1", params={"min_position": beyond},
                                  headers=bearer("district", district.code))
    assert answer.status_code == 503, answer.text


async def test_a_realistic_half_year_submitted_approved_and_matching_a_naive_recomputation(client, district):
    from tests.integration.halfyear import generate, matches, naive_figures

    sent = []
    for batch in generate(district, seed=2025):
        position = await record(client, district, batch)
        sent += batch
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    await report(client, district, position)
    for town in district.towns:
        assert (await client.post(f"{base}/towns/{town}/submit", headers=staff)).status_code == 200
        assert (await client.post(f"{base}/towns/{town}/approve", headers=staff)).status_code == 200
    assert (await client.post(f"{base}/submit", headers=staff)).status_code == 200
    approval = await client.post(f"/v1/city/reports/2025H1/districts/{district.code}/approve", headers=bearer("city"))

    approved = await report(client, district, approval.json()["position"], version="approved")
    expected = naive_figures(sent, "2025H1")
    assert approved["status"] == "approved"
    assert matches(approved["figures"], expected) == expected
    assert approved["completeness"] == {"expected": 3, "submitted": 3, "approved": 3, "returned": 0, "late": 3}
