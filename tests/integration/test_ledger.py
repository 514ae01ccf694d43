"""A district's ledger on a real PostgreSQL: atomic batches, retries and races."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.errors import BatchRejected
from writes.ledger import DistrictLedger
from domain.records import parse_record
from service.runtime import Runtime
from tenants.event_store import DistrictRecorder
from tests.builders import fund_spent, project_contracted, record_voided, service_delivered, station_established
from tests.support import SampleDistrict, context, stored_count, write


def test_the_same_batch_sent_concurrently_is_stored_once(runtime, district):
    batch = [station_established(district.town)] + [service_delivered(district.town) for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: write(runtime, district, batch, f"req-{n}"), range(8)))

    assert stored_count(runtime, district) == 51
    accepted = [sum(r.status == "accepted" for r in a.results) for a in answers]
    assert sorted(accepted) == [0] * 7 + [51]
    positions = {tuple(r.position for r in a.results) for a in answers}
    assert len(positions) == 1, "every retry is told the positions the first write got"


def test_racing_spends_never_take_a_fund_line_below_zero(runtime, district):
    contract = project_contracted(district.town)
    write(runtime, district, [contract])
    # The elderly-care line holds 200000.00: at most three spends of 60000.00 fit.
    spends = [fund_spent(contract["project"], amount="60000.00") for _ in range(8)]

    def spend(record: dict) -> bool:
        try:
            write(runtime, district, [record])
            return True
        except BatchRejected:
            return False

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(spend, spends))

    assert outcomes.count(True) == 3
    project = runtime.tenants.ledger(district.code).repository.get(
        runtime.tenants.ledger(district.code).store.lookup_records([contract["id"]])[contract["id"]].stream)
    assert project.spent(("elderly_care", "own")) == 180000


def test_a_rejected_batch_leaves_no_trace(runtime, district):
    good = [station_established(district.town), service_delivered(district.town)]
    with pytest.raises(BatchRejected):
        write(runtime, district, [*good, service_delivered(district.town, occurred_on="2999-01-01")])

    assert stored_count(runtime, district) == 0
    assert runtime.tenants.ledger(district.code).store.lookup_records([r["id"] for r in good]) == {}


def test_each_district_writes_to_its_own_store(runtime, district, other_district):
    write(runtime, district, [station_established(district.town)])

    assert stored_count(runtime, district) == 1
    assert stored_count(runtime, other_district) == 0
    assert runtime.tenants.ledger(district.code).recorder.datastore.schema == f"district_{district.code}"


def test_positions_grow_with_each_write(runtime, district):
    first = write(runtime, district, [station_established(district.town)])
    second = write(runtime, district, [service_delivered(district.town)])
    assert second.position > first.position


def test_concurrent_single_records_are_each_their_own_batch(runtime, district):
    # Writers arriving together may share a transaction (group commit): each answer, refusal
    # and provenance must still be that of its own batch.
    records = [service_delivered(district.town) for _ in range(23)]
    records[5] = service_delivered(district.town, occurred_on="2999-01-01")  # in the future: refused
    records[9] = {**records[8]}  # sent twice, at once: stored once

    def send(n: int):
        try:
            return write(runtime, district, [records[n]], f"req-{n}")
        except BatchRejected as refused:
            return refused

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(send, range(len(records))))

    assert isinstance(answers[5], BatchRejected)
    written = [a for n, a in enumerate(answers) if n != 5]
    assert sorted(r.status for a in (answers[8], answers[9]) for r in a.results) == ["accepted", "duplicate"]
    # The record's position is the same in both answers; the batch's is the log's head when each
    # was answered (a batch of only duplicates answers the current position), which others' writes move.
    assert answers[8].results[0].position == answers[9].results[0].position
    assert min(answers[8].position, answers[9].position) >= answers[8].results[0].position
    stored = runtime.tenants.ledger(district.code).recorder.select_notifications(start=1, limit=100_000)
    assert len(stored) == 21
    assert len({a.position for a in written}) == 21
    by_position = {n.id: n for n in stored}
    for n, answer in enumerate(answers):  # a record at its own position, with the request that stored it
        if n != 5:
            result = answer.results[0]
            event = by_position[result.position]
            assert records[n]["id"].encode() in event.state
            assert result.status == "duplicate" or f'"req-{n}"'.encode() in event.state


def other_process_ledger(runtime: Runtime, district: SampleDistrict) -> DistrictLedger:
    """The district's ledger as another API process has it: the same store, its own kept aggregates."""
    return DistrictLedger(district.code, DistrictRecorder(runtime.datastore, district.code))


def test_a_ledger_decides_on_what_another_process_recorded_since_it_last_read(runtime, district):
    contract = project_contracted(district.town)
    write(runtime, district, [contract])
    # The elderly-care line holds 200000.00; this process now keeps the project, 150000.00 spent.
    write(runtime, district, [fund_spent(contract["project"], amount="150000.00")])
    other = other_process_ledger(runtime, district)
    other.record([parse_record(fund_spent(contract["project"], amount="40000.00"))], context(runtime, district))

    with pytest.raises(BatchRejected):  # 190000.00 spent: 20000.00 more does not fit
        write(runtime, district, [fund_spent(contract["project"], amount="20000.00")])
    last = fund_spent(contract["project"], amount="10000.00")
    write(runtime, district, [last])
    with pytest.raises(BatchRejected):  # the line is spent
        write(runtime, district, [fund_spent(contract["project"], amount="10000.00")])

    other.record([parse_record(record_voided(last["id"]))], context(runtime, district))
    write(runtime, district, [fund_spent(contract["project"], amount="10000.00")])  # room again


def test_what_a_rejected_batch_changed_before_its_refusal_is_not_kept(runtime, district):
    contract = project_contracted(district.town)
    write(runtime, district, [contract])
    spend = fund_spent(contract["project"], amount="150000.00")
    with pytest.raises(BatchRejected):  # the project was changed by the spend, then the batch refused
        write(runtime, district, [spend, service_delivered(district.town, occurred_on="2999-01-01")])

    write(runtime, district, [fund_spent(contract["project"], amount="200000.00")])  # the whole line is left

    ledger = runtime.tenants.ledger(district.code)
    project = ledger.repository.get(ledger.store.lookup_records([contract["id"]])[contract["id"]].stream)
    assert project.spent(("elderly_care", "own")) == 200000
