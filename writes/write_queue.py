"""The API's writes to one district, gathered on one worker thread.

Each request used to take a thread of its own and wait there for the district's commit turn
(`domain/group_commit.py`): with 32 one-record writers, 32 threads took turns at the
interpreter lock to hand each other the lead. Here the requests of a district wait on the
event loop instead, and whatever arrived while the last turn was saving goes to the ledger
in one call, from one thread: the ledger saves them in groups and settles each batch as if
it had been recorded alone (its own answer, its own error).
"""

import asyncio
from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool

from domain import records as r
from domain.decisions import Context
from writes.group_commit import UNAVAILABLE
from writes.ledger import DistrictLedger, WriteResult

Waiting = list[tuple[Sequence[r.Record], Context, "asyncio.Future[Any]"]]


class WriteQueue:
    def __init__(self) -> None:
        self._waiting: dict[DistrictLedger, Waiting] = {}  # keyed by ledger: a moved district has a new one
        self._pumps: set[asyncio.Task[None]] = set()

    async def record(self, ledger: DistrictLedger, records: Sequence[r.Record], ctx: Context) -> WriteResult:
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiting = self._waiting.get(ledger)
        if waiting is None:  # no pump is saving for this ledger: start one
            waiting = self._waiting[ledger] = []
            pump = asyncio.create_task(self._pump(ledger))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)
        waiting.append((records, ctx, answer))
        return await answer

    async def _pump(self, ledger: DistrictLedger) -> None:
        waiting: Waiting = []
        try:
            while waiting := self._waiting[ledger]:
                self._waiting[ledger] = []
                if (away := await self._save(ledger, waiting)) is not None:
                    # The database is away: whoever came during this turn hears so now, as the
                    # callers waiting in the ledger's group commit do, not after a turn of their own.
                    for *_, answer in self._waiting[ledger]:
                        if not answer.done():  # a caller that went away has a cancelled answer
                            answer.set_exception(away)
                    self._waiting[ledger] = []
        finally:  # stopped (the service is stopping): nobody is left waiting for an answer
            for *_, answer in [*waiting, *self._waiting.pop(ledger)]:
                answer.cancel()

    @staticmethod
    async def _save(ledger: DistrictLedger, waiting: Waiting) -> BaseException | None:
        """Each caller's answer or error; the error saying the database is away, if one did."""
        try:
            settled = await run_in_threadpool(ledger.record_all, [(rs, ctx) for rs, ctx, _ in waiting])
        except Exception as exc:  # not one batch's failure: every caller hears it
            for *_, answer in waiting:
                if not answer.done():
                    answer.set_exception(exc)
            return exc if isinstance(exc, UNAVAILABLE) else None
        for (*_, answer), pending in zip(waiting, settled, strict=True):
            if answer.done():  # its caller went away; the batch is recorded all the same
                continue
            if pending.error is not None:
                answer.set_exception(pending.error)
            else:
                answer.set_result(pending.result)
        return next((p.error for p in settled if isinstance(p.error, UNAVAILABLE)), None)
