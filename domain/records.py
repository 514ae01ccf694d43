"""The record types a station, town or district sends (`../shared/API.md`), and the city's own.

A record is the unit of writing: it has a client-chosen `id` (the idempotency key), a
`type`, and the fields of its type. Its shape is checked here; the rules that need state
(one station per town, fund balances...) are checked by the aggregates. The records of the
district's and the city's duties are in `duty_records.py`.
"""

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter, model_validator

from domain.duty_records import (
    BudgetAllocated, LinkedFiguresCollected, ProblemResolved, ProgressReported, ProviderExited, PurchasePlanDrafted,
    TrainingHeld, VillageRegistered,
)
from domain.record_base import FundLine, ProjectId, _Record
from domain.values import BusinessDate, Count, CreditCode, Hours, Money, PersonRef, RecordId, Score, TownCode, text
from domain.vocabulary import (
    Equipment, EvaluationFocus, Evaluator, FundLevel, FundSource, HostFacility, InspectionKind, InspectionScope,
    ProcurementMethod, ProjectRole, ProviderKind, PurchaserKind, RecipientCategory,
    ReportLevel, RuleCategory, ServiceDomain, ServiceType, SignPosition, StaffRole,
)


class StationEstablished(_Record):
    type: Literal["station_established"]
    town: TownCode
    host_facility: HostFacility
    address: text(300)
    established_on: BusinessDate


class SignboardHung(_Record):
    type: Literal["signboard_hung"]
    ADDED: ClassVar[frozenset[str]] = frozenset({"emblem", "position", "uniform_style"})
    town: TownCode
    text: text(60)
    hung_on: BusinessDate
    # The guide's sign (附件1): the civil-affairs emblem beside the text, made in the uniform style,
    # hung outside in a prominent place. Unknown (None) unless said.
    emblem: StrictBool | None = Field(default=None, description="标牌含民政标识 / the sign carries the civil-affairs emblem")
    position: SignPosition | None = Field(default=None, description="悬挂位置 / where the sign is hung")
    uniform_style: StrictBool | None = Field(
        default=None, description="按统一标牌样式（附件1）制作 / made in the uniform style of attachment 1")


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
    # Required of a new contract (the rules say so when deciding): records stored before that
    # rule may lack it, and are still recognised when sent again.
    credit_code: CreditCode | None = Field(
        default=None, description="统一社会信用代码，新合同必填 / unified social credit code, required on a new contract")


class TownShare(BaseModel):
    """A town's share of a contract the district buys for several towns (区统筹购买)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    town: TownCode
    amount: Money


class ProjectContracted(_Record):
    type: Literal["project_contracted"]
    ADDED: ClassVar[frozenset[str]] = frozenset({"towns", "key_recipients"})
    project: ProjectId
    town: TownCode | None = Field(default=None, description="项目所属镇(街道)；区统筹购买多个镇(街道)时改用 towns"
                                                           " / the project's town; `towns` instead for several")
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
    towns: list[TownShare] | None = Field(
        default=None, min_length=2, max_length=50,
        description="区统筹购买：覆盖的镇(街道)及各自分摊金额 / a district purchase for several towns, split by town")
    key_recipients: list[RecipientCategory] | None = Field(
        default=None, min_length=1, max_length=14,
        description="核心项目选择的重点民政服务对象 / the key recipient categories a core project is designed for")

    @property
    def business_dates(self) -> dict[str, date]:
        # A contract is signed for a future term; only its start must have come.
        return {"contract_start": self.contract_start}

    @model_validator(mode="after")
    def _consistent(self) -> "ProjectContracted":
        if self.contract_end < self.contract_start:
            raise ValueError("合同结束日期早于开始日期 / contract_end is before contract_start")
        lines = [(f.source, f.level) for f in self.funds]
        if len(set(lines)) != len(lines):
            raise ValueError("资金来源及级次重复 / a fund source is listed twice at one level")
        if sum(f.amount for f in self.funds) != self.amount:
            raise ValueError("各资金来源之和须等于合同金额 / the fund lines must add up to the amount")
        if len(set(self.domains)) != len(self.domains):
            raise ValueError("服务领域重复 / a service domain is listed twice")
        self._check_towns()
        if self.key_recipients is not None:
            if self.role != "core":
                raise ValueError("只有核心项目记录重点服务对象 / only a core project names key recipients")
            if len(set(self.key_recipients)) != len(self.key_recipients):
                raise ValueError("重点服务对象重复 / a key recipient category is listed twice")
        return self

    def _check_towns(self) -> None:
        if (self.town is None) == (self.towns is None):
            raise ValueError("须给出 town 或 towns 之一 / give either town or towns")
        if self.towns is None:
            return
        towns = [share.town for share in self.towns]
        if len(set(towns)) != len(towns):
            raise ValueError("镇(街道)重复 / a town is listed twice")
        if sum(share.amount for share in self.towns) != self.amount:
            raise ValueError("各镇(街道)分摊金额之和须等于合同金额 / the towns' shares must add up to the amount")
        if self.purchaser_kind != "district_bureau":
            raise ValueError("覆盖多个镇(街道)的项目须由区民政部门统筹购买 / only the district bureau buys for several towns")


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
    ADDED: ClassVar[frozenset[str]] = frozenset({"town", "level"})
    project: ProjectId
    occurred_on: BusinessDate
    source: FundSource
    amount: Money
    purpose: text(500)
    voucher: text(100) | None = None
    town: TownCode | None = Field(default=None, description="区统筹项目的支出所属镇(街道)，此类项目必填"
                                                           " / the town spent for, required on a district purchase")
    level: FundLevel | None = Field(default=None, description="资金级次；项目该来源只有一条资金时可省略"
                                                             " / the line's level, needed only when the source has two")


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


class FocusScore(BaseModel):
    """The score of one area the guide has the final evaluation focus on (重点评估)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    area: EvaluationFocus
    score: Score


class FinalEvaluationDone(_Record):
    type: Literal["final_evaluation_done"]
    ADDED: ClassVar[frozenset[str]] = frozenset({"focus"})
    project: ProjectId
    contract_year: Annotated[int, Field(ge=1, le=30, strict=True)]
    evaluator: Evaluator
    evaluator_name: text(200)
    score: Score
    grade: text(20)
    done_on: BusinessDate
    focus: list[FocusScore] | None = Field(
        default=None, min_length=1, max_length=2,
        description="重点评估内容评分：服务成效、站点运营管理 / scores of the focus areas: service effect, station operation")

    @model_validator(mode="after")
    def _consistent(self) -> "FinalEvaluationDone":
        if self.focus is not None and len({f.area for f in self.focus}) != len(self.focus):
            raise ValueError("重点评估内容重复 / a focus area is listed twice")
        return self


class RecordVoided(_Record):
    type: Literal["record_voided"]
    record: RecordId
    reason: text(1000)


Record = Annotated[
    StationEstablished | SignboardHung | EquipmentRecorded | StaffAssigned | StaffReleased | RulesAdopted | ProjectContracted | ServiceDelivered | FundSpent | InspectionDone | RectificationDone | SelfEvaluationSubmitted | FinalEvaluationDone | PurchasePlanDrafted | ProviderExited | LinkedFiguresCollected | ProgressReported | ProblemResolved | VillageRegistered | BudgetAllocated | RecordVoided,
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
