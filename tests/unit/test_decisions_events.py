"""The events a successful batch yields: one per record, naming it, carrying who recorded
it and when."""

import dataclasses

import pytest

from domain.decisions import decide
from domain.duties import Level
from domain.events import Provenance
from domain.records import RECORD_TYPES
from domain.station import Station
from tests.unit.support import (
    EACH_TYPE, PROVENANCE, RECORDED_AT, XIAGANG, ZHONGHUA, History, context, equipment, rules,
    service, staff_assigned, station, void,
)


def expected_payload(record) -> dict:
    """What the event carries: the record's fields, but a plan as the document it is, with its version."""
    if record.type == "purchase_plan_drafted":
        return record.model_dump(mode="json", exclude={"id", "type"}) | {"version": 1}
    if record.type == "training_held":  # each town with its district on the day
        return record.fields() | {"attendance": [a | {"district": a["town"][:6]} for a in record.fields()["attendance"]]}
    if record.type == "service_delivered":  # with the registered village its text names (none here)
        return record.fields() | {"village_code": None}
    if record.type == "fund_spent":  # with the level of the fund line it drew on
        return record.fields() | {"level": "own"}
    return record.fields()


def written_by_its_owner(history: History, record) -> list:
    """The record written by the district, but the city's training by the city (which only it records)."""
    return history.write(record, ctx=context(level=Level.city) if record.type == "training_held" else None)


def test_every_record_type_is_covered():
    assert sorted(EACH_TYPE) == sorted(RECORD_TYPES)


@pytest.mark.parametrize("type_", sorted(EACH_TYPE))
def test_each_record_yields_one_event_naming_it(seeded, type_):
    history, ids = seeded
    record = EACH_TYPE[type_](ids)
    events = written_by_its_owner(history, record)
    assert len(events) == 1
    assert (events[0].record_id, events[0].record_type) == (record.id, type_)


@pytest.mark.parametrize("type_", sorted(EACH_TYPE))
def test_each_event_carries_the_provenance(seeded, type_):
    history, ids = seeded
    [event] = written_by_its_owner(history, EACH_TYPE[type_](ids))
    assert (event.actor, event.actor_role, event.request_id) == ("tester", "district", "req-1")
    assert event.timestamp == RECORDED_AT


@pytest.mark.parametrize("type_", sorted(EACH_TYPE))
def test_each_event_payload_is_the_record_fields(seeded, type_):
    history, ids = seeded
    record = EACH_TYPE[type_](ids)
    [event] = written_by_its_owner(history, record)
    assert event.payload() == expected_payload(record)


def test_reestablished_station_event_has_the_station_established_type(seeded):
    history, _ = seeded
    first = station(ZHONGHUA)
    history.write(first, void(first.id))
    again = station(ZHONGHUA)
    [event] = history.write(again)
    assert isinstance(event, Station.Reestablished)
    assert (event.record_id, event.record_type) == (again.id, "station_established")


def test_a_batch_yields_one_event_per_record_with_its_id(seeded):
    history, ids = seeded
    batch = [factory(ids) for type_, factory in EACH_TYPE.items() if type_ not in ("station_established", "training_held")]
    events = history.write(*batch)
    assert sorted(e.record_id for e in events) == sorted(r.id for r in batch)
    assert {e.record_id: e.record_type for e in events} == {r.id: r.type for r in batch}


def test_events_carry_the_provenance_of_their_own_batch():
    history = History()
    other = Provenance("station-user", "station", "req-2", RECORDED_AT.replace(hour=11))
    record = service()
    ctx = dataclasses.replace(context(town_scope=XIAGANG), provenance=other)
    [event] = history.commit([record], decide([record], ctx, history))
    assert (event.actor, event.actor_role, event.request_id) == ("station-user", "station", "req-2")
    assert event.timestamp == other.recorded_at != PROVENANCE.recorded_at


def test_events_of_one_aggregate_are_numbered_in_order():
    history = History()
    events = history.write(station(), equipment(), rules())
    assert [e.originator_version for e in events] == [1, 2, 3]
    assert len({e.originator_id for e in events}) == 1
    more = history.write(staff_assigned())
    assert more[0].originator_version == 4
