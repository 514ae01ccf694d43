"""The fast encodings write exactly what the library's and the standard library's would."""

import hashlib
import json
import tracemalloc
from datetime import date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, Mapper

from demo import generate
from writes.ledger import event_mapper
from demo.duties import Division
from tests.unit.support import by_their_writers, CST, History, inspection


@pytest.fixture(scope="module")
def demo_events() -> list:
    histories: dict[str, History] = {}
    events = []
    divisions: dict[str, Division] = {}
    for code, batch in generate(seed=11, services=600):
        for records, ctx in by_their_writers(code, batch, divisions.setdefault(code, Division())):
            events += histories.setdefault(code, History()).write(*records, ctx=ctx)
    return events


def library_mapper() -> Mapper:
    """The library's own JSON transcoder, with the same transcodings registered."""
    plain = JSONTranscoder()
    for transcoding in event_mapper().transcoder.names.values():
        plain.register(transcoding)
    return Mapper(transcoder=plain)


def test_every_demo_event_is_written_byte_for_byte_as_the_library_writes_it(demo_events):
    fast, plain = event_mapper(), library_mapper()
    assert {type(e).__name__ for e in demo_events} >= {"Delivered", "FundSpent", "Contracted", "RecordVoided"}
    for event in demo_events:
        stored = fast.to_stored_event(event)
        assert stored.state == plain.to_stored_event(event).state
        assert vars(fast.to_domain_event(stored)) == vars(plain.to_domain_event(stored))


def test_nested_typed_values_and_awkward_text_round_trip_as_the_library_writes_them():
    fast, plain = event_mapper().transcoder, library_mapper().transcoder
    state = {"id": uuid4(), "amount": Decimal("1234.50"), "on": date(2025, 1, 2),
             "at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=CST),
             "text": 'say "hi"\\\n\t\x01\x1f \u2028 厦门 🙂', "lines": [{"ref": uuid4(), "n": [1, None, True]}],
             "pair": (uuid4(), Decimal("0.01")), "none": None}
    assert fast.encode(state) == plain.encode(state)
    decoded = fast.decode(fast.encode(state))
    assert decoded == plain.decode(plain.encode(state))
    assert type(decoded["id"]).__name__ == "UUID" and decoded["amount"] == Decimal("1234.50")


def test_a_record_s_content_hash_is_the_standard_library_s_sorted_json():
    record = inspection(findings='扶手松动 "东侧"\\ 需\t更换\n🙂 \x7f', issues_found=True)
    canonical = json.dumps(record.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert record.content_hash() == hashlib.sha256(canonical.encode()).hexdigest()


def test_an_encoded_state_holds_no_more_memory_than_its_length(demo_events):
    """orjson's output sits in a buffer of at least 4 KiB; a batch keeps a thousand states."""
    mapper = event_mapper()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        states = [mapper.to_stored_event(event).state for event in demo_events[:200]]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 2 * sum(map(len, states)) + 200 * 200  # the bytes, their headers and the list
