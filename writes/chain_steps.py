"""The steps of a district's chains, each one event on its stream: a report's (submitted,
approved, sent back), a purchase plan's (submitted, filed, sent back) and the city's copy of a
district's signed checkpoint. Mixed into `ledger.DistrictLedger`, which provides `district`,
`current` (a stream's aggregate as the log holds it) and `_advance` (a step stored, retried on a
race); kept apart from the batches of records so that each file holds one idea.
"""

from collections.abc import Callable
from uuid import UUID

from domain.events import Provenance, stream_id
from domain.plan import Plan, PlanStateViolation
from domain.report import ChainViolation, Report
from domain.witness import CheckpointWitness


class ChainSteps:
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

    def check_can_submit(self, period: str, town: str) -> None:
        """Refuse early (before its figures are worked out) a report already submitted or approved."""
        report = self.current(self._report_stream(period, town))
        if isinstance(report, Report):
            report.check_can_submit()

    def report_status(self, period: str, town: str) -> str | None:
        report = self.current(self._report_stream(period, town))
        return report.status if isinstance(report, Report) else None

    def _report_stream(self, period: str, town: str) -> UUID:
        return stream_id(self.district, "report", f"{period}/{town or 'district'}")

    def _advance_report(self, period: str, town: str, step: Callable[[Report | None, UUID, str], Report]) -> int:
        return self._advance(self._report_stream(period, town), "report", step)

    def witness_checkpoint(self, district: str, checkpoint: dict, provenance: Provenance) -> int | None:
        """Keep a copy of a district's signed checkpoint in this (the city's) store; None if it already is."""
        stream = stream_id(self.district, "witness", f"{district}/{checkpoint['tree_size']}")
        if self.current(stream) is not None:
            return None
        return self._advance(stream, "witness", lambda _, s, record_id: CheckpointWitness.witness(
            s, district, checkpoint, record_id, provenance))

    def submit_plan(self, year: int, provenance: Provenance) -> int:
        """Send the year's purchase plan (its current version) to the city for filing."""
        return self._advance_plan(year, lambda plan, record_id: plan.submit(record_id, provenance))

    def file_plan(self, year: int, provenance: Provenance) -> int:
        """The city files (备案) the district's submitted plan."""
        return self._advance_plan(year, lambda plan, record_id: plan.file(record_id, provenance))

    def return_plan(self, year: int, reason: str, provenance: Provenance) -> int:
        return self._advance_plan(year, lambda plan, record_id: plan.send_back(reason, record_id, provenance))

    def plan(self, year: int) -> Plan | None:
        plan = self.current(stream_id(self.district, "plan", str(year)))
        return plan if isinstance(plan, Plan) else None

    def _advance_plan(self, year: int, step: Callable[[Plan, str], None]) -> int:
        def advance(plan: Plan | None, _: UUID, record_id: str) -> Plan:
            if plan is None:
                raise PlanStateViolation("year", f"{year}年度购买计划尚未编制", f"no purchase plan for {year} is drafted")
            step(plan, record_id)
            return plan
        return self._advance(stream_id(self.district, "plan", str(year)), "plan", advance)


def _existing(report: Report | None) -> Report:
    if report is None:
        raise ChainViolation("status", "报表尚未报送", "the report has not been submitted")
    return report
