"""Annual purchase plans through the API: the lifecycle (draft, submit, file or return, amend),
the plan against the contracts, provider exits in compliance, and the city's view."""

import httpx

from tests.builders import compliant_station, plan_record, planned, project_contracted, rid
from tests.support import SampleDistrict, bearer, record, report, sign


async def plan_of(client: httpx.AsyncClient, district: SampleDistrict, position: int, year: int = 2025) -> dict:
    answer = await client.get(f"/v1/districts/{district.code}/plans/{year}", params={"min_position": position},
                              headers=bearer("district", district.code))
    assert answer.status_code == 200, answer.text
    return answer.json()


def city_step(district: SampleDistrict, step: str, year: int = 2025) -> str:
    return f"/v1/city/plans/{year}/districts/{district.code}/{step}"


async def test_the_plan_lifecycle_and_its_forbidden_steps(client, district):
    staff, city = bearer("district", district.code), bearer("city")
    submit = f"/v1/districts/{district.code}/plans/2025/submit"

    nothing = await client.post(submit, headers=staff)
    assert nothing.status_code == 409 and nothing.headers["content-type"] == "application/problem+json"
    assert (await plan_of(client, district, 0))["status"] is None

    position = await record(client, district, [plan_record(planned("P-A", district.town))])
    assert (await plan_of(client, district, position))["status"] == "draft"

    not_submitted = await client.post(city_step(district, "file"), headers=city)
    assert not_submitted.status_code == 409, "filing a plan that was not submitted"
    assert not_submitted.json()["type"] == "/problems/plan-state"

    submitted = await client.post(submit, headers=staff)
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["status"], submitted.json()["version"]) == ("submitted", 1)
    assert (await client.post(submit, headers=staff)).status_code == 409

    own_filing = await client.post(city_step(district, "file"), headers=staff)
    assert own_filing.status_code == 403, "a district filing its own plan"
    station = bearer("station", district.code, district.town)
    station_draft = await client.post(f"/v1/districts/{district.code}/records", headers=station,
                                      json={"records": [plan_record(planned("P-S", district.town))]})
    assert station_draft.status_code == 403

    changed_while_submitted = await client.post(
        f"/v1/districts/{district.code}/records", headers=staff,
        json={"records": [plan_record(planned("P-B", district.town))]})
    assert changed_while_submitted.status_code == 422

    returned = await client.post(city_step(district, "return"), json={"reason": "缺少第三方评估安排"}, headers=city)
    assert returned.json()["status"] == "returned"
    position = await record(client, district, [plan_record(planned("P-A", district.town))])
    assert (await client.post(submit, headers=staff)).status_code == 200
    filed = await client.post(city_step(district, "file"), headers=city)
    assert (filed.json()["status"], filed.json()["filed_version"]) == ("filed", 1)
    assert (await client.post(city_step(district, "file"), headers=city)).status_code == 409

    # An amendment is a new version; the filed one stands until the amendment is filed.
    position = await record(client, district, [plan_record(planned("P-A", district.town),
                                                           planned("P-B", district.other_town, role="linked"))])
    amended = await plan_of(client, district, position)
    assert (amended["status"], amended["version"], amended["filed_version"]) == ("draft", 2, 1)
    assert [p["project"] for p in amended["filed"]["projects"]] == ["P-A"]
    assert [p["project"] for p in amended["current"]["projects"]] == ["P-A", "P-B"]
    assert (await client.post(submit, headers=staff)).status_code == 200
    refiled = await client.post(city_step(district, "file"), headers=city)
    now = await plan_of(client, district, refiled.json()["position"])
    assert (now["status"], now["filed_version"]) == ("filed", 2)
    assert [(h["step"], h["version"], h["actor_role"]) for h in now["history"]] == [
        ("drafted", 1, "district"), ("submitted", 1, "district"), ("returned", 1, "city"), ("drafted", 1, "district"),
        ("submitted", 1, "district"), ("filed", 1, "city"), ("drafted", 2, "district"),
        ("submitted", 2, "district"), ("filed", 2, "city")]

    voided = await client.post(f"/v1/districts/{district.code}/records", headers=staff,
                               json={"records": [{"id": rid("void"), "type": "record_voided",
                                                  "record": now["history"][0]["record_id"], "reason": "错"}]})
    assert voided.status_code == 422, "a plan is amended, never voided"


async def test_the_reports_show_the_plan_against_the_contracts(client, district):
    staff, city = bearer("district", district.code), bearer("city")
    town, other = district.town, district.other_town
    await record(client, district, [plan_record(
        planned("P-A", town),
        planned("P-B", other, role="linked", amount="50000.00", funds=[{"source": "child_welfare", "amount": "50000.00"}],
                self_evaluation_on="2025-03-31", final_evaluation_on="2025-06-15"))])
    await client.post(f"/v1/districts/{district.code}/plans/2025/submit", headers=staff)
    await client.post(city_step(district, "file"), headers=city)
    position = await record(client, district, [
        project_contracted(town, project="P-A", amount="280000.00",
                           funds=[{"source": "elderly_care", "amount": "200000.00"},
                                  {"source": "social_assistance", "amount": "80000.00"}]),
        project_contracted(other, project="P-X", role="linked", amount="10000.00",
                           funds=[{"source": "social_affairs", "amount": "10000.00"}], domains=["marriage"]),
        {"id": rid("se"), "type": "self_evaluation_submitted", "project": "P-A", "contract_year": 1,
         "submitted_on": "2025-06-28", "summary": "按期推进"},
    ])

    whole = await report(client, district, position)
    plan = whole["plan"]
    assert (plan["status"], plan["filed_version"]) == ("filed", 1)
    assert (plan["planned_amount"], plan["contracted_amount"]) == ("350000.00", "290000.00")
    assert plan["planned_by_source"]["elderly_care"] == "200000.00"
    assert plan["planned_by_source"]["child_welfare"] == "50000.00"
    assert plan["contracted_by_source"]["social_assistance"] == "80000.00"
    assert plan["contracted_by_source"]["social_affairs"] == "10000.00"
    assert plan["by_town"][other]["planned_amount"] == "50000.00"
    assert plan["by_town"][other]["contracted_amount"] == "10000.00"
    assert [p["project"] for p in plan["outside_plan"]] == ["P-X"]
    assert {i["project"]: i["contracted"] for i in plan["items"]} == {"P-A": True, "P-B": False}
    states = {(i["project"], i["kind"]): i["state"] for i in plan["evaluations"]["items"]}
    assert states == {("P-A", "self"): "done", ("P-A", "final"): "due",
                      ("P-B", "self"): "overdue", ("P-B", "final"): "overdue"}
    assert (plan["evaluations"]["done"], plan["evaluations"]["due"], plan["evaluations"]["overdue"]) == (1, 1, 2)

    town_plan = (await client.get(f"/v1/districts/{district.code}/reports/2025H1/towns/{town}",
                                  headers=staff)).json()["plan"]
    assert (town_plan["planned_amount"], town_plan["contracted_amount"]) == ("300000.00", "280000.00")
    assert town_plan["outside_plan"] == []

    frozen = await client.post(f"/v1/districts/{district.code}/reports/2025H1/submit", headers=staff)
    submitted = await report(client, district, frozen.json()["position"], version="submitted")
    assert submitted["plan"] == plan, "the submitted report keeps the plan section as it was"

    cities = await client.get("/v1/city/plans/2025", headers=city)
    assert cities.status_code == 200
    mine = next(d for d in cities.json()["districts"] if d["district"] == district.code)
    assert (mine["status"], mine["filed_version"]) == ("filed", 1)
    assert (await client.get("/v1/city/plans/2025", headers=staff)).status_code == 403


async def test_a_provider_exit_shows_in_compliance_and_the_1_1_n_figures(client, district):
    town = district.town
    staff = bearer("district", district.code)
    core = project_contracted(town, project=rid("P"))
    await record(client, district, [*compliant_station(town, sign(district, town)), core])
    exit_record = {"id": rid("px"), "type": "provider_exited", "project": core["project"],
                   "condition": "provider_withdrew", "reason": "承接方主动申请退出", "exited_on": "2025-03-31"}
    position = await record(client, district, [exit_record])

    whole = await report(client, district, position)
    part = next(t for t in whole["towns"] if t["town"] == town)
    # The town has lost its core project; the exiting provider's year is evaluated on exit.
    assert part["compliance"]["gap_codes"] == [f"core_provider_exited:{core['project']}",
                                               f"final_evaluation_overdue:{core['project']}:1"]
    assert whole["figures"]["projects"] == {"core": 1, "linked": 0}, "it ran in the half year"
    assert (await report(client, district, position, "2025H2"))["figures"]["projects"]["core"] == 0
    assert [e["project"] for e in whole["provider_exits"]] == [core["project"]]

    late_service = {"id": rid("svc"), "type": "service_delivered", "town": town, "project": core["project"],
                    "occurred_on": "2025-04-02", "domain": "elderly_care", "service_type": "visit",
                    "recipient_category": "other", "recipient_ref": rid("R"), "hours": "1"}
    refused = await client.post(f"/v1/districts/{district.code}/records", json={"records": [late_service]},
                                headers=staff)
    assert refused.status_code == 422

    second_exit = {**exit_record, "id": rid("px")}
    assert (await client.post(f"/v1/districts/{district.code}/records", json={"records": [second_exit]},
                              headers=staff)).status_code == 422, "a provider exits a project once"
    successor = project_contracted(town, project=rid("P"), contract_start="2025-04-01")
    position = await record(client, district, [successor])
    succeeded = next(t for t in (await report(client, district, position))["towns"] if t["town"] == town)
    assert succeeded["compliance"]["gap_codes"] == [f"final_evaluation_overdue:{core['project']}:1"]

    position = await record(client, district, [{"id": rid("void"), "type": "record_voided",
                                                "record": exit_record["id"], "reason": "录错项目"}])
    restored = await report(client, district, position)
    # With the exit undone, the first core project runs on beside its successor: two at once.
    assert next(t for t in restored["towns"] if t["town"] == town)["compliance"]["gap_codes"] == [
        "core_projects_multiple"]
    assert restored["provider_exits"] == []
