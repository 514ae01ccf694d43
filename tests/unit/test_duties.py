"""Separation of duties (API.md, "Roles and duties"): every record type's owner, and who may write
it, decided by the domain alone (no database), over record type × level × scope (the record's town,
another town of the district)."""

import pytest

from domain import duties
from domain.decisions import decide
from domain.duties import Level
from domain.errors import BatchForbidden, BatchNotYourDuty
from domain.records import RECORD_TYPES
from tests.unit.support import (
    EACH_TYPE, XIAGANG, ZHONGHUA, History, context, contract, final_evaluation, inspection, seeded_history, service,
    spend, staff_assigned, staff_released, station, void,
)

STATION, TOWN, DISTRICT, CITY = Level

# API.md's table, written out again here so that the domain's rules are checked against it.
OWNERS = {
    "service_delivered": STATION, "rectification_done": STATION, "self_evaluation_submitted": STATION,
    "linked_figures_collected": STATION, "progress_reported": STATION,
    "station_established": TOWN, "signboard_hung": TOWN, "equipment_recorded": TOWN, "rules_adopted": TOWN,
    "problem_resolved": TOWN,
    "purchase_plan_drafted": DISTRICT, "provider_exited": DISTRICT, "village_registered": DISTRICT,
    "budget_allocated": DISTRICT,
    "training_held": CITY,
    # EACH_TYPE's: a provider's staff member, a district bureau's project, a district inspection, a service's void.
    "staff_assigned": STATION, "staff_released": STATION, "project_contracted": DISTRICT, "fund_spent": DISTRICT,
    "final_evaluation_done": DISTRICT, "inspection_done": DISTRICT, "record_voided": STATION,
}
TOWN_OF = {"station_established": ZHONGHUA}  # EACH_TYPE's records are Xiagang's, but for its new station
TOWNLESS = {"purchase_plan_drafted", "budget_allocated", "training_held"}  # bound to no one town


def test_every_record_type_has_an_owner():
    """A new record type without an owner fails here (and in the matrices below)."""
    assert set(RECORD_TYPES) == set(duties.FIXED) | duties.BY_CONTENT
    assert not set(duties.FIXED) & duties.BY_CONTENT
    assert set(OWNERS) == set(RECORD_TYPES)


def allowed(level: Level, owner: Level) -> bool:
    """The owner, or a level above it up to the district; the city its own records only."""
    return level == owner if level is CITY else owner <= level


def expected(type_: str, level: Level, scope: str, names_a_town: bool = True) -> str:
    """`names_a_town`: the record's own town is checked before its duty."""
    if not allowed(level, OWNERS[type_]):
        return "forbidden" if scope == "other" and level <= TOWN and names_a_town else "not-your-duty"
    if scope == "other" and level <= TOWN and type_ not in TOWNLESS:
        return "forbidden"
    return "written"


def decided(history: History, record, level: Level, scope: str) -> str:
    type_ = record.type
    own = TOWN_OF.get(type_, XIAGANG)
    town = (own if scope == "own" else next(t for t in (XIAGANG, ZHONGHUA) if t != own)) if level <= TOWN else None
    try:
        decide([record], context(town_scope=town, level=level), history)
    except BatchNotYourDuty as refused:
        assert [p.owner for p in refused.problems] == [OWNERS[type_].name]
        return "not-your-duty"
    except BatchForbidden:
        return "forbidden"
    return "written"


CASES = [(t, level, scope) for t in sorted(RECORD_TYPES) for level in Level for scope in ("own", "other")
         if scope == "own" or level <= TOWN]


@pytest.mark.parametrize(("type_", "level", "scope"), CASES, ids=[f"{t}-{lv.name}-{s}" for t, lv, s in CASES])
def test_who_may_write_each_record_type(type_, level, scope):
    history, ids = seeded_history()
    record = EACH_TYPE[type_](ids)
    assert decided(history, record, level, scope) == expected(type_, level, scope, record.town_ref is not None)


def test_the_matrix_refuses_and_allows():
    outcomes = [expected(*case) for case in CASES]
    assert "written" in outcomes and "not-your-duty" in outcomes and "forbidden" in outcomes


@pytest.mark.parametrize(("by", "owner"), [("town", TOWN), ("district", DISTRICT), ("city", CITY)])
def test_an_inspection_is_the_duty_of_the_level_in_by(by, owner):
    assert duties.owner("inspection_done", {"by": by}) is owner
    for level in Level:
        history, _ = seeded_history()
        ctx = context(town_scope=XIAGANG if level <= TOWN else None, level=level)
        if allowed(level, owner):
            assert decide([inspection(by=by)], ctx, history)
        else:
            with pytest.raises(BatchNotYourDuty):
                decide([inspection(by=by)], ctx, history)


@pytest.mark.parametrize(("kind", "owner"), [("town_government", TOWN), ("district_bureau", DISTRICT)])
def test_a_contract_its_payments_and_evaluations_are_the_purchaser_s(kind, owner):
    history = History()
    history.write(station())
    project = contract(purchaser_kind=kind)
    history.write(project)
    town_ctx = context(town_scope=XIAGANG, level=TOWN)
    for record in (contract(purchaser_kind=kind), spend(project.project), final_evaluation(project.project)):
        if owner is TOWN:
            assert decide([record], town_ctx, history)
        else:
            with pytest.raises(BatchNotYourDuty):
                decide([record], town_ctx, history)
        with pytest.raises(BatchNotYourDuty):  # the provider never records the purchaser's acts
            decide([record], context(town_scope=XIAGANG), history)


@pytest.mark.parametrize(("role", "owner"), [("station_head", TOWN), ("deputy_head_government", TOWN),
                                             ("deputy_head_provider", STATION), ("staff", STATION)])
def test_staff_records_are_the_duty_of_who_employs_the_role(role, owner):
    history = History()
    history.write(station(), staff_assigned("S-0001", role=role))
    station_ctx = context(town_scope=XIAGANG)
    for record in (staff_assigned("S-0002", role=role), staff_released("S-0001")):
        if owner is STATION:
            assert decide([record], station_ctx, history)
        else:
            with pytest.raises(BatchNotYourDuty):
                decide([record], station_ctx, history)
        assert decide([record], context(town_scope=XIAGANG, level=TOWN), history)


def test_a_void_is_the_voided_record_s_owner_s():
    history = History()
    history.write(station())
    project, delivered = contract(purchaser_kind="town_government"), service()
    history.write(project, delivered)
    station_ctx, town_ctx = context(town_scope=XIAGANG), context(town_scope=XIAGANG, level=TOWN)
    with pytest.raises(BatchNotYourDuty) as refused:  # a provider cannot void the purchaser's contract
        decide([void(project.id)], station_ctx, history)
    assert refused.value.problems[0].owner == "town"
    assert decide([void(delivered.id)], station_ctx, history)
    assert decide([void(delivered.id)], town_ctx, history)  # a level above, on the provider's behalf


def test_a_batch_with_one_forbidden_record_is_refused_whole():
    history, ids = seeded_history()
    with pytest.raises(BatchNotYourDuty) as refused:
        decide([service(), spend(ids["project"]), service()], context(town_scope=XIAGANG), history)
    assert [(p.index, p.owner) for p in refused.value.problems] == [(1, "district")]


def test_a_district_recording_an_inspection_by_the_city_is_refused():
    history, _ = seeded_history()
    with pytest.raises(BatchNotYourDuty):
        decide([inspection(by="city")], context(), history)
