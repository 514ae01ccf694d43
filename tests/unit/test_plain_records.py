"""Services decided without an aggregate each, and spending without an event made by its
constructor (issue 35, `decide(..., plain=True)`), against the aggregate path, on the same history:
the same answer (the changes, or the same refusal), the same stored events byte for byte (stream,
version, topic, state) in the same order, and the same project kept for the next batch."""

from decimal import Decimal
from typing import Any

import pytest

from domain.decisions import decide
from domain.duties import Level
from domain.errors import BatchForbidden, BatchNotYourDuty, BatchRejected
from domain.events import PlainEvent, PlainRecord
from domain.project import Project
from kernel.overrides import stored_event
from tests.unit.support import (
    XIAGANG, ZHONGHUA, History, context, contract, self_evaluation, service, spend, station, village, void,
)
from writes.ledger import event_mapper

MAPPER = event_mapper()
REFUSED = (BatchRejected, BatchForbidden, BatchNotYourDuty)


def _stored(changed: list[Any]) -> list[tuple[Any, int, str, bytes]]:
    """What the ledger stores of the changes, in order: as `DistrictLedger._stored` makes it."""
    rows = []
    for aggregate in changed:
        for event in aggregate.pending_events:
            made = (stored_event(MAPPER, event.originator_id, event.originator_version, event.topic, event.state)
                    if type(event) is PlainEvent else MAPPER.to_stored_event(event))
            rows.append((made.originator_id, made.originator_version, made.topic, made.state))
    return rows


def _answer(records: list, ctx: Any, history: History, plain: bool) -> tuple[str, Any]:
    try:
        changed = decide(records, ctx, history, plain=plain)
    except REFUSED as refused:
        return type(refused).__name__, refused.problems
    return "stored", (_stored(changed), sum(type(e) is PlainEvent for a in changed for e in a.pending_events),
                      [_kept(a) for a in changed if isinstance(a, Project)])


def _kept(project: Project) -> dict[str, Any]:
    """What the ledger keeps of a project for the next batch (`writes.aggregate_cache`): all it
    holds, its standing records as their fields, its pending events apart (compared as stored)."""
    return {name: {rid: (type(e), vars(e)) for rid, e in value.items()} if name == "active" else value
            for name, value in vars(project).items() if name != "_pending_events"}


Projects = dict[str, str]


@pytest.fixture
def history() -> tuple[History, Projects]:
    """Two stations; 厦港's villages registered; projects: 厦港's (elderly care, bought by the
    district, 100.00 of its 2000.00 elderly care line spent), one bought by 厦港's government, one
    shared by 厦港 and 中华, one drawing elderly care at two levels, one whose contract is voided."""
    history = History()
    towns = [{"town": XIAGANG, "amount": "2000.00"}, {"town": ZHONGHUA, "amount": "1000.00"}]
    made = {"P": contract(), "town": contract(purchaser_kind="town_government"),
            "shared": contract(town=None, towns=towns),
            "both": contract(funds=[{"source": "elderly_care", "amount": "2000.00"},
                                    {"source": "elderly_care", "level": "allocated", "amount": "1000.00"}]),
            "voided": contract()}
    history.write(station(), station(ZHONGHUA), *made.values(), village())
    earlier = spend(made["P"].project)
    history.write(earlier, void(made["voided"].id))
    return history, {**{name: record.project for name, record in made.items()}, "earlier": earlier.id}


def _batches(projects: Projects) -> dict[str, tuple[list, Any]]:
    """Batches of services and spending, each with the caller who sends it: plain ones, mixed with
    what the aggregate path keeps, and refused ones."""
    project = projects["P"]
    kept = service()
    return {
        "plain": ([service(), service(hours="2"), service(village="沙坡尾社区")], context(town_scope=XIAGANG)),
        "on a project, a registered village": (
            [service(project=project, village="沙坡尾社区"), service(project=project, person_times=3)],
            context(town_scope=XIAGANG)),
        "by the town, on the station's behalf": ([service(), service(project=project)],
                                                 context(town_scope=XIAGANG, level=Level.town)),
        "by the district, a village its town does not register": ([service(), service(ZHONGHUA, village="某某村")],
                                                                  context()),
        "with spending between": ([service(project=project), spend(project), service(), spend(project, "5.00")],
                                  context()),
        "one voided in the batch": ([kept, service(), void(kept.id)], context()),
        "a future day": ([service(), service(occurred_on="2099-01-01")], context()),
        "a village not registered": ([service(), service(village="不存在村")], context()),
        "a project of another town": ([service(), service(ZHONGHUA, project=project)], context()),
        "an id twice": ([kept, kept], context()),
        "another town's station": ([service(), service(ZHONGHUA)], context(town_scope=XIAGANG)),
        "not the city's to write": ([service()], context(level=Level.city)),
    } | _spending(projects)


def _spending(projects: Projects) -> dict[str, tuple[list, Any]]:
    """Batches of spending: on every kind of fund line and project, with what it is mixed with,
    and each refusal the aggregate path gives it."""
    p, shared, both, town = projects["P"], projects["shared"], projects["both"], projects["town"]
    paid = spend(p)
    return {
        "spending on every kind of line": (
            [spend(p), spend(both, level="allocated"), spend(both, "7.50", level="own"),
             spend(shared, town=ZHONGHUA, source="social_assistance"), spend(shared, "2000.00", town=XIAGANG),
             spend(p, town=XIAGANG, voucher="PZ-1")], context()),
        "spending to the balance in one batch": ([spend(p, "1000.00"), spend(p, "900.00")], context()),
        "spending with a service and an evaluation between": (
            [service(project=p), spend(p), self_evaluation(p), spend(p, "5.00", source="social_assistance")],
            context()),
        "spending voided in the batch, its balance spent again": ([paid, void(paid.id), spend(p, "1900.00")],
                                                                  context()),
        "an earlier spending voided, its balance spent": ([void(projects["earlier"]), spend(p, "2000.00")], context()),
        "the district on the town's behalf": ([spend(town), spend(town, "3.00")], context()),
        "the town on its own project": ([spend(town)], context(town_scope=XIAGANG, level=Level.town)),
        "spending past the balance in one batch": ([spend(p, "1000.00"), spend(p, "900.01")], context()),
        "spending past a voided spending's balance": ([paid, void(paid.id), spend(p, "1900.01")], context()),
        "spending on an unknown project": ([spend(p), spend("P-none")], context()),
        "spending on a voided contract": ([spend(projects["voided"])], context()),
        "spending on a source without a line": ([spend(p, source="child_welfare")], context()),
        "spending a source at two levels without its level": ([spend(both)], context()),
        "spending at a level the source lacks": ([spend(p, level="allocated")], context()),
        "spending on a shared project without its town": ([spend(shared)], context()),
        "spending for a town the shared project does not cover": ([spend(shared, town="350203005")], context()),
        "spending past a town's share": ([spend(shared, "1000.01", town=ZHONGHUA)],
                                         context()),
        "spending for another town on a town's project": ([spend(p, town=ZHONGHUA)], context()),
        "spending on a future day": ([spend(p), spend(p, occurred_on="2099-01-01")], context()),
        "a spending's id twice": ([paid, paid], context()),
        "spending on another town's project": ([spend(town)], context(town_scope=ZHONGHUA, level=Level.town)),
        "spending not the station's to write": ([spend(p)], context(town_scope=XIAGANG)),
        "spending not the city's to write": ([spend(p)], context(level=Level.city)),
    }


_NAMES = {"P": "P", "town": "T", "shared": "S", "both": "B", "voided": "V", "earlier": "E"}


@pytest.mark.parametrize("name", list(_batches(_NAMES)))
def test_a_batch_gets_the_same_answer_and_the_same_stored_events(history, name):
    recorded, projects = history
    records, ctx = _batches(projects)[name]
    aggregates = _answer(records, ctx, recorded, plain=False)
    plain = _answer(records, ctx, recorded, plain=True)
    if aggregates[0] == "stored":
        assert plain[0] == "stored"
        assert plain[1][0] == aggregates[1][0]
        assert aggregates[1][1] == 0 < plain[1][1]  # plain events made by the plain path only
        assert plain[1][2] == aggregates[1][2]  # the projects kept for the next batch
    else:
        assert plain == aggregates


def test_the_refusals_of_spending_are_each_the_aggregate_path_s(history):
    """Every rule a spending is refused by is among the batches above, by the same field."""
    recorded, projects = history
    refused = {}
    for name, (records, ctx) in _spending(projects).items():
        answer = _answer(records, ctx, recorded, plain=True)
        if answer[0] != "stored":
            refused[name] = (answer[0], answer[1][-1].field, answer[1][-1].en)
    assert {kind for kind, _, _ in refused.values()} == {"BatchRejected", "BatchForbidden", "BatchNotYourDuty"}
    assert {field for _, field, _ in refused.values()} >= {"project", "source", "level", "amount", "town", "id",
                                                           "occurred_on"}
    reasons = " | ".join(en for _, _, en in refused.values())
    for said in ("no project", "contract record has been voided", "no fund line", "two levels", "balance of 900.00",
                 "balance of 1900.00", "names its town", "does not cover", "town's share", "another town", "future",
                 "twice", "own town", "may not record"):
        assert said in reasons


def test_a_plain_spending_is_held_on_its_project_as_its_stored_state(history):
    recorded, projects = history
    [project] = decide([spend(projects["P"]), spend(projects["P"], "5.00")], context(), recorded, plain=True)
    assert isinstance(project, Project)
    assert [(type(e), e.originator_version) for e in project.pending_events] == [(PlainEvent, 3), (PlainEvent, 4)]
    assert project.version == 4 and project.spent(("elderly_care", "own")) == Decimal("205.00")


def test_a_project_s_sums_are_its_standing_spending_added_up_again(history):
    """The sums each spending is checked against (`Project.spent_on_line`, `spent_for_town`), after
    spending and voids, equal the standing spending summed anew."""
    recorded, projects = history
    shared = projects["shared"]
    paid = [spend(shared, "10.25", town=XIAGANG), spend(shared, "0.75", town=ZHONGHUA),
            spend(shared, "3.00", town=ZHONGHUA, source="social_assistance")]
    recorded.write(*paid)
    recorded.write(void(paid[1].id), spend(shared, "1.10", town=ZHONGHUA))
    project = recorded.load(recorded.find_record(paid[0].id).stream)
    assert isinstance(project, Project)
    standing = [e for e in project.active.values() if isinstance(e, Project.FundSpent)]
    lines: dict = {}
    towns: dict = {}
    for e in standing:
        lines[(e.source, e.level)] = lines.get((e.source, e.level), Decimal("0.00")) + e.amount
        towns[e.town] = towns.get(e.town, Decimal("0.00")) + e.amount
    assert project.spent_on_line == lines and project.spent_for_town == towns
    assert {line: str(amount) for line, amount in project.spent_on_line.items()} == {
        ("elderly_care", "own"): "11.35", ("social_assistance", "own"): "3.00"}


def test_the_plain_path_is_taken_by_every_service_no_record_of_the_batch_names(history):
    recorded, projects = history
    project = projects["P"]
    kept = service()
    records = [kept, service(), service(project=project), void(kept.id)]
    changed = decide(records, context(), recorded, plain=True)
    assert [type(a) is PlainRecord for a in changed] == [False, True, True]  # the voided one is an aggregate


def test_a_service_on_behalf_carries_its_owner_last_in_its_state(history):
    recorded, _ = history
    [made] = decide([service()], context(town_scope=XIAGANG, level=Level.town), recorded, plain=True)
    assert list(made.pending_events[0].state)[-1] == "on_behalf_of"
    assert made.pending_events[0].state["on_behalf_of"] == "station"


def test_a_spending_on_behalf_carries_its_owner_in_its_state_and_in_its_project(history):
    recorded, projects = history
    paid = spend(projects["town"])
    [project] = decide([paid], context(), recorded, plain=True)
    [event] = project.pending_events
    assert list(event.state)[-1] == "on_behalf_of" and event.state["on_behalf_of"] == "town"
    assert project.active[paid.id].on_behalf_of == "town"
