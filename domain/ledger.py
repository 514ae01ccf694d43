"""A district's ledger: the eventsourcing application that records its batches.

Thin, as application services should be: find what the batch repeats, load, decide, and
save every changed aggregate in one `save` (one transaction), with the batch's record ids
indexed in that same transaction so that a retry is recognised and an id is never reused.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, JSONTranscoder, Transcoding

from domain import records as r
from domain.decisions import Context, RecordRef, decide
from domain.errors import RecordConflict
from domain.events import RecordKeeping

SAVE_ATTEMPTS = 5


@dataclass(frozen=True)
class IndexedRecord:
    """A record as the district's record index knows it."""

    record_id: str
    record_type: str
    content_hash: str
    stream: UUID
    stream_version: int
    position: int | None = None


class RecordIndex(Protocol):
    """The part of the district's recorder that knows record ids."""

    def lookup_records(self, record_ids: Sequence[str]) -> dict[str, IndexedRecord]: ...

    def max_notification_id(self) -> int | None: ...


@dataclass(frozen=True)
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


class DistrictLedger(Application):
    """One district's event store and the batches written to it."""

    def __init__(self, district: str, recorder: ApplicationRecorder, env: dict[str, Any] | None = None):
        self.district = district
        self._recorder = recorder
        super().__init__(env=env or {})

    def construct_recorder(self) -> ApplicationRecorder:
        return self._recorder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @property
    def index(self) -> RecordIndex:
        return self.recorder  # type: ignore[return-value]

    def record(self, records: Sequence[r.Record], ctx: Context) -> WriteResult:
        """Store the batch's new records atomically; report repeats as duplicates."""
        for attempt in range(SAVE_ATTEMPTS):
            try:
                return self._record_once(records, ctx)
            except IntegrityError:
                # Another writer took an id or a stream version first: decide again.
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _record_once(self, records: Sequence[r.Record], ctx: Context) -> WriteResult:
        known = self.index.lookup_records(list({rec.id for rec in records}))
        hashes = {rec.id: rec.content_hash() for rec in records}
        conflicts = sorted({rid for rid, rec in known.items() if rec.content_hash != hashes[rid]})
        if conflicts:
            raise RecordConflict(conflicts)
        new = [rec for rec in records if rec.id not in known]
        positions = {rid: rec.position for rid, rec in known.items()}
        if new:
            changed = decide(new, ctx, _LedgerHistory(self))
            rows = [IndexedRecord(e.record_id, e.record_type, hashes[e.record_id], e.originator_id,
                                  e.originator_version)
                    for aggregate in changed for e in aggregate.pending_events]
            for recording in self.save(*changed, index=rows):
                positions[recording.domain_event.record_id] = recording.notification.id
        position = max(positions.values()) if new else (self.index.max_notification_id() or 0)
        results = [RecordResult(rec.id, "duplicate" if rec.id in known else "accepted", positions[rec.id])
                   for rec in records]
        return WriteResult(results, position)


class _LedgerHistory:
    def __init__(self, ledger: DistrictLedger):
        self.ledger = ledger

    def load(self, stream: UUID) -> RecordKeeping | None:
        try:
            return self.ledger.repository.get(stream)
        except AggregateNotFoundError:
            return None

    def find_record(self, record_id: str) -> RecordRef | None:
        found = self.ledger.index.lookup_records([record_id]).get(record_id)
        return RecordRef(found.stream, found.record_type) if found else None
