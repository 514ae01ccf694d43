"""Services decided without an aggregate each (issue 35, `decide(..., plain=True)`) against the
aggregate path, on the same history: the same answer (the changes, or the same refusal), and the
same stored events byte for byte (stream, version, topic, state), in the same order."""

from typing import Any

import pytest

from domain.decisions import decide
from domain.duties import Level
from domain.errors import BatchForbidden, BatchNotYourDuty, BatchRejected
from domain.events import PlainRecord
from kernel.overrides import stored_event
from tests.unit.support import (
    XIAGANG, ZHONGHUA, History, context, contract, service, spend, station, village, void,
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
                    if type(aggregate) is PlainRecord else MAPPER.to_stored_event(event))
            rows.append((made.originator_id, made.originator_version, made.topic, made.state))
    return rows


def _answer(records: list, ctx: Any, history: History, plain: bool) -> tuple[str, Any]:
    try:
        changed = decide(records, ctx, history, plain=plain)
    except REFUSED as refused:
        return type(refused).__name__, refused.problems
    return "stored", (_stored(changed), sum(type(a) is PlainRecord for a in changed))


@pytest.fixture
def history() -> tuple[History, str]:
    """Two stations; a project of 厦港 (elderly care); 厦港's villages registered."""
    history = History()
    project = contract()
    history.write(station(), station(ZHONGHUA), project, village())
    return history, project.project


def _batches(project: str) -> dict[str, tuple[list, Any]]:
    """Batches of services, each with the caller who sends it: plain ones, mixed with what the
    aggregate path keeps, and refused ones."""
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
    }


@pytest.mark.parametrize("name", list(_batches("P")))
def test_a_batch_gets_the_same_answer_and_the_same_stored_events(history, name):
    recorded, project = history
    records, ctx = _batches(project)[name]
    aggregates = _answer(records, ctx, recorded, plain=False)
    plain = _answer(records, ctx, recorded, plain=True)
    if aggregates[0] == "stored":
        assert plain[0] == "stored"
        assert plain[1][0] == aggregates[1][0]
        assert aggregates[1][1] == 0 < plain[1][1]  # plain records made by the plain path only
    else:
        assert plain == aggregates


def test_the_plain_path_is_taken_by_every_service_no_record_of_the_batch_names(history):
    recorded, project = history
    kept = service()
    records = [kept, service(), service(project=project), void(kept.id)]
    changed = decide(records, context(), recorded, plain=True)
    assert [type(a) is PlainRecord for a in changed] == [False, True, True]  # the voided one is an aggregate


def test_a_service_on_behalf_carries_its_owner_last_in_its_state(history):
    recorded, _ = history
    [made] = decide([service()], context(town_scope=XIAGANG, level=Level.town), recorded, plain=True)
    assert list(made.pending_events[0].state)[-1] == "on_behalf_of"
    assert made.pending_events[0].state["on_behalf_of"] == "station"
