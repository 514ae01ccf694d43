"""The record types a station, town or district sends (`../shared/API.md`), and the city's own.

A record is the unit of writing: it has a client-chosen `id` (the idempotency key), a
`type`, and the fields of its type. Its shape is checked here; the rules that need state
(one station per town, fund balances...) are checked by the aggregates. The records of the
district's and the city's duties are in `duty_records.py`.
"""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter, model_validator

from domain.duty_records import (
    LinkedFiguresCollected, ProblemResolved, ProgressReported, ProviderExited, PurchasePlanDrafted, TrainingHeld,
)
from domain.record_base import FundLine, ProjectId, _Record
from domain.values import BusinessDate, Count, CreditCode, Hours, Money, PersonRef, RecordId, Score, TownCode, text
from domain.vocabulary import (
    Equipment, Evaluator, FundSource, HostFacility, InspectionKind, InspectionScope,
    ProcurementMethod, ProjectRole, ProviderKind, PurchaserKind, RecipientCategory,
    ReportLevel, RuleCategory, ServiceDomain, ServiceType, StaffRole,
)


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
