"""Each override of kernel/overrides.py against the eventsourcing code it stands in for: the same
events and aggregates, the same bytes, the same tables; and none of it on another version."""

import copy
import importlib.metadata
import random
import threading
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from domain.decisions import decide
from domain.duties import FIXED, Level
from domain.events import Provenance, RecordKeeping, stream_id
from domain.project import Project
from domain.report import Report
from domain.service import ServiceDelivery
from kernel import overrides
from kernel.clock import CST
from tenants.event_store import DistrictRecorder
from tenants.stores import store_schema
from tests.unit.support import EACH_TYPE, PROVENANCE, SIMING, context, service, spend
from writes.ledger import event_mapper

# -- the version ----------------------------------------------------------------------------


def test_the_overrides_are_for_the_installed_version_and_refuse_another():
    assert importlib.metadata.version("eventsourcing") == overrides.WRITTEN_FOR
    overrides.check_version(overrides.WRITTEN_FOR)
    major, minor, patch = overrides.WRITTEN_FOR.split(".")
    for other in (f"{major}.{minor}.{int(patch) + 1}", f"{major}.{int(minor) + 1}.0", "10.0.0"):
        with pytest.raises(ImportError, match=other):
            overrides.check_version(other)


# -- QuickCreate: Aggregate._create -----------------------------------------------------------

def _the_librarys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RecordKeeping, "_create", classmethod(Aggregate._create.__func__))  # type: ignore[attr-defined]


def _state(aggregate: RecordKeeping) -> dict[str, Any]:
    """Everything the aggregate holds, its pending events as their fields in order (the order
    they are stored in)."""
    return {name: [list(vars(e).items()) for e in value] if name == "_pending_events" else value
            for name, value in vars(aggregate).items()}


@pytest.mark.parametrize("type_", sorted(EACH_TYPE))
def test_each_record_type_makes_what_the_library_makes(seeded, type_, monkeypatch):
    history, ids = seeded
    record = EACH_TYPE[type_](ids)
    by_its_owner = context(level=Level.city if FIXED.get(type_) is Level.city else None)
    ours = [_state(a) for a in decide([record], by_its_owner, history)]
    _the_librarys(monkeypatch)
    theirs = [_state(a) for a in decide([record], by_its_owner, history)]
    assert ours == theirs


def test_a_report_is_opened_as_the_library_would(monkeypatch):
    def opened() -> dict[str, Any]:
        return _state(Report.open(UUID(int=7), "2025H1", "350203001", 12, {"services": 3}, "report-1", PROVENANCE))
    ours = opened()
    _the_librarys(monkeypatch)
    assert ours == opened()


# -- created_state and stored_event: Mapper.to_stored_event of the event _create makes ------------

def _delivered_kwargs(**fields: Any) -> dict[str, Any]:
    record = service(**fields)
    return {**record.fields(), "village_code": None, **PROVENANCE.event_kwargs(record.id)}


@pytest.mark.parametrize("fields", [{}, {"project": "P-1", "village": "沙坡尾社区", "person_times": 3}])
def test_a_founding_event_s_state_is_stored_as_the_library_stores_the_event(fields, monkeypatch):
    kwargs, stream, mapper = _delivered_kwargs(**fields), UUID(int=11), event_mapper()
    topic, state = overrides.created_state(ServiceDelivery, ServiceDelivery.Delivered, kwargs)
    ours = overrides.stored_event(mapper, stream, 1, topic, state)
    _the_librarys(monkeypatch)
    [event] = ServiceDelivery._create(ServiceDelivery.Delivered, id=stream, **kwargs).pending_events
    assert ours == mapper.to_stored_event(event)


def test_a_founding_event_the_constructor_must_make_is_left_to_it():
    kwargs = _delivered_kwargs()
    for other in ({k: v for k, v in kwargs.items() if k != "village_code"},  # a default the constructor fills
                  {**kwargs, "unknown": 1}, {**kwargs, "timestamp": None}):
        assert overrides.created_state(ServiceDelivery, ServiceDelivery.Delivered, other) is None


# -- triggered_state: Aggregate.trigger_event, then Mapper.to_stored_event ------------------------

def _spent_kwargs(record_id: str, project: str, **fields: Any) -> dict[str, Any]:
    later = Provenance("other", "district", "req-2", PROVENANCE.recorded_at + timedelta(days=1, microseconds=7))
    return {**spend(project, **fields).fields(), "level": "own", **later.event_kwargs(record_id)}


@pytest.mark.parametrize("fields", [{}, {"amount": "12.34", "voucher": "PZ-1", "town": "350203001"}])
def test_a_triggered_event_is_made_applied_and_stored_as_the_library_does(seeded, fields):
    history, ids = seeded
    project = history.load(stream_id(SIMING, "project", ids["project"]))
    ours, theirs, mapper = copy.deepcopy(project), copy.deepcopy(project), event_mapper()
    kwargs = _spent_kwargs("fs-1", ids["project"], **fields)
    topic, state, event = overrides.triggered_state(ours, Project.FundSpent, kwargs)
    theirs.trigger_event(Project.FundSpent, **kwargs)
    [made] = theirs.collect_events()
    assert overrides.stored_event(mapper, ours.id, ours.version, topic, state) == mapper.to_stored_event(made)
    assert list(vars(event).items()) == list(vars(made).items())
    assert _state(ours) == _state(theirs) and ours.modified_on == kwargs["timestamp"]


def test_a_triggered_event_the_constructor_must_make_is_left_to_it(seeded):
    history, ids = seeded
    project = history.load(stream_id(SIMING, "project", ids["project"]))
    kwargs = _spent_kwargs("fs-1", ids["project"])
    for other in ({k: v for k, v in kwargs.items() if k != "level"},  # a default the constructor fills
                  {**kwargs, "unknown": 1}, {**kwargs, "timestamp": None}):
        before = _state(project)
        assert overrides.triggered_state(project, Project.FundSpent, other) is None
        assert _state(project) == before


# -- DatetimeEncodedOnce: JSONTranscoder._encode_obj --------------------------------------------

def test_a_datetime_given_again_is_written_as_the_library_writes_it():
    ours = event_mapper().transcoder
    theirs = JSONTranscoder()
    for transcoding in ours.names.values():
        theirs.register(transcoding)
    at = datetime(2025, 3, 18, 9, 30, 0, 123456, tzinfo=CST)
    states = [{"at": at, "n": 1}, {"at": at, "n": 2},  # the same object: its text is written again
              {"at": at + timedelta(0), "n": 3},  # an equal one
              {"at": at.replace(microsecond=0), "n": 4}, {"at": at, "on": at.date()}]
    assert [ours.encode(s) for s in states] == [theirs.encode(s) for s in states]


# -- TableCreatedAlone: PostgresApplicationRecorder._create_table -------------------------------

class _Sent:
    """A cursor that says what it is given before it runs it."""

    def __init__(self, curs: Any):
        self.curs, self.sent = curs, []

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.sent.append(statement if isinstance(statement, str) else statement.as_string(self.curs))
        return self.curs.execute(statement, *args, **kwargs)


def _unused_code() -> str:
    return f"{random.randrange(700_000, 1_000_000)}"


def test_a_store_is_created_by_the_library_s_statements_under_a_lock(runtime):
    recorder = DistrictRecorder(runtime.datastore, _unused_code())
    sent = {}
    for name, create in (("ours", recorder._create_table),
                         ("theirs", lambda curs: PostgresApplicationRecorder._create_table(recorder, curs))):
        with runtime.datastore.transaction(commit=False) as curs:  # rolled back: nothing is left
            if name == "theirs":  # DDL on the event stores is refused outside a maintenance (migration 0021)
                curs.execute("SELECT stations_guard.enter_maintenance('the library creates a store')")
            sent[name] = _Sent(curs)
            create(sent[name])
    ours = sent["ours"].sent
    assert ours[0].startswith("SELECT stations_guard.enter_maintenance(")
    assert ours[1].startswith("SELECT pg_advisory_xact_lock(")
    theirs = sent["theirs"].sent
    assert ours[2:2 + len(theirs)] == theirs and theirs
    assert ours[2 + len(theirs)].startswith("GRANT USAGE, SELECT ON SEQUENCE")
    assert ours[2] == f'CREATE SCHEMA IF NOT EXISTS "district_{recorder.district}"', "each store in its own schema"
    assert [s.endswith("OWNER TO stations_owner") for s in ours[3 + len(theirs):-1]] == [True] * 4  # schema, tables
    assert ours[-1] == "SELECT stations_guard.leave_maintenance()"


def test_processes_creating_one_new_store_at_once_both_succeed(runtime):
    code = _unused_code()
    recorders = [DistrictRecorder(runtime.datastore, code) for _ in range(4)]
    start, failed = threading.Barrier(len(recorders)), []

    def create(recorder: DistrictRecorder) -> None:
        start.wait(5)
        try:
            recorder.create_table()
        except Exception as exc:  # noqa: BLE001 (what a racing creation raised, for the assertion)
            failed.append(exc)

    threads = [threading.Thread(target=create, args=(r,)) for r in recorders]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert failed == [] and recorders[0].exists()
    finally:
        with runtime.datastore.transaction(commit=True) as curs:
            curs.execute("SELECT stations_guard.enter_maintenance('a test drops the store it made')")
            curs.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(store_schema(code))))
            curs.execute("SELECT stations_guard.leave_maintenance()")
