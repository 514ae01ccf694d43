"""The reports' shapes (`../shared/API.md`), as the read side makes them, the service returns them
and `/openapi.json` documents them. Money and hours are decimal strings (yuan, 2 places); dates
and times ISO 8601 in China Standard Time. Documentation and types only: no report is
validated against them on its way out."""

from typing import Any, NotRequired

from typing_extensions import TypedDict  # pydantic documents typing's only from Python 3.12


class Cell(TypedDict):
    person_times: int
    recipients: int
    hours: str


class Figures(TypedDict):
    person_times: int
    recipients: int
    service_hours: str
    by_domain: dict[str, Cell]
    by_recipient_category: dict[str, Cell]
    by_service_type: dict[str, Cell]
    by_month: dict[str, Cell]
    by_village: dict[str, Cell]
    funds_spent: str
    funds_by_source: dict[str, str]
    inspections: int
    open_rectifications: int
    stations: int
    stations_compliant: int
    projects: dict[str, int]  # core, linked


class Timeliness(TypedDict):
    deadline: str
    submitted_on: str | None
    state: str  # pending | on_time | late | overdue


class Completeness(TypedDict):
    expected: int
    submitted: int
    approved: int
    returned: int
    late: int


class Compliance(TypedDict):
    compliant: bool
    gaps: list[str]  # in Chinese
    gap_codes: list[str]


class TownPart(TypedDict):
    town: str
    name: str
    status: str
    return_reason: str | None
    timeliness: Timeliness
    figures: Figures
    compliance: Compliance
    on_behalf: dict[str, int]  # the period's records entered on behalf of the town's owners, by owner level


class FundLine(TypedDict):
    budget: str
    spent_in_period: str
    spent_to_date: str


class ProjectDetail(TypedDict):
    project: str
    name: str
    town: str
    role: str
    provider: str
    amount: str
    contract_start: str
    contract_end: str
    fund_lines: dict[str, FundLine]


class Checkpoint(TypedDict):
    position: int
    chain_head: str | None


class PlanSection(TypedDict):
    year: int
    status: str | None
    status_label: str
    version: int | None
    filed_version: int | None
    filed_at: str | None
    returned_reason: str | None
    planned_amount: str
    contracted_amount: str
    planned_by_source: dict[str, str]
    contracted_by_source: dict[str, str]
    lines: list[dict[str, Any]]  # by fund line: source, level, level_label, planned, contracted
    by_town: NotRequired[dict[str, dict[str, Any]]]
    items: list[dict[str, Any]]
    outside_plan: list[dict[str, Any]]
    evaluations: dict[str, Any]


class LinkedCell(TypedDict):
    projects: int
    people_served: int
    person_times: int
    amount: str


class LinkedSection(TypedDict):
    contracted_linked_projects: int
    collected: LinkedCell
    by_domain: dict[str, LinkedCell]
    items: list[dict[str, Any]]


class Station(TypedDict):
    town: str
    name: str


class TrainingSection(TypedDict):
    year: int
    sessions: int
    attendees: int
    by_town: dict[str, int]
    untrained_stations: list[Station]
    sessions_attended: list[dict[str, Any]]


class AsOf(TypedDict):
    moment: str
    position: NotRequired[int]
    replayed_events: NotRequired[int]


class Adjustment(TypedDict):
    position: int
    record_id: str
    record_type: str
    town: str | None


class _Read(TypedDict):
    """What a read adds to a report: as it was frozen, or as of a moment."""

    version: NotRequired[str]  # submitted | approved: the figures exactly as frozen then
    frozen_at: NotRequired[str]
    adjustments: NotRequired[list[Adjustment]]  # the period's records after the frozen position
    signed_checkpoint: NotRequired[dict[str, Any] | None]
    as_of: NotRequired[AsOf]


class ServiceCell(TypedDict):
    person_times: int
    recipients: int  # distinct people
    hours: str


class ProjectServices(ServiceCell):
    by_domain: dict[str, ServiceCell]


class ProjectFundLine(TypedDict):
    source: str
    level: str  # own | allocated
    amount: str  # the contract's line (合同总额)
    spent_in_period: str
    spent_to_date: str


class Provider(TypedDict):
    name: str
    kind: str | None
    credit_code: str | None


class ProjectItem(TypedDict):
    """A project in force in the period (项目情况): its contract, its money and its services."""

    project: str
    name: str
    role: str  # core | linked
    town: str  # '' for a district purchase shared by several towns (`towns`)
    towns: list[str] | None
    purchaser_kind: str | None
    purchaser: str
    provider: Provider
    method: str
    amount: str
    contract_start: str
    contract_end: str
    exited_on: str | None
    fund_lines: list[ProjectFundLine]
    spent_in_period: str
    spent_to_date: str
    services: ProjectServices


class SelfEvaluation(TypedDict):
    due: str
    submitted_on: str | None
    score: str | None
    status: str  # on_time | late | due | overdue


class FinalEvaluation(TypedDict):
    due: str
    done_on: str | None
    evaluator: str | None  # purchaser | third_party
    evaluator_name: str | None
    score: str | None
    grade: str | None
    status: str  # on_time | late | due | overdue


class EvaluationItem(TypedDict):
    """A core project's contract year reaching into the period (服务评价)."""

    project: str
    name: str
    town: str
    contract_year: int
    year_start: str
    year_end: str
    self_evaluation: SelfEvaluation | None  # None when the provider left before it fell due
    final_evaluation: FinalEvaluation


class InspectionItem(TypedDict):
    inspection: str  # its record id
    town: str
    project: str | None
    occurred_on: str
    kind: str
    by: str  # city | district | town
    scopes: list[str]
    issues_found: bool
    rectification_due: str | None
    rectified_on: str | None  # by the cutoff
    overdue: bool


class Supervision(TypedDict):
    """The period's inspections (监督检查), and every rectification overdue at the cutoff."""

    inspections: int
    by_kind: dict[str, int]
    by_scope: dict[str, int]
    by_level: dict[str, int]
    with_issues: int
    rectified: int
    overdue: int
    items: list[InspectionItem]
    overdue_rectifications: list[dict[str, str]]  # inspection, town, occurred_on, rectification_due


class RosterEntry(TypedDict):
    """A town's station as set up at the cutoff (站点基本情况表): staff counted, never named."""

    town: str
    name: str
    established: bool
    host_facility: str | None
    address: str | None
    established_on: str | None
    signboard: dict[str, str] | None  # text, hung_on
    staff: dict[str, int]  # by role
    staff_total: int
    equipment: list[dict[str, Any]]  # item, quantity, recorded_on
    equipment_missing: list[str]
    rules: list[dict[str, Any]]  # category, posted_on_wall, adopted_on
    rules_missing: list[str]
    rules_posted: int


class Narrative(TypedDict):
    """What the submitting level wrote with its submission (工作开展情况 / 存在问题 / 下步打算)."""

    work_done: str | None
    problems: str | None
    next_steps: str | None


class _Sections(TypedDict):
    projects: list[ProjectItem]
    evaluations: list[EvaluationItem]
    supervision: Supervision
    roster: list[RosterEntry]
    narrative: NotRequired[Narrative | None]  # a frozen version's, as submitted


class _Duties(_Sections):
    plan: PlanSection
    provider_exits: list[dict[str, Any]]
    linked_projects: LinkedSection
    training: TrainingSection
    progress_notes: int
    open_problems: list[dict[str, Any]]


class TownReport(_Read, _Duties):
    period: str
    level: str  # town
    district: str
    town: str
    name: str
    status: str
    return_reason: str | None
    timeliness: Timeliness
    figures: Figures
    compliance: Compliance
    projects_detail: list[ProjectDetail]
    checkpoint: Checkpoint


class DistrictReport(_Read, _Duties):
    period: str
    level: str  # district
    district: str
    name: str | None
    status: str
    return_reason: str | None
    timeliness: Timeliness
    figures: Figures
    completeness: Completeness
    projects_detail: list[ProjectDetail]
    towns: list[TownPart]
    checkpoint: Checkpoint


class CityDistrict(TypedDict):
    """A district in the city's report, its figures side by side with the others'."""

    district: str
    name: str | None
    status: str
    return_reason: str | None
    timeliness: Timeliness
    figures: Figures
    completeness: Completeness
    plan: PlanSection
    linked_projects: LinkedSection
    training: TrainingSection
    open_problems: NotRequired[list[dict[str, Any]]]  # the district's, as in its report
    checkpoint: Checkpoint


class CityReport(TypedDict):
    period: str
    level: str  # city
    status: NotRequired[str]  # the city's own report's, unless read as of a moment
    as_of: NotRequired[AsOf]
    figures: Figures
    completeness: Completeness
    plans: dict[str, Any]
    linked_projects: dict[str, Any]
    training: dict[str, Any]
    districts: list[CityDistrict]
