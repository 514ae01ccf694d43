"""The records of the district's and the city's duties beyond day-to-day work (guide, section 四):
the annual purchase plan, the funds secured for the year, the district's register of villages, a
provider's exit, the linked projects' figures, progress notes and their problems, and the city's
training sessions."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.record_base import FundLine, ProjectId, _Record
from domain.values import PERIOD_PATTERN, BusinessDate, Count, Money, RecordId, TownCode, text
from domain.vocabulary import (
    Evaluator, ExitCondition, FundLevel, FundSource, ProcurementMethod, ProjectRole, PurchaserKind, ServiceDomain,
    TrainingAudience, VillageKind,
)

ProblemKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$", examples=["P1"])]
PlanYear = Annotated[int, Field(ge=2000, le=2099, strict=True, examples=[2025])]


def _unique(values: list, zh: str, en: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{zh}重复 / {en} is listed twice")


def _funds_add_up(funds: list[FundLine], amount) -> None:
    # A source may be planned at both levels (本级 and 上级下达), once each, as on a contract.
    _unique([(f.source, f.level) for f in funds], "资金来源及级次", "a fund source at one level")
    if sum(f.amount for f in funds) != amount:
        raise ValueError("各资金来源之和须等于金额 / the fund lines must add up to the amount")


class PlannedProject(BaseModel):
    """One station service project the district plans to buy in the year, with its evaluations."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    project: ProjectId  # the id its contract will carry: how the plan is matched with reality
    town: TownCode
    role: ProjectRole
    name: text(200)
    domains: list[ServiceDomain] = Field(min_length=1, max_length=11)
    amount: Money
    funds: list[FundLine] = Field(min_length=1, max_length=6)
    purchaser_kind: PurchaserKind
    method: ProcurementMethod
    self_evaluation_on: BusinessDate
    final_evaluation_on: BusinessDate
    evaluator: Evaluator

    @model_validator(mode="after")
    def _consistent(self) -> "PlannedProject":
        _funds_add_up(self.funds, self.amount)
        _unique(self.domains, "服务领域", "a service domain")
        if self.final_evaluation_on < self.self_evaluation_on:
            raise ValueError("期末评估日期早于中期自评日期 / final_evaluation_on is before self_evaluation_on")
        return self


class PlannedExit(BaseModel):
    """A condition under which a provider is replaced (退出机制)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    condition: ExitCondition
    description: text(1000)


class EmergencyPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    document: text(200)  # its reference, e.g. 思民〔2025〕12号
    dated_on: BusinessDate


class PurchasePlanDrafted(_Record):
    """The district's annual purchase plan, or a new draft of it (a filed plan's amendment)."""

    type: Literal["purchase_plan_drafted"]
    year: PlanYear
    projects: list[PlannedProject] = Field(min_length=1, max_length=500)
    exit_conditions: list[PlannedExit] = Field(min_length=1, max_length=20)
    emergency_plan: EmergencyPlan

    @property
    def business_dates(self) -> dict[str, date]:
        # Evaluations are planned for the future; the emergency plan must exist already.
        return {"emergency_plan.dated_on": self.emergency_plan.dated_on}

    @model_validator(mode="after")
    def _consistent(self) -> "PurchasePlanDrafted":
        _unique([p.project for p in self.projects], "计划项目编号", "a planned project id")
        _unique([e.condition for e in self.exit_conditions], "退出情形", "an exit condition")
        return self


class AllocatedLine(BaseModel):
    """Money secured for the year on one fund line, at one level (本级 or 上级下达)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    source: FundSource
    level: FundLevel
    amount: Money


class BudgetAllocated(_Record):
    """Funds the district secures for its stations' service purchases in a year (区民政局协调区财政局
    提供资金保障): one record per allocation, a supplementary one adding to the first."""

    type: Literal["budget_allocated"]
    year: PlanYear
    lines: list[AllocatedLine] = Field(min_length=1, max_length=12)
    document: text(200)  # the finance bureau's reference, e.g. 思财〔2025〕8号
    allocated_on: BusinessDate

    @model_validator(mode="after")
    def _consistent(self) -> "BudgetAllocated":
        _unique([(line.source, line.level) for line in self.lines], "资金来源及级次", "a fund line")
        return self


VillageCode = Annotated[str, Field(pattern=r"^[0-9]{12}$", examples=["350203001001"],
                                   description="村(社区)的12位统计用区划代码 / the 12-digit statistical division code")]


class VillageRegistered(_Record):
    """One version of a village (村) or community (社区) in the district's register, dated as towns are:
    a rename is a new version of the same code from a later day, and ends the version before it."""

    type: Literal["village_registered"]
    town: TownCode
    village: VillageCode
    name: text(100)
    kind: VillageKind
    valid_from: BusinessDate
    valid_to: BusinessDate | None = None
    aliases: list[text(100)] = Field(default_factory=list, max_length=20,
                                     description="其他写法，旧记录中的自由文本据此对应 / other spellings that mean it")

    @property
    def business_dates(self) -> dict[str, date]:
        return {"valid_from": self.valid_from}  # a version may be known to end in the future

    @model_validator(mode="after")
    def _consistent(self) -> "VillageRegistered":
        if not self.village.startswith(self.town):
            raise ValueError("村(社区)代码须以所属镇(街道)代码开头 / the village code must begin with its town's")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("失效日期早于生效日期 / valid_to is before valid_from")
        return self


class ProviderExited(_Record):
    type: Literal["provider_exited"]
    project: ProjectId
    condition: ExitCondition
    reason: text(1000)
    exited_on: BusinessDate
    successor_project: ProjectId | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "ProviderExited":
        if self.successor_project == self.project:
            raise ValueError("接续项目不能是本项目 / the successor cannot be the project itself")
        return self


class LinkedFiguresCollected(_Record):
    """Figures a station collects from another purchased civil-affairs project of its town (the "N")."""

    type: Literal["linked_figures_collected"]
    town: TownCode
    period: Annotated[str, Field(pattern=PERIOD_PATTERN, examples=["2025H1"])]
    name: text(200)
    purchaser: text(200)
    domain: ServiceDomain
    people_served: Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
    person_times: Annotated[int, Field(ge=0, le=10_000_000, strict=True)] | None = None
    amount: Money
    project: ProjectId | None = None  # when the linked project is contracted in this district
    collected_on: BusinessDate


class ReportedProblem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: ProblemKey
    description: text(2000)


class ProgressReported(_Record):
    """The provider's periodic progress note to the town, with the problems it raises."""

    type: Literal["progress_reported"]
    town: TownCode
    project: ProjectId | None = None
    reported_on: BusinessDate
    summary: text(5000)
    problems: list[ReportedProblem] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> "ProgressReported":
        _unique([p.key for p in self.problems], "问题编号", "a problem key")
        return self


class ProblemResolved(_Record):
    type: Literal["problem_resolved"]
    progress: RecordId  # the progress_reported record that raised it
    problem: ProblemKey
    resolved_on: BusinessDate
    note: text(2000)


class TownAttendance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    town: TownCode
    attendees: Count


class TrainingHeld(_Record):
    """A training session the city holds for station staff and projects (the city's own record)."""

    type: Literal["training_held"]
    held_on: BusinessDate
    topic: text(200)
    audiences: list[TrainingAudience] = Field(min_length=1, max_length=2)
    attendance: list[TownAttendance] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _consistent(self) -> "TrainingHeld":
        _unique(self.audiences, "培训对象", "an audience")
        _unique([a.town for a in self.attendance], "镇(街道)", "a town")
        return self
