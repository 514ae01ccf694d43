"""Is a town's station compliant as of a day, and if not, what exactly is missing.

The city's guide (厦民〔2025〕72号; DOMAIN.md, "The station" and "Supervision and evaluation")
says what a station must have, and reports show each gap by name. Pure: the caller turns the
active (not voided) records into facts and picks the cutoff, the report's period end or today
if earlier. Only what is dated on or before the cutoff counts.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from domain.project import years_after
from domain.vocabulary import TERMS, label
from projections.figures import vocabulary_codes


@dataclass(frozen=True)
class StationFact:
    """One active station record.

    kind: "established" | "signboard" | "equipment" | "staff_assigned" | "staff_released" | "rules".
    key: equipment item / person_ref / rule category; None for established and signboard.
    on_date: established_on / hung_on / recorded_on / assigned_on / released_on / adopted_on.
    detail: the signboard text; the staff role for staff_assigned; else None.
    For the same kind and key the latest on_date wins; on one day, the fact given last.
    """
    kind: str
    key: str | None
    on_date: date
    detail: str | None


@dataclass(frozen=True)
class ProjectFact:
    project: str
    role: str  # "core" | "linked"
    contract_start: date
    contract_end: date
    exited_on: date | None = None  # the provider left the project early (the district's exit mechanism)

    @property
    def end(self) -> date:
        """The project's effective end: its contract's, or its provider's exit."""
        return min(self.contract_end, self.exited_on) if self.exited_on else self.contract_end


@dataclass(frozen=True)
class EvaluationFact:
    project: str
    kind: str  # "self" | "final"
    contract_year: int


@dataclass(frozen=True)
class InspectionFact:
    record_id: str
    issues_found: bool
    rectification_due: date | None
    rectified_on: date | None


@dataclass(frozen=True)
class Gap:
    code: str  # stable, for machines: "equipment_missing:computer", "rectification_overdue:<record id>"...
    zh: str    # what a district officer reads
    en: str


@dataclass(frozen=True)
class Compliance:
    compliant: bool  # exactly when there are no gaps
    gaps: tuple[Gap, ...]


DEPUTY_ROLES = ("deputy_head_government", "deputy_head_provider")
MIN_STAFF = 2


def assess(facts: Iterable[StationFact], projects: Iterable[ProjectFact], evaluations: Iterable[EvaluationFact],
           inspections: Iterable[InspectionFact], *, expected_sign: str, cutoff: date) -> Compliance:
    # Sorting is stable, so facts of one day keep the order given (the order they were recorded).
    station = sorted((f for f in facts if f.on_date <= cutoff), key=lambda f: f.on_date)
    if not any(f.kind == "established" for f in station):
        # A station that does not exist has one gap; listing all it lacks would bury that.
        gaps: tuple[Gap, ...] = (Gap("no_station", "站点未建立", "the station has not been established"),)
    else:
        projects = tuple(projects)
        gaps = (*_signboard(station, expected_sign), *_equipment(station), *_staffing(station),
                *_rules(station), *_core_project(projects, cutoff),
                *_evaluations(projects, evaluations, cutoff), *_rectifications(inspections, cutoff))
    return Compliance(not gaps, gaps)


def _en(group: str, code: str) -> str:
    return next(t.en for t in TERMS if (t.group, t.code) == (group, code))


def _signboard(station: list[StationFact], expected: str) -> Iterator[Gap]:
    signs = [f for f in station if f.kind == "signboard"]
    if not signs:
        yield Gap("signboard_missing", "未悬挂标牌", "no signboard is hung")
    elif "".join((signs[-1].detail or "").split()) != "".join(expected.split()):
        yield Gap("signboard_text", f"标牌文字不符：应为“{expected}”", f"the signboard must read {expected!r}")


def _missing(station: list[StationFact], kind: str, group: str) -> list[str]:
    """The vocabulary items of a group that no fact of this kind records, in vocabulary order."""
    present = {f.key for f in station if f.kind == kind}
    return [code for code in vocabulary_codes(group) if code not in present]


def _equipment(station: list[StationFact]) -> Iterator[Gap]:
    for item in _missing(station, "equipment", "equipment"):
        yield Gap(f"equipment_missing:{item}", f"缺少设备：{label('equipment', item)}",
                  f"missing equipment: {_en('equipment', item)}")


def _on_duty(station: list[StationFact]) -> dict[str, str]:
    """person_ref → role, for whoever is assigned and not since released (facts in date order)."""
    on_duty: dict[str, str] = {}
    for fact in station:
        if fact.kind == "staff_assigned":
            on_duty[fact.key] = fact.detail  # a later assignment changes the role
        elif fact.kind == "staff_released":
            on_duty.pop(fact.key, None)
    return on_duty


def _staffing(station: list[StationFact]) -> Iterator[Gap]:
    roles = list(_on_duty(station).values())
    if "station_head" not in roles:
        yield Gap("staff_head", "站长未配备", "no station head")
    # Two deputies are not enough: one must come from the town's office and one from the provider.
    missing = [role for role in DEPUTY_ROLES if role not in roles]
    if missing:
        deputies = sum(role in DEPUTY_ROLES for role in roles)
        shortfall = f"副站长不足2名（现有{deputies}名）" if deputies < 2 else f"副站长配备不全（现有{deputies}名）"
        yield Gap("staff_deputies", f"{shortfall}，缺少{'、'.join(label('staff_role', r) for r in missing)}",
                  f"deputy heads ({deputies}) lack: {'; '.join(_en('staff_role', r) for r in missing)}")
    if (staff := roles.count("staff")) < MIN_STAFF:
        yield Gap("staff_members", f"工作人员不足{MIN_STAFF}名（现有{staff}名）",
                  f"fewer than {MIN_STAFF} staff members ({staff})")


def _rules(station: list[StationFact]) -> Iterator[Gap]:
    # Posting on the wall is only encouraged, so the gap is a rule not adopted.
    for category in _missing(station, "rules", "rule_category"):
        yield Gap(f"rules_missing:{category}", f"未建立制度：{label('rule_category', category)}",
                  f"rules not adopted: {_en('rule_category', category)}")


def _core_project(projects: tuple[ProjectFact, ...], cutoff: date) -> Iterator[Gap]:
    # A core contract in force at the cutoff, or failing that one that ended before it: either
    # way a core project that has started. One yet to start does not count, nor one whose
    # provider has left it by the cutoff: the town then lacks its core project until a successor starts.
    cores = [p for p in projects if p.role == "core" and p.contract_start <= cutoff]
    standing = [p for p in cores if p.exited_on is None or p.exited_on > cutoff]
    if standing:
        return
    left = [p for p in cores if p.exited_on is not None]
    if left:
        last = max(left, key=lambda p: p.exited_on)
        yield Gap(f"core_provider_exited:{last.project}",
                  f"核心项目{last.project}承接方已于{last.exited_on.isoformat()}退出，接续项目尚未开始",
                  f"the provider of core project {last.project} exited on {last.exited_on.isoformat()}"
                  " and no successor has started")
    else:
        yield Gap("no_core_project", "无核心项目", "no core project")



def contract_years(project: ProjectFact) -> Iterator[tuple[int, date, date]]:
    """(year number, first day, last day) of each contract year; the last one ends with the contract."""
    year, start = 1, project.contract_start
    while start <= project.contract_end:
        following = years_after(project.contract_start, year)
        yield year, start, min(following - timedelta(days=1), project.contract_end)
        year, start = year + 1, following


def midyear(start: date, end: date) -> date:
    """When the provider's self-evaluation is due: half the contract year's days in, rounded down."""
    return start + timedelta(days=((end - start).days + 1) // 2)


def _evaluations(projects: tuple[ProjectFact, ...], evaluations: Iterable[EvaluationFact],
                 cutoff: date) -> Iterator[Gap]:
    done = {(e.project, e.kind, e.contract_year) for e in evaluations}
    for p in projects:
        for year, start, end in contract_years(p):
            if start > p.end:
                break  # the provider left before this contract year began
            # A provider who leaves owes no self-evaluation its year had not reached; the year's
            # final evaluation is due when it leaves.
            self_due, end = midyear(start, end), min(end, p.end)
            if self_due <= p.end and self_due < cutoff and (p.project, "self", year) not in done:
                yield Gap(f"self_evaluation_overdue:{p.project}:{year}", f"项目{p.project}第{year}合同年度中期自评逾期",
                          f"project {p.project}: the self-evaluation of contract year {year} is overdue")
            if end < cutoff and (p.project, "final", year) not in done:
                yield Gap(f"final_evaluation_overdue:{p.project}:{year}", f"项目{p.project}第{year}合同年度期末评估逾期",
                          f"project {p.project}: the final evaluation of contract year {year} is overdue")


def _rectifications(inspections: Iterable[InspectionFact], cutoff: date) -> Iterator[Gap]:
    # The gap is a rectification still open past its due date; one done late but by the cutoff is closed.
    for i in inspections:
        due = i.rectification_due
        still_open = i.rectified_on is None or i.rectified_on > cutoff
        if i.issues_found and due is not None and due < cutoff and still_open:
            yield Gap(f"rectification_overdue:{i.record_id}", f"检查整改逾期（应于{due.isoformat()}前完成）",
                      f"the rectification due by {due.isoformat()} is overdue")
