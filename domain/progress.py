"""The provider's progress notes to the town (guide, section 四: 定期向所在镇(街道)报告工作进展),
and the problems they raise until each is resolved."""

from datetime import date
from typing import Any

from domain import records as r
from domain.errors import RuleViolation
from domain.events import FoundingEvent, Provenance, RecordEvent, RecordKeeping


class ProgressNote(RecordKeeping):
    DEPENDENTS_FIRST = ("须先作废该进展报告问题的解决记录", "void the resolutions of its problems first")

    class Reported(FoundingEvent, RecordKeeping.Created):
        record_type = "progress_reported"
        town: str
        project: str | None
        reported_on: date
        summary: str
        problems: list

    class ProblemResolved(RecordEvent):
        record_type = "problem_resolved"
        progress: str
        problem: str
        resolved_on: date
        note: str

    def __init__(self, town: str, reported_on: date, problems: list):
        self.town = town
        self.reported_on = reported_on
        self.problem_keys = [p["key"] for p in problems]
        self.active: dict[str, RecordEvent] = {}
        self.founded_by: str | None = None

    @classmethod
    def report(cls, stream: Any, record: r.ProgressReported, provenance: Provenance) -> "ProgressNote":
        return cls._create(cls.Reported, id=stream, **record.model_dump(mode="python", exclude={"id", "type"}),
                           **provenance.event_kwargs(record.id))

    def resolved(self) -> set[str]:
        return {e.problem for e in self.active.values() if isinstance(e, ProgressNote.ProblemResolved)}

    def resolve(self, record: r.ProblemResolved, provenance: Provenance) -> None:
        if self.founded_by is None:
            raise RuleViolation("progress", "该进展报告已作废", "the progress note has been voided")
        if record.problem not in self.problem_keys:
            raise RuleViolation("problem", f"该进展报告未提出问题 {record.problem}",
                                f"the progress note raised no problem {record.problem}")
        if record.problem in self.resolved():
            raise RuleViolation("problem", "该问题已解决", "the problem is already resolved")
        if record.resolved_on < self.reported_on:
            raise RuleViolation("resolved_on", "解决日期早于问题提出日期", "resolved before it was raised")
        self._record(self.ProblemResolved, record.id, provenance, **record.fields())
