"""The one owner of batching: every caller gets its own answer, whoever's group saved its batch,
and when the database is away every caller waiting hears so at once."""

import asyncio
import threading
from contextlib import contextmanager

import pytest
from eventsourcing.persistence import OperationalError

from writes.batching import GROUP_RECORDS, Pending, WriteQueue, save_all


class Refused(Exception):
    pass


class FakeLedger:
    """Saves a group's batches together but its first and the bad ones, which it leaves to be
    recorded alone; records each turn's groups and whether a turn was held."""

    def __init__(self, gate: threading.Event | None = None):
        self.groups: list[int] = []
        self.alone: list = []
        self.turns = 0
        self.in_turn = False
        self.gate = gate  # a turn's first save waits for it

    @contextmanager
    def turn(self):
        assert not self.in_turn
        self.turns, self.in_turn = self.turns + 1, True
        try:
            yield
        finally:
            self.in_turn = False

    def record_alone(self, records, ctx):
        assert self.in_turn
        if self.gate is not None:
            self.gate.wait(5)
        self.alone.append(ctx)
        if records == ["bad"]:
            raise Refused(ctx)
        return ("alone", ctx)

    def record_together(self, group: list[Pending]) -> list[Pending]:
        assert self.in_turn
        self.groups.append(sum(len(p.records) for p in group))
        left = [p for n, p in enumerate(group) if n == 0 or p.records == ["bad"]]
        for pending in group:
            if pending not in left:
                pending.settle(lambda p=pending: ("together", p.ctx))
        return left


@pytest.mark.parametrize("size", [1, 400])
def test_every_batch_is_settled_as_its_own_in_groups_of_at_most_a_batch(size):
    batches = [[f"r{n}-{i}" for i in range(size)] for n in range(12)]
    batches[3] = ["bad"]
    ledger, pendings = FakeLedger(), [Pending(batch, n) for n, batch in enumerate(batches)]

    assert save_all(ledger, pendings) is None

    assert isinstance(pendings[3].error, Refused) and pendings[3].error.args == (3,)
    assert [p.result[1] for n, p in enumerate(pendings) if n != 3] == [n for n in range(12) if n != 3]
    assert all(p.done for p in pendings) and ledger.turns == 1
    assert all(records <= GROUP_RECORDS for records in ledger.groups)
    assert len(ledger.groups) == (1 if size == 1 else 5)  # 400 + 400 (+ 1), ... each group under 1000


def test_when_the_database_is_away_every_batch_left_hears_it_unsaved():
    class Away(FakeLedger):
        def record_alone(self, records, ctx):
            self.alone.append(ctx)
            raise OperationalError("connection refused")

        def record_together(self, group):
            raise AssertionError("a group after the database was found away")

    ledger = Away()
    pendings = [Pending([f"r{n}" for _ in range(600)], n) for n in range(5)]  # a group each

    away = save_all(ledger, pendings)

    assert isinstance(away, OperationalError)
    assert all(isinstance(p.error, OperationalError) for p in pendings)
    assert ledger.alone == [0]  # tried once, not once per batch


async def test_writes_arriving_together_are_saved_in_one_turn_each_with_its_own_answer():
    gate = threading.Event()
    ledger, writes = FakeLedger(gate), WriteQueue()
    first = asyncio.create_task(writes.record(ledger, ["r0"], 0))
    await asyncio.sleep(0.05)  # the first write's turn has begun, and waits at the gate
    later = [asyncio.create_task(writes.record(ledger, batch, n))
             for n, batch in enumerate([["r1"], ["bad"], [f"r{n}" for n in range(300)], ["r4"]], start=1)]
    await asyncio.sleep(0)  # one pass of the loop: each task queues its batch before it first waits
    gate.set()

    assert await first == ("alone", 0)
    answers = await asyncio.gather(*later, return_exceptions=True)
    assert isinstance(answers[1], Refused) and answers[1].args == (2,)
    assert [a[1] for n, a in enumerate(answers) if n != 1] == [1, 3, 4]
    assert ledger.turns == 2 and ledger.groups == [303]  # the later four in one turn, one group


async def test_writes_arriving_during_a_turn_that_finds_the_database_away_hear_so_with_it():
    class Away(FakeLedger):
        def record_alone(self, records, ctx):
            self.gate.wait(5)
            raise OperationalError("connection refused")

    gate = threading.Event()
    ledger, writes = Away(gate), WriteQueue()
    first = asyncio.create_task(writes.record(ledger, ["r1"], "first"))
    await asyncio.sleep(0.05)
    later = asyncio.create_task(writes.record(ledger, ["r2"], "later"))
    await asyncio.sleep(0)
    gate.set()

    for write in (first, later):
        with pytest.raises(OperationalError):
            await write
    assert ledger.turns == 1  # the later write was not given a turn of its own
