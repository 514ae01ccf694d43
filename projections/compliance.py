"""Is a town's station compliant as of a day, and if not, what exactly is missing.

The city's guide (厦民〔2025〕72号; DOMAIN.md, "The station" and "Supervision and evaluation")
says what a station must have, and reports show each gap by name (`gaps.py`). Pure: the caller
turns the active (not voided) records into facts and picks the cutoff, the report's period end
or today if earlier. Only what is dated on or before the cutoff counts. The evaluations' rules
are in `evaluation_rules.py`; the district's duties in `duty_gaps.py`.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from domain.vocabulary import TERMS, label
from projections.evaluation_rules import EvaluationFact, ProjectFact, evaluation_gaps
from projections.figures import vocabulary_codes
from projections.gaps import Gap, Rules


@dataclass(frozen=True)
class StationFact:
    """One active station record.

    kind: "established" | "signboard" | "equipment" | "staff_assigned" | "staff_released" | "rules".
    key: equipment item / person_ref / rule category; None for established and signboard.
    on_date: established_on / hung_on / recorded_on / assigned_on / released_on / adopted_on.
    detail: the signboard text; the staff role for staff_assigned; else None.
    attributes: a signboard's emblem, position and uniform_style, as far as its record says.
    before_rules: the record was stored before its attributes were recorded.
    For the same kind and key the latest on_date wins; on one day, the fact given last.
    """
    kind: str
    key: str | None
    on_date: date
    detail: str | None
    attributes: Mapping[str, object] = field(default_factory=dict)
    before_rules: bool = False


@dataclass(frozen=True)
class InspectionFact:
    record_id: str
    issues_found: bool
    rectification_due: date | None
    rectified_on: date | None
    occurred_on: date

    def open_on(self, cutoff: date) -> bool:
        """Findings made by the cutoff and not put right by then (a rectification after it does not count)."""
        return (self.issues_found and self.occurred_on <= cutoff
                and (self.rectified_on is None or self.rectified_on > cutoff))


@dataclass(frozen=True)
class Compliance:
    compliant: bool  # exactly when there are no gaps
    gaps: tuple[Gap, ...]


DEPUTY_ROLES = ("deputy_head_government", "deputy_head_provider")
MIN_STAFF = 2


def assess(facts: Iterable[StationFact], projects: Iterable[ProjectFact], evaluations: Iterable[EvaluationFact],
           inspections: Iterable[InspectionFact], *, expected_sign: str, cutoff: date, rules: Rules) -> Compliance:
    # Sorting is stable, so facts of one day keep the order given (the order they were recorded).
    station = sorted((f for f in facts if f.on_date <= cutoff), key=lambda f: f.on_date)
    if not any(f.kind == "established" for f in station):
        # A station that does not exist has one gap; listing all it lacks would bury that.
        gaps: tuple[Gap, ...] = (Gap("no_station", "站点未建立", "the station has not been established"),)
    else:
        projects = tuple(projects)
        gaps = (*_signboard(station, expected_sign), *_equipment(station), *_staffing(station),
                *_rules(station), *_core_project(projects, cutoff), *_contracts(projects, cutoff),
                *evaluation_gaps(projects, evaluations, cutoff, rules), *_rectifications(inspections, cutoff))
    return Compliance(not gaps, gaps)


def _en(group: str, code: str) -> str:
    return next(t.en for t in TERMS if (t.group, t.code) == (group, code))


def _signboard(station: list[StationFact], expected: str) -> Iterator[Gap]:
    signs = [f for f in station if f.kind == "signboard"]
    if not signs:
        yield Gap("signboard_missing", "未悬挂标牌", "no signboard is hung")
        return
    sign = signs[-1]
    if "".join((sign.detail or "").split()) != "".join(expected.split()):
        yield Gap("signboard_text", f"标牌文字不符：应为“{expected}”", f"the signboard must read {expected!r}")
    # The guide's sign: "民政标识+××区××镇(街道)民政服务站", made uniformly (附件1), hung outside where seen.
    said, old = sign.attributes, sign.before_rules
    if said.get("emblem") is not True:
        yield Gap("signboard_emblem", "标牌无民政标识" if said.get("emblem") is False else "标牌未记录是否含民政标识",
                  "the signboard lacks the civil-affairs emblem" if said.get("emblem") is False
                  else "the signboard's emblem is not recorded", before_rules=old)
    if (position := said.get("position")) != "outside_prominent":
        where = f"（现为{label('sign_position', position)}）" if position else "（未记录悬挂位置）"
        yield Gap("signboard_position", f"标牌未悬挂在站外显眼位置{where}",
                  f"the signboard is not hung outside in a prominent place ({position or 'not recorded'})",
                  before_rules=old)
    if said.get("uniform_style") is not True:
        yield Gap("signboard_style", "标牌未按统一样式（附件1）制作" if said.get("uniform_style") is False
                  else "标牌未记录是否按统一样式（附件1）制作",
                  "the signboard is not made in the uniform style of attachment 1" if said.get("uniform_style") is False
                  else "the signboard's style is not recorded", before_rules=old)


def missing(station: list[StationFact], kind: str, group: str) -> list[str]:
    """The vocabulary items of a group that no fact of this kind records, in vocabulary order."""
    present = {f.key for f in station if f.kind == kind}
    return [code for code in vocabulary_codes(group) if code not in present]


def _equipment(station: list[StationFact]) -> Iterator[Gap]:
    for item in missing(station, "equipment", "equipment"):
        yield Gap(f"equipment_missing:{item}", f"缺少设备：{label('equipment', item)}",
                  f"missing equipment: {_en('equipment', item)}")


def on_duty(station: list[StationFact]) -> dict[str, str]:
    """person_ref → role, for whoever is assigned and not since released (facts in date order)."""
    found: dict[str, str] = {}
    for fact in station:
        if fact.kind == "staff_assigned":
            found[fact.key] = fact.detail  # a later assignment changes the role
        elif fact.kind == "staff_released":
            found.pop(fact.key, None)
    return found


def _staffing(station: list[StationFact]) -> Iterator[Gap]:
    roles = list(on_duty(station).values())
    if "station_head" not in roles:
        yield Gap("staff_head", "站长未配备", "no station head")
    elif (heads := roles.count("station_head")) > 1:
        # One head: the town's leader in charge of civil affairs (设站长1名).
        yield Gap("staff_head_multiple", f"站长应为1名（现有{heads}名）", f"one station head, not {heads}")
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
    for category in missing(station, "rules", "rule_category"):
        yield Gap(f"rules_missing:{category}", f"未建立制度：{label('rule_category', category)}",
                  f"rules not adopted: {_en('rule_category', category)}")


def _core_project(projects: tuple[ProjectFact, ...], cutoff: date) -> Iterator[Gap]:
    # A core contract in force at the cutoff, or failing that one that ended before it: either
    # way a core project that has started. One yet to start does not count, nor one whose
    # provider has left it by the cutoff: the town then lacks its core project until a successor starts.
    cores = [p for p in projects if p.role == "core" and p.contract_start <= cutoff]
    standing = [p for p in cores if p.exited_on is None or p.exited_on > cutoff]
    # "1+1+N": one core project at a time; more in force on one day is a gap, not a spare.
    in_force = [p for p in cores if p.in_force(cutoff)]
    if len(in_force) > 1:
        yield Gap("core_projects_multiple", f"同时有{len(in_force)}个核心项目：{'、'.join(p.zh for p in in_force)}（应为1个）",
                  f"{len(in_force)} core projects in force at once: {', '.join(p.en for p in in_force)} (one is the rule)")
    if standing:
        return
    left = [p for p in cores if p.exited_on is not None]
    if left:
        last = max(left, key=lambda p: p.exited_on)
        yield Gap(f"core_provider_exited:{last.project}",
                  f"核心项目{last.zh}承接方已于{last.exited_on.isoformat()}退出，接续项目尚未开始",
                  f"the provider of core project {last.en} exited on {last.exited_on.isoformat()}"
                  " and no successor has started")
    else:
        yield Gap("no_core_project", "无核心项目", "no core project")


def _contracts(projects: tuple[ProjectFact, ...], cutoff: date) -> Iterator[Gap]:
    """What the contracts in force must say: who the provider is, and whom a core project is for."""
    for p in projects:
        if not p.in_force(cutoff):
            continue
        if p.role == "core" and not p.key_recipients:
            yield Gap(f"core_key_recipients_missing:{p.project}", f"核心项目{p.zh}未记录选择的重点民政服务对象",
                      f"core project {p.en} names no key recipients", before_rules=p.before_rules)
        if not p.credit_code:
            yield Gap(f"provider_credit_code_missing:{p.project}", f"项目{p.zh}未记录承接方统一社会信用代码",
                      f"project {p.en}: the provider's unified social credit code is not recorded",
                      before_rules=p.before_rules)


def open_rectifications(inspections: Iterable[InspectionFact], cutoff: date) -> int:
    """The report's figure: every inspection by the cutoff, of any half year, still open then."""
    return sum(i.open_on(cutoff) for i in inspections)


def _rectifications(inspections: Iterable[InspectionFact], cutoff: date) -> Iterator[Gap]:
    # The gap is a rectification still open past its due date; one done late but by the cutoff is closed.
    # In the inspections' order, not their rows': a rebuild or a moved store stores the rows anew.
    for i in sorted(inspections, key=lambda i: (i.occurred_on, i.record_id)):
        due = i.rectification_due
        if due is not None and due < cutoff and i.open_on(cutoff):
            yield Gap(f"rectification_overdue:{i.record_id}", f"检查整改逾期（应于{due.isoformat()}前完成）",
                      f"the rectification due by {due.isoformat()} is overdue")
