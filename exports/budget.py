"""The budget a scope's funds are spent against: the contracted amounts of its projects' fund lines.

A district's or town's report lists its projects in `projects_detail`, each fund line with its
contracted `budget` and its `spent_to_date` (spending up to the period's end). A scope's budget
for a half year is the sum, by fund source, over the projects whose contract is in force on
some day of that half year: the very projects the report counts in `figures.projects`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from projections.periods import bounds

CENTS = Decimal("0.01")
PERCENT_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Lines:
    """Budget and spending to date by fund source; None throughout when the report has no project detail."""

    budgets: Mapping[str, Decimal] | None
    spent: Mapping[str, Decimal] | None

    def budget(self, source: str | None = None) -> Decimal | None:
        return _pick(self.budgets, source)

    def to_date(self, source: str | None = None) -> Decimal | None:
        return _pick(self.spent, source)

    def balance(self, source: str | None = None) -> Decimal | None:
        budget, spent = self.budget(source), self.to_date(source)
        return None if budget is None or spent is None else budget - spent

    def execution(self, source: str | None = None) -> Decimal | None:
        """Spending to date as a fraction of the budget (None with no budget to measure against)."""
        budget, spent = self.budget(source), self.to_date(source)
        if not budget or spent is None:
            return None
        return (spent / budget).quantize(PERCENT_PLACES)


def of(detail: Iterable[Mapping[str, Any]] | None, period: str, town: str | None = None) -> Lines:
    """The lines of a report's `projects_detail` (of one town's projects, if given) for the period."""
    if detail is None:
        return Lines(None, None)
    start, end = (day.isoformat() for day in bounds(period))
    budgets: dict[str, Decimal] = {}
    spent: dict[str, Decimal] = {}
    for project in detail:
        if town is not None and project["town"] != town:
            continue
        if project["contract_start"] > end or project["contract_end"] < start:
            continue
        for source, line in project["fund_lines"].items():
            budgets[source] = budgets.get(source, Decimal(0)) + Decimal(line["budget"])
            spent[source] = spent.get(source, Decimal(0)) + Decimal(line["spent_to_date"])
    return Lines(budgets, spent)


def total(parts: Iterable[Lines]) -> Lines:
    """The lines of several scopes added up (unknown if any part's are)."""
    budgets: dict[str, Decimal] = {}
    spent: dict[str, Decimal] = {}
    for part in parts:
        if part.budgets is None or part.spent is None:
            return Lines(None, None)
        for source, amount in part.budgets.items():
            budgets[source] = budgets.get(source, Decimal(0)) + amount
        for source, amount in part.spent.items():
            spent[source] = spent.get(source, Decimal(0)) + amount
    return Lines(budgets, spent)


def _pick(amounts: Mapping[str, Decimal] | None, source: str | None) -> Decimal | None:
    if amounts is None:
        return None
    found = amounts.get(source, Decimal(0)) if source is not None else sum(amounts.values(), Decimal(0))
    return found.quantize(CENTS)
