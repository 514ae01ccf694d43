"""The ledger's plain path (issue 35: services stored without an aggregate each, spending without
an event made by its constructor) against its aggregate path, on a real PostgreSQL: one district's
batches, the same ones with the same provenance, written into two stores of the same district code
in schemas of their own, one by each path. Every answer is the same (accepted, duplicate, refused,
conflicting), and so is every row the stores hold: each event's stream, version, topic and state,
each record index row, and each link of the hash chain."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg.sql import SQL, Identifier

from domain.decisions import Context
from domain.duties import Level
from domain.errors import BatchForbidden, BatchNotYourDuty, BatchRejected, RecordConflict
from domain.events import Provenance
from domain.records import parse_record
from kernel import clock
from tenants.event_store import DistrictRecorder
from tenants.stores import CHAIN, EVENTS, RECORDS
from tests.builders import (
    fund_spent, inspection_done, project_contracted, record_voided, service_delivered, station_established,
)
from tests.support import SampleDistrict
from writes.batching import Pending, save_all
from writes.ledger import DistrictLedger

REFUSED = (BatchRejected, BatchForbidden, BatchNotYourDuty, RecordConflict)


@pytest.fixture
def two_stores(runtime, district) -> Iterator[dict[bool, DistrictLedger]]:
    """The district's ledger twice, in two new schemas: by the plain path (True) and by aggregates (False)."""
    ledgers = {}
    for plain in (True, False):
        recorder = DistrictRecorder(runtime.datastore, district.code, schema=f"plain_{uuid.uuid4().hex[:10]}")
        recorder.create_table()
        ledgers[plain] = DistrictLedger(district.code, recorder, plain=plain)
    yield ledgers


def _ctx(runtime, district: SampleDistrict, n: int, level: Level = Level.district, town: str | None = None) -> Context:
    """Batch `n`'s context: the same for both ledgers (its recorded-at time included)."""
    at = clock.now().replace(microsecond=n)
    return Context(district.code, runtime.tenants.divisions, clock.today(),
                   Provenance(f"tester-{level.name}", level.name, f"req-{n}", at), town_scope=town, level=level)


Batches = list[tuple[list[dict[str, Any]], Level, str | None]]


def _batches(district: SampleDistrict) -> Batches:
    """Batches in order, each with its writer's level and town: setting up, plain services and
    spending, ones mixed with what stays on aggregates, refusals, batches sent again and ids reused."""
    town, other = district.town, district.other_town
    project = project_contracted(town, domains=["elderly_care"])
    projects = _projects(district)
    voided_later, voided_at_once = service_delivered(town), service_delivered(town)
    services = [service_delivered(town) for _ in range(5)]
    return [
        ([station_established(town), station_established(other), project, *projects.values()], Level.district, None),
        (services, Level.station, town),
        ([service_delivered(town, project=project["project"], person_times=2), voided_later,
          fund_spent(project["project"]), service_delivered(town, hours="3.25")], Level.district, None),
        ([service_delivered(town), fund_spent(project["project"])], Level.station, town),  # not the station's duty
        ([service_delivered(town), service_delivered(other)], Level.town, town),  # another town's: forbidden
        ([service_delivered(other), service_delivered(town, project=project["project"])], Level.district, None),
        ([voided_at_once, service_delivered(town), record_voided(voided_at_once["id"])], Level.district, None),
        ([record_voided(voided_later["id"]), service_delivered(other)], Level.district, None),
        ([service_delivered(town), service_delivered(town, occurred_on="2099-01-01")], Level.station, town),
        (services[:3] + [service_delivered(town)], Level.station, town),  # three duplicates, one new
        (services, Level.station, town),  # all duplicates
        ([{**services[0], "hours": "9.00"}], Level.station, town),  # an id reused: a conflict
        ([inspection_done(town), service_delivered(town), service_delivered(town, project="P-none")],
         Level.district, None),  # no such project
        ([service_delivered(town)], Level.town, town),  # on the station's behalf
        *_spending(district, {name: made["project"] for name, made in projects.items()}),
    ]


def _projects(district: SampleDistrict) -> dict[str, dict[str, Any]]:
    """Projects for spending: a small one (100.00 of elderly care), one bought by the town's
    government, one shared by two towns, one drawing elderly care at two levels."""
    town, other = district.town, district.other_town
    return {
        "small": project_contracted(town, amount="100.00", funds=[{"source": "elderly_care", "amount": "100.00"}]),
        "town": project_contracted(town, purchaser_kind="town_government"),
        "shared": project_contracted(None, towns=[{"town": town, "amount": "200000.00"},
                                                  {"town": other, "amount": "100000.00"}]),
        "both": project_contracted(town, funds=[
            {"source": "elderly_care", "amount": "200000.00"},
            {"source": "elderly_care", "level": "allocated", "amount": "100000.00"}]),
    }


def _spending(district: SampleDistrict, projects: dict[str, str]) -> Batches:
    """Spending in order: accepted on every kind of line (on behalf, to a balance, a voided one's
    balance spent again), sent again, an id reused, and each refusal."""
    town, other, third = district.towns
    small, by_town, shared, both = projects["small"], projects["town"], projects["shared"], projects["both"]
    paid, first = fund_spent(small, amount="60.00"), fund_spent(shared, town=other, source="social_assistance")
    return [
        ([first, fund_spent(both, level="allocated", amount="10.00"), fund_spent(both, level="own"),
          fund_spent(shared, town=town, voucher="PZ-1"), service_delivered(town, project=small)], Level.district, None),
        ([paid, fund_spent(small, amount="40.00")], Level.district, None),  # to the line's balance
        ([fund_spent(small, amount="0.01")], Level.district, None),  # past it
        ([record_voided(paid["id"]), fund_spent(small, amount="59.99")], Level.district, None),  # spent again
        ([fund_spent(by_town), fund_spent(by_town, amount="3.00")], Level.district, None),  # on the town's behalf
        ([fund_spent(by_town, town=town)], Level.town, town),
        ([fund_spent(by_town)], Level.town, other),  # another town's project: forbidden
        ([fund_spent(small)], Level.station, town),  # not the station's duty
        ([first, fund_spent(small, amount="0.01")], Level.district, None),  # one duplicate, one new
        ([{**first, "amount": "9.99"}], Level.district, None),  # an id reused: a conflict
        ([fund_spent("P-none")], Level.district, None),
        ([fund_spent(small, source="social_assistance")], Level.district, None),  # no such line
        ([fund_spent(both)], Level.district, None),  # two levels, none named
        ([fund_spent(shared)], Level.district, None),  # a shared project's town not named
        ([fund_spent(shared, town=third)], Level.district, None),  # a town it does not cover
        ([fund_spent(shared, town=other, amount="100000.00")], Level.district, None),  # past the town's share
        ([fund_spent(by_town, town=other)], Level.district, None),  # another town on a town's project
        ([fund_spent(small, amount="0.01", occurred_on="2099-01-01")], Level.district, None),
    ]


def _answer(ledger: DistrictLedger, records: list[dict[str, Any]], ctx: Context) -> Any:
    try:
        written = ledger.record([parse_record(r) for r in records], ctx)
    except REFUSED as refused:
        return type(refused).__name__, str(refused), getattr(refused, "problems", None)
    return [(r.id, r.status, r.position) for r in written.results], written.position


def _rows(ledger: DistrictLedger) -> dict[str, list[tuple]]:
    recorder = ledger.recorder
    assert isinstance(recorder, DistrictRecorder)
    schema = recorder.datastore.schema
    queries = {
        "events": ("notification_id, originator_id, originator_version, topic, state", EVENTS, "notification_id"),
        "records": ("record_id, record_type, content_hash, stream_id, stream_version", RECORDS, "record_id"),
        "chain": ("position, leaf, chain", CHAIN, "position"),
    }
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        rows = {}
        for name, (columns, table, order) in queries.items():
            curs.execute(SQL(f"SELECT {columns} FROM {{}} ORDER BY {order}").format(Identifier(schema, table)))
            rows[name] = [tuple(row.values()) for row in curs.fetchall()]
        return rows


def test_both_paths_answer_and_store_the_same(runtime, district, two_stores):
    answers: dict[bool, list[Any]] = {True: [], False: []}
    for n, (records, level, town) in enumerate(_batches(district)):
        ctx = _ctx(runtime, district, n, level, town)  # once: a second may turn between the two writes
        for plain, ledger in two_stores.items():
            answers[plain].append(_answer(ledger, records, ctx))
    assert answers[True] == answers[False]
    outcomes = [a[0] if isinstance(a[0], str) else {status for _, status, _ in a[0]} for a in answers[True]]
    assert {"BatchForbidden", "BatchNotYourDuty", "BatchRejected", "RecordConflict"} <= {o for o in outcomes if isinstance(o, str)}
    assert {"accepted", "duplicate"} <= {s for o in outcomes if isinstance(o, set) for s in o}
    plain, aggregates = _rows(two_stores[True]), _rows(two_stores[False])
    assert len(plain["events"]) == len(plain["chain"]) == len(plain["records"]) > 20
    assert plain == aggregates


def test_batches_saved_together_store_the_same_by_either_path(runtime, district, two_stores):
    """A group of batches of one turn (`writes.batching`), some saved together, one refused, two
    spending on one project (the second left to be saved alone, and refused)."""
    town, other = district.town, district.other_town
    project = project_contracted(other)
    setup = [station_established(town), station_established(other), project]
    group = [([service_delivered(town) for _ in range(3)], Level.station, town),
             ([service_delivered(other) for _ in range(2)], Level.station, other),
             ([service_delivered(town, occurred_on="2099-01-01")], Level.station, town),
             ([service_delivered(other), service_delivered(town)], Level.town, other),
             ([fund_spent(project["project"]), service_delivered(town)], Level.district, None),
             ([fund_spent(project["project"], amount="198749.51")], Level.district, None)]
    contexts = [_ctx(runtime, district, n + 1, level, t) for n, (_, level, t) in enumerate(group)]
    setup_ctx = _ctx(runtime, district, 0)
    answers: dict[bool, list[Any]] = {}
    for plain, ledger in two_stores.items():
        assert _answer(ledger, setup, setup_ctx)[1] == 3
        pendings = [Pending([parse_record(r) for r in records], ctx)
                    for (records, _, _), ctx in zip(group, contexts, strict=True)]
        assert save_all(ledger, pendings) is None
        answers[plain] = [type(p.error).__name__ if p.error else
                          [(r.id, r.status, r.position) for r in p.result.results] for p in pendings]
    assert answers[True] == answers[False]
    assert answers[True][2] == "BatchRejected" and answers[True][3] == "BatchForbidden"
    assert answers[True][5] == "BatchRejected" and answers[True][4] != "BatchRejected"
    assert _rows(two_stores[True]) == _rows(two_stores[False])
