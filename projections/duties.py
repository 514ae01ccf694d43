"""What the events of the district's and the city's duties do to the report tables: plans and
their steps, the funds secured, the register of villages, provider exits, linked projects' figures,
progress notes, training sessions.

Part of the `Projector` (one handler per event type, no I/O); kept apart so each file holds one
idea. A voided record is handled again with sign -1, as everywhere.
"""

from collections.abc import Callable
from typing import Any

from domain.events import RecordEvent
from domain.funding import BudgetAllocation
from domain.linked import LinkedFigures
from domain.plan import Plan
from domain.progress import ProgressNote
from domain.project import Project
from domain.training import Training
from domain.villages import VillageRegistry
from projections.periods import period_of


class DutyHandlers:
    """Mixed into `Projector`, which provides `changes`, `position`, `project_towns`, `progress_towns`
    and `Located`."""

    def duty_handlers(self) -> dict[type, Callable[[Any, int], Any]]:
        return {
            Plan.Drafted: self.plan_drafted,
            Plan.Redrafted: self.plan_drafted,
            Plan.Submitted: self.plan_step,
            Plan.Filed: self.plan_step,
            Plan.Returned: self.plan_step,
            Project.ProviderExited: self.provider_exited,
            LinkedFigures.Collected: self.linked_figures,
            LinkedFigures.Recollected: self.linked_figures,
            ProgressNote.Reported: self.progress_reported,
            ProgressNote.ProblemResolved: self.problem_resolved,
            Training.Held: self.training_held,
            VillageRegistry.FirstRegistered: self.village_registered,
            VillageRegistry.Registered: self.village_registered,
            BudgetAllocation.Allocated: self.budget_allocated,
        }

    # -- the annual purchase plan (never voided) ---------------------------------------------

    def plan_drafted(self, e: Plan.Drafting, _: int) -> None:
        self.changes.rows.append(("plans", "draft", {
            "year": e.year, "version": e.version, "content": e.content(), "drafted_at": e.timestamp}))
        self._plan_step(e, "drafted")

    def plan_step(self, e: Plan.Step, _: int) -> None:
        self.changes.rows.append(("plans", "step", {
            "year": e.year, "status": e.status, "at": e.timestamp, "reason": getattr(e, "reason", None)}))
        self._plan_step(e, e.status)

    def _plan_step(self, e: RecordEvent, step: str) -> None:
        self.changes.rows.append(("plan_steps", "insert", {
            "position": self.position, "year": e.year, "version": e.version, "step": step, "record_id": e.record_id,
            "actor": e.actor, "actor_role": e.actor_role, "at": e.timestamp, "reason": getattr(e, "reason", None)}))

    # -- a provider's exit: the project's effective end ----------------------------------------

    def provider_exited(self, e: Project.ProviderExited, sign: int) -> Any:
        on = sign > 0
        self.changes.rows.append(("projects", "exit", {
            "project": e.project, "exited_on": e.exited_on if on else None,
            "exit_condition": e.condition if on else None, "exit_reason": e.reason if on else None,
            "successor_project": e.successor_project if on else None, "exit_record": e.record_id if on else None}))
        return self.located(period_of(e.exited_on), self.project_towns.get(e.project))

    # -- the "N": figures collected from linked projects ----------------------------------------

    def linked_figures(self, e: LinkedFigures.Collection, sign: int) -> Any:
        if sign > 0:
            self.changes.rows.append(("linked_figures", "upsert", {
                "record_id": e.record_id, "town": e.town, "period": e.period, "name": e.name,
                "purchaser": e.purchaser, "domain": e.domain, "people_served": e.people_served,
                "person_times": e.person_times, "amount": e.amount, "project": e.project,
                "collected_on": e.collected_on}))
        else:
            self.changes.rows.append(("linked_figures", "delete", {"record_id": e.record_id}))
        return self.located(e.period, e.town)

    # -- progress notes and the problems they raise ---------------------------------------------

    def progress_reported(self, e: ProgressNote.Reported, sign: int) -> Any:
        period = period_of(e.reported_on)
        self.progress_towns[e.record_id] = e.town
        if sign > 0:
            self.changes.rows.append(("progress_notes", "upsert", {
                "record_id": e.record_id, "town": e.town, "project": e.project, "reported_on": e.reported_on,
                "period": period, "summary": e.summary}))
            for problem in e.problems:
                self.changes.rows.append(("progress_problems", "upsert", {
                    "record_id": e.record_id, "key": problem["key"], "town": e.town, "project": e.project,
                    "raised_on": e.reported_on, "description": problem["description"]}))
        else:
            self.changes.rows.append(("progress_notes", "delete", {"record_id": e.record_id}))
            self.changes.rows.append(("progress_problems", "delete", {"record_id": e.record_id}))
        return self.located(period, e.town)

    def problem_resolved(self, e: ProgressNote.ProblemResolved, sign: int) -> Any:
        done = sign > 0
        self.changes.rows.append(("progress_problems", "resolve", {
            "record_id": e.progress, "key": e.problem, "resolved_on": e.resolved_on if done else None,
            "resolved_by": e.record_id if done else None}))
        return self.located(period_of(e.resolved_on), self.progress_towns.get(e.progress))  # its note's town

    # -- the city's training sessions ------------------------------------------------------------

    def training_held(self, e: Training.Held, sign: int) -> Any:
        if sign > 0:
            for attended in e.attendance:
                self.changes.rows.append(("trainings", "upsert", {
                    "record_id": e.record_id, "town": attended["town"], "town_district": attended["district"],
                    "held_on": e.held_on, "year": e.held_on.year, "topic": e.topic, "audiences": e.audiences,
                    "attendees": attended["attendees"], "position": self.position}))
        else:
            self.changes.rows.append(("trainings", "void", {"record_id": e.record_id, "voided_at": self.position}))
        return self.located(period_of(e.held_on), None)

    # -- the district's registers: its villages, the funds it secures -------------------------------

    def village_registered(self, e: VillageRegistry.Registration, sign: int) -> Any:
        if sign > 0:
            self.changes.rows.append(("villages", "upsert", {
                "record_id": e.record_id, "town": e.town, "village": e.village, "name": e.name, "kind": e.kind,
                "valid_from": e.valid_from, "valid_to": e.valid_to, "aliases": e.aliases}))
        else:
            self.changes.rows.append(("villages", "delete", {"record_id": e.record_id}))
        return self.located(period_of(e.valid_from), e.town)

    def budget_allocated(self, e: BudgetAllocation.Allocated, sign: int) -> Any:
        if sign > 0:
            self.changes.rows.append(("budget_allocations", "upsert", {
                "record_id": e.record_id, "year": e.year, "document": e.document, "allocated_on": e.allocated_on,
                "lines": [{"source": line["source"], "level": line["level"], "amount": str(line["amount"])}
                          for line in e.lines]}))
        else:
            self.changes.rows.append(("budget_allocations", "delete", {"record_id": e.record_id}))
        return self.located(period_of(e.allocated_on), None)
