"""A station's and a project's state as of any moment, and their timelines (issue 38), against a
replay of the records written in this test by hand: each state at a dozen moments of a year's
records equals the records up to that moment folded as plain dicts."""

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.builders import fund_spent, inspection_done, project_contracted, record_voided, rid, station_established
from tests.support import approve_towns, bearer, record, sign

EQUIPMENT = ("desks_chairs", "data_cabinet", "archive_cabinet", "computer", "printer_copier", "service_equipment")


def equipment(town: str, item: str, quantity: int = 1, on: str = "2025-01-12") -> dict:
    return {"id": rid("eq"), "type": "equipment_recorded", "town": town, "item": item, "quantity": quantity,
            "recorded_on": on}


def assigned(town: str, role: str, person: str, on: str = "2025-01-15") -> dict:
    return {"id": rid("sa"), "type": "staff_assigned", "town": town, "person_ref": person, "role": role,
            "assigned_on": on}


def released(town: str, person: str, on: str = "2025-05-20") -> dict:
    return {"id": rid("sr"), "type": "staff_released", "town": town, "person_ref": person, "released_on": on}


def rules(town: str, category: str, on: str = "2025-02-01") -> dict:
    return {"id": rid("ru"), "type": "rules_adopted", "town": town, "category": category, "posted_on_wall": True,
            "adopted_on": on}


def a_year(district, project: str) -> list[list[dict]]:
    """A station's and its core project's year, batch by batch, each batch a moment of the log."""
    town = district.town
    station = station_established(town, established_on="2025-01-10")
    first_spend = fund_spent(project, amount="1000.00", occurred_on="2025-03-01")
    computer = equipment(town, "computer", 2)
    staff = [assigned(town, role, f"S-000{n}") for n, role in enumerate(
        ("station_head", "deputy_head_government", "deputy_head_provider", "staff"), 1)]
    inspection = inspection_done(district.town, occurred_on="2025-04-10")
    return [
        [station],
        [{"id": rid("sg"), "type": "signboard_hung", "town": town, "text": sign(district, town), "hung_on": "2025-01-11",
          "emblem": True, "position": "outside_prominent", "uniform_style": True}, computer],
        staff,
        [project_contracted(town, project, contract_start="2025-01-01", contract_end="2025-12-31")],
        [first_spend, equipment(town, "desks_chairs", 4)],
        [rules(town, c) for c in ("organization", "administration", "venue")],
        [fund_spent(project, amount="250.25", source="social_assistance", occurred_on="2025-03-15"),
         assigned(town, "staff", "S-0005")],
        [released(town, "S-0004"), record_voided(computer["id"])],
        [record_voided(first_spend["id"]), fund_spent(project, amount="3000.00", occurred_on="2025-04-02")],
        [inspection, equipment(town, "computer", 3, on="2025-04-20")],
        [{"id": rid("se"), "type": "self_evaluation_submitted", "project": project, "contract_year": 1,
          "submitted_on": "2025-06-20", "summary": "按期推进"}],
        [assigned(town, "staff", "S-0006", on="2025-07-01"), fund_spent(project, amount="99.99", occurred_on="2025-07-02")],
    ]


DATED = {"station_established": "established_on", "signboard_hung": "hung_on", "equipment_recorded": "recorded_on",
         "staff_assigned": "assigned_on", "staff_released": "released_on", "rules_adopted": "adopted_on",
         "fund_spent": "occurred_on"}


def folded(records: list[dict], project: str, on: str = "9999-12-31") -> dict:
    """The station and project the records make on the day `on`, folded by hand: what the service
    must replay."""
    voided = {r["record"] for r in records if r["type"] == "record_voided"}
    standing = [r for r in records if r["type"] != "record_voided" and r["id"] not in voided
                and r.get(DATED.get(r["type"], ""), "") <= on]
    station, staff, equipment_, adopted = {}, {}, {}, set()
    budget, spent = {}, Counter()
    for r in standing:
        if r["type"] == "station_established":
            station = {"host_facility": r["host_facility"], "address": r["address"],
                       "established_on": r["established_on"]}
        elif r["type"] == "signboard_hung":
            station["signboard"] = r["text"]
        elif r["type"] == "staff_assigned":
            staff[r["person_ref"]] = r["role"]
        elif r["type"] == "staff_released":
            staff.pop(r["person_ref"])
        elif r["type"] == "equipment_recorded":
            equipment_[r["item"]] = r["quantity"]
        elif r["type"] == "rules_adopted":
            adopted.add(r["category"])
        elif r["type"] == "project_contracted" and r["project"] == project:
            budget = {f["source"]: Decimal(f["amount"]) for f in r["funds"]}
        elif r["type"] == "fund_spent" and r["project"] == project:
            spent[r["source"]] += Decimal(r["amount"])
    return {"station": station, "roles": Counter(staff.values()), "people": sorted(staff), "equipment": equipment_,
            "missing": [item for item in EQUIPMENT if item not in equipment_], "rules": adopted,
            "lines": {s: (str(a), str(Decimal(spent[s]).quantize(Decimal("0.01"))),
                          str((a - spent[s]).quantize(Decimal("0.01")))) for s, a in budget.items()}}


async def moments(client, district, positions: list[int]) -> list[str]:
    """When each position entered the log (the event log's recorded_at)."""
    logged = (await client.get(f"/v1/districts/{district.code}/events", params={"limit": 1000},
                               headers=bearer("auditor"))).json()["events"]
    at = {e["position"]: e["recorded_at"] for e in logged}
    return [at[p] for p in positions]


async def written_year(client, district, project: str) -> tuple[list[list[dict]], list[str]]:
    batches = a_year(district, project)
    positions = [await record(client, district, batch) for batch in batches]
    return batches, await moments(client, district, positions)


async def test_a_station_and_a_project_at_a_dozen_moments_equal_their_records_folded_by_hand(client, district):
    project = rid("P")
    batches, at = await written_year(client, district, project)
    base, auditor = f"/v1/districts/{district.code}", bearer("auditor")
    for n, moment in enumerate(at):
        expected = folded([r for batch in batches[:n + 1] for r in batch], project)
        station = await client.get(f"{base}/towns/{district.town}/station", params={"as_of": moment},
                                   headers=auditor)
        assert station.status_code == 200, station.text
        state = station.json()
        assert state["as_of"] == moment
        assert state["position"] == sum(len(b) for b in batches[:n + 1]), n
        assert {k: state[k] for k in ("host_facility", "address", "established_on")} == \
            {k: expected["station"][k] for k in ("host_facility", "address", "established_on")}
        assert (state["signboard"] or {}).get("text") == expected["station"].get("signboard"), n
        assert {role: r["count"] for role, r in state["staff"]["by_role"].items()} == expected["roles"], n
        assert sorted(p for r in state["staff"]["by_role"].values() for p in r["person_refs"]) == expected["people"]
        assert {item: e["quantity"] for item, e in state["equipment"]["present"].items()} == expected["equipment"], n
        assert state["equipment"]["missing"] == expected["missing"], n
        assert set(state["rules"]["adopted"]) == expected["rules"], n
        assert state["compliance"]["compliant"] is False  # four rules never adopted
        assert any(code.startswith("rules_missing:") for code in state["compliance"]["gap_codes"])

        answer = await client.get(f"{base}/projects/{project}", params={"as_of": moment}, headers=auditor)
        if not expected["lines"]:
            assert answer.status_code == 404, answer.text  # not contracted yet
            continue
        assert answer.status_code == 200, answer.text
        lines = {line["source"]: (line["amount"], line["spent"], line["left"]) for line in answer.json()["fund_lines"]}
        assert lines == expected["lines"], n


async def test_the_state_on_a_day_as_known_now_or_then_equals_the_records_dated_by_it(client, district):
    project = rid("P")
    batches, at = await written_year(client, district, project)
    base, auditor = f"/v1/districts/{district.code}", bearer("auditor")
    records = [r for batch in batches for r in batch]
    asked = [(None, on, records) for on in ("2025-01-10", "2025-01-14", "2025-03-10", "2025-04-05", "2025-06-30")]
    asked.append((at[4], "2025-03-10", [r for batch in batches[:5] for r in batch]))  # the first spending not yet voided
    for as_of, on, known in asked:
        expected = folded(known, project, on)
        params = {"on": on} | ({"as_of": as_of} if as_of else {})
        station = (await client.get(f"{base}/towns/{district.town}/station", params=params, headers=auditor)).json()
        assert station["cutoff"] == on
        assert {role: r["count"] for role, r in station["staff"]["by_role"].items()} == expected["roles"], on
        assert {item: e["quantity"] for item, e in station["equipment"]["present"].items()} == expected["equipment"], on
        assert set(station["rules"]["adopted"]) == expected["rules"], on
        state = (await client.get(f"{base}/projects/{project}", params=params, headers=auditor)).json()
        lines = {line["source"]: (line["amount"], line["spent"], line["left"]) for line in state["fund_lines"]}
        assert lines == expected["lines"], (as_of, on)
    later = await client.get(f"{base}/projects/{project}", params={"as_of": at[0], "on": "2999-01-01"}, headers=auditor)
    assert later.status_code == 422, later.text


async def test_a_project_shows_its_contract_evaluations_and_the_station_its_contract(client, district):
    project = rid("P")
    batches, at = await written_year(client, district, project)
    inspection = next(r["id"] for batch in batches for r in batch if r["type"] == "inspection_done")
    base, staff = f"/v1/districts/{district.code}", bearer("district", district.code)
    state = (await client.get(f"{base}/projects/{project}", headers=staff)).json()
    assert state["contract"]["purchaser_kind"] == "district_bureau" and state["contract"]["method"] == "open_tender"
    assert state["contract"]["amount"] == "300000.00" and state["contract"]["contract_end"] == "2025-12-31"
    assert [(e["kind"], e["contract_year"]) for e in state["evaluations"]["done"]] == [("self", 1)]
    assert [(e["kind"], e["contract_year"]) for e in state["evaluations"]["due"]] == [("final", 1)]
    assert state["exit"] is None
    before_evaluation = (await client.get(f"{base}/projects/{project}", params={"as_of": at[9]}, headers=staff)).json()
    assert [e["kind"] for e in before_evaluation["evaluations"]["due"]] == ["self", "final"]
    station = (await client.get(f"{base}/towns/{district.town}/station", params={"as_of": at[5]}, headers=staff)).json()
    assert [c["project"] for c in station["contracts_in_force"]] == []  # judged on the day read: 2025 is over
    # The core project, ended before the day judged, still counts; its final evaluation is overdue.
    assert "no_core_project" not in station["compliance"]["gap_codes"]
    assert f"final_evaluation_overdue:{project}:1" in station["compliance"]["gap_codes"]
    assert not any(code.startswith("rectification_overdue") for code in station["compliance"]["gap_codes"])
    later = (await client.get(f"{base}/towns/{district.town}/station", params={"as_of": at[9]}, headers=staff)).json()
    assert f"rectification_overdue:{inspection}" in later["compliance"]["gap_codes"]  # the town's inspection, found


async def test_the_timelines_are_the_events_that_changed_each(client, district):
    project = rid("P")
    batches, at = await written_year(client, district, project)
    records = [r for batch in batches for r in batch]
    station_ids = {r["id"] for r in records if r.get("town") == district.town and r["type"] not in
                   ("project_contracted", "inspection_done")}
    station_ids |= {r["id"] for r in records if r["type"] == "record_voided" and r["record"] in station_ids}
    project_ids = {r["id"] for r in records if r.get("project") == project and r["type"] != "inspection_done"}
    project_ids |= {r["id"] for r in records if r["type"] == "record_voided" and r["record"] in project_ids}
    base, auditor = f"/v1/districts/{district.code}", bearer("auditor")

    station = (await client.get(f"{base}/towns/{district.town}/station/history", headers=auditor)).json()
    assert [e["record_id"] for e in station["events"]] == [r["id"] for r in records if r["id"] in station_ids]
    first = station["events"][0]
    assert (first["type"], first["occurred_on"], first["recorded_at"]) == ("station_established", "2025-01-10", at[0])
    assert first["recorded_by"]["role"] == "district" and first["recorded_by"]["on_behalf_of"] == "town"
    assert [e["position"] for e in station["events"]] == sorted(e["position"] for e in station["events"])

    history = (await client.get(f"{base}/projects/{project}/history", headers=auditor)).json()
    assert [e["record_id"] for e in history["events"]] == [r["id"] for r in records if r["id"] in project_ids]
    earlier = (await client.get(f"{base}/projects/{project}/history", params={"as_of": at[4]}, headers=auditor)).json()
    assert [e["type"] for e in earlier["events"]] == ["project_contracted", "fund_spent"]


async def test_each_answer_carries_a_checkpoint_that_proves_its_events(client, district):
    project = rid("P")
    await written_year(client, district, project)
    await approve_towns(client, district, [district.town])  # a report step: a signed checkpoint
    base, auditor = f"/v1/districts/{district.code}", bearer("auditor")
    state = (await client.get(f"{base}/towns/{district.town}/station", headers=auditor)).json()
    for _ in range(100):  # the signer may still be signing the steps' checkpoint
        if state["checkpoint"] is not None:
            break
        state = (await client.get(f"{base}/towns/{district.town}/station", headers=auditor)).json()
    checkpoint = state["checkpoint"]
    assert checkpoint is not None and checkpoint["position"] >= state["position"]
    proof = await client.get(f"{state['proofs']}1", headers=auditor)
    assert proof.status_code == 200, proof.text
    assert proof.json()["checkpoint"]["root"] == checkpoint["root"]


@pytest.mark.parametrize("shift", ["future", "before"])
async def test_a_moment_outside_the_log_is_refused(client, district, shift):
    _, at = await written_year(client, district, rid("P"))
    first = datetime.fromisoformat(at[0])
    moment = first + timedelta(days=3650) if shift == "future" else first - timedelta(seconds=1)
    answer = await client.get(f"/v1/districts/{district.code}/towns/{district.town}/station",
                              params={"as_of": moment.isoformat()}, headers=bearer("auditor"))
    assert answer.status_code == (422 if shift == "future" else 404), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert ("future" if shift == "future" else "before its first record") in answer.json()["detail"]


@pytest.mark.parametrize("as_of", ["yesterday", "2025-03-15T25:00:00+08:00", "2025-03-15T17:00:00"])
async def test_an_unreadable_moment_is_refused(client, district, as_of):
    answer = await client.get(f"/v1/districts/{district.code}/towns/{district.town}/station",
                              params={"as_of": as_of}, headers=bearer("auditor"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"] == "/problems/validation"


async def test_another_districts_town_project_or_caller_is_not_found(client, district, other_district):
    project = rid("P")
    await record(client, other_district, [project_contracted(other_district.town, project)])
    base = f"/v1/districts/{district.code}"
    for path, who in ((f"{base}/towns/{other_district.town}/station", bearer("auditor")),
                      (f"{base}/projects/{project}", bearer("auditor")),
                      (f"{base}/projects/{project}/history", bearer("auditor")),
                      (f"/v1/districts/{other_district.code}/projects/{project}", bearer("district", district.code)),
                      (f"/v1/districts/{other_district.code}/towns/{other_district.town}/station",
                       bearer("district", district.code))):
        answer = await client.get(path, headers=who)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["type"] == "/problems/not-found"


async def test_a_project_the_district_bought_for_several_towns_is_in_each_of_their_stations(client, district):
    shared = rid("P")
    await record(client, district, [station_established(district.town), project_contracted(
        None, shared, role="linked", towns=[{"town": district.town, "amount": "100000.00"},
                                            {"town": district.other_town, "amount": "200000.00"}])])
    base, auditor = f"/v1/districts/{district.code}", bearer("auditor")
    for town, expected in ((district.town, [shared]), (list(district.towns)[2], [])):
        station = (await client.get(f"{base}/towns/{town}/station", params={"on": "2025-06-01"}, headers=auditor))
        assert station.status_code == 200, station.text
        assert [c["project"] for c in station.json()["contracts_in_force"]] == expected, town
