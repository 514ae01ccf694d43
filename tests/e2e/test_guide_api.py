"""What the guide requires, through the API: a new contract's credit code, the register of villages,
a retry of a record stored before fields were added, and the report's duty gaps, funds and villages."""

from tests.builders import compliant_station, project_contracted, rid, service_delivered
from tests.conftest import bearer
from tests.e2e.test_records_api import post
from tests.e2e.test_reports_api import record, report, sign


def village(town: str, code: str, name: str, **fields) -> dict:
    return {"id": rid("vr"), "type": "village_registered", "town": town, "village": code, "name": name,
            "kind": "community", "valid_from": "2025-01-01", **fields}


async def test_a_new_contract_without_the_provider_s_credit_code_is_refused_and_nothing_stored(client, district):
    staff = bearer("district", district.code)
    unnamed = project_contracted(district.town, provider={"name": "某社工服务中心", "kind": "enterprise"})
    answer = await post(client, district.code, [service_delivered(district.town), unnamed], staff)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert (error["record"], error["field"]) == (1, "provider.credit_code") and "统一社会信用代码" in error["detail"]
    events = await client.get(f"/v1/districts/{district.code}/events", headers=bearer("auditor"))
    assert events.json()["events"] == []


async def test_a_record_sent_again_with_an_added_field_at_its_default_is_a_duplicate(client, district):
    staff = bearer("district", district.code)
    contract = project_contracted(district.town)
    assert (await post(client, district.code, [contract], staff)).status_code == 200
    explicit = {**contract, "funds": [{**line, "level": "own"} for line in contract["funds"]]}
    again = await post(client, district.code, [explicit], staff)
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"]
    other = {**contract, "funds": [{**contract["funds"][0], "level": "allocated"}, contract["funds"][1]]}
    assert (await post(client, district.code, [other], staff)).status_code == 409


async def test_services_of_a_registered_town_name_its_villages(client, district):
    town, staff = district.town, bearer("district", district.code)
    refused = await post(client, district.code, [village(town, f"{town}001", "沙坡尾社区")],
                         bearer("station", district.code, town))
    assert refused.status_code == 403
    await record(client, district, [village(town, f"{town}001", "沙坡尾社区", aliases=["沙坡尾"])])
    unknown = await post(client, district.code, [service_delivered(town, village="大学路社区")], staff)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "village"
    position = await record(client, district, [service_delivered(town, village="沙坡尾"),
                                               service_delivered(district.other_town, village="沙坡尾")])
    whole = await report(client, district, position)
    assert set(whole["figures"]["by_village"]) == {f"{town}001", "沙坡尾"}
    assert [(v["key"], v["name"], v["registered"]) for v in whole["villages"]["by_village"]] == [
        (f"{town}001", "沙坡尾社区", True), ("沙坡尾", "沙坡尾", False)]


async def test_the_district_report_names_its_duties_not_done_and_its_funds(client, district):
    town = district.town
    position = await record(client, district, [*compliant_station(town, sign(district, town)),
                                               project_contracted(town)])
    whole = await report(client, district, position)
    assert whole["duty_compliance"]["gap_codes"] == [
        "plan_not_filed:2025", "emergency_plan_missing:2025", "exit_conditions_missing:2025",
        "funding_not_allocated:2025", f"progress_report_missing:{town}"]
    assert whole["duty_compliance"]["gaps"][0].startswith("2025年度购买计划截至2025-06-30未经市民政局备案")
    assert (whole["funding"]["allocated_amount"], whole["funding"]["contracted_amount"]) == ("0.00", "300000.00")
    part = await client.get(f"/v1/districts/{district.code}/reports/2025H1/towns/{town}",
                            headers=bearer("district", district.code))
    assert part.json()["duty_compliance"]["gap_codes"] == [f"progress_report_missing:{town}"]
    assert "funding" not in part.json()
