"""The aggregates a district's decisions read, kept between batches and brought up to date
from the log before each use.

A batch of services reads the same few stations and projects as the batch before it; loading
each again means a round trip and a replay of its whole history (a project's spending grows
all year). Here each is kept, and a turn at the district's commit first asks the log, in one
query for all the streams the batch will read, for the events recorded after the versions
kept (by this process or any other writer), and folds them in. Nothing is used that the log
has not confirmed in the same turn, so the decisions are those a fresh load would make.

A decision changes the aggregates it reads. Whatever a turn changed and did not save
(a rejected batch, a failed save) is dropped at the end of the turn, so the next reads it
again from the log.
"""

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, StoredEvent

KEPT = 4096  # aggregates per district: its stations, projects, plans and what voids touch


class EventsAfter(Protocol):
    def __call__(self, versions: dict[UUID, int]) -> Sequence[StoredEvent]: ...


class AggregateCache:
    def __init__(self, events_after: EventsAfter, mapper: Mapper, kept: int = KEPT):
        self._events_after = events_after
        self._mapper = mapper
        self._kept = kept
        self._aggregates: OrderedDict[UUID, Aggregate | None] = OrderedDict()
        self._stored: dict[UUID, int] = {}  # the version the log holds, as last seen
        self._fresh: set[UUID] = set()  # confirmed against the log in this turn

    def begin_turn(self) -> None:
        self._fresh.clear()

    def refresh(self, streams: Iterable[UUID]) -> None:
        """Bring the streams up to date with the log, in one query."""
        stale = {stream: self._stored.get(stream, 0) for stream in streams if stream not in self._fresh}
        if not stale:
            return
        for stored in self._events_after(stale):
            stream = stored.originator_id
            event = self._mapper.to_domain_event(stored)
            self._aggregates[stream] = event.mutate(self._aggregates.get(stream))
            self._stored[stream] = stored.originator_version
        for stream in stale:
            self._aggregates.setdefault(stream, None)  # not in the log (yet): known to be absent
            self._aggregates.move_to_end(stream)
            self._fresh.add(stream)
        while len(self._aggregates) > self._kept:
            stream, _ = self._aggregates.popitem(last=False)
            self._stored.pop(stream, None)
            self._fresh.discard(stream)

    def get(self, stream: UUID) -> Aggregate | None:
        if stream not in self._fresh:
            self.refresh([stream])
        return self._aggregates[stream]

    def end_turn(self, saved: Iterable[Aggregate]) -> None:
        """The turn's saves are in the log; whatever else it changed is dropped."""
        for aggregate in saved:
            if aggregate.id in self._aggregates:  # read through the cache (perhaps as absent) this turn
                self._stored[aggregate.id] = aggregate.version
                self._aggregates[aggregate.id] = aggregate
        for stream in self._fresh:
            aggregate = self._aggregates.get(stream)
            if aggregate is not None and aggregate.version != self._stored.get(stream):
                self._forget(stream)
        self._fresh.clear()

    def _forget(self, stream: UUID) -> None:
        self._aggregates.pop(stream, None)
        self._stored.pop(stream, None)

