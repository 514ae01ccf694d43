"""A district report's figures recomputed from its events, with rules of its own (docs/audit.md,
"How each figure is computed"): no code shared with `projections/`, nothing but the standard
library, so an auditor can check these rules against the guide and not against the service.

An event here is (position, type, state): the type is the topic's class
(`ServiceDelivery.Delivered`, `Project.FundSpent`, ...), the state its JSON with each typed value (`{"_type_", "_data_"}`) replaced by
its text. A figure is read from the log up to a position: what stands there is every record
recorded at or below it, less those a void at or below it took back.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass
class Cell:
    """A service figure: person-times, hours, and the distinct recipients counted in it."""

    person_times: int = 0
    hours: Decimal = Decimal(0)
    recipients: set[str] = field(default_factory=set)

    def add(self, other: "Cell") -> None:
        self.person_times += other.person_times
        self.hours += other.hours
        self.recipients |= other.recipients


@dataclass
class Figures:
    """One scope's figures, kept with their recipients so that a district's count distinct people."""

    cells: dict[tuple[str, str], Cell] = field(default_factory=lambda: defaultdict(Cell))  # (group, key); total: ("", "")
    funds: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))  # by fund source
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # inspections, projects.core, ...

    def add(self, other: "Figures") -> None:
        for key, cell in other.cells.items():
            self.cells[key].add(cell)
        for source, amount in other.funds.items():
            self.funds[source] += amount
        for name, n in other.counts.items():
            self.counts[name] += n

    def as_report(self) -> dict[str, Any]:
        """Figure path (dot-joined) -> value, as the report writes it; nothing listed is zero."""
        flat: dict[str, Any] = {}
        for (group, key), cell in self.cells.items():
            prefix = f"{group}.{key}." if group else ""
            flat[f"{prefix}person_times"] = cell.person_times
            flat[f"{prefix}{'hours' if group else 'service_hours'}"] = money(cell.hours)
            flat[f"{prefix}recipients"] = len(cell.recipients)
        for source, amount in self.funds.items():
            flat[f"funds_by_source.{source}"] = money(amount)
        flat["funds_spent"] = money(sum(self.funds.values(), Decimal(0)))
        flat.update(self.counts)
        return flat


def money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def day(text: str) -> date:
    return date.fromisoformat(text)


def half_year(period: str) -> tuple[date, date]:
    year = int(period[:4])
    return (date(year, 1, 1), date(year, 6, 30)) if period.endswith("H1") else (date(year, 7, 1), date(year, 12, 31))


class Log:
    """The events in log order, and what stands at each position asked about (a few: the cut's
    and the version's), worked out once."""

    def __init__(self, events: list[tuple[int, str, dict]]):
        self.events = events
        self._standing: dict[int, list[tuple[str, dict]]] = {}

    def standing(self, up_to: int) -> list[tuple[str, dict]]:
        """The records standing at position `up_to`: (type, state) in log order."""
        if up_to not in self._standing:
            seen = [(kind, state) for position, kind, state in self.events if position <= up_to]
            voided = {state["record"] for kind, state in seen if kind.endswith(".RecordVoided")}
            self._standing[up_to] = [(kind, state) for kind, state in seen if not kind.endswith(".RecordVoided")
                                     and state.get("record_id") not in voided]
        return self._standing[up_to]


def town_figures(log: Log, period: str, town: str, up_to: int) -> Figures:
    """The town's figures for the half year from the log at position `up_to`."""
    start, end = half_year(period)
    records = log.standing(up_to)
    found = Figures()
    contracts = {s["project"]: s for kind, s in records if kind == "Project.Contracted"}
    exits = {s["project"]: day(s["exited_on"]) for kind, s in records if kind == "Project.ProviderExited"}
    rectified = {s["inspection"]: day(s["occurred_on"]) for kind, s in records if kind == "Inspection.RectificationDone"}
    for kind, s in records:
        if kind == "ServiceDelivery.Delivered" and s["town"] == town and start <= day(s["occurred_on"]) <= end:
            service = Cell(s["person_times"], Decimal(s["hours"]), {s["recipient_ref"]})
            village = s.get("village_code") or s.get("village")
            for key in [("", ""), ("by_domain", s["domain"]), ("by_recipient_category", s["recipient_category"]),
                        ("by_service_type", s["service_type"]), ("by_month", s["occurred_on"][:7]),
                        ("by_village", village)]:
                if key[1] is not None:  # a service without a village counts in no village
                    found.cells[key].add(service)
        elif kind == "Project.FundSpent" and start <= day(s["occurred_on"]) <= end:
            contract = contracts.get(s["project"], {})
            if (s.get("town") or contract.get("town")) == town:
                found.funds[s["source"]] += Decimal(s["amount"])
        elif kind == "Inspection.Done" and s["town"] == town:  # an inspection
            on = day(s["occurred_on"])
            found.counts["inspections"] += start <= on <= end
            # Judged at the period's end (a report is submitted only after it): found, and not put right by then.
            found.counts["open_rectifications"] += bool(s["issues_found"]) and on <= end and \
                rectified.get(s["record_id"], date.max) > end
    for project, s in contracts.items():
        if s.get("town") == town or (not s.get("town") and town in {t["town"] for t in s.get("towns") or ()}):
            found.counts[f"projects.{s['role']}"] += running(s, exits.get(project), start, end)
    return found


def running(contract: dict, exited: date | None, start: date, end: date) -> bool:
    """Whether a contract runs in the half year: begun by its end, not ended (or exited) before its start."""
    last = min(day(contract["contract_end"]), exited or date.max)
    return day(contract["contract_start"]) <= end and last >= start


def district_projects(log: Log, period: str, up_to: int) -> dict[str, int]:
    """The district's own count of projects running in the half year: each once, shared or not."""
    start, end = half_year(period)
    records = log.standing(up_to)
    exits = {s["project"]: day(s["exited_on"]) for kind, s in records if kind == "Project.ProviderExited"}
    counted = {"projects.core": 0, "projects.linked": 0}
    for kind, s in records:
        if kind == "Project.Contracted":
            counted[f"projects.{s['role']}"] += running(s, exits.get(s["project"]), start, end)
    return counted


def projects_at(log: Log, up_to: int) -> dict[str, dict]:
    """The standing contracts at a position, by project."""
    return {s["project"]: s for kind, s in log.standing(up_to) if kind == "Project.Contracted"}


def project_funds(log: Log, period: str, project: str, up_to: int) -> dict[str, str]:
    """A project's budget and spending by fund source at a position, as `projects_detail` lists them:
    the contract's amount, each source's budget (its fund lines summed), the spending dated in the
    half year, and the spending dated up to its end."""
    start, end = half_year(period)
    records = log.standing(up_to)
    contract = next(s for kind, s in records if kind == "Project.Contracted" and s["project"] == project)
    lines: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    for line in contract["funds"]:
        lines[line["source"]][0] += Decimal(line["amount"])
    for kind, s in records:
        if kind == "Project.FundSpent" and s["project"] == project and s["source"] in lines:
            on = day(s["occurred_on"])
            lines[s["source"]][1] += Decimal(s["amount"]) if start <= on <= end else 0
            lines[s["source"]][2] += Decimal(s["amount"]) if on <= end else 0
    flat = {"amount": money(Decimal(contract["amount"]))}
    for source, (budget, in_period, to_date) in lines.items():
        flat |= {f"fund_lines.{source}.budget": money(budget), f"fund_lines.{source}.spent_in_period": money(in_period),
                 f"fund_lines.{source}.spent_to_date": money(to_date)}
    return flat


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """A nested figures object as figure path -> value."""
    if not isinstance(value, dict):
        return {path: value}
    flat: dict[str, Any] = {}
    for key, inner in value.items():
        flat.update(flatten(inner, f"{path}.{key}" if path else str(key)))
    return flat


def is_zero(value: Any) -> bool:
    return value == 0 or value == "0.00"


def differences(where: str, stated: dict[str, Any], computed: dict[str, Any],
                taken: frozenset[str] = frozenset(), source: str = "the events") -> list[str]:
    """Each figure whose stated value is not the computed one (a figure not computed must be zero),
    named by its path under `where`; the `taken` paths are checked elsewhere; `source` computed them."""
    found = []
    flat = flatten(stated)
    for path, value in flat.items():
        if path in taken:
            continue
        expected = computed.get(path, "0.00" if isinstance(value, str) else 0)
        if type(value) is not type(expected) or value != expected:
            found.append(f"{where}.{path}: {source} give {expected}, the report states {value}")
    for path, value in computed.items():
        if path not in flat and not is_zero(value):
            found.append(f"{where}.{path}: {source} give {value}, the report has no such figure")
    return found
