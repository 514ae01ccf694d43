"""Reading the half-year reports: a town's, a district's and the city's.

Every read takes pre-aggregated rows of the report tables (a few hundred at most for a
district's half year), never the events, so it costs the same at a thousand events or ten
million.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from audit import checkpoints
from domain.divisions import Divisions, TownVersion
from domain.station import expected_signboard
from projections import compliance, duties_report as duties, facts, report_cache
from projections.duty_gaps import Judged, duty_gaps
from projections.figures import add, fund_figures, money, service_figures
from projections.gaps import Rules, described
from projections.periods import bounds
from projections.projector import DISTRICT_SCOPE
from projections.report_rows import Head, Rows, heads, load_many, reading, training_of
from projections.sections import Frame, city_supervision, sections, supervision_totals
from projections.villages_report import villages_section
from kernel.clock import CST


@dataclass(frozen=True)
class Deadlines:
    """Days after a half year ends by which reports are due."""

    town_days: int = 15
    district_days: int = 30


@dataclass(frozen=True)
class Scope:
    district: str
    period: str
    divisions: Divisions
    today: date
    deadlines: Deadlines = Deadlines()
    as_of: datetime | None = None  # an as-of read: the moment the city's training rows are read at
    rules: Rules = Rules()

    @cached_property  # read for every row of every town: worked out once
    def start(self) -> date:
        return bounds(self.period)[0]

    @cached_property
    def end(self) -> date:
        return bounds(self.period)[1]

    @cached_property
    def cutoff(self) -> date:
        """The day compliance is judged on: the period's last day, or today if earlier."""
        return min(self.end, self.today)

    def towns(self) -> list[TownVersion]:
        """The district's towns that existed at some time in the period, as named at its cutoff."""
        found = []
        for versions in self.divisions.towns_of(self.district).values():
            in_period = [v for v in versions if v.district == self.district
                         and (v.valid_from is None or v.valid_from <= self.end)
                         and (v.valid_to is None or v.valid_to >= self.start)]
            if in_period:
                found.append(next((v for v in in_period if v.valid_on(self.cutoff)), in_period[-1]))
        return sorted(found, key=lambda v: v.code)


async def district_report(conn: asyncpg.Connection, scope: Scope) -> dict[str, Any]:
    return (await district_reports(conn, [scope]))[0]


async def district_reports(conn: asyncpg.Connection, scopes: list[Scope]) -> list[dict[str, Any]]:
    """Several districts' reports of one period (and one as-of moment), their rows read together;
    a report whose rows have not changed since it was last made is given again (`report_cache`)."""
    if not scopes:
        return []
    if scopes[0].as_of is not None:  # temporary tables of one moment: made afresh
        loaded = await load_many(conn, [s.district for s in scopes], scopes[0].period, scopes[0].as_of)
        return [orjson.loads(report_cache.encode(_district_report(scope, loaded[scope.district]))) for scope in scopes]
    return await _current_reports(conn, scopes, report_cache.REPORTS.get,
                                  lambda report, text: orjson.loads(text or report_cache.encode(report)))


async def district_report_json(conn: asyncpg.Connection, scope: Scope) -> bytes:
    """`district_report` (not as of a moment) as JSON text: as it is kept, so a report given
    again is neither decoded nor encoded."""
    return (await district_reports_json(conn, [scope]))[0]


async def district_reports_json(conn: asyncpg.Connection, scopes: list[Scope]) -> list[bytes]:
    """`district_reports` (not as of a moment) as JSON texts, as they are kept."""
    return await _current_reports(conn, scopes, report_cache.REPORTS.text,
                                  lambda report, text: text or report_cache.encode(report))


async def _current_reports(conn: asyncpg.Connection, scopes: list[Scope], kept: Callable[[Hashable], Any],
                           made: Callable[[dict[str, Any], bytes | None], Any]) -> list[Any]:
    """Each district's current report: `kept(key)` if kept under its key, else made afresh and
    given as `made(report, its text if kept now)`."""
    period, names = scopes[0].period, [s.district for s in scopes]
    read = await heads(conn, names)
    training = await training_of(conn, names, int(period[:4]))
    keys = {s.district: (s, read[s.district].stamp, tuple(tuple(r) for r in training[s.district]))
            for s in scopes if read[s.district].stamp is not None}
    found = {d: kept(key) for d, key in keys.items()}
    missing = [s for s in scopes if found.get(s.district) is None]
    if missing:
        known, service_towns = _still_current([s.district for s in missing], period, read)
        loaded = await load_many(conn, [s.district for s in missing], period, None, training, read, known,
                                 service_towns)
        for scope in missing:
            report, text = _district_report(scope, loaded[scope.district]), None
            if scope.district in keys:
                text = report_cache.REPORTS.put(keys[scope.district], report)
                report_cache.ROWS.put(scope.district, period, read[scope.district].stamp,
                                      loaded[scope.district].tables)
            found[scope.district] = made(report, text)
    return [found[s.district] for s in scopes]


def _still_current(districts: list[str], period: str,
                   read: dict[str, Head]) -> tuple[dict[str, dict[str, list]], frozenset[str]]:
    """Of the districts' rows kept from earlier snapshots (`report_cache`), the tables no
    transaction since has changed, for each district seen now (its stamp: row-level security);
    and the towns whose service figures changed, when only some did (their kept service rows
    are then current for every other town)."""
    known: dict[str, dict[str, list]] = {}
    partly: dict[str, frozenset[str] | None] = {}  # district: the towns of its changed service figures
    for district in districts:
        stamp, kept = read[district].stamp, report_cache.ROWS.get(district, period)
        changed = None if stamp is None or kept is None else report_cache.MOVES.changed_between(district, kept[0], stamp)
        if changed is None:
            continue
        stale = reading(changed)
        known[district] = {name: rows for name, rows in kept[1].items() if name not in stale or name == "services"}
        if "services" in stale:
            partly[district] = changed["service_figures"]
    if any(towns is None for towns in partly.values()):
        for district in partly:
            del known[district]["services"]
        return known, frozenset()
    return known, frozenset().union(*partly.values())


def _district_report(scope: Scope, rows: Rows) -> dict[str, Any]:
    """The report, holding parts shared with `report_cache.PARTS`: to be encoded, never handed
    out as it is."""
    towns = [report_cache.PARTS.made(_town_part_key(scope, rows, town), lambda town=town: _town_part(scope, rows, town))
             for town in scope.towns()]
    stations = tuple((t["town"], t["name"]) for t in towns if "no_station" not in t["compliance"]["gap_codes"])
    figures = _figures(scope, rows, DISTRICT_SCOPE, towns)
    return {
        "period": scope.period, "level": "district", "district": scope.district,
        "name": _district_name(scope), "status": _status(rows, DISTRICT_SCOPE),
        "return_reason": _return_reason(rows, DISTRICT_SCOPE),
        "timeliness": _timeliness(scope, rows.states.get(DISTRICT_SCOPE), scope.deadlines.district_days),
        "figures": figures,
        "completeness": _completeness(scope, rows, towns),
        "projects_detail": report_cache.PARTS.made(
            ("projects_detail", scope.period, tuple(rows.funds), tuple(rows.projects)),
            lambda: _projects_detail(scope, rows, None)),
        "towns": towns,
        **report_cache.PARTS.made(_duty_sections_key(scope, rows, stations),
                                  lambda: _duty_sections(scope, rows, None, towns)),
        "villages": villages_section(rows.duties.villages, rows.services, scope.cutoff, None),
        **sections(_frame(scope, scope.towns()), rows, None, shared=True),
        "checkpoint": rows.checkpoint,
    }


async def town_report(conn: asyncpg.Connection, scope: Scope, town: str) -> dict[str, Any] | None:
    version = next((v for v in scope.towns() if v.code == town), None)
    if version is None:
        return None
    rows = (await load_many(conn, [scope.district], scope.period, scope.as_of))[scope.district]
    part = _town_part(scope, rows, version)
    return {"period": scope.period, "level": "town", "district": scope.district, **part,
            "projects_detail": _projects_detail(scope, rows, town),
            **_duty_sections(scope, rows, town, [part]),
            "villages": villages_section(rows.duties.villages, rows.services, scope.cutoff, town),
            **sections(_frame(scope, [version]), rows, town),
            "checkpoint": rows.checkpoint}


def city_json(period: str, status: str, texts: list[bytes]) -> bytes:
    """The city's report (not as of a moment) as JSON text, from its districts' report texts."""
    key = (period, status, *texts)
    return report_cache.CITIES.text(key) or report_cache.CITIES.put(
        key, {**city_of(period, [orjson.loads(text) for text in texts]), "status": status})


def city_of(period: str | None, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The city's report from its districts' reports: side by side, and summed."""
    districts = [{k: report[k] for k in ("district", "name", "status", "return_reason", "timeliness", "figures",
                                         "completeness", "plan", "funding", "linked_projects", "training",
                                         "duty_compliance", "checkpoint")}
                 | {"open_problems": report.get("open_problems", []),
                    "supervision": supervision_totals(report.get("supervision"))} for report in reports]
    total: dict[str, Any] = {}
    for part in districts:
        total = add(total, part["figures"])
    expected = len(districts)
    return {
        "period": period, "level": "city", "figures": total,
        "completeness": {
            "expected": expected,
            "submitted": sum(d["status"] in ("submitted", "approved") for d in districts),
            "approved": sum(d["status"] == "approved" for d in districts),
            "returned": sum(d["status"] == "returned" for d in districts),
            "late": sum(d["timeliness"]["state"] in ("late", "overdue") for d in districts),
        },
        "plans": duties.city_plans(districts),
        "linked_projects": duties.city_linked(districts),
        "training": duties.city_training(period, districts),
        "supervision": city_supervision(districts),
        "districts": districts,
    }


async def frozen_version(conn: asyncpg.Connection, scope: Scope, town: str, version: str) -> dict[str, Any] | None:
    """The report exactly as submitted (or approved), with the records that came after it."""
    row = await conn.fetchrow("SELECT position, figures, recorded_at FROM report_versions"
                              " WHERE district = $1 AND period = $2 AND town = $3 AND version = $4",
                              scope.district, scope.period, town, version)
    if row is None:
        return None
    later = await conn.fetch(
        "SELECT position, record_id, record_type, town FROM record_periods"
        " WHERE district = $1 AND period = $2 AND position > $3 AND ($4 = '' OR town = $4) ORDER BY position",
        scope.district, scope.period, row["position"], town)
    status = await conn.fetchval("SELECT status FROM report_states WHERE district = $1 AND period = $2"
                                 " AND town = $3", scope.district, scope.period, town)
    report = json.loads(row["figures"])
    signed = await checkpoints.covering(conn, scope.district, row["position"])
    return {**report, "version": version, "status": status,
            "frozen_at": row["recorded_at"].astimezone(CST).isoformat(),
            "adjustments": [dict(r) for r in later],
            "signed_checkpoint": signed.as_json() if signed else None}


# -- assembling the parts -----------------------------------------------------------------

def _district_name(scope: Scope) -> str | None:
    version = scope.divisions.district(scope.district, scope.cutoff)
    return version.name if version else None


def _frame(scope: Scope, towns: list[TownVersion]) -> Frame:
    return Frame(scope.period, scope.start, scope.end, scope.cutoff, scope.rules, _district_name(scope) or "",
                 {t.code: t.name for t in towns})


def _status(rows: Rows, town: str) -> str:
    state = rows.states.get(town)
    return state["status"] if state else "draft"


def _return_reason(rows: Rows, town: str) -> str | None:
    """Why the report was returned, while it stands returned (until it is submitted again)."""
    state = rows.states.get(town)
    return state["reason"] if state and state["status"] == "returned" else None


def _town_part(scope: Scope, rows: Rows, town: TownVersion) -> dict[str, Any]:
    assessed = _compliance(scope, rows, town)
    part = {"town": town.code, "name": town.name, "status": _status(rows, town.code),
            "return_reason": _return_reason(rows, town.code),
            "timeliness": _timeliness(scope, rows.states.get(town.code), scope.deadlines.town_days)}
    part["figures"] = _figures(scope, rows, town.code, [{"compliance": assessed}])
    part["compliance"] = assessed
    part["on_behalf"] = dict(rows.on_behalf.get(town.code, {}))  # a district entering the town's duties shows
    return part


def _town_part_key(scope: Scope, rows: Rows, town: TownVersion) -> tuple:
    """Everything `_town_part` reads: the scope, the town, and the town's rows of every table
    (a row's values are its identity: the same values make the same part)."""
    projects = facts.projects_of(rows, town.code)
    return ("town", scope, town, rows.states.get(town.code), tuple(projects),
            tuple(sorted(rows.on_behalf.get(town.code, {}).items())),
            tuple(e for p in projects for e in rows.having("evaluations", "project", p["project"])),
            *(tuple(rows.of_town(table, town.code)) for table in ("services", "funds", "inspections", "facts")))


def _figures(scope: Scope, rows: Rows, town: str, towns: list[dict[str, Any]]) -> dict[str, Any]:
    """One scope's figures: a town's, or the district's (town == '')."""
    def mine(field: str) -> list[asyncpg.Record]:
        return getattr(rows, field) if town == DISTRICT_SCOPE else rows.of_town(field, town)

    inspections = [r for r in mine("inspections") if r["period"] == scope.period]
    # A district purchase for several towns counts in each of them, and once in the district.
    projects = [p for p in (rows.projects if town == DISTRICT_SCOPE else facts.projects_of(rows, town))
                if p["contract_start"] <= scope.end and duties.effective_end(p) >= scope.start]
    return {
        **service_figures(scope.period, rows.of_town("services", town)),
        **fund_figures([r for r in mine("funds") if r["period"] == scope.period]),
        "inspections": len(inspections),
        "open_rectifications": compliance.open_rectifications(facts.as_inspection_facts(mine("inspections")),
                                                              scope.cutoff),
        "stations": sum("no_station" not in t["compliance"]["gap_codes"] for t in towns),
        "stations_compliant": sum(t["compliance"]["compliant"] for t in towns),
        "projects": {"core": sum(p["role"] == "core" for p in projects),
                     "linked": sum(p["role"] == "linked" for p in projects)},
    }


def _compliance(scope: Scope, rows: Rows, town: TownVersion) -> dict[str, Any]:
    district = scope.divisions.district(scope.district, scope.cutoff)
    projects = facts.projects_of(rows, town.code)
    assessed = compliance.assess(
        facts.station_facts(rows, town.code), facts.project_facts(projects), facts.evaluation_facts(rows, projects),
        facts.inspection_facts(rows, town.code),
        expected_sign=expected_signboard(district.name if district else "", town.name),
        cutoff=scope.cutoff, rules=scope.rules,
    )
    return described(assessed.gaps)


def _duty_sections_key(scope: Scope, rows: Rows, stations: tuple[tuple[str, str], ...]) -> tuple:
    """Everything the district's `_duty_sections` reads: the scope, its towns with a station, and
    the rows of the plan, the projects, their evaluations and spending, and the duties."""
    d = rows.duties
    return ("duties", scope, stations, d.plan, tuple(d.linked), tuple(d.notes), tuple(d.problems), tuple(d.training),
            tuple(d.allocations), tuple(rows.projects), tuple(rows.evaluations), tuple(rows.funds))


def _duty_sections(scope: Scope, rows: Rows, town: str | None, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan against reality, provider exits, linked projects, training and open problems."""
    year, d = int(scope.period[:4]), rows.duties
    stations = [(t["town"], t["name"]) for t in parts if "no_station" not in t["compliance"]["gap_codes"]]
    running_linked = sum(p["role"] == "linked" and p["contract_start"] <= scope.end
                         and duties.effective_end(p) >= scope.start
                         for p in (rows.projects if town is None else facts.projects_of(rows, town)))
    judged = Judged(year, scope.start, scope.end, scope.cutoff, scope.today,
                    scope.end + timedelta(days=scope.deadlines.town_days))
    return {
        "plan": duties.plan_section(year, scope.cutoff, d.plan, rows.projects, rows.evaluations, town),
        **({"funding": duties.funding_section(year, scope.cutoff, d.allocations, rows.projects, rows.funds)}
           if town is None else {}),
        "duty_compliance": described(duty_gaps(judged, d, rows.projects, stations, town)),
        "provider_exits": duties.exits_section(scope.start, scope.end, rows.projects, town),
        "linked_projects": duties.linked_section(d.linked, running_linked, town),
        "training": duties.training_section(year, scope.cutoff, d.training, stations, town),
        "progress_notes": duties.progress_notes(d.notes, scope.cutoff, town),
        "open_problems": duties.open_problems(d.problems, scope.cutoff, town),
    }


def _timeliness(scope: Scope, state: asyncpg.Record | None, days: int) -> dict[str, Any]:
    deadline = scope.end + timedelta(days=days)
    submitted = state["submitted_at"].astimezone(CST).date() if state and state["submitted_at"] else None
    if submitted is not None:
        label = "on_time" if submitted <= deadline else "late"
    else:
        label = "overdue" if scope.today > deadline else "pending"
    return {"deadline": deadline.isoformat(), "submitted_on": submitted.isoformat() if submitted else None,
            "state": label}


def _completeness(scope: Scope, rows: Rows, towns: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "expected": len(towns),
        "submitted": sum(t["status"] in ("submitted", "approved") for t in towns),
        "approved": sum(t["status"] == "approved" for t in towns),
        "returned": sum(t["status"] == "returned" for t in towns),
        "late": sum(t["timeliness"]["state"] in ("late", "overdue") for t in towns),
    }


def _projects_detail(scope: Scope, rows: Rows, town: str | None) -> list[dict[str, Any]]:
    """Budget against spending, per project and fund line: in the period, and to its end."""
    in_period: dict[tuple[str, str], Any] = defaultdict(int)
    to_date: dict[tuple[str, str], Any] = defaultdict(int)
    for r in rows.funds:
        to_date[(r["project"], r["source"])] += r["amount"]
        if r["period"] == scope.period:
            in_period[(r["project"], r["source"])] += r["amount"]
    detail = []
    for p in rows.projects:
        if town is not None and p["town"] != town:
            continue
        budget = json.loads(p["budget"])
        lines = {source: {"budget": amount, "spent_in_period": money(in_period[(p["project"], source)]),
                          "spent_to_date": money(to_date[(p["project"], source)])}
                 for source, amount in budget.items()}
        detail.append({"project": p["project"], "name": p["name"], "town": p["town"], "role": p["role"],
                       "towns": json.loads(p["towns"]) if p["towns"] else None, "levels": json.loads(p["lines"]),
                       "provider": p["provider"], "amount": money(p["amount"]),
                       "contract_start": p["contract_start"].isoformat(),
                       "contract_end": p["contract_end"].isoformat(), "fund_lines": lines})
    return detail

