"""Separation of duties against the real API (API.md, "Roles and duties"): every record type, in each
variant whose content decides its owner, POSTed by each role (station, town, district, city) from each
scope (its own town, another town of the district, another district), answered as `domain/duties.py`
says: 200 when the caller may write it (the owner, or a level above it up to the district, whose
event the log then gives `on_behalf_of` the owner), 403 when
not (`/problems/not-your-duty` naming the owner, in the caller's own town), 404 from another district.

A written record is voided again by its owner's side before the next case, so every case meets the
same district. A record type missing from `VARIANTS` fails `test_every_record_type_is_in_the_matrix`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from domain import duties
from domain.duties import Level
from domain.records import RECORD_TYPES
from tests.support import SampleDistrict, bearer, make_district
from tests.unit import support as build

STATION, TOWN, DISTRICT, CITY = "station", "town", "district", "city"
SCOPES = {STATION: ("own", "other-town", "foreign"), TOWN: ("own", "other-town", "foreign"),
          DISTRICT: ("own", "foreign"), CITY: ("own",)}  # the city is in no district's scope: it names any


@dataclass(frozen=True)
class Seeded:
    """What the matrix's district holds before any case: ids the variants name."""

    district: SampleDistrict
    ids: dict[str, str]

    @property
    def town(self) -> str:
        return self.district.town


@dataclass(frozen=True)
class Variant:
    name: str
    type: str
    owner: Level
    make: Callable[[Seeded], Any]  # the record (parsed), valid in the seeded district
    target: Callable[[Seeded], Any] | None = None  # a record the district writes first, for this case alone
    third_town: bool = False  # the record is of the district's third town (a town without a station yet)


def _sign(s: Seeded) -> str:
    return f"{s.district.name}{s.district.towns[s.town]}民政服务站"


VARIANTS = [
    Variant("service_delivered", "service_delivered", Level.station,
            lambda s: build.service(s.town, project=s.ids["district_project"])),
    Variant("rectification_done", "rectification_done", Level.station,
            lambda s: build.rectification(s.ids["inspection"])),
    Variant("self_evaluation_submitted", "self_evaluation_submitted", Level.station,
            lambda s: build.self_evaluation(s.ids["district_project"])),
    Variant("linked_figures_collected", "linked_figures_collected", Level.station,
            lambda s: build.linked_figures(s.town)),
    Variant("progress_reported", "progress_reported", Level.station, lambda s: build.progress(s.town)),
    Variant("station_established", "station_established", Level.town,
            lambda s: build.station(list(s.district.towns)[2]), third_town=True),
    Variant("signboard_hung", "signboard_hung", Level.town, lambda s: build.signboard(_sign(s), s.town)),
    Variant("equipment_recorded", "equipment_recorded", Level.town, lambda s: build.equipment(s.town)),
    Variant("rules_adopted", "rules_adopted", Level.town, lambda s: build.rules(s.town)),
    Variant("problem_resolved", "problem_resolved", Level.town, lambda s: build.problem_resolved(s.ids["progress"])),
    Variant("purchase_plan_drafted", "purchase_plan_drafted", Level.district,
            lambda s: build.plan(build.planned_project(build.rid("P"), s.town))),
    Variant("provider_exited", "provider_exited", Level.district,
            lambda s: build.provider_exit(s.ids["district_project"])),
    Variant("village_registered", "village_registered", Level.district,
            lambda s: build.village(f"{s.town}{build.rid('V')[-3:]}", "某社区", s.town)),
    Variant("budget_allocated", "budget_allocated", Level.district, lambda s: build.allocation()),
    Variant("training_held", "training_held", Level.city,  # the city's store outlives the run: an id of its own
            lambda s: build.training(s.town, id=f"tr-{uuid4().hex}")),
    Variant("staff_assigned[staff]", "staff_assigned", Level.station,
            lambda s: build.staff_assigned(build.rid("S"), s.town, role="staff")),
    Variant("staff_assigned[station_head]", "staff_assigned", Level.town,
            lambda s: build.staff_assigned(build.rid("S"), s.town, role="station_head")),
    Variant("staff_released[staff]", "staff_released", Level.station,
            lambda s: build.staff_released(s.ids["staff"], s.town)),
    Variant("staff_released[station_head]", "staff_released", Level.town,
            lambda s: build.staff_released(s.ids["head"], s.town)),
    Variant("project_contracted[town_government]", "project_contracted", Level.town,
            lambda s: build.contract(town=s.town, purchaser_kind="town_government")),
    Variant("project_contracted[district_bureau]", "project_contracted", Level.district,
            lambda s: build.contract(town=s.town, purchaser_kind="district_bureau")),
    Variant("fund_spent[town_government]", "fund_spent", Level.town, lambda s: build.spend(s.ids["town_project"])),
    Variant("fund_spent[district_bureau]", "fund_spent", Level.district,
            lambda s: build.spend(s.ids["district_project"])),
    Variant("final_evaluation_done[town_government]", "final_evaluation_done", Level.town,
            lambda s: build.final_evaluation(s.ids["town_project"])),
    Variant("final_evaluation_done[district_bureau]", "final_evaluation_done", Level.district,
            lambda s: build.final_evaluation(s.ids["district_project"])),
    Variant("inspection_done[by=town]", "inspection_done", Level.town,
            lambda s: build.inspection(s.town, by="town")),
    Variant("inspection_done[by=district]", "inspection_done", Level.district,
            lambda s: build.inspection(s.town, by="district")),
    Variant("inspection_done[by=city]", "inspection_done", Level.city,
            lambda s: build.inspection(s.town, by="city")),
    Variant("record_voided[a service]", "record_voided", Level.station,
            lambda s: build.void(s.ids["target"]), target=lambda s: build.service(s.town)),
    Variant("record_voided[a district contract]", "record_voided", Level.district,
            lambda s: build.void(s.ids["target"]),
            target=lambda s: build.contract(town=s.town, purchaser_kind="district_bureau")),
]
# Written again without harm (a plan redrafted, funds allocated again, a training held again): not voided after.
KEPT = {"purchase_plan_drafted", "budget_allocated", "training_held", "record_voided"}


def expected(variant: Variant, role: str, scope: str) -> int:
    if variant.type == "training_held":  # the city's own route, in no district's scope
        return 200 if role == CITY else 403
    if scope == "foreign":
        return 404
    if scope == "other-town":
        return 403
    return 200 if duties.may_write(Level[role], variant.owner) else 403


CASES = [(v, role, scope) for v in VARIANTS for role, scopes in SCOPES.items() for scope in scopes]


def test_every_record_type_is_in_the_matrix():
    """A new record type fails here until someone decides its owner (`domain/duties.py`) and adds it."""
    assert {v.type for v in VARIANTS} == set(RECORD_TYPES)
    for v in VARIANTS:
        if v.type in duties.FIXED:
            assert duties.FIXED[v.type] is v.owner, v.name


def test_the_matrix_size():
    refused = sum(expected(*case) == 403 for case in CASES)
    outcomes = {code: sum(expected(*case) == code for case in CASES) for code in (200, 403, 404)}
    print(f"\nduty matrix: {len(VARIANTS)} record variants of {len(RECORD_TYPES)} types x 4 roles x scopes ="
          f" {len(CASES)} cases; {outcomes[200]} answer 200, {refused} answer 403, {outcomes[404]} answer 404")
    assert outcomes[200] and outcomes[403] and outcomes[404]
    assert sum(outcomes.values()) == len(CASES)


@pytest.fixture(scope="module")
async def seeded(app: FastAPI) -> tuple[Seeded, SampleDistrict]:
    """The matrix's district (a station with two people on its staff, a project of each purchaser, an
    inspection with issues, a progress note with a problem) and another district."""
    runtime = app.state.runtime
    mine, theirs = make_district(runtime), make_district(runtime)
    town = mine.town
    staff, head = build.staff_assigned(build.rid("S"), town), build.staff_assigned(build.rid("S"), town,
                                                                                   role="station_head")
    town_project = build.contract(town=town, purchaser_kind="town_government")
    district_project = build.contract(town=town, purchaser_kind="district_bureau")
    done, noted = build.inspection(town), build.progress(town)
    records = [build.station(town), staff, head, town_project, district_project, done, noted]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        written = await client.post(f"/v1/districts/{mine.code}/records", headers=bearer(DISTRICT, mine.code),
                                    json={"records": [wire(r) for r in records]})
    assert written.status_code == 200, written.text
    ids = {"staff": staff.person_ref, "head": head.person_ref, "town_project": town_project.project,
           "district_project": district_project.project, "inspection": done.id, "progress": noted.id}
    return Seeded(mine, ids), theirs


def wire(record: Any) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude_none=True)


def token(role: str, scope: str, variant: Variant, mine: SampleDistrict, theirs: SampleDistrict) -> dict[str, str]:
    """The caller: in the record's own town, in another town of its district, or in another district."""
    if role == CITY:
        return bearer(CITY)
    district = theirs if scope == "foreign" else mine
    own = list(mine.towns)[2] if variant.third_town else mine.town
    town = mine.other_town if scope == "other-town" else own if district is mine else theirs.town
    return bearer(role, district.code, town if role in (STATION, TOWN) else None)


async def assert_written_for(client: httpx.AsyncClient, district: SampleDistrict, position: int, record_id: str,
                             owner: str | None) -> None:
    """The event log gives the record's event with `on_behalf_of`: the owner, when a level above wrote it."""
    page = await client.get(f"/v1/districts/{district.code}/events", headers=bearer(DISTRICT, district.code),
                            params={"after": position - 1, "limit": 1})
    assert page.status_code == 200, page.text
    [event] = page.json()["events"]
    assert (event["record_id"], event["on_behalf_of"]) == (record_id, owner)


@pytest.mark.parametrize(("variant", "role", "scope"), CASES, ids=[f"{v.name}-{r}-{s}" for v, r, s in CASES])
async def test_who_may_write_each_record(variant: Variant, role: str, scope: str, client: httpx.AsyncClient,
                                         seeded: tuple[Seeded, SampleDistrict]):
    ours, theirs = seeded
    mine = ours.district
    base = f"/v1/districts/{mine.code}/records"
    as_district = bearer(DISTRICT, mine.code)
    if variant.target is not None:
        target = variant.target(ours)
        assert (await client.post(base, headers=as_district, json={"records": [wire(target)]})).status_code == 200
        ours = Seeded(mine, {**ours.ids, "target": target.id})
    record = variant.make(ours)
    path = "/v1/city/records" if variant.type == "training_held" else base
    answer = await client.post(path, headers=token(role, scope, variant, mine, theirs), json={"records": [wire(record)]})
    want = expected(variant, role, scope)
    assert answer.status_code == want, answer.text
    if want == 403 and scope == "own" and variant.type != "training_held":
        problem = answer.json()
        assert problem["type"] == "/problems/not-your-duty", problem
        assert [e["owner"] for e in problem["errors"]] == [variant.owner.name]
    if want == 200:
        assert answer.json()["results"][0]["status"] == "accepted", answer.text
        if variant.type != "training_held":  # the city's own record, in the city's store
            await assert_written_for(client, mine, answer.json()["position"], record.id,
                                     None if Level[role] is variant.owner else variant.owner.name)
        if variant.type not in KEPT:  # put the district back as it was, for the next case
            undo = bearer(CITY) if variant.owner is Level.city else as_district
            voided = await client.post(base, headers=undo, json={"records": [wire(build.void(record.id))]})
            assert voided.status_code == 200, voided.text
