"""The report's sections beside its figures (`../shared/API.md`, "Report sections"; issue 32): the
projects in force and what was delivered under them (项目情况), their evaluations (服务评价), the
supervision (监督检查) and each station as set up (站点基本情况表).

Pure once the report tables' rows are loaded, as the rest of a report. A town's sections hold its
items only, each naming its town, so that a district's report at the cut takes each town's items
from its approved version (`cut_sections.py`); `supervision_counts` counts either.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from projections import facts, report_cache
from projections.compliance import StationFact, missing, on_duty
from projections.duties_report import effective_end
from projections.evaluation_rules import contract_years, midyear
from projections.figures import add, money, vocabulary_codes
from projections.gaps import Rules
from projections.projector import DISTRICT_SCOPE
from projections.report_rows import Rows


@dataclass(frozen=True)
class Frame:
    """What the sections are judged against: the period's days, its cutoff, the scope's names."""

    period: str
    start: date
    end: date
    cutoff: date
    rules: Rules
    district_name: str
    towns: dict[str, str]  # code -> name, of the towns in scope


def sections(frame: Frame, rows: Rows, town: str | None, *, shared: bool = False) -> dict[str, Any]:
    """The four sections of a town's report (`town`) or of the district's (None); `shared`: the
    roster's entries kept in `report_cache.PARTS`, for a report that is only ever encoded."""
    # Ordered by town, as a district's sections at the cut take them town by town.
    projects = sorted((p for p in (rows.projects if town is None else facts.projects_of(rows, town))
                       if p["contract_start"] <= frame.end and effective_end(p) >= frame.start),
                      key=lambda p: (p["town"], p["project"]))
    return {"projects": projects_section(frame, rows, projects, town),
            "evaluations": evaluations_section(frame, rows, projects),
            "supervision": supervision_section(frame, rows, town),
            "roster": [report_cache.PARTS.made(("roster", frame.cutoff, code, frame.towns[code],
                                                 tuple(rows.of_town("facts", code))),
                                                lambda code=code: roster_entry(frame, rows, code))
                       if shared else roster_entry(frame, rows, code) for code in frame.towns]}


# -- 项目情况 ---------------------------------------------------------------------------------

def _purchaser(frame: Frame, project: asyncpg.Record) -> str:
    """Who bought it, as people name the purchaser: the district bureau or the town's government."""
    if project["purchaser_kind"] == "town_government" and project["town"]:
        name = frame.towns.get(project["town"], project["town"])
        return f"{name}{'办事处' if name.endswith('街道') else '人民政府'}"
    return f"{frame.district_name}民政局" if project["purchaser_kind"] else ""


def _cell(row: asyncpg.Record | None) -> dict[str, Any]:
    return {"person_times": row["person_times"] if row else 0, "recipients": row["recipients"] if row else 0,
            "hours": money(row["hours"] if row else 0)}


def projects_section(frame: Frame, rows: Rows, projects: list[asyncpg.Record], town: str | None) -> list[dict[str, Any]]:
    scope = DISTRICT_SCOPE if town is None else town
    figures = {(r["dim"], r["key"]): r for r in rows.of_town("services", scope) if r["dim"].startswith("project")}
    domains: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # project -> domain -> its cell
    for (dim, key), row in sorted(figures.items()):
        if dim == "project_domain":
            project, _, domain = key.rpartition("|")
            domains[project][domain] = _cell(row)
    in_period: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    to_date: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r in rows.funds:
        if town is None or r["town"] == town:
            to_date[(r["project"], r["source"], r["level"])] += r["amount"]
            if r["period"] == frame.period:
                in_period[(r["project"], r["source"], r["level"])] += r["amount"]
    items = []
    for p in projects:
        lines = [{"source": line["source"], "level": line["level"], "amount": money(Decimal(line["amount"])),
                  "spent_in_period": money(in_period[(p["project"], line["source"], line["level"])]),
                  "spent_to_date": money(to_date[(p["project"], line["source"], line["level"])])}
                 for line in orjson.loads(p["lines"])]
        items.append({
            "project": p["project"], "name": p["name"], "role": p["role"], "town": p["town"],
            "towns": sorted(orjson.loads(p["towns"])) if p["towns"] else None,
            "purchaser_kind": p["purchaser_kind"], "purchaser": _purchaser(frame, p),
            "provider": {"name": p["provider"], "kind": p["provider_kind"], "credit_code": p["credit_code"]},
            "method": p["method"], "amount": money(p["amount"]),
            "contract_start": p["contract_start"].isoformat(), "contract_end": p["contract_end"].isoformat(),
            "exited_on": p["exited_on"].isoformat() if p["exited_on"] else None,
            "fund_lines": lines,
            "spent_in_period": money(sum((Decimal(line["spent_in_period"]) for line in lines), Decimal(0))),
            "spent_to_date": money(sum((Decimal(line["spent_to_date"]) for line in lines), Decimal(0))),
            "services": {**_cell(figures.get(("project", p["project"]))), "by_domain": domains.get(p["project"], {})}})
    return items


# -- 服务评价 ---------------------------------------------------------------------------------

def timing(done_on: date | None, due: date, cutoff: date) -> str:
    """on_time | late (done by the cutoff, by its due day or after), due | overdue (not done)."""
    if done_on is not None:
        return "on_time" if done_on <= due else "late"
    return "overdue" if due < cutoff else "due"


def evaluations_section(frame: Frame, rows: Rows, projects: list[asyncpg.Record]) -> list[dict[str, Any]]:
    """Each core project's contract years reaching into the period (a linked project owes the
    station none, `evaluation_rules.py`): the provider's self-evaluation, due half way through the
    year, and the purchaser's final evaluation, due at its end and its grace."""
    grace = timedelta(days=frame.rules.final_evaluation_grace_days)
    items = []
    for p, fact in zip(projects, facts.project_facts(projects), strict=True):
        if p["role"] != "core":
            continue
        done = {(e["kind"], e["contract_year"]): e for e in rows.having("evaluations", "project", p["project"])
                if e["on_date"] <= frame.cutoff}
        for year, start, end in contract_years(fact):
            final_due = min(end, fact.end) + grace
            if start > frame.end or start > fact.end or final_due < frame.start:
                continue
            own, final = done.get(("self", year)), done.get(("final", year))
            self_due = midyear(start, end)
            items.append({
                "project": p["project"], "name": p["name"], "town": p["town"], "contract_year": year,
                "year_start": start.isoformat(), "year_end": end.isoformat(),
                "self_evaluation": None if self_due > fact.end else {
                    "due": self_due.isoformat(), "submitted_on": own["on_date"].isoformat() if own else None,
                    "score": _score(own), "status": timing(own["on_date"] if own else None, self_due, frame.cutoff)},
                "final_evaluation": {
                    "due": final_due.isoformat(), "done_on": final["on_date"].isoformat() if final else None,
                    "evaluator": final["evaluator"] if final else None,
                    "evaluator_name": final["evaluator_name"] if final else None,
                    "score": _score(final), "grade": final["grade"] if final else None,
                    "status": timing(final["on_date"] if final else None, final_due, frame.cutoff)}})
    return items


def _score(evaluation: asyncpg.Record | None) -> str | None:
    return str(evaluation["score"]) if evaluation is not None and evaluation["score"] is not None else None


# -- 监督检查 ---------------------------------------------------------------------------------

def supervision_section(frame: Frame, rows: Rows, town: str | None) -> dict[str, Any]:
    """The period's inspections, counted and listed, each with its rectification; and every
    rectification overdue at the cutoff (of any half year's inspection), naming its inspection."""
    mine = sorted((r for r in rows.inspections if town is None or r["town"] == town),
                  key=lambda r: (r["town"], r["occurred_on"], r["record_id"]))
    items = [{"inspection": r["record_id"], "town": r["town"], "project": r["project"],
              "occurred_on": r["occurred_on"].isoformat(), "kind": r["kind"], "by": r["by_level"],
              "scopes": orjson.loads(r["scopes"]) if r["scopes"] else [], "issues_found": r["issues_found"],
              "rectification_due": r["rectification_due"].isoformat() if r["rectification_due"] else None,
              "rectified_on": _by(r["rectified_on"], frame.cutoff), "overdue": _overdue(r, frame.cutoff)}
             for r in mine if r["period"] == frame.period]
    overdue = [{"inspection": r["record_id"], "town": r["town"], "occurred_on": r["occurred_on"].isoformat(),
                "rectification_due": r["rectification_due"].isoformat()}
               for r in mine if r["occurred_on"] <= frame.cutoff and _overdue(r, frame.cutoff)]
    return {**supervision_counts(items), "items": items, "overdue_rectifications": overdue}


def _by(day: date | None, cutoff: date) -> str | None:
    return day.isoformat() if day is not None and day <= cutoff else None


def _overdue(r: asyncpg.Record, cutoff: date) -> bool:
    """Issues found, due before the cutoff and not put right by it (as `compliance._rectifications`)."""
    due, done = r["rectification_due"], r["rectified_on"]
    return bool(r["issues_found"] and due is not None and due < cutoff and (done is None or done > cutoff))


def supervision_counts(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The inspections' counts, in all and by kind, scope and level (an inspection counts in each of its scopes)."""
    items = list(items)
    return {"inspections": len(items),
            "by_kind": {k: sum(i["kind"] == k for i in items) for k in vocabulary_codes("inspection_kind")},
            "by_scope": {s: sum(s in i["scopes"] for i in items) for s in vocabulary_codes("inspection_scope")},
            "by_level": {lv: sum(i["by"] == lv for i in items) for lv in ("city", "district", "town")},
            "with_issues": sum(i["issues_found"] for i in items),
            "rectified": sum(i["rectified_on"] is not None for i in items),
            "overdue": sum(i["overdue"] for i in items)}


def supervision_totals(supervision: dict[str, Any] | None) -> dict[str, Any] | None:
    """A report's supervision counted, without its lists: what the city sets side by side and sums."""
    return None if supervision is None else {k: v for k, v in supervision.items()
                                             if k not in ("items", "overdue_rectifications")}


def city_supervision(districts: list[dict[str, Any]]) -> dict[str, Any]:
    """The districts' supervision counts summed (a district's version frozen before the sections has none)."""
    total: dict[str, Any] = supervision_counts([])
    for part in districts:
        if part.get("supervision"):
            total = add(total, part["supervision"])
    return total


# -- 站点基本情况表 -----------------------------------------------------------------------------

def _latest(station: list[StationFact], kind: str) -> dict[str | None, StationFact]:
    """The latest fact of each key of a kind (facts in date order: a later one wins)."""
    found: dict[str | None, StationFact] = {}
    for fact in station:
        if fact.kind == kind:
            found[fact.key] = fact
    return found


def roster_entry(frame: Frame, rows: Rows, town: str) -> dict[str, Any]:
    """A town's station as it stands at the cutoff: staff counted by role, never named."""
    station = sorted((f for f in facts.station_facts(rows, town) if f.on_date <= frame.cutoff), key=lambda f: f.on_date)
    established = _latest(station, "established").get(None)
    sign = _latest(station, "signboard").get(None)
    roles = list(on_duty(station).values())
    equipment, rules = _latest(station, "equipment"), _latest(station, "rules")
    return {
        "town": town, "name": frame.towns[town], "established": established is not None,
        "host_facility": established.detail if established else None,
        "address": established.attributes.get("address") if established else None,
        "established_on": established.on_date.isoformat() if established else None,
        "signboard": {"text": sign.detail, "hung_on": sign.on_date.isoformat()} if sign else None,
        "staff": {role: roles.count(role) for role in vocabulary_codes("staff_role")}, "staff_total": len(roles),
        "equipment": [{"item": item, "quantity": f.attributes.get("quantity"), "recorded_on": f.on_date.isoformat()}
                      for item in vocabulary_codes("equipment") if (f := equipment.get(item))],
        "equipment_missing": missing(station, "equipment", "equipment"),
        "rules": [{"category": c, "posted_on_wall": f.attributes.get("posted_on_wall"), "adopted_on": f.on_date.isoformat()}
                  for c in vocabulary_codes("rule_category") if (f := rules.get(c))],
        "rules_missing": missing(station, "rules", "rule_category"),
        "rules_posted": sum(f.attributes.get("posted_on_wall") is True for f in rules.values()),
    }
