"""A half-year report on its way up the chain: submitted, then approved or returned.

A town's report goes to its district; the district's own report goes to the city. The
figures are frozen in the event that submits them, so the report as submitted can be read
(and proved) forever after, whatever is recorded later.
"""

from typing import Any

from domain.duties import Level
from domain.errors import RuleViolation
from domain.events import FoundingEvent, Provenance, RecordEvent, RecordKeeping


class ChainViolation(RuleViolation):
    """A step the reporting chain does not allow from the report's current state."""


STATUS_ZH = {None: "草稿", "submitted": "已报送", "approved": "已审核", "returned": "已退回"}


class Report(RecordKeeping):
    class Opened(FoundingEvent, RecordKeeping.Created):
        """The report's stream begins with its first submission."""

        record_type = "report_submitted"
        period: str
        town: str  # '' for the district's own report
        position: int
        figures: dict

    class Submitted(RecordEvent):
        record_type = "report_submitted"
        period: str
        town: str
        position: int
        figures: dict

    class Approved(RecordEvent):
        record_type = "report_approved"
        period: str
        town: str
        position: int
        figures: dict

    class Returned(RecordEvent):
        record_type = "report_returned"
        period: str
        town: str
        reason: str

    def __init__(self, period: str, town: str):
        self.period = period
        self.town = town
        self.active: dict[str, RecordEvent] = {}
        self.founded_by: str | None = None

    @property
    def status(self) -> str | None:
        latest = next(reversed(self.active.values()), None)
        return {Report.Opened: "submitted", Report.Submitted: "submitted", Report.Approved: "approved",
                Report.Returned: "returned", None: None}[type(latest) if latest else None]

    @property
    def submitted(self) -> "Report.Submitted | Report.Opened":
        return next(e for e in reversed(self.active.values()) if isinstance(e, (Report.Submitted, Report.Opened)))

    @classmethod
    def open(cls, stream: Any, period: str, town: str, position: int, figures: dict, record_id: str,
             provenance: Provenance) -> "Report":
        report = cls._create(cls.Opened, id=stream, period=period, town=town, position=position, figures=figures,
                             **provenance.event_kwargs(record_id))
        report.mark_on_behalf(provenance)
        return report

    def mark_on_behalf(self, provenance: Provenance) -> None:
        """A town's report submitted by the district is the town's duty, done on its behalf (API.md)."""
        if self.town and provenance.actor_role == Level.district.name:
            self.pending_events[-1].written_on_behalf_of(Level.town.name)  # type: ignore[attr-defined]

    def _check_status(self, allowed: tuple[str | None, ...], action_zh: str, action_en: str) -> None:
        if self.status not in allowed:
            raise ChainViolation("status", f"报表状态为“{STATUS_ZH[self.status]}”，不能{action_zh}",
                                 f"a report that is {self.status or 'a draft'} cannot be {action_en}")

    def check_can_submit(self) -> None:
        self._check_status(("returned",), "报送", "submitted")

    def submit(self, position: int, figures: dict, record_id: str, provenance: Provenance) -> None:
        self.check_can_submit()
        self._record(self.Submitted, record_id, provenance, period=self.period, town=self.town,
                     position=position, figures=figures)
        self.mark_on_behalf(provenance)

    def approve(self, record_id: str, provenance: Provenance) -> None:
        self._check_status(("submitted",), "审核通过", "approved")
        submitted = self.submitted
        self._record(self.Approved, record_id, provenance, period=self.period, town=self.town,
                     position=submitted.position, figures=submitted.figures)

    def send_back(self, reason: str, record_id: str, provenance: Provenance) -> None:
        # An approved report may be returned too, to be corrected: the reports above that took its
        # approved version then show it among their `stale_children`.
        self._check_status(("submitted", "approved"), "退回", "returned")
        self._record(self.Returned, record_id, provenance, period=self.period, town=self.town, reason=reason)

    def check_can_void(self, record_id: str) -> None:
        raise RuleViolation("record", "报表流转记录不能作废", "a step of the reporting chain cannot be voided")
