"""When a project's evaluations are due, and which ones count (guide, 三(七) 服务评价).

The provider evaluates itself once in the middle of every contract year; the purchaser evaluates
once at its end, focused on service effect and the station's operation (服务成效、站点运营管理).
Pure, as the rest of the compliance check: only evaluations dated by the cutoff count, and only
for the contract year they are dated in or near (`Rules.evaluation_tolerance_days`); a final
evaluation has `Rules.final_evaluation_grace_days` after its year's end before it is overdue.
Linked projects (the "N", bought by other departments) owe the station no evaluation.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from domain.project import years_after
from domain.vocabulary import codes, label
from projections.gaps import Gap, Rules

KIND_ZH = {"self": "中期自评", "final": "期末评估"}
KIND_EN = {"self": "self-evaluation", "final": "final evaluation"}


@dataclass(frozen=True)
class ProjectFact:
    project: str
    role: str  # "core" | "linked"
    contract_start: date
    contract_end: date
    exited_on: date | None = None  # the provider left the project early (the district's exit mechanism)
    credit_code: str | None = None  # the provider's unified social credit code
    key_recipients: tuple[str, ...] = ()  # the key recipient categories of a core project
    before_rules: bool = False  # contracted before credit codes and key recipients were required
    name: str = ""  # what people call it; the id stays in the gaps' codes

    @property
    def zh(self) -> str:
        """The project as a person reads it in Chinese: its name (its id, if it has none)."""
        return f"「{self.name}」" if self.name else self.project

    @property
    def en(self) -> str:
        return f"“{self.name}”" if self.name else self.project

    @property
    def end(self) -> date:
        """The project's effective end: its contract's, or its provider's exit."""
        return min(self.contract_end, self.exited_on) if self.exited_on else self.contract_end

    def in_force(self, day: date) -> bool:
        """Under contract on the day, its provider not yet gone."""
        return self.contract_start <= day <= self.contract_end and (self.exited_on is None or self.exited_on > day)


@dataclass(frozen=True)
class EvaluationFact:
    project: str
    kind: str  # "self" | "final"
    contract_year: int
    on_date: date
    focus: tuple[str, ...] = ()  # the focus areas a final evaluation scored
    before_rules: bool = False  # a final evaluation recorded before its focus scores were


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


def evaluation_gaps(projects: Iterable[ProjectFact], evaluations: Iterable[EvaluationFact], cutoff: date,
                    rules: Rules) -> Iterator[Gap]:
    dated = [e for e in evaluations if e.on_date <= cutoff]
    tolerance = timedelta(days=rules.evaluation_tolerance_days)
    grace = timedelta(days=rules.final_evaluation_grace_days)
    for p in projects:
        if p.role != "core":
            continue
        for year, start, end in contract_years(p):
            if start > p.end:
                break  # the provider left before this contract year began
            # A provider who leaves owes no self-evaluation its year had not reached; the year's
            # final evaluation is due when it leaves (and its grace runs from then).
            self_due, end = midyear(start, end), min(end, p.end)
            for kind, due, latest in (("self", self_due, end + tolerance), ("final", end + grace, end + max(tolerance, grace))):
                if kind == "self" and self_due > p.end:
                    continue
                done = [e for e in dated if (e.project, e.kind, e.contract_year) == (p.project, kind, year)]
                counted = [e for e in done if start - tolerance <= e.on_date <= latest]
                if counted:
                    yield from _focus(p, year, counted)
                elif done:
                    yield _misdated(p, kind, year, start, end, done[0].on_date)
                elif due < cutoff:
                    yield Gap(f"{kind}_evaluation_overdue:{p.project}:{year}", f"项目{p.zh}第{year}合同年度{KIND_ZH[kind]}逾期",
                              f"project {p.en}: the {KIND_EN[kind]} of contract year {year} is overdue")


def _misdated(p: ProjectFact, kind: str, year: int, start: date, end: date, on: date) -> Gap:
    return Gap(f"evaluation_misdated:{p.project}:{kind}:{year}",
               f"项目{p.zh}第{year}合同年度{KIND_ZH[kind]}日期{on.isoformat()}不在该合同年度"
               f"（{start.isoformat()}至{end.isoformat()}）内，不予计入",
               f"project {p.en}: the {KIND_EN[kind]} of contract year {year} is dated {on.isoformat()},"
               f" outside the year ({start.isoformat()} to {end.isoformat()}): it does not count")


def _focus(p: ProjectFact, year: int, counted: list[EvaluationFact]) -> Iterator[Gap]:
    finals = [e for e in counted if e.kind == "final"]
    if not finals:
        return
    missing = [area for area in codes("evaluation_focus") if area not in finals[0].focus]
    if missing:
        yield Gap(f"final_evaluation_focus_missing:{p.project}:{year}",
                  f"项目{p.zh}第{year}合同年度期末评估缺少重点评估内容评分："
                  f"{'、'.join(label('evaluation_focus', a) for a in missing)}",
                  f"project {p.en}: the final evaluation of contract year {year} lacks the scores of"
                  f" {', '.join(missing)}", before_rules=finals[0].before_rules)
