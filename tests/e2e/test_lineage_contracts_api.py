"""`lineage?...&contracts=true`: from a figure to the procurement behind it, each record with its
project's contract and the filed plan item it was bought under, checked against expectations built
from the records seeded here."""

from typing import Any

from tests.builders import fund_spent, plan_record, planned, project_contracted, service_delivered
from tests.support import bearer, report

PERIOD = "2025H1"


async def written(client, district, records: list[dict[str, Any]]) -> tuple[dict[str, int], int]:
    """The batch written: each record's position by its id, and the log's position after it."""
    answer = await client.post(f"/v1/districts/{district.code}/records", json={"records": records},
                               headers=bearer("district", district.code))
    assert answer.status_code == 200, answer.text
    return {r["id"]: r["position"] for r in answer.json()["results"]}, answer.json()["position"]


def expected_contract(record: dict[str, Any], position: int, purchaser: tuple[str, str]) -> dict[str, Any]:
    return {"project": record["project"], "name": record["name"], "record_id": record["id"], "position": position,
            "role": record["role"], "town": record["town"], "towns": None,
            "purchaser": {"code": purchaser[0], "name": purchaser[1]}, "purchaser_kind": record["purchaser_kind"],
            "provider": record["provider"], "method": record["method"], "amount": record["amount"],
            "term": {"start": record["contract_start"], "end": record["contract_end"]},
            "fund_lines": [{"level": "own", **line} for line in record["funds"]]}


async def test_each_record_carries_its_contract_and_filed_plan_item(client, district):
    staff, town, other = bearer("district", district.code), district.town, district.other_town
    item = planned("P-A", town, amount="280000.00", method="competitive_consultation",
                   funds=[{"source": "elderly_care", "amount": "200000.00"},
                          {"source": "social_assistance", "amount": "80000.00"}])
    await written(client, district, [plan_record(item, planned("P-Z", other, role="linked"))])
    assert (await client.post(f"/v1/districts/{district.code}/plans/2025/submit", headers=staff)).status_code == 200
    filed = await client.post(f"/v1/city/plans/2025/districts/{district.code}/file", headers=bearer("city"))
    assert filed.status_code == 200, filed.text
    # A later amendment, drafted but not filed: the filed version stays the one bought under.
    await written(client, district, [plan_record(planned("P-A", town, name="改过的计划"))])

    bought = project_contracted(town, project="P-A", amount="280000.00", method="competitive_consultation",
                                funds=[{"source": "elderly_care", "amount": "150000.00"},
                                       {"source": "elderly_care", "level": "allocated", "amount": "50000.00"},
                                       {"source": "social_assistance", "amount": "80000.00"}])
    by_town = project_contracted(other, project="P-X", role="linked", purchaser_kind="town_government",
                                 method="single_source", amount="10000.00",
                                 funds=[{"source": "social_affairs", "amount": "10000.00"}], domains=["marriage"])
    spent = [fund_spent("P-A", level="own"), fund_spent("P-X", source="social_affairs", amount="900.00")]
    served = [service_delivered(town, project="P-A"), service_delivered(other)]
    positions, head = await written(client, district, [bought, by_town, *spent, *served])
    await report(client, district, head)

    contracts = {"P-A": expected_contract(bought, positions[bought["id"]], (district.code, district.name)),
                 "P-X": expected_contract(by_town, positions[by_town["id"]], (other, district.towns[other]))}
    contracts["P-A"]["fund_lines"][1]["level"] = "allocated"
    # The plan holds its fund lines as recorded, each with its level (own unless said).
    plan_items = {"P-A": {**item, "funds": [{"level": "own", **line} for line in item["funds"]],
                          "plan": {"year": 2025, "filed_version": 1}}, "P-X": None}

    base = f"/v1/districts/{district.code}/reports/{PERIOD}/lineage"
    for figure, records in (("funds_spent", spent), ("person_times", served), ("projects.core", [bought])):
        plain = await client.get(base, params={"figure": figure}, headers=staff)
        answer = await client.get(base, params={"figure": figure, "contracts": "true"}, headers=staff)
        assert answer.status_code == 200, answer.text
        events = answer.json()["events"]
        assert [e["record_id"] for e in events] == [r["id"] for r in records]
        for event, sent in zip(events, records, strict=True):
            project = sent.get("project")
            assert event["contract"] == contracts.get(project), figure
            assert event["plan_item"] == plan_items.get(project), figure
        # Without contracts=true the answer is what it was.
        assert plain.json() == {**answer.json(), "events": [
            {k: v for k, v in e.items() if k not in ("contract", "plan_item")} for e in events]}
        assert all("contract" not in e for e in plain.json()["events"])

    bad = await client.get(base, params={"figure": "funds_spent", "contracts": "maybe"}, headers=staff)
    assert bad.status_code == 422
