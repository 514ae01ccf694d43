"""The record types a station, town or district sends (`../shared/API.md`), and the city's own.

A record is the unit of writing: it has a client-chosen `id` (the idempotency key), a
`type`, and the fields of its type. Its shape is checked here; the rules that need state
(one station per town, fund balances...) are checked by the aggregates.
"""

import hashlib
import json
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter, model_validator

from domain.values import (
    RECORD_ID_PATTERN, BusinessDate, Count, CreditCode, Hours, Money, PersonRef, RecordId, Score, TownCode,
    text,
)
from domain.vocabulary import (
    Equipment, Evaluator, ExitCondition, FundSource, HostFacility, InspectionKind, InspectionScope,
    ProcurementMethod, ProjectRole, ProviderKind, PurchaserKind, RecipientCategory,
    ReportLevel, RuleCategory, ServiceDomain, ServiceType, StaffRole, TrainingAudience,
)

ProjectId = Annotated[str, Field(pattern=RECORD_ID_PATTERN, examples=["P-350203001-2025"])]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    id: RecordId

    @property
    def town_ref(self) -> str | None:
        """The town the record names directly, if it names one."""
        return getattr(self, "town", None)

    @property
    def business_dates(self) -> dict[str, date]:
        """Every business date of the record, by field name (none may be in the future)."""
        return {k: v for k, v in self if isinstance(v, date)}

    def fields(self) -> dict:
        """The record's content, without its id and type: what its event carries."""
        return self.model_dump(exclude={"id", "type"})

    def content_hash(self) -> str:
        """A digest of the record as understood, so a retry with the same content is known."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class StationEstablished(_Record):
    type: Literal["station_established"]
    town: TownCode
    host_facility: HostFacility
    address: text(300)
    established_on: BusinessDate


class SignboardHung(_Record):
    type: Literal["signboard_hung"]
    town: TownCode
    text: text(60)
    hung_on: BusinessDate


class EquipmentRecorded(_Record):
    type: Literal["equipment_recorded"]
    town: TownCode
    item: Equipment
    quantity: Count
    recorded_on: BusinessDate


class StaffAssigned(_Record):
    type: Literal["staff_assigned"]
    town: TownCode
    person_ref: PersonRef
    role: StaffRole
    assigned_on: BusinessDate


class StaffReleased(_Record):
    type: Literal["staff_released"]
    town: TownCode
    person_ref: PersonRef
    released_on: BusinessDate


class RulesAdopted(_Record):
    type: Literal["rules_adopted"]
    town: TownCode
    category: RuleCategory
    posted_on_wall: StrictBool
    adopted_on: BusinessDate


class Provider(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    name: text(200)
    kind: ProviderKind
    credit_code: CreditCode | None = None


class FundLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    source: FundSource
    amount: Money


class ProjectContracted(_Record):
    type: Literal["project_contracted"]
    project: ProjectId
    town: TownCode
    role: ProjectRole
    name: text(200)
    purchaser_kind: PurchaserKind
    provider: Provider
    method: ProcurementMethod
    amount: Money
    contract_start: BusinessDate
    contract_end: BusinessDate
    funds: list[FundLine] = Field(min_length=1, max_length=6)
    domains: list[ServiceDomain] = Field(min_length=1, max_length=11)

    @property
    def business_dates(self) -> dict[str, date]:
        # A contract is signed for a future term; only its start must have come.
        return {"contract_start": self.contract_start}

    @model_validator(mode="after")
    def _consistent(self) -> "ProjectContracted":
        if self.contract_end < self.contract_start:
            raise ValueError("合同结束日期早于开始日期 / contract_end is before contract_start")
        sources = [f.source for f in self.funds]
        if len(set(sources)) != len(sources):
            raise ValueError("资金来源重复 / a fund source is listed twice")
        if sum(f.amount for f in self.funds) != self.amount:
            raise ValueError("各资金来源之和须等于合同金额 / the fund lines must add up to the amount")
        if len(set(self.domains)) != len(self.domains):
            raise ValueError("服务领域重复 / a service domain is listed twice")
        return self


class ServiceDelivered(_Record):
    type: Literal["service_delivered"]
    town: TownCode
    project: ProjectId | None = None
    occurred_on: BusinessDate
    domain: ServiceDomain
    service_type: ServiceType
    recipient_category: RecipientCategory
    recipient_ref: PersonRef
    village: text(100) | None = None
    person_times: Count = 1
    hours: Hours


class FundSpent(_Record):
    type: Literal["fund_spent"]
    project: ProjectId
    occurred_on: BusinessDate
    source: FundSource
    amount: Money
    purpose: text(500)
    voucher: text(100, screened=False) | None = None


class InspectionDone(_Record):
    type: Literal["inspection_done"]
    town: TownCode
    project: ProjectId | None = None
    occurred_on: BusinessDate
    kind: InspectionKind
    scopes: list[InspectionScope] = Field(min_length=1, max_length=3)
    by: Literal[ReportLevel.city, ReportLevel.district, ReportLevel.town]
    findings: text(5000)
    issues_found: StrictBool
    rectification_due: BusinessDate | None = None

    @property
    def business_dates(self) -> dict[str, date]:
        return {"occurred_on": self.occurred_on}  # a rectification is due in the future

    @model_validator(mode="after")
    def _consistent(self) -> "InspectionDone":
        if self.rectification_due is not None:
            if not self.issues_found:
                raise ValueError("未发现问题则无整改期限 / a rectification date needs issues found")
            if self.rectification_due < self.occurred_on:
                raise ValueError("整改期限早于检查日期 / rectification_due is before the inspection")
        return self


class RectificationDone(_Record):
    type: Literal["rectification_done"]
    inspection: RecordId
    occurred_on: BusinessDate
    note: text(5000)


class SelfEvaluationSubmitted(_Record):
    type: Literal["self_evaluation_submitted"]
    project: ProjectId
    contract_year: Annotated[int, Field(ge=1, le=30, strict=True)]
    submitted_on: BusinessDate
    summary: text(5000)
    score: Score | None = None


class FinalEvaluationDone(_Record):
    type: Literal["final_evaluation_done"]
    project: ProjectId
    contract_year: Annotated[int, Field(ge=1, le=30, strict=True)]
    evaluator: Evaluator
    evaluator_name: text(200)
    score: Score
    grade: text(20)
    done_on: BusinessDate


# -- the district's duties beyond day-to-day records (guide, section 四) ----------------------

PERIOD_PATTERN = r"^20[0-9]{2}H[12]$"
ProblemKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$", examples=["P1"])]
PlanYear = Annotated[int, Field(ge=2000, le=2099, strict=True, examples=[2025])]


def _unique(values: list, zh: str, en: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{zh}重复 / {en} is listed twice")


def _funds_add_up(funds: list[FundLine], amount) -> None:
    _unique([f.source for f in funds], "资金来源", "a fund source")
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


class RecordVoided(_Record):
    type: Literal["record_voided"]
    record: RecordId
    reason: text(1000)


Record = Annotated[
    StationEstablished | SignboardHung | EquipmentRecorded | StaffAssigned | StaffReleased | RulesAdopted | ProjectContracted | ServiceDelivered | FundSpent | InspectionDone | RectificationDone | SelfEvaluationSubmitted | FinalEvaluationDone | PurchasePlanDrafted | ProviderExited | LinkedFiguresCollected | ProgressReported | ProblemResolved | RecordVoided,
    Field(discriminator="type"),
]
CityRecord = Annotated[TrainingHeld | RecordVoided, Field(discriminator="type")]

MAX_BATCH = 1000


class RecordBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[Record] = Field(min_length=1, max_length=MAX_BATCH)


class CityRecordBatch(BaseModel):
    """The city bureau's own records, kept in the city's store."""

    model_config = ConfigDict(extra="forbid")

    records: list[CityRecord] = Field(min_length=1, max_length=MAX_BATCH)


RECORD_TYPES: dict[str, type[_Record]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls for cls in _Record.__subclasses__()
}

parse_record = TypeAdapter(Record).validate_python
parse_city_record = TypeAdapter(CityRecord).validate_python
