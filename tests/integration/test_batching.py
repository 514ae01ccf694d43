"""A district's writes batched by the write queue on a real ledger: each caller still gets its own answer."""

import asyncio

import pytest

from writes.batching import WriteQueue
from domain.errors import BatchRejected
from domain.records import parse_record
from tests.builders import service_delivered
from tests.support import context, stored_count


async def test_concurrent_writers_each_get_their_own_answer(runtime, district):
    ledger, writes = runtime.tenants.ledger(district.code), WriteQueue()
    records = [service_delivered(district.town) for _ in range(20)]
    records[4] = service_delivered(district.town, occurred_on="2999-01-01")  # in the future: refused

    async def send(n: int):
        return await writes.record(ledger, [parse_record(records[n])], context(runtime, district, f"req-{n}"))

    answers = await asyncio.gather(*(send(n) for n in range(20)), return_exceptions=True)

    assert isinstance(answers[4], BatchRejected)
    written = [a for n, a in enumerate(answers) if n != 4]
    assert [a.results[0].id for a in written] == [r["id"] for n, r in enumerate(records) if n != 4]
    assert len({a.results[0].position for a in written}) == 19
    assert stored_count(runtime, district) == 19


async def test_a_write_after_a_failed_turn_is_saved(runtime, district):
    ledger, writes = runtime.tenants.ledger(district.code), WriteQueue()
    with pytest.raises(BatchRejected):
        await writes.record(ledger, [parse_record(service_delivered(district.town, occurred_on="2999-01-01"))],
                            context(runtime, district))
    answer = await writes.record(ledger, [parse_record(service_delivered(district.town))], context(runtime, district))
    assert answer.results[0].status == "accepted"
