"""A district's annual purchase plan on its way to the city: drafted, submitted, filed (备案)
or returned with a reason.

The guide (section 四) has the district make the plan (projects to buy, evaluation
arrangements, exit mechanism, emergency plan) and the city file it. A filed plan stands until
an amendment is filed: amending it opens a new version, in draft, that goes through the same
steps, while the last filed version stays the plan reports measure reality against.
"""

from typing import Any

from domain import records as r
from domain.errors import RuleViolation
from domain.events import FoundingEvent, Provenance, RecordEvent, RecordKeeping

STATUS_ZH = {None: "未编制", "draft": "草稿", "submitted": "已报市备案", "filed": "已备案", "returned": "已退回"}
FILER_ROLE = "city"


class PlanStateViolation(RuleViolation):
    """A step the plan's lifecycle does not allow from its current state."""


class PlanForbidden(RuleViolation):
    """A step only the city may take (filing or returning a district's plan)."""


class Plan(RecordKeeping):
    class Drafting(FoundingEvent):
        record_type = "purchase_plan_drafted"
        year: int
        version: int
        projects: list
        exit_conditions: list
        emergency_plan: dict

        def apply(self, plan: "Plan") -> None:
            super().apply(plan)
            plan.plan_version, plan.status, plan.content = self.version, "draft", self.content()

        def content(self) -> dict[str, Any]:
            return {"projects": self.projects, "exit_conditions": self.exit_conditions,
                    "emergency_plan": self.emergency_plan}

    class Drafted(Drafting, RecordKeeping.Created):
        pass

    class Redrafted(Drafting):
        """A draft replaced, or a filed plan's amendment opened as a new version."""

    class Step(RecordEvent):
        year: int
        version: int
        status: str

        def apply(self, plan: "Plan") -> None:
            super().apply(plan)
            plan.status = self.status
            if self.status == "filed":
                plan.filed_version, plan.filed_content = self.version, plan.content

    class Submitted(Step):
        record_type = "plan_submitted"

    class Filed(Step):
        record_type = "plan_filed"

    class Returned(Step):
        record_type = "plan_returned"
        reason: str

    def __init__(self, year: int):
        self.year = year
        self.town = None  # a district's plan: no station may touch it
        self.active: dict[str, RecordEvent] = {}
        self.founded_by: str | None = None
        self.plan_version = 0  # the plan's own versions (the aggregate's `version` counts its events)
        self.status: str | None = None
        self.content: dict[str, Any] = {}
        self.filed_version: int | None = None
        self.filed_content: dict[str, Any] | None = None

    @classmethod
    def draft_new(cls, stream: Any, record: r.PurchasePlanDrafted, provenance: Provenance) -> "Plan":
        return cls._create(cls.Drafted, id=stream, version=1, **_content(record), **provenance.event_kwargs(record.id))

    def redraft(self, record: r.PurchasePlanDrafted, provenance: Provenance) -> None:
        """Replace a draft (or a returned version); a filed plan is amended by a new version."""
        if self.status == "submitted":
            raise PlanStateViolation("year", f"{self.year}年度购买计划已报市备案，待市民政局备案或退回后方可修改",
                                     f"the {self.year} plan awaits the city: it can change once filed or returned")
        version = self.plan_version + 1 if self.status == "filed" else self.plan_version
        self._record(self.Redrafted, record.id, provenance, version=version, **_content(record))

    def _check_status(self, allowed: tuple[str | None, ...], action_zh: str, action_en: str) -> None:
        if self.status not in allowed:
            raise PlanStateViolation("status", f"购买计划状态为“{STATUS_ZH[self.status]}”，不能{action_zh}",
                                     f"a plan that is {self.status or 'not drafted'} cannot be {action_en}")

    def submit(self, record_id: str, provenance: Provenance) -> None:
        self._check_status(("draft", "returned"), "报市备案", "submitted")
        self._step(self.Submitted, "submitted", record_id, provenance)

    def file(self, record_id: str, provenance: Provenance) -> None:
        check_filer(provenance, "备案", "file")
        self._check_status(("submitted",), "备案", "filed")
        self._step(self.Filed, "filed", record_id, provenance)

    def send_back(self, reason: str, record_id: str, provenance: Provenance) -> None:
        check_filer(provenance, "退回", "return")
        self._check_status(("submitted",), "退回", "returned")
        self._step(self.Returned, "returned", record_id, provenance, reason=reason)

    def _step(self, event: type["Plan.Step"], status: str, record_id: str, provenance: Provenance,
              **fields: Any) -> None:
        self._record(event, record_id, provenance, year=self.year, version=self.plan_version, status=status, **fields)

    def check_can_void(self, record_id: str) -> None:
        raise RuleViolation("record", "购买计划不能作废，只能以新版本修订并重新备案",
                            "a purchase plan is never voided: amend it with a new version, filed again")


def check_filer(provenance: Provenance, action_zh: str, action_en: str) -> None:
    if provenance.actor_role != FILER_ROLE:
        raise PlanForbidden("status", f"只有市民政局可以{action_zh}区的购买计划",
                            f"only the city may {action_en} a district's purchase plan")


def _content(record: r.PurchasePlanDrafted) -> dict[str, Any]:
    return record.model_dump(mode="json", include={"year", "projects", "exit_conditions", "emergency_plan"})
