"""A district's ledger: the eventsourcing application that records its batches.

Thin, as application services should be: find what the batch repeats, load, decide, and
save every changed aggregate in one `save` (one transaction), with the batch's record ids
indexed in that same transaction so that a retry is recognised and an id is never reused.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    ApplicationRecorder, DatetimeAsISO, DecimalAsStr, IntegrityError, JSONTranscoder, Mapper, Transcoding, UUIDAsHex,
)

from domain import records as r
from domain.decisions import Context, RecordRef, decide
from domain.errors import BatchRejected, RecordConflict
from domain.events import Provenance, RecordKeeping, stream_id
from domain.group_commit import GroupCommit, Pending
from domain.plan import Plan, PlanStateViolation
from domain.report import ChainViolation, Report

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


def event_mapper() -> Mapper:
    """Decodes stored events without an application: what the read side uses."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


class DistrictLedger(Application):
    """One district's event store and the batches written to it."""

    def __init__(self, district: str, recorder: ApplicationRecorder, env: dict[str, Any] | None = None):
        self.district = district
        self._recorder = recorder
        self._group_commit = GroupCommit(self._record_alone, self._record_together)
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
        """Store the batch's new records atomically; report repeats as duplicates. Batches
        that arrive together may share one transaction (`domain/group_commit.py`)."""
        return self._group_commit.record(records, ctx)

    def _record_alone(self, records: Sequence[r.Record], ctx: Context) -> WriteResult:
        ids = list({rec.id for rec in records})
        for attempt in range(SAVE_ATTEMPTS):
            last = attempt == SAVE_ATTEMPTS - 1
            known = self.index.lookup_records(ids)
            try:
                return self._record_once(records, known, ctx)
            except IntegrityError:
                # Another writer took an id or a stream version first: decide again.
                if last:
                    raise
            except BatchRejected:
                # Rejected against state that a concurrent writer of these very records may
                # have changed since the ids were looked up: if so, decide again.
                if last or len(self.index.lookup_records(ids)) == len(known):
                    raise
        raise AssertionError("unreachable")

    def submit_report(self, period: str, town: str, position: int, figures: dict, provenance: Provenance) -> int:
        """Freeze the report's figures at `position` and send it up the chain."""
        def submit(report: Report | None, stream: UUID, record_id: str) -> Report:
            if report is None:
                return Report.open(stream, period, town, position, figures, record_id, provenance)
            report.submit(position, figures, record_id, provenance)
            return report
        return self._advance_report(period, town, submit)

    def approve_report(self, period: str, town: str, provenance: Provenance) -> int:
        def approve(report: Report | None, _: UUID, record_id: str) -> Report:
            report = _existing(report)
            report.approve(record_id, provenance)
            return report
        return self._advance_report(period, town, approve)

    def return_report(self, period: str, town: str, reason: str, provenance: Provenance) -> int:
        def send_back(report: Report | None, _: UUID, record_id: str) -> Report:
            report = _existing(report)
            report.send_back(reason, record_id, provenance)
            return report
        return self._advance_report(period, town, send_back)

    def report_status(self, period: str, town: str) -> str | None:
        report = _LedgerHistory(self).load(self._report_stream(period, town))
        return report.status if isinstance(report, Report) else None

    def _report_stream(self, period: str, town: str) -> UUID:
        return stream_id(self.district, "report", f"{period}/{town or 'district'}")

    def _advance_report(self, period: str, town: str, step: Callable[[Report | None, UUID, str], Report]) -> int:
        return self._advance(self._report_stream(period, town), "report", step)

    def submit_plan(self, year: int, provenance: Provenance) -> int:
        """Send the year's purchase plan (its current version) to the city for filing."""
        return self._advance_plan(year, lambda plan, record_id: plan.submit(record_id, provenance))

    def file_plan(self, year: int, provenance: Provenance) -> int:
        """The city files (备案) the district's submitted plan."""
        return self._advance_plan(year, lambda plan, record_id: plan.file(record_id, provenance))

    def return_plan(self, year: int, reason: str, provenance: Provenance) -> int:
        return self._advance_plan(year, lambda plan, record_id: plan.send_back(reason, record_id, provenance))

    def plan(self, year: int) -> Plan | None:
        plan = _LedgerHistory(self).load(stream_id(self.district, "plan", str(year)))
        return plan if isinstance(plan, Plan) else None

    def _advance_plan(self, year: int, step: Callable[[Plan, str], None]) -> int:
        def advance(plan: Plan | None, _: UUID, record_id: str) -> Plan:
            if plan is None:
                raise PlanStateViolation("year", f"{year}年度购买计划尚未编制", f"no purchase plan for {year} is drafted")
            step(plan, record_id)
            return plan
        return self._advance(stream_id(self.district, "plan", str(year)), "plan", advance)

    def _advance(self, stream: UUID, prefix: str, step: Callable[[Any, UUID, str], RecordKeeping]) -> int:
        """One step of a chain (a report's, a plan's) recorded on its stream, retried on a race."""
        for attempt in range(SAVE_ATTEMPTS):
            current = _LedgerHistory(self).load(stream)
            record_id = f"{prefix}-{uuid4()}"
            changed = step(current, stream, record_id)
            event = changed.pending_events[-1]
            try:
                [recording] = self.save(changed, index=[IndexedRecord(
                    record_id, event.record_type, record_id, stream, event.originator_version)])
                return recording.notification.id
            except IntegrityError:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _record_once(self, records: Sequence[r.Record], known: dict[str, IndexedRecord], ctx: Context) -> WriteResult:
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

    def _record_together(self, group: list[Pending]) -> list[Pending]:
        """Save the group's new batches that cannot see each other in one transaction; the
        batches it leaves (repeats, refusals, overlaps) are for `_record_alone`."""
        ids = [rec.id for pending in group for rec in pending.records]
        if len(set(ids)) != len(ids):
            return group
        known = self.index.lookup_records(ids)
        decided: list[tuple[Pending, list[RecordKeeping]]] = []
        touched: set[UUID] = set()
        left = []
        for pending in group:
            if any(rec.id in known for rec in pending.records):
                left.append(pending)
                continue
            history = _LedgerHistory(self)
            try:
                changed = decide(pending.records, pending.ctx, history)
            except (BatchRejected, RecordConflict):
                left.append(pending)
                continue
            footprint = history.loaded | {aggregate.id for aggregate in changed}
            if footprint & touched:
                left.append(pending)
                continue
            touched |= footprint
            decided.append((pending, changed))
        if not decided:
            return left
        rows = [IndexedRecord(e.record_id, e.record_type, rec_hash, e.originator_id, e.originator_version)
                for pending, changed in decided
                for rec_hash, e in _hashed_events(pending.records, changed)]
        try:
            recordings = self.save(*[aggregate for _, changed in decided for aggregate in changed], index=rows)
        except IntegrityError:  # a writer elsewhere took an id or a version first
            return group
        positions = {recording.domain_event.record_id: recording.notification.id for recording in recordings}
        for pending, _ in decided:
            results = [RecordResult(rec.id, "accepted", positions[rec.id]) for rec in pending.records]
            pending.settle(lambda results=results: WriteResult(results, max(res.position for res in results)))
        return left


def _hashed_events(records: Sequence[r.Record], changed: list[RecordKeeping]) -> list[tuple[str, Any]]:
    hashes = {rec.id: rec.content_hash() for rec in records}
    return [(hashes[e.record_id], e) for aggregate in changed for e in aggregate.pending_events]


def _existing(report: Report | None) -> Report:
    if report is None:
        raise ChainViolation("status", "报表尚未报送", "the report has not been submitted")
    return report


class _LedgerHistory:
    def __init__(self, ledger: DistrictLedger):
        self.ledger = ledger
        self.loaded: set[UUID] = set()  # the aggregates a decision read

    def load(self, stream: UUID) -> RecordKeeping | None:
        self.loaded.add(stream)
        try:
            return self.ledger.repository.get(stream)
        except AggregateNotFoundError:
            return None

    def find_record(self, record_id: str) -> RecordRef | None:
        found = self.ledger.index.lookup_records([record_id]).get(record_id)
        return RecordRef(found.stream, found.record_type) if found else None
