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


class _Duties(TypedDict):
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
