"""A district's purchase plan and an inspection as they stood at any moment, and the plan's
timeline (issue 38), against the steps and records written in this test folded by hand."""

from datetime import datetime, timedelta

import pytest

from tests.builders import inspection_done, plan_record, planned, record_voided, rid, service_delivered
from tests.builders import station_established
from tests.e2e.test_states_api import moments
from tests.support import bearer, record

PLAN_FIELDS = ("status", "version", "filed_version", "returned_reason")


async def plan_year(client, district) -> tuple[list[tuple[str, dict | None]], list[int]]:
    """A station, then the 2025 plan drafted, submitted, returned, redrafted, submitted, filed and
    amended: each step and the position it entered the log at."""
    staff, city = bearer("district", district.code), bearer("city")
    submit = f"/v1/districts/{district.code}/plans/2025/submit"
    city_step = f"/v1/city/plans/2025/districts/{district.code}"
    first, second = planned("P-A", district.town), planned("P-B", district.other_town, role="linked")
    steps: list[tuple[str, dict | None]] = []
    positions = [await record(client, district, [station_established(district.town)])]
    for step, content in (("drafted", [first]), ("submitted", None), ("returned", None), ("drafted", [first]),
                          ("submitted", None), ("filed", None), ("drafted", [first, second])):
        if step == "drafted":
            drafted = plan_record(*content)
            steps.append((step, drafted))
            positions.append(await record(client, district, [drafted]))
            continue
        if step == "submitted":
            answer = await client.post(submit, headers=staff)
        else:
            answer = await client.post(f"{city_step}/{'file' if step == 'filed' else 'return'}", headers=city,
                                       json={"reason": "缺少应急预案"} if step == "returned" else None)
        assert answer.status_code == 200, answer.text
        steps.append((step, None))
        positions.append(answer.json()["position"])
    return steps, positions


def plan_folded(steps: list[tuple[str, dict | None]]) -> dict:
    """The plan the steps make, by hand: a draft opens a version (the next after a filed one)."""
    plan = {"status": None, "version": None, "filed_version": None, "returned_reason": None,
            "current": None, "filed": None}
    for step, drafted in steps:
        if step == "drafted":
            version = plan["version"] + 1 if plan["status"] == "filed" else (plan["version"] or 1)
            plan.update(status="draft", version=version, returned_reason=None,
                        current=[p["project"] for p in drafted["projects"]])
        else:
            plan["status"] = step
            plan["returned_reason"] = "缺少应急预案" if step == "returned" else None
            if step == "filed":
                plan.update(filed_version=plan["version"], filed=plan["current"])
    return plan


async def test_a_plan_at_each_step_equals_its_steps_folded_by_hand(client, district):
    steps, positions = await plan_year(client, district)
    at = await moments(client, district, positions)
    base, auditor = f"/v1/districts/{district.code}/plans/2025", bearer("auditor")
    for n, moment in enumerate(at):
        answer = await client.get(base, params={"as_of": moment}, headers=auditor)
        assert answer.status_code == 200, answer.text
        state, expected = answer.json(), plan_folded(steps[:n])
        assert (state["as_of"], state["position"], state["year"]) == (moment, positions[n], 2025)
        assert {k: state[k] for k in PLAN_FIELDS} == {k: expected[k] for k in PLAN_FIELDS}, n
        assert ([p["project"] for p in state["current"]["projects"]] if state["current"] else None) == \
            expected["current"], n
        assert ([p["project"] for p in state["filed"]["projects"]] if state["filed"] else None) == expected["filed"], n
        assert [h["step"] for h in state["history"]] == [step for step, _ in steps[:n]], n
        assert [h["position"] for h in state["history"]] == positions[1:n + 1], n
    drafted, first = steps[0][1], (await client.get(base, params={"as_of": at[1]}, headers=auditor)).json()["current"]
    assert (first["exit_conditions"], first["emergency_plan"]) == (drafted["exit_conditions"], drafted["emergency_plan"])
    assert [(p["project"], p["town"], p["name"], p["amount"], [(f["source"], f["amount"]) for f in p["funds"]])
            for p in first["projects"]] == [(p["project"], p["town"], p["name"], p["amount"],
                                             [(f["source"], f["amount"]) for f in p["funds"]])
                                            for p in drafted["projects"]]
    returned = (await client.get(base, params={"as_of": at[3]}, headers=auditor)).json()["history"][-1]
    assert (returned["step"], returned["actor_role"], returned["reason"]) == ("returned", "city", "缺少应急预案")

    # Now, replayed, the plan is what the read model shows (the same keys, the same values).
    table = (await client.get(base, params={"min_position": positions[-1]}, headers=auditor)).json()
    replayed = (await client.get(base, params={"as_of": at[-1]}, headers=auditor)).json()
    assert {k: replayed[k] for k in table} == table
    assert replayed["checkpoint"] is None or replayed["checkpoint"]["position"] >= replayed["position"]


async def test_the_plans_timeline_is_its_steps_in_order(client, district):
    steps, positions = await plan_year(client, district)
    at = await moments(client, district, positions)
    base, auditor = f"/v1/districts/{district.code}/plans/2025/history", bearer("auditor")
    types = {"drafted": "purchase_plan_drafted", "submitted": "plan_submitted", "filed": "plan_filed",
             "returned": "plan_returned"}
    history = (await client.get(base, headers=auditor)).json()
    assert [(e["position"], e["type"]) for e in history["events"]] == [
        (p, types[step]) for p, (step, _) in zip(positions[1:], steps, strict=True)]
    assert [e["recorded_at"] for e in history["events"]] == at[1:]
    assert [e["recorded_by"]["role"] for e in history["events"]] == [
        "city" if step in ("filed", "returned") else "district" for step, _ in steps]
    assert [e["record_id"] for e in history["events"] if e["type"] == "purchase_plan_drafted"] == [
        drafted["id"] for step, drafted in steps if step == "drafted"]
    earlier = (await client.get(base, params={"as_of": at[2]}, headers=auditor)).json()
    assert [e["type"] for e in earlier["events"]] == ["purchase_plan_drafted", "plan_submitted"]
    none_yet = (await client.get(base, params={"as_of": at[0]}, headers=auditor)).json()
    assert none_yet["events"] == [] and none_yet["position"] == positions[0]


async def test_an_inspection_and_its_rectification_as_they_stood(client, district):
    inspection = inspection_done(district.town, occurred_on="2025-04-10", rectification_due="2025-05-10")
    rectified = {"id": rid("rect"), "type": "rectification_done", "inspection": inspection["id"],
                 "occurred_on": "2025-05-01", "note": "台账已补齐"}
    again = {**rectified, "id": rid("rect"), "occurred_on": "2025-05-03", "note": "台账补齐并归档"}
    batches = [[station_established(district.town)], [inspection], [rectified], [record_voided(rectified["id"])],
               [again], [record_voided(again["id"])], [record_voided(inspection["id"])]]
    at = await moments(client, district, [await record(client, district, batch) for batch in batches])
    base, auditor = f"/v1/districts/{district.code}/inspections/{inspection['id']}", bearer("auditor")
    assert (await client.get(base, params={"as_of": at[0]}, headers=auditor)).status_code == 404  # not yet
    for n, moment in enumerate(at[1:], 1):
        known = [r for batch in batches[:n + 1] for r in batch]
        voided = {r["record"] for r in known if r["type"] == "record_voided"}
        standing = [r for r in known if r["type"] == "rectification_done" and r["id"] not in voided]
        answer = await client.get(base, params={"as_of": moment}, headers=auditor)
        assert answer.status_code == 200, answer.text
        state = answer.json()
        assert {k: state[k] for k in ("occurred_on", "kind", "by", "scopes", "issues_found", "findings",
                                      "rectification_due", "town")} == \
            {k: inspection[k] for k in ("occurred_on", "kind", "by", "scopes", "issues_found", "findings",
                                        "rectification_due", "town")}
        assert state["rectification"] == ({"record_id": standing[-1]["id"], "done_on": standing[-1]["occurred_on"],
                                           "note": standing[-1]["note"]} if standing else None), n
        assert state["voided"] is (inspection["id"] in voided) and state["as_of"] == moment, n
        # read after 2025: the due day is past; a voided inspection is owed nothing
        assert state["rectification_overdue"] is (not standing and not state["voided"]), n


@pytest.mark.parametrize("path", ["plans/2025", "plans/2025/history", "inspections/{inspection}"])
async def test_bad_moments_and_other_districts_records_are_refused(client, district, other_district, path):
    inspection, delivered = inspection_done(district.town), service_delivered(district.town)
    theirs = inspection_done(other_district.town)
    positions = [await record(client, district, [inspection, delivered])]
    await record(client, other_district, [theirs, plan_record(planned("P-O", other_district.town))])
    first = datetime.fromisoformat((await moments(client, district, positions))[0])
    url = f"/v1/districts/{district.code}/{path.format(inspection=inspection['id'])}"
    auditor = bearer("auditor")
    for as_of, status in (((first + timedelta(days=3650)).isoformat(), 422), ("yesterday", 422),
                          ("2025-03-15T17:00:00", 422), ((first - timedelta(days=3650)).isoformat(), 404)):
        answer = await client.get(url, params={"as_of": as_of}, headers=auditor)
        assert answer.status_code == status, (as_of, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    foreign = await client.get(f"/v1/districts/{other_district.code}/{path.format(inspection=theirs['id'])}",
                               headers=bearer("district", district.code))
    assert foreign.status_code == 404 and foreign.json()["type"] == "/problems/not-found"
    if path.startswith("inspections"):
        for other in (theirs["id"], "insp-unknown", delivered["id"]):  # another district's, none, no inspection
            answer = await client.get(f"/v1/districts/{district.code}/inspections/{other}", headers=auditor)
            assert answer.status_code == 404 and answer.json()["type"] == "/problems/not-found", other
