"""The API's write queue when the database is away: who came during the failing turn hears so at once."""

import asyncio
import threading

import pytest
from eventsourcing.persistence import OperationalError

from writes.write_queue import WriteQueue
from writes.group_commit import Pending


class AwayLedger:
    """A ledger whose database is away: each turn takes a while, then every batch hears so."""

    def __init__(self) -> None:
        self.turns = 0
        self.saving, self.release = threading.Event(), threading.Event()

    def record_all(self, batches):
        self.turns += 1
        self.saving.set()
        self.release.wait(5)
        settled = [Pending(records, ctx) for records, ctx in batches]
        for pending in settled:
            pending.error = OperationalError("connection refused")
        return settled


async def test_writes_arriving_during_a_turn_that_finds_the_database_away_hear_so_with_it():
    ledger, writes = AwayLedger(), WriteQueue()
    first = asyncio.create_task(writes.record(ledger, ["r1"], "first"))
    await asyncio.to_thread(ledger.saving.wait, 5)
    later = asyncio.create_task(writes.record(ledger, ["r2"], "later"))
    await asyncio.sleep(0)  # one pass of the loop: the task queues its batch before it first waits
    ledger.release.set()

    for write in (first, later):
        with pytest.raises(OperationalError):
            await write
    assert ledger.turns == 1  # the later write was not given a turn of its own
