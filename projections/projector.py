"""What events do to the report tables: one handler per event type, no I/O.

A batch of events becomes a `Changes`: signed service rows (the database spreads them over
the figures and their distinct recipients, see `tables.py`), summed fund spending, and
ordered row operations for the small tables. A voided record is projected again with the
opposite sign, so it ends up counting nowhere.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain.events import RecordEvent, RecordKeeping
from domain.inspection import Inspection
from domain.project import Project
from domain.report import Report
from domain.service import ServiceDelivery
from domain.station import Station
from domain.witness import CheckpointWitness
from projections.duties import DutyHandlers
from projections.periods import month_of, period_of
from projections.service_counts import ServiceRow

DISTRICT_SCOPE = ""  # the town column of a district-wide row
SHARED_TOWN = ""  # the town column of a project the district bought for several towns (its `towns` name them)
SIGN_ATTRIBUTES = ("emblem", "position", "uniform_style")
# What else a station record says that the report's roster shows (kept beside a sign's attributes).
FACT_ATTRIBUTES = ("address", "quantity", "posted_on_wall")

@dataclass
class Changes:
    services: list[ServiceRow] = field(default_factory=list)
    # (period, town, project, source, level) -> [amount, spends]
    funds: dict[tuple[str, str, str, str, str], list] = field(default_factory=lambda: defaultdict(lambda: [Decimal(0), 0]))
    # (position, record id, record type, period, town, the owner it was written on behalf of)
    record_periods: list[tuple[int, str, str, str, str | None, str | None]] = field(default_factory=list)
    # (table, operation, row) in order: 'upsert' a row or 'delete' by key; 'update' for rectifications
    rows: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def recipients(self) -> set[str]:
        """The recipients whose counts the services may change."""
        return {service.recipient_ref for service in self.services}


@dataclass(frozen=True)
class Located:
    """Where a record counts: its period and town, as far as the record says."""

    period: str
    town: str | None


class Projector(DutyHandlers):
    """Turns a batch of a district's events into changes of its report tables.

    `voided` gives, for each record a batch voids, the event that recorded it;
    `project_towns`, `inspection_towns` and `progress_towns` the towns of the projects, inspections
    and progress notes the batch's events name, as projected by earlier batches.
    """

    def __init__(self, voided: Mapping[str, RecordEvent], project_towns: Mapping[str, str],
                 inspection_towns: Mapping[str, str], progress_towns: Mapping[str, str] | None = None):
        self.voided = voided
        self.project_towns = dict(project_towns)
        self.inspection_towns = dict(inspection_towns)
        self.progress_towns = dict(progress_towns or {})
        self.changes = Changes()
        self.handlers: dict[type, Callable[[RecordEvent, int], Located | None]] = {
            ServiceDelivery.Delivered: self.service,
            Project.Contracted: self.contract,
            Project.FundSpent: self.spending,
            Project.SelfEvaluationSubmitted: self.evaluation,
            Project.FinalEvaluationDone: self.evaluation,
            Inspection.Done: self.inspection,
            Inspection.RectificationDone: self.rectification,
            Station.Established: self.station_fact,
            Station.Reestablished: self.station_fact,
            Station.SignboardHung: self.station_fact,
            Station.EquipmentRecorded: self.station_fact,
            Station.StaffAssigned: self.station_fact,
            Station.StaffReleased: self.station_fact,
            Station.RulesAdopted: self.station_fact,
            Report.Opened: self.report_submitted,
            Report.Submitted: self.report_submitted,
            Report.Approved: self.report_approved,
            Report.Returned: self.report_returned,
            CheckpointWitness.Witnessed: lambda *_: None,  # the audit trail's, no report's
            **self.duty_handlers(),
        }
        self.position = 0  # of the event being projected

    def project(self, events: Iterable[tuple[int, RecordEvent]]) -> Changes:
        for position, event in events:
            self.position = position
            if isinstance(event, RecordKeeping.RecordVoided):
                located = self.handlers[type(target := self.voided[event.record])](target, -1)
            else:
                located = self.handlers[type(event)](event, 1)
            if located is not None:
                self.changes.record_periods.append(
                    (position, event.record_id, event.record_type, located.period, located.town, event.on_behalf_of))
        # A projector projects one batch. Its handlers are its own bound methods: a reference cycle
        # that would keep it, and the batch's changes, alive until a full garbage collection.
        self.handlers.clear()
        return self.changes

    @staticmethod
    def located(period: str, town: str | None) -> Located:
        return Located(period, town)

    # -- services: the counted figures ---------------------------------------------------

    def service(self, e: ServiceDelivery.Delivered, sign: int) -> Located:
        period = period_of(e.occurred_on)
        self.changes.services.append(ServiceRow(period, e.town, e.domain, e.recipient_category, e.service_type,
                                                month_of(e.occurred_on), e.village_key, e.recipient_ref,
                                                e.person_times, e.hours, sign, e.project))
        return Located(period, e.town)

    # -- projects, money and evaluations -------------------------------------------------

    def contract(self, e: Project.Contracted, sign: int) -> Located:
        self.project_towns[e.project] = e.town or SHARED_TOWN
        if sign > 0:
            lines = [{"source": line["source"], "level": line.get("level", "own"), "amount": str(line["amount"])}
                     for line in e.funds]
            budget: dict[str, Decimal] = defaultdict(Decimal)
            for line in e.funds:
                budget[line["source"]] += Decimal(line["amount"])
            self.changes.rows.append(("projects", "upsert", {
                "project": e.project, "record_id": e.record_id, "town": e.town or SHARED_TOWN, "role": e.role,
                "name": e.name, "provider": e.provider["name"], "method": e.method, "amount": e.amount,
                "contract_start": e.contract_start, "contract_end": e.contract_end,
                "budget": {source: str(amount) for source, amount in budget.items()}, "lines": lines,
                "towns": {share["town"]: str(share["amount"]) for share in e.towns} if e.towns else None,
                "credit_code": e.provider.get("credit_code"), "key_recipients": e.key_recipients,
                "before_rules": "key_recipients" not in vars(e), "purchaser_kind": e.purchaser_kind,
                "provider_kind": e.provider.get("kind")}))
        else:
            self.changes.rows.append(("projects", "delete", {"project": e.project}))
        return Located(period_of(e.contract_start), e.town)

    def spending(self, e: Project.FundSpent, sign: int) -> Located:
        period, town = period_of(e.occurred_on), e.town or self.project_towns[e.project]
        line = self.changes.funds[(period, town, e.project, e.source, e.level)]
        line[0] += sign * e.amount
        line[1] += sign
        return Located(period, town)

    def evaluation(self, e: Project.SelfEvaluationSubmitted | Project.FinalEvaluationDone, sign: int) -> Located:
        is_self = isinstance(e, Project.SelfEvaluationSubmitted)
        on_date = e.submitted_on if is_self else e.done_on
        if sign > 0:
            self.changes.rows.append(("evaluations", "upsert", {
                "record_id": e.record_id, "project": e.project, "kind": "self" if is_self else "final",
                "contract_year": e.contract_year, "on_date": on_date, "score": e.score,
                "focus": [{"area": f["area"], "score": str(f["score"])} for f in e.focus] if not is_self and e.focus
                else None, "before_rules": not is_self and "focus" not in vars(e),
                "evaluator": None if is_self else e.evaluator, "evaluator_name": None if is_self else e.evaluator_name,
                "grade": None if is_self else e.grade}))
        else:
            self.changes.rows.append(("evaluations", "delete", {"record_id": e.record_id}))
        return Located(period_of(on_date), self.project_towns.get(e.project) or None)

    # -- inspections ---------------------------------------------------------------------

    def inspection(self, e: Inspection.Done, sign: int) -> Located:
        self.inspection_towns[e.record_id] = e.town
        if sign > 0:
            self.changes.rows.append(("inspections", "upsert", {
                "record_id": e.record_id, "town": e.town, "project": e.project, "occurred_on": e.occurred_on,
                "period": period_of(e.occurred_on), "kind": e.kind, "by_level": e.by,
                "issues_found": e.issues_found, "rectification_due": e.rectification_due,
                "rectified_on": None, "rectified_by": None, "scopes": list(e.scopes)}))
        else:
            self.changes.rows.append(("inspections", "delete", {"record_id": e.record_id}))
        return Located(period_of(e.occurred_on), e.town)

    def rectification(self, e: Inspection.RectificationDone, sign: int) -> Located:
        done = sign > 0
        self.changes.rows.append(("inspections", "rectify", {
            "record_id": e.inspection, "rectified_on": e.occurred_on if done else None,
            "rectified_by": e.record_id if done else None}))
        return Located(period_of(e.occurred_on), self.inspection_towns.get(e.inspection))

    # -- the station ---------------------------------------------------------------------

    def station_fact(self, e: RecordEvent, sign: int) -> Located:
        row = station_fact_row(e)
        if sign > 0:
            self.changes.rows.append(("station_facts", "upsert", row))
        else:
            self.changes.rows.append(("station_facts", "delete", {"record_id": e.record_id}))
        return Located(period_of(row["on_date"]), e.town)

    # -- the reporting chain -------------------------------------------------------------

    def report_submitted(self, e: Report.Submitted | Report.Opened, _: int) -> None:
        self._report_state(e, "submitted", submitted_at=e.timestamp)
        self._report_version(e, "submitted", e.position, e.figures)

    def report_approved(self, e: Report.Approved, _: int) -> None:
        self._report_state(e, "approved", decided_at=e.timestamp)
        self._report_version(e, "approved", e.position, e.figures)

    def report_returned(self, e: Report.Returned, _: int) -> None:
        self._report_state(e, "returned", decided_at=e.timestamp, reason=e.reason)

    def _report_state(self, e: RecordEvent, status: str, **fields: Any) -> None:
        self.changes.rows.append(("report_states", "transition", {
            "period": e.period, "town": e.town, "status": status, "submitted_at": fields.get("submitted_at"),
            "decided_at": fields.get("decided_at"), "reason": fields.get("reason")}))

    def _report_version(self, e: RecordEvent, version: str, position: int, figures: dict) -> None:
        self.changes.rows.append(("report_versions", "upsert", {
            "period": e.period, "town": e.town, "version": version, "position": position, "figures": figures,
            "recorded_at": e.timestamp}))


STATION_FACTS: dict[type, tuple[str, str | None, str, str | None]] = {
    # event type: (kind, key field, date field, detail field)
    Station.Established: ("established", None, "established_on", "host_facility"),
    Station.Reestablished: ("established", None, "established_on", "host_facility"),
    Station.SignboardHung: ("signboard", None, "hung_on", "text"),
    Station.EquipmentRecorded: ("equipment", "item", "recorded_on", None),
    Station.StaffAssigned: ("staff_assigned", "person_ref", "assigned_on", "role"),
    Station.StaffReleased: ("staff_released", "person_ref", "released_on", None),
    Station.RulesAdopted: ("rules", "category", "adopted_on", None),
}


def station_fact_row(e: RecordEvent) -> dict[str, Any]:
    """A station record as the compliance check's fact (`compliance.StationFact`), as a row of
    `station_facts`: what the projection keeps, and what a replay of the station's events makes."""
    kind, key, on, detail = STATION_FACTS[type(e)]
    # A sign's emblem, position and style, as far as its record said (its event's own fields:
    # one stored before they existed holds none of them).
    said = {name: value for name in (*SIGN_ATTRIBUTES, *FACT_ATTRIBUTES) if (value := vars(e).get(name)) is not None}
    on_date: date = getattr(e, on)
    return {"record_id": e.record_id, "town": e.town, "kind": kind, "key": getattr(e, key) if key else None,
            "on_date": on_date, "detail": getattr(e, detail) if detail else None, "attributes": said,
            "before_rules": kind == "signboard" and "emblem" not in vars(e)}
