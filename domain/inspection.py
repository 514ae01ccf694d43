"""An inspection (supervision, inspection or spot check) and the rectification it asks for."""

from datetime import date
from typing import Any

from domain import records as r
from domain.errors import RuleViolation
from domain.events import FoundingEvent, Provenance, RecordEvent, RecordKeeping


class Inspection(RecordKeeping):
    DEPENDENTS_FIRST = ("须先作废该检查的整改记录", "void the inspection's rectification first")

    class Done(FoundingEvent, RecordKeeping.Created):
        record_type = "inspection_done"
        town: str
        project: str | None
        occurred_on: date
        kind: str
        scopes: list
        by: str
        findings: str
        issues_found: bool
        rectification_due: date | None

    class RectificationDone(RecordEvent):
        record_type = "rectification_done"
        inspection: str
        occurred_on: date
        note: str

    def __init__(self, town: str, occurred_on: date, issues_found: bool):
        self.town = town
        self.occurred_on = occurred_on
        self.issues_found = issues_found
        self.active: dict[str, RecordEvent] = {}
        self.founded_by: str | None = None

    @classmethod
    def record(cls, stream: Any, record: r.InspectionDone, provenance: Provenance) -> "Inspection":
        return cls._create(cls.Done, id=stream, **record.fields(), **provenance.event_kwargs(record.id))

    @property
    def rectified(self) -> bool:
        return any(isinstance(e, Inspection.RectificationDone) for e in self.active.values())

    def rectify(self, record: r.RectificationDone, provenance: Provenance) -> None:
        if self.founded_by is None:
            raise RuleViolation("inspection", "该检查记录已作废", "the inspection record has been voided")
        if not self.issues_found:
            raise RuleViolation("inspection", "该检查未发现问题，无需整改", "the inspection found no issues to rectify")
        if self.rectified:
            raise RuleViolation("inspection", "该检查的整改已记录", "the rectification of this inspection is already recorded")
        if record.occurred_on < self.occurred_on:
            raise RuleViolation("occurred_on", "整改日期早于检查日期", "the rectification is dated before the inspection")
        self._record(self.RectificationDone, record.id, provenance, **record.fields())
