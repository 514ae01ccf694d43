"""A purchased service project (core or linked), its funds and its evaluations.

A project is a town's, or, bought by the district for several towns (区统筹购买), shared by them
with a share of its amount each. Its money is held in fund lines, one per source and level (the
purchaser's own, 本级, or allocated from above, 上级下达).
"""

from datetime import date
from decimal import Decimal
from typing import Any

from domain import records as r
from domain.errors import RuleViolation
from domain.events import FoundingEvent, PlainEvent, Provenance, RecordEvent, RecordKeeping

NONE_SPENT = Decimal("0.00")


class Project(RecordKeeping):
    DEPENDENTS_FIRST = ("须先作废该项目的支出和评估记录", "void the project's spending and evaluation records first")

    class Contracted(FoundingEvent, RecordKeeping.Created):
        record_type = "project_contracted"
        project: str
        town: str
        role: str
        name: str
        purchaser_kind: str
        provider: dict
        method: str
        amount: Decimal
        contract_start: date
        contract_end: date
        funds: list  # [{"source", "amount", "level"}]; events stored before levels existed hold no level: own
        domains: list
        towns: list | None = None  # [{"town", "amount"}] of a district purchase for several towns
        key_recipients: list | None = None  # absent from events stored before core projects named them

        def apply(self, project: "Project") -> None:
            super().apply(project)
            project.budget = {(line["source"], line.get("level", "own")): Decimal(line["amount"]) for line in self.funds}
            project.shares = {share["town"]: Decimal(share["amount"]) for share in self.towns or ()}

    class FundSpent(RecordEvent):
        record_type = "fund_spent"
        project: str
        occurred_on: date
        source: str
        amount: Decimal
        purpose: str
        voucher: str | None
        town: str | None = None  # the town spent for, of a shared project
        level: str = "own"  # the fund line's level, as the spending was decided against

        def apply(self, project: "Project") -> None:
            super().apply(project)
            project.count_spending(self, 1)

    class SelfEvaluationSubmitted(RecordEvent):
        record_type = "self_evaluation_submitted"
        project: str
        contract_year: int
        submitted_on: date
        summary: str
        score: Decimal | None

    class FinalEvaluationDone(RecordEvent):
        record_type = "final_evaluation_done"
        project: str
        contract_year: int
        evaluator: str
        evaluator_name: str
        score: Decimal
        grade: str
        done_on: date
        focus: list | None = None  # [{"area", "score"}]; absent from events stored before it was recorded

    class ProviderExited(RecordEvent):
        """The provider leaves the project before its term ends (the district's exit mechanism)."""

        record_type = "provider_exited"
        project: str
        condition: str
        reason: str
        exited_on: date
        successor_project: str | None

        def apply(self, project: "Project") -> None:
            super().apply(project)
            project.exited_on = self.exited_on

    def __init__(self, town: str | None, role: str, domains: list, contract_start: date, contract_end: date):
        self.town = town  # None for a project shared by several towns
        self.role = role
        self.domains = list(domains)
        self.contract_start = contract_start
        self.contract_end = contract_end
        self.active: dict[str, RecordEvent] = {}
        self.founded_by: str | None = None
        self.budget: dict[tuple[str, str], Decimal] = {}  # (source, level) -> amount
        self.shares: dict[str, Decimal] = {}  # town -> its share, of a shared project
        self.exited_on: date | None = None
        # What its standing spending adds up to, by fund line and by town: each spending checks them.
        self.spent_on_line: dict[tuple[str, str], Decimal] = {}
        self.spent_for_town: dict[str | None, Decimal] = {}

    @property
    def purchaser_kind(self) -> str:
        """Who bought it; of a project whose contract is voided, the district (which may act on any)."""
        contract = self.active.get(self.founded_by) if self.founded_by else None
        return contract.purchaser_kind if isinstance(contract, Project.Contracted) else "district_bureau"

    @property
    def towns(self) -> list[str]:
        return list(self.shares) if self.shares else [self.town]

    def covers(self, town: str) -> bool:
        return town in self.towns

    def on_voided(self, event: RecordEvent) -> None:
        super().on_voided(event)
        if isinstance(event, Project.ProviderExited):
            self.exited_on = None
        elif isinstance(event, Project.FundSpent):
            self.count_spending(event, -1)

    @classmethod
    def contract(cls, stream: Any, record: r.ProjectContracted, provenance: Provenance) -> "Project":
        if record.provider.credit_code is None:
            raise RuleViolation("provider.credit_code", "新合同须填写承接方统一社会信用代码",
                                "a new contract must give the provider's unified social credit code")
        fields = record.model_dump(mode="python", exclude={"id", "type"})
        fields["funds"] = [{"source": f["source"], "amount": f["amount"], "level": f["level"]} for f in fields["funds"]]
        return cls._create(cls.Contracted, id=stream, **fields, **provenance.event_kwargs(record.id))

    def spent(self, line: tuple[str, str]) -> Decimal:
        return self.spent_on_line.get(line, NONE_SPENT)

    def spent_in(self, town: str) -> Decimal:
        return self.spent_for_town.get(town, NONE_SPENT)

    def count_spending(self, event: "Project.FundSpent", sign: int) -> None:
        """Add a standing spending to the sums (sign 1), or take a voided one out (-1): exact
        decimals, so the sums are those of the standing spending, added up again."""
        amount = event.amount if sign > 0 else -event.amount
        line = (event.source, event.level)
        self.spent_on_line[line] = self.spent_on_line.get(line, NONE_SPENT) + amount
        self.spent_for_town[event.town] = self.spent_for_town.get(event.town, NONE_SPENT) + amount

    def check_in_force(self) -> None:
        if self.founded_by is None:
            raise RuleViolation("project", "该项目的合同记录已作废", "the project's contract record has been voided")

    def check_served_on(self, day: date) -> None:
        """A service on the project must fall before its provider left it."""
        if self.exited_on is not None and day > self.exited_on:
            raise RuleViolation("project", f"该项目承接方已于{self.exited_on}退出",
                                f"the project's provider exited on {self.exited_on}")

    def exit_provider(self, record: r.ProviderExited, successor: "Project | None", provenance: Provenance) -> None:
        self.check_in_force()
        if self.exited_on is not None:
            raise RuleViolation("project", f"该项目承接方已于{self.exited_on}退出",
                                f"the project's provider already exited on {self.exited_on}")
        if not self.contract_start <= record.exited_on <= self.contract_end:
            raise RuleViolation("exited_on", "退出日期须在合同期限内", "the exit date must lie within the contract term")
        if successor is not None:
            successor.check_in_force()
            if not all(successor.covers(town) for town in self.towns):
                raise RuleViolation("successor_project", "接续项目须覆盖同样的镇(街道)",
                                    "the successor project must cover the same towns")
        self._record(self.ProviderExited, record.id, provenance, **record.fields())

    def check_contract_year(self, year: int) -> None:
        if years_after(self.contract_start, year - 1) > self.contract_end:
            raise RuleViolation("contract_year", "合同年度超出合同期限", "the contract year lies beyond the contract term")

    def spend(self, record: r.FundSpent, provenance: Provenance) -> None:
        level = self.check_spending(record)
        self._record(self.FundSpent, record.id, provenance, **{**record.fields(), "level": level})

    def spend_plain(self, record: r.FundSpent, provenance: Provenance) -> None:
        """What `spend` records, its pending event held as what is stored of it (`PlainEvent`), the
        event it applies made without its constructor (issue 35)."""
        kwargs = {**record.fields(), "level": self.check_spending(record), **provenance.event_kwargs(record.id)}
        made = PlainEvent.triggered(self, self.FundSpent, kwargs)
        if made is None:
            self.trigger_event(self.FundSpent, **kwargs)
        else:
            self.pending_events.append(made)  # type: ignore[arg-type]

    def check_spending(self, record: r.FundSpent) -> str:
        """The level of the fund line the spending may draw on, within its balance and its town's share."""
        self.check_in_force()
        line = self._line(record)
        balance = self.budget[line] - self.spent(line)
        if record.amount > balance:
            raise RuleViolation("amount", f"超出该资金来源余额（余额 {balance} 元）",
                                f"the spending exceeds the fund line's balance of {balance} yuan")
        self._check_town_of(record)
        return line[1]

    def _line(self, record: r.FundSpent) -> tuple[str, str]:
        """The fund line the spending draws on: its source's only line, or the one of its level."""
        lines = [line for line in self.budget if line[0] == record.source
                 and (record.level is None or line[1] == record.level)]
        if not lines:
            raise RuleViolation("level" if record.level else "source", "该项目没有此资金来源",
                                "the project has no fund line for this source")
        if len(lines) > 1:
            raise RuleViolation("level", "该项目此资金来源有本级和上级下达两条资金，须注明级次（level）",
                                "the project draws this source at two levels: say which (level)")
        return lines[0]

    def _check_town_of(self, record: r.FundSpent) -> None:
        """A shared project's spending names the town it was spent for, within that town's share."""
        if not self.shares:
            if record.town is not None and record.town != self.town:
                raise RuleViolation("town", "该项目不属于此镇(街道)", "the project belongs to another town")
            return
        if record.town is None:
            raise RuleViolation("town", "区统筹项目的支出须注明所属镇(街道)", "spending on a shared project names its town")
        if record.town not in self.shares:
            raise RuleViolation("town", "该项目不覆盖此镇(街道)", "the project does not cover this town")
        left = self.shares[record.town] - self.spent_in(record.town)
        if record.amount > left:
            raise RuleViolation("amount", f"超出该镇(街道)的分摊金额（余额 {left} 元）",
                                f"the spending exceeds the town's share, {left} yuan left")

    def _check_once_a_year(self, kind: type[RecordEvent], year: int, zh: str, en: str) -> None:
        self.check_in_force()
        self.check_contract_year(year)
        if any(isinstance(e, kind) and e.contract_year == year for e in self.active.values()):
            raise RuleViolation("contract_year", zh, en)

    def submit_self_evaluation(self, record: r.SelfEvaluationSubmitted, provenance: Provenance) -> None:
        self._check_once_a_year(self.SelfEvaluationSubmitted, record.contract_year,
                                "该合同年度已提交中期自评", "a self-evaluation was already submitted for this contract year")
        self._record(self.SelfEvaluationSubmitted, record.id, provenance, **record.fields())

    def record_final_evaluation(self, record: r.FinalEvaluationDone, provenance: Provenance) -> None:
        self._check_once_a_year(self.FinalEvaluationDone, record.contract_year,
                                "该合同年度已完成期末评估", "the final evaluation of this contract year is already recorded")
        self._record(self.FinalEvaluationDone, record.id, provenance, **record.fields())


def years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February falls on 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none: the year ends on 28 February
        return date(day.year + years, 3, 1)
