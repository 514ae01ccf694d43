"""A district's ledger: the eventsourcing application that records its batches.

Thin, as application services should be: find what the batch repeats, load, decide, and
save every changed aggregate in one `save` (one transaction), with the batch's record ids
indexed in that same transaction so that a retry is recognised and an id is never reused.
Batches that arrive together are handed over in groups (`writes.batching`, their one owner).
The steps of its reports', plans' and witnesses' chains are `chain_steps`'s.
"""

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    ApplicationRecorder, DatetimeAsISO, DecimalAsStr, IntegrityError, JSONTranscoder, Mapper, StoredEvent,
    Transcoder, Transcoding, UUIDAsHex,
)

from domain import records as r
from writes.aggregate_cache import AggregateCache
from domain.batch_checks import RecordRef
from domain.decisions import Context, decide, reads_of
from domain.errors import BatchRejected, RecordConflict
from domain.events import PlainEvent, PlainRecord, RecordKeeping
from writes.batching import Pending
from writes.chain_steps import ChainSteps
from kernel.overrides import stored_event
from writes.transcoding import OrjsonTranscoder

SAVE_ATTEMPTS = 5


class IndexedRecord(NamedTuple):
    """A record as the district's record index knows it (a tuple: a batch makes a thousand)."""

    record_id: str
    record_type: str
    content_hash: str
    stream: UUID
    stream_version: int
    position: int | None = None


class DistrictStore(Protocol):
    """What the ledger needs of the district's recorder beyond the library's: its record index,
    its events written with the index rows, and the events of streams after known versions."""

    def lookup_records(self, record_ids: Sequence[str]) -> dict[str, IndexedRecord]: ...

    def max_notification_id(self) -> int | None: ...

    def insert_events(self, stored_events: Sequence[StoredEvent], *,
                      index: Sequence[IndexedRecord] = ()) -> Sequence[int]: ...

    def events_after(self, versions: dict[UUID, int]) -> Sequence[StoredEvent]: ...


@dataclass(slots=True)  # not frozen: a batch makes a thousand, and a frozen one is slow to make
class RecordResult:
    id: str
    status: str  # accepted | duplicate
    position: int


@dataclass(frozen=True)
class WriteResult:
    results: list[RecordResult]
    position: int


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def event_mapper() -> Mapper:
    """Decodes stored events without an application: what the read side uses."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=OrjsonTranscoder(transcoder))


class DistrictLedger(ChainSteps, Application):
    """One district's event store and the batches written to it."""

    def __init__(self, district: str, recorder: ApplicationRecorder, env: dict[str, Any] | None = None, *,
                 plain: bool = True):
        self.district = district
        self._recorder = recorder
        self.plain = plain  # services and spending stored the plain way (`decide`); off only to test it against aggregates
        self._turns = threading.Lock()  # one turn at the ledger's kept aggregates at a time
        super().__init__(env=env or {})
        self._aggregates = AggregateCache(self.store.events_after, self.mapper)  # used in turns only

    def construct_recorder(self) -> ApplicationRecorder:
        return self._recorder

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder(super().construct_transcoder())  # type: ignore[arg-type]

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @property
    def store(self) -> DistrictStore:
        return self.recorder  # type: ignore[return-value]

    def _store(self, aggregates: Sequence[Aggregate | PlainRecord], index: Sequence[IndexedRecord]) -> list[tuple[Any, int]]:
        """Record the aggregates' new events, with their index rows, in one transaction; each
        event with its position: the library's `save`, without its runtime protocol checks and
        notification objects."""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        positions = self.store.insert_events([self._stored(e) for e in events], index=index)
        return list(zip(events, positions, strict=True))

    def _stored(self, event: Any) -> StoredEvent:
        if type(event) is PlainEvent:
            return stored_event(self.mapper, event.originator_id, event.originator_version, event.topic, event.state)
        return self.mapper.to_stored_event(event)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """The ledger's turn at its kept aggregates: `record_alone` and `record_together` are
        called in one."""
        with self._turns:
            yield

    def record(self, records: Sequence[r.Record], ctx: Context) -> WriteResult:
        """Store the batch's new records atomically; report repeats as duplicates."""
        with self.turn():
            return self.record_alone(records, ctx)

    def record_alone(self, records: Sequence[r.Record], ctx: Context) -> WriteResult:
        """`record`, in a turn already taken."""
        ids = list({rec.id for rec in records})
        for attempt in range(SAVE_ATTEMPTS):
            last = attempt == SAVE_ATTEMPTS - 1
            history = self._turn(records)
            known = {rid: history.found[rid] for rid in ids if rid in history.found}
            saved: list[Aggregate] = []
            try:
                return self._record_once(records, known, ctx, history, saved)
            except IntegrityError:
                # Another writer took an id or a stream version first: decide again.
                if last:
                    raise
            except BatchRejected:
                # Rejected against state that a concurrent writer of these very records may
                # have changed since the ids were looked up: if so, decide again.
                if last or len(self.store.lookup_records(ids)) == len(known):
                    raise
            finally:
                self._aggregates.end_turn(saved)
        raise AssertionError("unreachable")

    def _turn(self, records: Sequence[r.Record]) -> "_LedgerHistory":
        """A commit turn's view of the log: the records the batches send or refer to, and the
        aggregates they will read, each read at once."""
        streams, referred = reads_of(records, self.district)
        self._aggregates.begin_turn()
        found = self.store.lookup_records([*{rec.id for rec in records}, *referred])
        self._aggregates.refresh(streams | {found[rid].stream for rid in referred if rid in found})
        return _LedgerHistory(self, self._aggregates.get, found)

    def current(self, stream: UUID) -> RecordKeeping | None:
        """The stream's aggregate as the log holds it now; None if it has no events."""
        try:
            return self.repository.get(stream)
        except AggregateNotFoundError:
            return None

    def _advance(self, stream: UUID, prefix: str, step: Callable[[Any, UUID, str], RecordKeeping]) -> int:
        """One step of a chain (a report's, a plan's) recorded on its stream, retried on a race."""
        for attempt in range(SAVE_ATTEMPTS):
            current = self.current(stream)
            record_id = f"{prefix}-{uuid4()}"
            changed = step(current, stream, record_id)
            event = changed.pending_events[-1]
            try:
                [(_, position)] = self._store([changed], [IndexedRecord(
                    record_id, event.record_type, record_id, stream, event.originator_version)])
                return position
            except IntegrityError:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def check(self, records: Sequence[r.Record], ctx: Context) -> None:
        """Decide the records' new ones as one batch and store nothing: raises what storing them
        would (BatchRejected, RecordConflict). A file's batches are checked whole before the first is stored."""
        with self.turn():
            history = self._turn(records)
            known = {rid: history.found[rid] for rid in {rec.id for rec in records} if rid in history.found}
            try:
                if new := _new(records, known):
                    decide(new, ctx, history, plain=self.plain)
            finally:
                self._aggregates.end_turn([])  # what deciding changed is nobody's

    def _record_once(self, records: Sequence[r.Record], known: dict[str, IndexedRecord], ctx: Context,
                     history: "_LedgerHistory", saved: list[Aggregate]) -> WriteResult:
        hashes = {rec.id: rec.content_hash() for rec in records}
        new = _new(records, known)
        positions = {rid: rec.position for rid, rec in known.items()}
        if new:
            changed = decide(new, ctx, history, plain=self.plain)
            rows = [IndexedRecord(e.record_id, e.record_type, hashes[e.record_id], e.originator_id,
                                  e.originator_version)
                    for aggregate in changed for e in aggregate.pending_events]
            for event, position in self._store(changed, rows):
                positions[event.record_id] = position
            saved.extend(_aggregates_of(changed))
        position = max(positions.values()) if new else (self.store.max_notification_id() or 0)
        results = [RecordResult(rec.id, "duplicate" if rec.id in known else "accepted", positions[rec.id])
                   for rec in records]
        return WriteResult(results, position)

    def record_together(self, group: list[Pending]) -> list[Pending]:
        """Save the group's new batches that cannot see each other in one transaction, in a turn
        already taken; the batches it leaves (repeats, refusals, overlaps) are for `record_alone`."""
        ids = [rec.id for pending in group for rec in pending.records]
        if len(set(ids)) != len(ids):
            return group
        history = self._turn([rec for pending in group for rec in pending.records])
        saved: list[Aggregate] = []
        try:
            return self._save_together(group, history, saved)
        finally:
            self._aggregates.end_turn(saved)

    def _save_together(self, group: list[Pending], history: "_LedgerHistory", saved: list[Aggregate]) -> list[Pending]:
        decided: list[tuple[Pending, list[RecordKeeping]]] = []
        touched: set[UUID] = set()  # what the batches so far read or changed: out of bounds to the next
        left = []
        for pending in group:
            if any(rec.id in history.found for rec in pending.records):
                left.append(pending)
                continue
            mine = history.apart_from(touched)
            try:
                changed = decide(pending.records, pending.ctx, mine, plain=self.plain)
            except (BatchRejected, RecordConflict, _Overlap):
                # What it changed before it failed is nobody's: the turn's end forgets it.
                touched |= mine.loaded
                left.append(pending)
                continue
            touched |= mine.loaded | {aggregate.id for aggregate in changed}
            decided.append((pending, changed))
        if not decided:
            return left
        rows = [IndexedRecord(e.record_id, e.record_type, rec_hash, e.originator_id, e.originator_version)
                for pending, changed in decided
                for rec_hash, e in _hashed_events(pending.records, changed)]
        aggregates = [aggregate for _, changed in decided for aggregate in changed]
        try:
            stored = self._store(aggregates, rows)
        except IntegrityError:  # a writer elsewhere took an id or a version first
            return group
        saved.extend(_aggregates_of(aggregates))
        positions = {event.record_id: position for event, position in stored}
        for pending, _ in decided:
            results = [RecordResult(rec.id, "accepted", positions[rec.id]) for rec in pending.records]
            pending.settle(lambda results=results: WriteResult(results, max(res.position for res in results)))
        return left


def _new(records: Sequence[r.Record], known: dict[str, IndexedRecord]) -> list[r.Record]:
    """The records not stored yet; RecordConflict if one stored has other content under its id."""
    conflicts = sorted({rec.id for rec in records if rec.id in known and known[rec.id].content_hash != rec.content_hash()})
    if conflicts:
        raise RecordConflict(conflicts)
    return [rec for rec in records if rec.id not in known]


def _hashed_events(records: Sequence[r.Record], changed: list[RecordKeeping]) -> list[tuple[str, Any]]:
    hashes = {rec.id: rec.content_hash() for rec in records}
    return [(hashes[e.record_id], e) for aggregate in changed for e in aggregate.pending_events]


def _aggregates_of(changed: Sequence[Aggregate | PlainRecord]) -> list[Aggregate]:
    """What the aggregate cache may keep of a save: a plain record's stream is read back from the log if ever read."""
    return [aggregate for aggregate in changed if type(aggregate) is not PlainRecord]


class _Overlap(Exception):
    """A batch of a group reads what another batch of the group read or changed."""


class _LedgerHistory:
    """The log as a decision reads it: aggregates through `load`, records through the index
    (those looked up for the turn first)."""

    def __init__(self, ledger: DistrictLedger, load: Callable[[UUID], Any] | None = None,
                 found: dict[str, IndexedRecord] | None = None, out_of_bounds: frozenset[UUID] = frozenset()):
        self.ledger = ledger
        self._load = load  # None: fresh from the repository (a bound method here would be a cycle)
        self.found = found if found is not None else {}
        self.out_of_bounds = out_of_bounds
        self.loaded: set[UUID] = set()  # the aggregates a decision read

    def apart_from(self, touched: set[UUID]) -> "_LedgerHistory":
        """The same view for a decision that may read nothing in `touched`."""
        return _LedgerHistory(self.ledger, self._load, self.found, frozenset(touched))

    def load(self, stream: UUID) -> RecordKeeping | None:
        if stream in self.out_of_bounds:
            raise _Overlap(stream)
        self.loaded.add(stream)
        return self._load(stream) if self._load is not None else self.ledger.current(stream)

    def find_record(self, record_id: str) -> RecordRef | None:
        found = self.found.get(record_id) or self.ledger.store.lookup_records([record_id]).get(record_id)
        return RecordRef(found.stream, found.record_type) if found else None
