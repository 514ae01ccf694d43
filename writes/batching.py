"""The one owner of batching: a district's writes gathered on the event loop and saved in groups.

The event store takes a lock on the district's table for each save, so concurrent writers of
one district queue for it one transaction at a time. Here a district's batches wait on the event
loop (never a thread each) while its last group is being saved; then whatever arrived meanwhile
goes to the ledger from one worker thread, saved in groups of one transaction each: each batch
decided on its own (its own caller, request id and rules), their aggregates saved together.

Batches join a group only when they cannot see each other: no record id in common and no
aggregate one of them loads or changes that another loads or changes, so the group is the same
as saving them one after the other in any order (`DistrictLedger.record_together`). Any other
batch, one whose decision failed, and every batch of a group whose save failed are recorded
alone after it, through the ordinary path with its retries: the answers and guarantees are
those of recording each batch by itself. Only when the database itself is away (or too slow)
does every batch waiting hear so at once, unsaved, rather than each after its own turn.
"""

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from anyio import to_thread
from eventsourcing.persistence import InterfaceError, OperationalError
from prometheus_client import Gauge

from domain import records as r
from domain.decisions import Context

GROUP_RECORDS = 1000  # at most as many records in one group as in one batch
UNAVAILABLE = (OperationalError, InterfaceError)  # the database is away or too slow
# Batches on the event loop waiting for their district's turn: a queue that keeps growing means
# the writes outpace the database.
QUEUE_DEPTH = Gauge("stations_write_queue_depth", "Write batches waiting for their district's turn to be saved",
                    multiprocess_mode="livesum")


@dataclass(eq=False, slots=True)  # each is one batch of one caller's: compared by identity
class Pending:
    records: Sequence[r.Record]
    ctx: Context
    done: bool = False
    result: Any = None
    error: BaseException | None = None

    def settle(self, work: Callable[[], Any]) -> None:
        try:
            self.result = work()
        except Exception as exc:  # handed to the waiting caller, who raises it as its own
            self.error = exc
        self.done = True


class Ledger(Protocol):
    """What batching needs of a district's ledger (`writes.ledger.DistrictLedger`)."""

    def turn(self) -> AbstractContextManager[None]: ...

    def record_alone(self, records: Sequence[r.Record], ctx: Context) -> Any: ...

    def record_together(self, group: list[Pending]) -> list[Pending]: ...


def save_all(ledger: Ledger, pendings: Sequence[Pending]) -> BaseException | None:
    """Settle every batch, in groups of at most `GROUP_RECORDS` records, in one turn at the
    ledger; the error saying the database is away, if one did (every batch left then hears it)."""
    waiting = list(pendings)
    with ledger.turn():
        while waiting:
            group, size = [], 0
            while waiting and (not group or size + len(waiting[0].records) <= GROUP_RECORDS):
                group.append(waiting.pop(0))
                size += len(group[-1].records)
            if (away := _commit(ledger, group)) is not None:
                _fail(waiting, away)
                return away
    return None


def _commit(ledger: Ledger, group: list[Pending]) -> BaseException | None:
    left = group
    if len(group) > 1:
        try:
            left = ledger.record_together(group)
        except UNAVAILABLE as exc:
            _fail(group, exc)
            return exc
        except Exception:  # the group's save failed as a whole: each batch alone says why
            left = [p for p in group if not p.done]
    for pending in left:
        pending.settle(lambda p=pending: ledger.record_alone(p.records, p.ctx))
        if isinstance(pending.error, UNAVAILABLE):
            _fail(left, pending.error)
            return pending.error
    return None


def _fail(pendings: Sequence[Pending], exc: BaseException) -> None:
    """The database is away or too slow: every batch not settled hears it now, unsaved."""
    for pending in pendings:
        if not pending.done:
            pending.settle(lambda: _raise(exc))


def _raise(exc: BaseException) -> Any:
    raise exc


Waiting = list[tuple[Pending, "asyncio.Future[Any]"]]


class WriteQueue:
    """Each district's batches, waiting on the event loop for the group being saved; one pump a
    district saves what came meanwhile, then answers each caller with its own result or error."""

    def __init__(self) -> None:
        self._waiting: dict[Ledger, Waiting] = {}  # keyed by ledger: a moved district has a new one
        self._pumps: set[asyncio.Task[None]] = set()

    async def record(self, ledger: Ledger, records: Sequence[r.Record], ctx: Context) -> Any:
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiting = self._waiting.get(ledger)
        if waiting is None:  # no pump is saving for this ledger: start one
            waiting = self._waiting[ledger] = []
            pump = asyncio.create_task(self._pump(ledger))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)
        waiting.append((Pending(records, ctx), answer))
        QUEUE_DEPTH.inc()
        return await answer

    def _take(self, ledger: Ledger) -> Waiting:
        """The ledger's waiting batches, out of the queue."""
        taken, self._waiting[ledger] = self._waiting[ledger], []
        QUEUE_DEPTH.dec(len(taken))
        return taken

    async def _pump(self, ledger: Ledger) -> None:
        waiting: Waiting = []
        try:
            while waiting := self._take(ledger):
                if (away := await self._save(ledger, waiting)) is not None:
                    # The database is away: whoever came during this turn hears so now, not after
                    # a turn of their own.
                    for _, answer in self._take(ledger):
                        if not answer.done():  # a caller that went away has a cancelled answer
                            answer.set_exception(away)
        finally:  # stopped (the service is stopping): nobody is left waiting for an answer
            for _, answer in [*waiting, *self._take(ledger)]:
                answer.cancel()
            del self._waiting[ledger]

    @staticmethod
    async def _save(ledger: Ledger, waiting: Waiting) -> BaseException | None:
        """Each caller's answer or error; the error saying the database is away, if one did."""
        try:
            away = await to_thread.run_sync(save_all, ledger, [pending for pending, _ in waiting])
        except Exception as exc:  # not one batch's failure: every caller hears it
            for _, answer in waiting:
                if not answer.done():
                    answer.set_exception(exc)
            return exc if isinstance(exc, UNAVAILABLE) else None
        for pending, answer in waiting:
            if answer.done():  # its caller went away; the batch is recorded all the same
                continue
            if pending.error is not None:
                answer.set_exception(pending.error)
            else:
                answer.set_result(pending.result)
        return away
