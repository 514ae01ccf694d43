"""A record written by a level above its owner says so in its event (`on_behalf_of`, API.md "Roles
and duties"); every other event is stored exactly as before, without the key."""

import orjson

from domain.duties import Level
from domain.events import RecordEvent
from projections.projector import Projector
from tests.unit.support import XIAGANG, History, context, problem_resolved, progress, service, station, void
from writes.ledger import event_mapper

STATION_CTX = context(town_scope=XIAGANG, level=Level.station)
TOWN_CTX = context(town_scope=XIAGANG, level=Level.town)
DISTRICT_CTX = context()


def stored_state(event: RecordEvent) -> dict:
    return orjson.loads(event_mapper().to_stored_event(event).state)


def written(*records, ctx) -> list[RecordEvent]:
    history = History()
    history.write(station(), ctx=DISTRICT_CTX)
    return history.write(*records, ctx=ctx)


def test_the_owner_s_own_record_carries_no_on_behalf_of_in_its_stored_state():
    [own] = written(service(), ctx=STATION_CTX)
    assert own.on_behalf_of is None
    assert "on_behalf_of" not in stored_state(own)
    [established] = History().write(station(), ctx=TOWN_CTX)
    assert "on_behalf_of" not in stored_state(established)


def test_a_level_above_the_owner_writes_it_on_the_owner_s_behalf():
    [by_town] = written(service(), ctx=TOWN_CTX)
    [by_district] = written(service(), ctx=DISTRICT_CTX)
    [station_by_district] = History().write(station(), ctx=DISTRICT_CTX)
    assert (by_town.on_behalf_of, by_district.on_behalf_of, station_by_district.on_behalf_of) == \
        ("station", "station", "town")
    assert stored_state(by_district)["on_behalf_of"] == "station"


def test_on_behalf_of_survives_storing_and_stays_out_of_the_record_s_payload():
    [event] = written(service(), ctx=DISTRICT_CTX)
    mapper = event_mapper()
    read_back = mapper.to_domain_event(mapper.to_stored_event(event))
    assert read_back.on_behalf_of == "station"
    assert "on_behalf_of" not in read_back.payload()
    assert read_back.payload() == event.payload()


def test_a_void_on_the_owner_s_behalf_says_so():
    history = History()
    history.write(station(), ctx=DISTRICT_CTX)
    delivered = service()
    history.write(delivered, ctx=STATION_CTX)
    [voided] = history.write(void(delivered.id), ctx=DISTRICT_CTX)
    assert voided.on_behalf_of == "station"


def test_an_event_stored_before_the_rule_reads_as_written_by_its_owner():
    [event] = written(service(), ctx=STATION_CTX)
    mapper = event_mapper()
    stored = mapper.to_stored_event(event)
    assert mapper.to_domain_event(stored).on_behalf_of is None


def test_each_record_s_period_row_keeps_whose_behalf_it_was_written_on_and_a_resolution_its_note_s_town():
    history = History()
    history.write(station(), ctx=DISTRICT_CTX)
    note = progress()
    [noted] = history.write(note, ctx=STATION_CTX)
    [resolved] = history.write(problem_resolved(note.id), ctx=DISTRICT_CTX)
    rows = Projector({}, {}, {}).project([(2, noted), (3, resolved)]).record_periods
    assert [(row[2], row[4], row[5]) for row in rows] == [("progress_reported", XIAGANG, None),
                                                          ("problem_resolved", XIAGANG, "town")]
    # The note projected by an earlier batch: its town is given.
    [(_, _, _, _, town, _)] = Projector({}, {}, {}, {note.id: XIAGANG}).project([(3, resolved)]).record_periods
    assert town == XIAGANG
