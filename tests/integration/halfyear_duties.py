"""The seeded year of `halfyear.py`, its duty sections and gaps recomputed naively from its records:
the plan against the contracts in force, the funds secured, the linked projects' figures, open
problems, the villages by_village names, each town's station gaps and the district's duty gaps.

Each is worked out from the records as a clerk with the guide in hand would, with none of the
projection's machinery; where the report must equal them, the tests say so. The reports read are
of 2025's half years, read long after: their cutoff is the half year's last day.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from projections.periods import period_of
from tests.integration.halfyear import _towns_of, village_keys

CENTS = Decimal("0.01")


def _live(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    voided = {r["record"] for r in records if r["type"] == "record_voided"}
    return [r for r in records if r["id"] not in voided and r["type"] != "record_voided"]


def _bounds(period: str) -> tuple[date, date]:
    year = int(period[:4])
    return (date(year, 1, 1), date(year, 6, 30)) if period.endswith("1") else (date(year, 7, 1), date(year, 12, 31))


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENTS))


def share_of_year(amount: Decimal, start: date, end: date, year: int) -> Decimal:
    """A contract's amount spread evenly over the days of its term: the days that fall in the year."""
    days, term, day = 0, 0, start
    while day <= end:
        term += 1
        days += day.year == year
        day += timedelta(days=1)
    return amount if days == term else (amount * days / term).quantize(CENTS, ROUND_HALF_UP)


def _ends(live: list[dict[str, Any]]) -> dict[str, date]:
    """Each contract's effective end: its own, or its provider's exit."""
    exits = {r["project"]: _day(r["exited_on"]) for r in live if r["type"] == "provider_exited"}
    return {c["project"]: min(_day(c["contract_end"]), exits.get(c["project"], date.max))
            for c in live if c["type"] == "project_contracted"}


def _in_force_in_year(live: list[dict[str, Any]], year: int, cutoff: date) -> list[dict[str, Any]]:
    ends = _ends(live)
    return [c for c in live if c["type"] == "project_contracted"
            and _day(c["contract_start"]) <= min(cutoff, date(year, 12, 31)) and ends[c["project"]] >= date(year, 1, 1)]


def _lines(contract: dict[str, Any], year: int) -> list[tuple[str, str, Decimal]]:
    return [(line["source"], line.get("level", "own"),
             share_of_year(Decimal(line["amount"]), _day(contract["contract_start"]), _day(contract["contract_end"]), year))
            for line in contract["funds"]]


def _town_part(contract: dict[str, Any], town: str, lines: list[tuple[str, str, Decimal]]) -> list[tuple[str, str, Decimal]]:
    """The town's part of a contract's lines: a purchase for several towns splits each line as its
    amount is split between the towns, to the cent, the last town by code taking the rest."""
    if not contract.get("towns"):
        return lines
    shares = sorted((s["town"], Decimal(s["amount"])) for s in contract["towns"])
    parts = []
    for source, level, amount in lines:
        pieces = {t: (amount * share / Decimal(contract["amount"])).quantize(CENTS, ROUND_HALF_UP)
                  for t, share in shares[:-1]}
        pieces[shares[-1][0]] = amount - sum(pieces.values(), Decimal(0))
        parts.append((source, level, pieces[town]))
    return parts


# -- the plan, the linked projects' figures, open problems ----------------------------------------

def naive_duties(records: list[dict[str, Any]], period: str, town: str | None = None,
                 filed: bool = True) -> dict[str, Any]:
    """The plan against the contracts in force in its year (when the year's plan is filed), the
    linked projects' figures and the open problems. A town's contracted amounts hold its part of the
    district's purchases for several towns."""
    live = _live(records)
    year, last = int(period[:4]), _bounds(period)[1]

    def here(record: dict[str, Any]) -> bool:
        return town is None or record.get("town") == town

    plans = [r for r in live if r["type"] == "purchase_plan_drafted" and r["year"] == year]
    planned = [p for p in (plans[-1]["projects"] if plans and filed else []) if here(p)]
    planned_ids = {p["project"] for p in (plans[-1]["projects"] if plans and filed else [])}
    contracts = [c for c in _in_force_in_year(live, year, last) if town is None or town in _towns_of(c)]

    def by_source(lines: list[tuple[str, str, Decimal]]) -> dict[str, str]:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for source, _, amount in lines:
            sums[source] += amount
        return {k: _money(v) for k, v in sums.items()}

    def by_line(side: int, lines: list[tuple[str, str, Decimal]]) -> None:
        for source, level, amount in lines:
            compared[(source, level)][side] += amount

    planned_lines = [(line["source"], line.get("level", "own"), Decimal(line["amount"]))
                     for p in planned for line in p["funds"]]
    contracted_lines = [line for c in contracts
                        for line in (_lines(c, year) if town is None else _town_part(c, town, _lines(c, year)))]
    compared: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    by_line(0, planned_lines)
    by_line(1, contracted_lines)
    linked = [r for r in live if r["type"] == "linked_figures_collected" and r["period"] == period and here(r)]
    notes = {r["id"]: r for r in live if r["type"] == "progress_reported" and here(r) and _day(r["reported_on"]) <= last}
    resolved = {(r["progress"], r["problem"]) for r in live if r["type"] == "problem_resolved"
                and _day(r["resolved_on"]) <= last}
    return {
        "planned_amount": _money(sum((a for _, _, a in planned_lines), Decimal(0))),
        "contracted_amount": _money(sum((a for _, _, a in contracted_lines), Decimal(0))),
        "planned_by_source": by_source(planned_lines), "contracted_by_source": by_source(contracted_lines),
        "lines": {line: (_money(planned), _money(contracted)) for line, (planned, contracted) in compared.items()},
        "outside_plan": sorted(c["project"] for c in contracts if c["project"] not in planned_ids),
        "linked": {"projects": len(linked), "people_served": sum(r["people_served"] for r in linked),
                   "person_times": sum(r.get("person_times", 0) for r in linked),
                   "amount": _money(sum((Decimal(r["amount"]) for r in linked), Decimal(0)))},
        "open_problems": sorted((note_id, p["key"]) for note_id, note in notes.items() for p in note["problems"]
                                if (note_id, p["key"]) not in resolved),
    }


def duties_seen(report: dict[str, Any]) -> dict[str, Any]:
    """The part of a report's duty sections `naive_duties` speaks of."""
    plan = report["plan"]
    return {
        "planned_amount": plan["planned_amount"], "contracted_amount": plan["contracted_amount"],
        "planned_by_source": {k: v for k, v in plan["planned_by_source"].items() if v != "0.00"},
        "contracted_by_source": {k: v for k, v in plan["contracted_by_source"].items() if v != "0.00"},
        "lines": {(line["source"], line["level"]): (line["planned"], line["contracted"]) for line in plan["lines"]},
        "outside_plan": sorted(p["project"] for p in plan["outside_plan"]),
        "linked": report["linked_projects"]["collected"],
        "open_problems": sorted((p["progress"], p["key"]) for p in report["open_problems"]),
    }


# -- the funds secured for the year -------------------------------------------------------------------

def naive_funding(records: list[dict[str, Any]], period: str) -> dict[str, Any]:
    """Secured, committed (the contracts' share of the year) and spent (the year to the half year),
    by fund line, as the district's report shows them (lines with anything in them)."""
    live = _live(records)
    year, last = int(period[:4]), _bounds(period)[1]
    contracts = {c["project"]: c for c in live if c["type"] == "project_contracted"}
    lines: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
        lambda: {"allocated": Decimal(0), "contracted": Decimal(0), "spent": Decimal(0)})
    for a in live:
        if a["type"] == "budget_allocated" and a["year"] == year and _day(a["allocated_on"]) <= last:
            for line in a["lines"]:
                lines[(line["source"], line["level"])]["allocated"] += Decimal(line["amount"])
    for c in _in_force_in_year(live, year, last):
        for source, level, amount in _lines(c, year):
            lines[(source, level)]["contracted"] += amount
    for s in live:
        if s["type"] == "fund_spent" and _day(s["occurred_on"]).year == year and _day(s["occurred_on"]) <= last:
            level = s.get("level") or next(line.get("level", "own") for line in contracts[s["project"]]["funds"]
                                           if line["source"] == s["source"])
            lines[(s["source"], level)]["spent"] += Decimal(s["amount"])
    return {
        "allocated_amount": _money(sum((v["allocated"] for v in lines.values()), Decimal(0))),
        "contracted_amount": _money(sum((v["contracted"] for v in lines.values()), Decimal(0))),
        "spent_amount": _money(sum((v["spent"] for v in lines.values()), Decimal(0))),
        "lines": {line: {k: _money(v) for k, v in sums.items()} for line, sums in lines.items()},
    }


def funding_seen(report: dict[str, Any]) -> dict[str, Any]:
    funding = report["funding"]
    return {**{k: funding[k] for k in ("allocated_amount", "contracted_amount", "spent_amount")},
            "lines": {(line["source"], line["level"]): {k: line[k] for k in ("allocated", "contracted", "spent")}
                      for line in funding["lines"]}}


# -- the villages by_village names ---------------------------------------------------------------------

def naive_villages(records: list[dict[str, Any]], period: str, town: str | None = None) -> list[tuple]:
    """(key, town, name, registered, village) of each key of by_village: a registered village by its
    name, a text as unregistered with the registered village its spelling names, if any."""
    live = _live(records)
    keys = village_keys(records)
    registered = {r["village"]: r for r in live if r["type"] == "village_registered"}
    spelled = {(r["town"], text.replace(" ", "")): code for code, r in registered.items()
               for text in (r["name"], *r.get("aliases", ()))}
    seen = {(keys[s["id"]], s["town"]) for s in live if s["type"] == "service_delivered" and s["id"] in keys
            and period_of(_day(s["occurred_on"])) == period and (town is None or s["town"] == town)}
    return sorted((key, place, registered[key]["name"], True, key) if key in registered
                  else (key, place, key, False, spelled.get((place, key.replace(" ", "")))) for key, place in seen)


def villages_seen(report: dict[str, Any]) -> list[tuple]:
    return sorted((v["key"], v["town"], v["name"], v["registered"], v["village"])
                  for v in report["villages"]["by_village"])


# -- gaps -------------------------------------------------------------------------------------------

def naive_station_gaps(records: list[dict[str, Any]], period: str, town: str) -> list[str]:
    """The gap codes of the town's station at the half year's end, for the requirements the seeded
    year touches (its stations are otherwise complete, its inspections set no due dates)."""
    live = _live(records)
    last = _bounds(period)[1]
    gaps = []
    signs = sorted((r for r in live if r["type"] == "signboard_hung" and r["town"] == town), key=lambda r: r["hung_on"])
    if signs[-1].get("emblem") is not True:
        gaps.append("signboard_emblem")
    released = {r["person_ref"] for r in live if r["type"] == "staff_released" and _day(r["released_on"]) <= last}
    heads = [r for r in live if r["type"] == "staff_assigned" and r["town"] == town and r["role"] == "station_head"
             and _day(r["assigned_on"]) <= last and r["person_ref"] not in released]
    if len(heads) > 1:
        gaps.append("staff_head_multiple")
    for core in (c for c in live if c["type"] == "project_contracted" and c.get("town") == town and c["role"] == "core"):
        start, end = _day(core["contract_start"]), _day(core["contract_end"])
        if start <= last <= end and not core.get("key_recipients"):
            gaps.append(f"core_key_recipients_missing:{core['project']}")
        # One contract year (each core runs the calendar year): the self-evaluation is due on 2 July.
        done = [_day(e["submitted_on"]) for e in live if e["type"] == "self_evaluation_submitted"
                and e["project"] == core["project"] and _day(e["submitted_on"]) <= last]
        if done and not start - timedelta(days=30) <= done[0] <= end + timedelta(days=30):
            gaps.append(f"evaluation_misdated:{core['project']}:self:1")
        elif not done and date(start.year, 7, 2) < last:
            gaps.append(f"self_evaluation_overdue:{core['project']}:1")
    return sorted(gaps)


def naive_duty_gaps(records: list[dict[str, Any]], period: str, towns: list[str], town: str | None = None) -> list[str]:
    """The duty gap codes of the district (or one town) for the half year, read long after it: the
    plan filed (the city files it in the test, after the year), the funds secured against the
    contracts in force, the linked projects' figures, a progress note, the year's training."""
    live = _live(records)
    first, last = _bounds(period)
    year = first.year
    gaps = []
    if town is None:
        gaps.append(f"plan_not_filed:{year}")
        funding = naive_funding(records, period)["lines"]
        gaps += [f"funding_short:{year}:{source}:{level}" for (source, level), sums in sorted(funding.items())
                 if Decimal(sums["contracted"]) > Decimal(sums["allocated"])]
    ends = _ends(live)
    for place in (t for t in towns if town is None or t == town):
        collected = {r["project"] for r in live if r["type"] == "linked_figures_collected" and r["town"] == place
                     and r["period"] == period and r.get("project")}
        gaps += [f"linked_figures_missing:{c['project']}:{place}" for c in sorted(
            (c for c in live if c["type"] == "project_contracted"), key=lambda c: c["project"])
            if c["role"] == "linked" and place in _towns_of(c) and _day(c["contract_start"]) <= last
            and ends[c["project"]] >= first and c["project"] not in collected]
        if not any(r["type"] == "progress_reported" and r["town"] == place and first <= _day(r["reported_on"]) <= last
                   for r in live):
            gaps.append(f"progress_report_missing:{place}")
        if last == date(year, 12, 31):  # no training in the seeded year
            gaps.append(f"training_missing:{place}")
    return gaps
