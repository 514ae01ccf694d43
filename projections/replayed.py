"""The events of an aggregate's streams up to a position of the district's log, decoded, and kept
in the process as a snapshot of each stream (issue 38: a past state of an aggregate with 10,000
events in under 100 ms).

A district's log never changes below a position it has reached, so the events of a stream up to
a position, once decoded, are those of every later read that reaches that far: a read replays the
kept ones and decodes only the events recorded after them (read from the store by the stream's
key, after the version kept). Decoding is what a replay costs (about four fifths of it: an
event's state revived into its domain event), not reading the rows. The snapshots are bounded:
past `capacity` events the streams read least recently are dropped, and a process restarted
starts with none (its first read of a stream decodes it whole).
"""

import bisect
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper

from domain.events import RecordEvent
from projections.event_log import stored_event
from tenants.stores import chain_table, events_table

CAPACITY = 50_000  # events kept in all (a fund_spent's event, decoded, holds about 1 kB)


@dataclass(frozen=True)
class SpentSum:
    """A project's standing spending of one fund line on one day, summed in a persisted snapshot
    (`stream_snapshots`); negative, the undoing of a summed spending voided after it."""

    record_id: str
    source: str
    level: str
    occurred_on: date
    amount: Decimal


@dataclass(frozen=True)
class Change:
    """One event of an aggregate (or spending summed by a snapshot), and where it entered the log."""

    position: int
    stream: UUID
    event: RecordEvent | SpentSum


@dataclass
class Kept:
    """A stream's events through position `upto` (every one of them), the last at `version`."""

    upto: int = 0
    version: int = 0
    changes: list[Change] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)

    def through(self, position: int) -> list[Change]:
        return self.changes[:bisect.bisect_right(self.positions, position)]


class Snapshots:
    """The kept streams, least recently read first, shared by the process's reads."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[tuple[str, UUID], Kept] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # reads may run in several threads of one process

    def get(self, district: str, stream: UUID) -> Kept:
        with self._lock:
            kept = self._kept.get((district, stream))
            if kept is None:
                return Kept()
            self._kept.move_to_end((district, stream))
            return kept

    def keep(self, district: str, stream: UUID, kept: Kept) -> None:
        with self._lock:
            earlier = self._kept.pop((district, stream), None)
            if earlier is not None and earlier.upto > kept.upto:  # another read reached further meanwhile
                kept = earlier
            self._size += len(kept.changes) - (len(earlier.changes) if earlier else 0)
            self._kept[(district, stream)] = kept
            while self._size > self.capacity and len(self._kept) > 1:
                _, dropped = self._kept.popitem(last=False)
                self._size -= len(dropped.changes)


SNAPSHOTS = Snapshots()


async def changes(conn: asyncpg.Connection, district: str, mapper: Mapper, streams: Sequence[UUID],
                  position: int, snapshots: Snapshots = SNAPSHOTS) -> list[Change]:
    """The events of `streams` up to `position`, in log order: the kept ones, and those after them
    decoded."""
    kept = {stream: snapshots.get(district, stream) for stream in dict.fromkeys(streams)}
    behind = {stream: k for stream, k in kept.items() if k.upto < position}
    if behind:
        rows = await conn.fetch(
            f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state"
            f" FROM unnest($1::uuid[], $2::bigint[]) AS s (stream, version)"
            f' JOIN {events_table(district)} e'
            f"  ON e.originator_id = s.stream AND e.originator_version > s.version AND e.notification_id <= $3"
            f" ORDER BY e.originator_id, e.originator_version",
            list(behind), [k.version for k in behind.values()], position)
        grown = {stream: Kept(position, k.version, list(k.changes), list(k.positions)) for stream, k in behind.items()}
        for row in rows:
            more = grown[row["originator_id"]]
            more.changes.append(Change(row["notification_id"], row["originator_id"],
                                       mapper.to_domain_event(stored_event(row))))
            more.positions.append(row["notification_id"])
            more.version = row["originator_version"]
        for stream, more in grown.items():
            snapshots.keep(district, stream, more)
            kept[stream] = more
    return sorted((c for k in kept.values() for c in k.through(position)), key=lambda c: c.position)


async def recorded_at(conn: asyncpg.Connection, district: str, found: Sequence[Change]) -> dict[int, datetime]:
    """When each change entered the log: its chain row's time, as as_of reads go by (read apart
    from the events: a state needs none of them, and the join cost a replay a third more)."""
    return {row["position"]: row["recorded_at"] for row in await conn.fetch(
        f'SELECT position, recorded_at FROM {chain_table(district)} WHERE position = ANY($1::bigint[])',
        [c.position for c in found])}
