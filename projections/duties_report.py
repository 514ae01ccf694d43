"""The report sections of the district's and the city's duties (guide, section 四): the annual
plan against reality, the funds secured for the year, provider exits, the linked projects'
figures, training and open problems.

Read from the report tables like the rest of a report; each section is pure once its rows are
loaded. Kept apart from the figures on purpose: a linked project's figures are its own, never
the station's, so nothing is counted twice.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg

from domain.vocabulary import label
from projections.evaluation_rules import ProjectFact, contract_years
from projections.figures import CENTS, money, vocabulary_codes


@dataclass
class DutyRows:
    plan: asyncpg.Record | None
    linked: list[asyncpg.Record]
    notes: list[asyncpg.Record]
    problems: list[asyncpg.Record]
    training: list[asyncpg.Record]
    villages: list[asyncpg.Record]
    allocations: list[asyncpg.Record]


def effective_end(project: asyncpg.Record) -> date:
    """A project ends with its contract, or earlier when its provider exits."""
    exited = project["exited_on"]
    return min(project["contract_end"], exited) if exited else project["contract_end"]


def year_share(amount: Decimal, start: date, end: date, year: int) -> Decimal:
    """The part of a contract's amount that falls in a year, by the days of its term in the year
    (a contract within the year: all of it), to the cent, half up."""
    first, last = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
    if last < first:
        return Decimal(0)
    days, term = (last - first).days + 1, (end - start).days + 1
    return amount if days == term else (amount * days / term).quantize(CENTS, ROUND_HALF_UP)


def in_force_in(year: int, cutoff: date, projects: list[asyncpg.Record]) -> list[asyncpg.Record]:
    """The contracts in force on some day of the year, signed by the cutoff: those starting in it,
    and those continuing from earlier years."""
    return [p for p in projects if p["contract_start"] <= min(cutoff, date(year, 12, 31))
            and effective_end(p) >= date(year, 1, 1)]


def year_lines(project: asyncpg.Record, year: int) -> dict[tuple[str, str], Decimal]:
    """A contract's fund lines, (source, level), at their share of the year."""
    return {(line["source"], line["level"]): year_share(Decimal(line["amount"]), project["contract_start"],
                                                        project["contract_end"], year)
            for line in json.loads(project["lines"])}


def town_lines(project: asyncpg.Record, year: int) -> dict[str, dict[tuple[str, str], Decimal]]:
    """A contract's fund lines at their share of the year, by the town they count in. A district
    purchase for several towns splits each line by the towns' shares of its amount (the shares say
    nothing of sources), to the cent, half up; the last town by code takes what rounding leaves,
    so the towns' parts add up to the line."""
    lines = year_lines(project, year)
    if not project["towns"]:
        return {project["town"]: lines}
    shares = sorted(json.loads(project["towns"]).items())
    split: dict[str, dict[tuple[str, str], Decimal]] = {t: {} for t, _ in shares}
    for line, amount in lines.items():
        left = amount
        for t, share in shares[:-1]:
            split[t][line] = (amount * Decimal(share) / project["amount"]).quantize(CENTS, ROUND_HALF_UP)
            left -= split[t][line]
        split[shares[-1][0]][line] = left
    return split


def _by_source(lines: dict[tuple[str, str], Decimal]) -> dict[str, str]:
    """Fund lines (source, level) summed by source, every level together."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for (source, _), amount in lines.items():
        sums[source] += amount
    return {source: money(sums.get(source, 0)) for source in vocabulary_codes("fund_source")}


# -- the annual plan against reality ----------------------------------------------------------

def plan_section(year: int, cutoff: date, plan: asyncpg.Record | None, projects: list[asyncpg.Record],
                 evaluations: list[asyncpg.Record], town: str | None) -> dict[str, Any]:
    """The filed plan of the year against the contracts in force in the year (at their share of
    it), for a town or the district. A district purchase for several towns counts in each town it
    covers at that town's part (`town_lines`), and once, whole, in the district's amounts."""
    filed = json.loads(plan["filed_content"]) if plan and plan["filed_content"] else None
    planned = [p for p in (filed["projects"] if filed else []) if town is None or p["town"] == town]
    planned_ids = {p["project"] for p in (filed["projects"] if filed else [])}
    in_force = in_force_in(year, cutoff, projects)
    parts = {p["project"]: town_lines(p, year) for p in in_force}
    contracted = [p for p in in_force if town is None or town in parts[p["project"]]]
    by_id = {p["project"]: p for p in projects}
    towns: dict[str, dict[str, dict[tuple[str, str], Decimal]]] = defaultdict(
        lambda: {"planned": defaultdict(Decimal), "contracted": defaultdict(Decimal)})
    for item in planned:
        for line in item["funds"]:  # a plan filed before lines had levels plans its own funds
            towns[item["town"]]["planned"][(line["source"], line.get("level", "own"))] += Decimal(line["amount"])
    for p in contracted:
        for covered, lines in parts[p["project"]].items():
            if town is None or covered == town:
                for line, amount in lines.items():
                    towns[covered]["contracted"][line] += amount
    total: dict[str, dict[tuple[str, str], Decimal]] = {"planned": defaultdict(Decimal),
                                                         "contracted": defaultdict(Decimal)}
    for sums in towns.values():
        for side in total:
            for line, amount in sums[side].items():
                total[side][line] += amount
    return {
        **_plan_status(year, plan),
        **_planned_against_contracted(total),
        "by_town": {t: _planned_against_contracted(sums) for t, sums in sorted(towns.items())},
        "items": [_item(item, by_id.get(item["project"]), year) for item in planned],
        "outside_plan": [{"project": p["project"], "town": p["town"], "role": p["role"], "name": p["name"],
                          "amount": money(p["amount"]), "contract_start": p["contract_start"].isoformat()}
                         for p in contracted if p["project"] not in planned_ids],
        "evaluations": _planned_evaluations(planned, by_id, evaluations, cutoff),
    }


def _plan_status(year: int, plan: asyncpg.Record | None) -> dict[str, Any]:
    status = plan["status"] if plan else None
    return {"year": year, "status": status, "status_label": label("plan_status", status) if status else "未编制",
            "version": plan["version"] if plan else None, "filed_version": plan["filed_version"] if plan else None,
            "filed_at": plan["filed_at"].isoformat() if plan and plan["filed_at"] else None,
            "returned_reason": plan["reason"] if plan and status == "returned" else None}


def _planned_against_contracted(sums: dict[str, dict[tuple[str, str], Decimal]]) -> dict[str, Any]:
    planned, contracted = sums["planned"], sums["contracted"]
    sources, levels = vocabulary_codes("fund_source"), vocabulary_codes("fund_level")
    lines = sorted({*planned, *contracted}, key=lambda line: (sources.index(line[0]), levels.index(line[1])))
    return {"planned_amount": money(sum(planned.values(), Decimal(0))),
            "contracted_amount": money(sum(contracted.values(), Decimal(0))),
            "planned_by_source": _by_source(planned),
            "contracted_by_source": _by_source(contracted),
            "lines": [{"source": s, "level": lv, "level_label": label("fund_level", lv),
                       "planned": money(planned.get((s, lv), 0)), "contracted": money(contracted.get((s, lv), 0))}
                      for s, lv in lines]}


def _item(item: dict[str, Any], project: asyncpg.Record | None, year: int) -> dict[str, Any]:
    """A planned project and its contract, whose amount is compared at its share of the year."""
    return {"project": item["project"], "town": item["town"], "role": item["role"], "name": item["name"],
            "planned_amount": money(Decimal(item["amount"])),
            "contracted_amount": money(sum(year_lines(project, year).values(), Decimal(0))) if project else None,
            "contract_amount": money(project["amount"]) if project else None,
            "contracted": project is not None}


def _contract_year(project: asyncpg.Record, day: date) -> int:
    """The contract year a planned date falls in (the first, or the last, when it lies outside)."""
    years = list(contract_years(ProjectFact(
        project["project"], project["role"], project["contract_start"], project["contract_end"])))
    if not years or day < years[0][1]:
        return 1
    return next((n for n, start, end in years if start <= day <= end), years[-1][0])


def _planned_evaluations(planned: list[dict[str, Any]], projects: dict[str, asyncpg.Record],
                         evaluations: list[asyncpg.Record], cutoff: date) -> dict[str, Any]:
    done = {(e["project"], e["kind"], e["contract_year"]) for e in evaluations if e["on_date"] <= cutoff}
    items = []
    for item in planned:
        project = projects.get(item["project"])
        for kind, field in (("self", "self_evaluation_on"), ("final", "final_evaluation_on")):
            on = date.fromisoformat(item[field])
            finished = project is not None and (item["project"], kind, _contract_year(project, on)) in done
            state = "done" if finished else "overdue" if on < cutoff else "due"
            items.append({"project": item["project"], "town": item["town"], "kind": kind, "planned_on": on.isoformat(),
                          "evaluator": item["evaluator"], "state": state, "state_label": label("evaluation_state", state)})
    return {state: sum(i["state"] == state for i in items) for state in vocabulary_codes("evaluation_state")} | {"items": items}


# -- the funds secured for the year (资金保障) ------------------------------------------------------

def allocated_lines(allocations: list[asyncpg.Record], cutoff: date) -> dict[tuple[str, str], Decimal]:
    """The funds secured by the cutoff, by fund line (source, level)."""
    lines: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for allocation in allocations:
        if allocation["allocated_on"] <= cutoff:
            for line in json.loads(allocation["lines"]):
                lines[(line["source"], line["level"])] += Decimal(line["amount"])
    return lines


def contracted_lines(year: int, cutoff: date, projects: list[asyncpg.Record]) -> dict[tuple[str, str], Decimal]:
    """The contracts in force in the year, by fund line, at their share of the year."""
    lines: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for project in in_force_in(year, cutoff, projects):
        for line, amount in year_lines(project, year).items():
            lines[line] += amount
    return lines


def funding_section(year: int, cutoff: date, allocations: list[asyncpg.Record], projects: list[asyncpg.Record],
                    funds: list[asyncpg.Record]) -> dict[str, Any]:
    """The district's funds for the year: secured (by the cutoff), committed by the contracts in
    force (their share of the year) and spent (in the year's half years to the report's), by line."""
    allocated, contracted = allocated_lines(allocations, cutoff), contracted_lines(year, cutoff, projects)
    spent: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in funds:
        if row["period"].startswith(str(year)):
            spent[(row["source"], row["level"])] += row["amount"]
    order = {(s, lv): n for n, (s, lv) in enumerate((s, lv) for s in vocabulary_codes("fund_source")
                                                    for lv in vocabulary_codes("fund_level"))}
    lines = sorted({*allocated, *contracted, *spent}, key=order.__getitem__)
    return {
        "year": year,
        "allocated_amount": money(sum(allocated.values(), Decimal(0))),
        "contracted_amount": money(sum(contracted.values(), Decimal(0))),
        "spent_amount": money(sum(spent.values(), Decimal(0))),
        "lines": [{"source": s, "level": lv, "level_label": label("fund_level", lv),
                   "allocated": money(allocated.get((s, lv), 0)), "contracted": money(contracted.get((s, lv), 0)),
                   "spent": money(spent.get((s, lv), 0))} for s, lv in lines],
        "allocations": [{"record_id": a["record_id"], "document": a["document"],
                         "allocated_on": a["allocated_on"].isoformat(),
                         "amount": money(sum((Decimal(line["amount"]) for line in json.loads(a["lines"])), Decimal(0)))}
                        for a in allocations if a["allocated_on"] <= cutoff],
    }


# -- provider exits ------------------------------------------------------------------------------

def exits_section(start: date, end: date, projects: list[asyncpg.Record], town: str | None) -> list[dict[str, Any]]:
    return [{"project": p["project"], "town": p["town"], "role": p["role"], "name": p["name"],
             "provider": p["provider"], "exited_on": p["exited_on"].isoformat(), "condition": p["exit_condition"],
             "condition_label": label("exit_condition", p["exit_condition"]), "reason": p["exit_reason"],
             "successor_project": p["successor_project"]}
            for p in projects if p["exited_on"] and start <= p["exited_on"] <= end
            and (town is None or p["town"] == town)]


# -- the "N": linked projects' figures, apart from the station's own ----------------------------

def linked_cell(rows: list[Any]) -> dict[str, Any]:
    """The figures of linked projects' collections: rows of the table, or a report's items."""
    return {"projects": len(rows), "people_served": sum(r["people_served"] for r in rows),
            "person_times": sum(r["person_times"] or 0 for r in rows),
            "amount": money(sum((Decimal(r["amount"]) for r in rows), Decimal(0)))}


def linked_section(rows: list[asyncpg.Record], contracted_linked: int, town: str | None) -> dict[str, Any]:
    mine = [r for r in rows if town is None or r["town"] == town]
    return {
        "contracted_linked_projects": contracted_linked,
        "collected": linked_cell(mine),
        "by_domain": {d: linked_cell([r for r in mine if r["domain"] == d]) for d in vocabulary_codes("service_domain")},
        "items": [{"record_id": r["record_id"], "town": r["town"], "name": r["name"], "purchaser": r["purchaser"],
                   "domain": r["domain"], "people_served": r["people_served"], "person_times": r["person_times"],
                   "amount": money(r["amount"]), "project": r["project"],
                   "collected_on": r["collected_on"].isoformat()} for r in mine],
    }


# -- training --------------------------------------------------------------------------------------

def training_section(year: int, cutoff: date, rows: list[asyncpg.Record],
                     stations: list[tuple[str, str]], town: str | None) -> dict[str, Any]:
    """The city's sessions the district's (or the town's) people attended in the year, by the
    cutoff, and the stations nobody from which was trained. `stations`: (town, name) of each
    established station in scope."""
    held = [r for r in rows if r["held_on"] <= cutoff and (town is None or r["town"] == town)]
    by_town: dict[str, int] = defaultdict(int)
    for r in held:
        by_town[r["town"]] += r["attendees"]
    sessions: dict[str, dict[str, Any]] = {}
    for r in held:
        session = sessions.setdefault(r["record_id"], {"record_id": r["record_id"], "held_on": r["held_on"].isoformat(),
                                                       "topic": r["topic"], "attendees": 0})
        session["attendees"] += r["attendees"]
    return {"year": year, "sessions": len(sessions), "attendees": sum(by_town.values()),
            "by_town": {t: by_town.get(t, 0) for t, _ in stations},
            "untrained_stations": [{"town": t, "name": name} for t, name in stations if not by_town.get(t)],
            "sessions_attended": list(sessions.values())}


# -- progress notes and open problems -------------------------------------------------------------

def open_problems(rows: list[asyncpg.Record], cutoff: date, town: str | None) -> list[dict[str, Any]]:
    return [{"progress": r["record_id"], "key": r["key"], "town": r["town"], "project": r["project"],
             "raised_on": r["raised_on"].isoformat(), "description": r["description"]}
            for r in rows if (town is None or r["town"] == town) and r["raised_on"] <= cutoff
            and (r["resolved_on"] is None or r["resolved_on"] > cutoff)]


def progress_notes(rows: list[asyncpg.Record], cutoff: date, town: str | None) -> int:
    return sum((town is None or r["town"] == town) and r["reported_on"] <= cutoff for r in rows)


# -- the city: every district side by side ------------------------------------------------------

def city_plans(districts: list[dict[str, Any]]) -> dict[str, Any]:
    """Each district's filing status, and how many districts stand at each step."""
    statuses = [d["plan"]["status"] for d in districts]
    return {"filed": statuses.count("filed"), "submitted": statuses.count("submitted"),
            "returned": statuses.count("returned"), "draft": statuses.count("draft"),
            "none": statuses.count(None),
            "planned_amount": money(sum((Decimal(d["plan"]["planned_amount"]) for d in districts), Decimal(0))),
            "contracted_amount": money(sum((Decimal(d["plan"]["contracted_amount"]) for d in districts), Decimal(0)))}


def city_linked(districts: list[dict[str, Any]]) -> dict[str, Any]:
    def total(cells: list[dict[str, Any]]) -> dict[str, Any]:
        return {"projects": sum(c["projects"] for c in cells), "people_served": sum(c["people_served"] for c in cells),
                "person_times": sum(c["person_times"] for c in cells),
                "amount": money(sum((Decimal(c["amount"]) for c in cells), Decimal(0)))}
    parts = [d["linked_projects"] for d in districts]
    return {"contracted_linked_projects": sum(p["contracted_linked_projects"] for p in parts),
            "collected": total([p["collected"] for p in parts]),
            "by_domain": {dom: total([p["by_domain"][dom] for p in parts]) for dom in vocabulary_codes("service_domain")}}


def city_training(period: str | None, districts: list[dict[str, Any]]) -> dict[str, Any]:
    """The city's sessions attended anywhere, and every district's untrained stations."""
    sessions = {s["record_id"] for d in districts for s in d["training"]["sessions_attended"]}
    return {"year": int(period[:4]) if period else None, "sessions": len(sessions),
            "attendees": sum(d["training"]["attendees"] for d in districts),
            "untrained_stations": {d["district"]: d["training"]["untrained_stations"] for d in districts
                                   if d["training"]["untrained_stations"]}}
