"""Group commit: concurrent batches to one district saved in one transaction.

The event store takes a lock on the district's table for each save, so concurrent writers
of one district queue for it one transaction at a time. Here whoever holds the district's
commit turn saves every batch that arrived meanwhile in one transaction: each batch decided
on its own (its own caller, request id and rules), their aggregates saved together.

Batches join a group only when they cannot see each other: no record id in common and no
aggregate one of them loads or changes that another loads or changes, so the group is
the same as saving them one after the other in any order. Any other batch, one whose
decision failed, and every batch of a group whose save failed are recorded alone after it,
through the ordinary path with its retries: the answers and guarantees are those of
recording each batch by itself. Only when the database itself is away (or too slow) does
every batch of the group hear so at once, unsaved, rather than each after its turn.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError

from domain import records as r
from domain.decisions import Context

GROUP_RECORDS = 1000  # at most as many records in one group as in one batch
UNAVAILABLE = (OperationalError, InterfaceError)  # the database is away or too slow


@dataclass(eq=False)  # each is one batch of one caller's: compared by identity
class Pending:
    records: Sequence[r.Record]
    ctx: Context
    woken: threading.Event = field(default_factory=threading.Event)  # its caller's: settled, or handed the lead
    caller: object = None  # whose batch it is: the lead is handed to a caller
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None

    def settle(self, work: Callable[[], Any]) -> None:
        try:
            self.result = work()
        except Exception as exc:  # handed to the waiting caller, who raises it as its own
            self.error = exc
        self.done.set()
        self.woken.set()

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class GroupCommit:
    """Takes turns at a district's commit: one caller at a time leads, saving every batch
    waiting in groups until its own is saved, then hands the lead to a caller still waiting.
    A caller whose batch a leader saved returns at once, and sends its next batch meanwhile."""

    def __init__(self, alone: Callable[[Sequence[r.Record], Context], Any],
                 together: Callable[[list[Pending]], list[Pending]]):
        self._alone = alone  # records one batch by the ordinary path
        self._together = together  # saves a group; returns the batches it left for `alone`
        self._waiting: list[Pending] = []
        self._lock = threading.Lock()
        self._leader: object = None  # the caller leading, if any

    def record(self, records: Sequence[r.Record], ctx: Context) -> Any:
        return self.record_all([(records, ctx)])[0].outcome()

    def record_all(self, batches: Sequence[tuple[Sequence[r.Record], Context]]) -> list[Pending]:
        """Several batches of one caller (the API's writers of a district, gathered by one
        thread): each settled as if recorded alone, possibly in one group with the others."""
        caller, woken = object(), threading.Event()
        mine = [Pending(records, ctx, woken, caller) for records, ctx in batches]
        with self._lock:
            self._waiting.extend(mine)
            if self._leader is None:
                self._leader = caller
        while True:
            # Cleared before the state is read: a wake-up after the read is not lost.
            woken.clear()
            if all(p.done.is_set() for p in mine):
                return mine
            with self._lock:
                leads = self._leader is caller
            if leads:
                break
            woken.wait()  # each caller is woken alone: no herd after every group
        try:
            while not all(p.done.is_set() for p in mine):  # the batches ahead may fill more than one group
                self._commit(self._take())
        finally:
            self._hand_over()
        return mine

    def _hand_over(self) -> None:
        with self._lock:  # a batch still waiting has not been taken, so is not settled: its caller leads next
            successor = self._waiting[0] if self._waiting else None
            self._leader = successor.caller if successor is not None else None
        if successor is not None:
            successor.woken.set()

    def _take(self) -> list[Pending]:
        with self._lock:
            group, size = [], 0
            while self._waiting and (not group or size + len(self._waiting[0].records) <= GROUP_RECORDS):
                group.append(self._waiting.pop(0))
                size += len(group[-1].records)
            return group

    def _commit(self, group: list[Pending]) -> None:
        left = group
        if len(group) > 1:
            try:
                left = self._together(group)
            except UNAVAILABLE as exc:
                self._fail(group, exc)
                return
            except Exception:  # the group's save failed as a whole: each batch alone says why
                left = [p for p in group if not p.done.is_set()]
        for pending in left:
            pending.settle(lambda p=pending: self._alone(p.records, p.ctx))
            if isinstance(pending.error, UNAVAILABLE):
                self._fail(left, pending.error)
                return

    def _fail(self, group: list[Pending], exc: BaseException) -> None:
        """The database is away or too slow: every batch waiting for a turn would only hear the
        same after its own wait, one after the other. Each hears it now, unsaved."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for pending in [*group, *waiting]:
            if not pending.done.is_set():
                pending.settle(lambda: _raise(exc))


def _raise(exc: BaseException) -> Any:
    raise exc
