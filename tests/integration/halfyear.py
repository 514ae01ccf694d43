"""A seeded, realistic year of one district's records, and its figures recomputed naively.

The generator keeps only records that are valid by construction (budgets respected, voids
of live records), so every batch is accepted; `naive_figures` recomputes a report's figures
straight from those records, with none of the projection's machinery, and `halfyear_duties`
the sections of the district's duties and the gaps of its towns and of the district.

Besides the day-to-day records, the year holds what the guide's requirements turn on: a project
the district bought for two towns (its spending by town and fund level), a contract continuing
from the year before, the first town's villages registered part way through (services before it
keep their text, after it count under a code), a second station head in the third town from
August and a sign without the emblem there, a core project without key recipients and a
self-evaluation dated a year early in the second town, funds secured for part of the contracts,
and linked projects' figures collected for some half years only.
"""

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.records import parse_record
from projections.periods import month_of, period_of
from service.runtime import Runtime
from tests.builders import compliant_station, fund_spent, inspection_done, project_contracted, rid, service_delivered
from tests.support import SampleDistrict, context

DOMAINS = ["elderly_care", "social_assistance", "child_welfare", "disability_welfare"]
CATEGORIES = ["living_alone_elderly", "subsistence_allowance", "orphan", "person_with_disability", "other"]
TYPES = ["visit", "daily_care", "counselling", "resource_linking", "group_activity"]
VILLAGES = [None, "沙坡尾社区", "大学路社区", "东坪山社区"]
SPELLINGS = [None, "沙坡尾社区", "沙坡尾", " 沙坡尾 社区", "大学路社区", "002"]  # "002": the code, after the town's


def a_day(rng: random.Random) -> date:
    return date(2025, 1, 1) + timedelta(days=rng.randrange(365))


def generate(district, seed: int, services: int = 400) -> list[list[dict[str, Any]]]:
    """Batches of records for a year of the district's work, in the order to send them."""
    rng = random.Random(seed)
    towns = list(district.towns)
    first, second, third = towns
    records: list[dict[str, Any]] = []
    budgets: dict[tuple[str, str], Decimal] = {}
    projects: dict[str, dict[str, Any]] = {}
    for town in towns:
        records += compliant_station(town, f"{district.name}{district.towns[town]}民政服务站")
        for role in ("core", "linked"):
            contract = project_contracted(town, role=role, domains=DOMAINS[:2],
                                          funds=[{"source": "elderly_care", "amount": "200000.00"},
                                                 {"source": "social_assistance", "amount": "100000.00"}],
                                          **({"key_recipients": None} if (town, role) == (second, "core") else {}))
            projects[contract["project"]] = contract
            records.append(contract)
            budgets[(contract["project"], "elderly_care")] = Decimal("200000.00")
            budgets[(contract["project"], "social_assistance")] = Decimal("100000.00")
    sign = next(r for r in records if r["type"] == "signboard_hung" and r["town"] == third)
    sign["emblem"] = False
    records += _guide_records(district, projects, budgets)
    records.append(_plan(rng, towns, projects))
    people = [rid("R") for _ in range(60)]
    live: list[dict[str, Any]] = []
    registered_at = services // 3
    for n in range(services):
        if n == registered_at:
            records += _villages(first)
        town = rng.choice(towns)
        project = rng.choice([None, *(p for p, c in projects.items() if town in _towns_of(c))])
        village = rng.choice(SPELLINGS if town == first and n >= registered_at else VILLAGES)
        service = service_delivered(
            town, project=project, occurred_on=a_day(rng).isoformat(),
            domain=rng.choice(DOMAINS[:2] if project else DOMAINS), recipient_category=rng.choice(CATEGORIES),
            service_type=rng.choice(TYPES), recipient_ref=rng.choice(people),
            village=first + village if village == "002" else village,
            person_times=rng.randint(1, 3), hours=f"{rng.randint(1, 16) / 4:.2f}")
        if service["village"] is None:
            del service["village"]
        records.append(service)
        live.append(service)
        if rng.random() < 0.15:
            key = (project or rng.choice(list(projects)), rng.choice(["elderly_care", "social_assistance"]))
            amount = Decimal(rng.randint(100, 500000)) / 100
            if key in budgets and amount <= budgets[key]:
                budgets[key] -= amount
                spend = fund_spent(key[0], source=key[1], amount=str(amount), occurred_on=a_day(rng).isoformat())
                records.append(spend)
                live.append(spend)
        if rng.random() < 0.03:
            inspection = inspection_done(town, occurred_on="2025-03-01", issues_found=rng.random() < 0.5,
                                         rectification_due=None)
            records.append(inspection)
            if inspection["issues_found"] and rng.random() < 0.6:  # put right in the half year, or after it
                records.append({"id": rid("rect"), "type": "rectification_done", "inspection": inspection["id"],
                                "occurred_on": rng.choice(["2025-04-01", "2025-08-01"]), "note": "已整改"})
        if rng.random() < 0.06 and live:
            target = live.pop(rng.randrange(len(live)))
            if target["type"] == "fund_spent":
                budgets[(target["project"], target["source"])] += Decimal(target["amount"])
            records.append({"id": rid("void"), "type": "record_voided", "record": target["id"], "reason": "录入错误"})
    records += _duties(rng, towns, projects, records)
    batches, start = [], 0
    while start < len(records):
        size = rng.randint(1, 60)
        batches.append(records[start:start + size])
        start += size
    return batches


def _towns_of(contract: dict[str, Any]) -> list[str]:
    return [share["town"] for share in contract["towns"]] if contract.get("towns") else [contract["town"]]


def _guide_records(district, projects: dict[str, dict[str, Any]],
                   budgets: dict[tuple[str, str], Decimal]) -> list[dict[str, Any]]:
    """A linked project the district bought for the first two towns, its spending by town and level;
    a contract of the second town continuing from 2024; the third town's second head from August;
    the self-evaluations of the first two towns' core projects; the funds secured for 2025."""
    first, second, third = district.towns
    shared = project_contracted(None, role="linked", domains=DOMAINS[:2], amount="150000.00",
                                towns=[{"town": first, "amount": "100000.00"}, {"town": second, "amount": "50000.00"}],
                                funds=[{"source": "elderly_care", "amount": "100000.00"},
                                       {"source": "elderly_care", "level": "allocated", "amount": "50000.00"}])
    continuing = project_contracted(second, role="linked", domains=DOMAINS[:2], amount="73000.00",
                                    contract_start="2024-07-01", contract_end="2025-06-30",
                                    funds=[{"source": "elderly_care", "amount": "50000.00"},
                                           {"source": "social_assistance", "amount": "23000.00"}])
    projects[shared["project"]] = shared
    projects[continuing["project"]] = continuing
    budgets[(continuing["project"], "elderly_care")] = Decimal("50000.00")
    budgets[(continuing["project"], "social_assistance")] = Decimal("23000.00")
    cores = {c["town"]: p for p, c in projects.items() if c["role"] == "core"}
    return [
        shared, continuing,
        fund_spent(shared["project"], town=first, level="own", amount="1000.00", occurred_on="2025-03-05"),
        fund_spent(shared["project"], town=second, level="allocated", amount="500.00", occurred_on="2025-09-10"),
        {"id": rid("sa"), "type": "staff_assigned", "town": third, "person_ref": rid("S"), "role": "station_head",
         "assigned_on": "2025-08-01"},
        {"id": rid("se"), "type": "self_evaluation_submitted", "project": cores[first], "contract_year": 1,
         "submitted_on": "2025-06-20", "summary": "按期推进"},
        {"id": rid("se"), "type": "self_evaluation_submitted", "project": cores[second], "contract_year": 1,
         "submitted_on": "2024-11-01", "summary": "按期推进"},
        {"id": rid("ba"), "type": "budget_allocated", "year": 2025, "document": "财〔2025〕8号",
         "allocated_on": "2025-01-08", "lines": [{"source": "elderly_care", "level": "own", "amount": "600000.00"},
                                                 {"source": "social_assistance", "level": "own", "amount": "900000.00"},
                                                 {"source": "elderly_care", "level": "allocated", "amount": "20000.00"}]},
    ]


def _villages(town: str) -> list[dict[str, Any]]:
    return [{"id": rid("vr"), "type": "village_registered", "town": town, "village": f"{town}001", "name": "沙坡尾社区",
             "kind": "community", "valid_from": "2025-01-01", "aliases": ["沙坡尾"]},
            {"id": rid("vr"), "type": "village_registered", "town": town, "village": f"{town}002", "name": "大学路社区",
             "kind": "community", "valid_from": "2025-01-01"}]


def village_keys(records: list[dict[str, Any]]) -> dict[str, str | None]:
    """What each service counts under by village, recomputed in the order the records were sent:
    the registered village its text names once its town has a register, else its text."""
    register: dict[str, dict[str, str]] = {}  # town -> spelling without spaces -> code
    keys: dict[str, str | None] = {}
    for r in records:
        if r["type"] == "village_registered":
            for text in (r["name"], *r.get("aliases", ()), r["village"]):
                register.setdefault(r["town"], {})[text.replace(" ", "")] = r["village"]
        elif r["type"] == "service_delivered" and r.get("village") is not None:
            text = r["village"].strip()
            keys[r["id"]] = register[r["town"]][text.replace(" ", "")] if r["town"] in register else text
    return keys


def naive_figures(records: list[dict[str, Any]], period: str, town: str | None = None) -> dict[str, Any]:
    """The figures a report must show for the records, recomputed from scratch."""
    voided = {r["record"] for r in records if r["type"] == "record_voided"}
    live = [r for r in records if r["id"] not in voided and r["type"] != "record_voided"]
    contracts = {r["project"]: r for r in live if r["type"] == "project_contracted"}

    def here(record_town: str) -> bool:
        return town is None or record_town == town

    services = [r for r in live if r["type"] == "service_delivered" and period_of(date.fromisoformat(
        r["occurred_on"])) == period and here(r["town"])]
    villages = village_keys(records)
    cells: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"pt": 0, "hours": Decimal(0), "refs": set()})
    for s in services:
        day = date.fromisoformat(s["occurred_on"])
        for dim, key in [("total", ""), ("by_domain", s["domain"]), ("by_recipient_category", s["recipient_category"]),
                         ("by_service_type", s["service_type"]), ("by_month", month_of(day)),
                         ("by_village", villages.get(s["id"]))]:
            if key is None:
                continue
            cell = cells[(dim, key)]
            cell["pt"] += s.get("person_times", 1)
            cell["hours"] += Decimal(s["hours"])
            cell["refs"].add(s["recipient_ref"])

    def cell(dim: str, key: str) -> dict[str, Any]:
        c = cells.get((dim, key), {"pt": 0, "hours": Decimal(0), "refs": set()})
        return {"person_times": c["pt"], "recipients": len(c["refs"]), "hours": str(c["hours"].quantize(Decimal("0.01")))}

    spends = [r for r in live if r["type"] == "fund_spent" and period_of(date.fromisoformat(r["occurred_on"])) == period
              and here(r.get("town") or contracts[r["project"]]["town"])]
    by_source: dict[str, Decimal] = defaultdict(Decimal)
    for s in spends:
        by_source[s["source"]] += Decimal(s["amount"])
    first, last = (date(int(period[:4]), 1, 1), date(int(period[:4]), 6, 30)) if period.endswith("1") else \
        (date(int(period[:4]), 7, 1), date(int(period[:4]), 12, 31))
    inspections = [r for r in live if r["type"] == "inspection_done" and here(r["town"])]
    rectified = {r["inspection"]: date.fromisoformat(r["occurred_on"]) for r in live if r["type"] == "rectification_done"}
    exits = {r["project"]: date.fromisoformat(r["exited_on"]) for r in live if r["type"] == "provider_exited"}
    running = [c for c in contracts.values() if (town is None or town in _towns_of(c))
               and date.fromisoformat(c["contract_start"]) <= last
               and min(date.fromisoformat(c["contract_end"]), exits.get(c["project"], date.max)) >= first]
    total = cell("total", "")
    return {
        "person_times": total["person_times"], "recipients": total["recipients"], "service_hours": total["hours"],
        "by_domain": {k: cell("by_domain", k) for k in {s["domain"] for s in services}},
        "by_recipient_category": {k: cell("by_recipient_category", k) for k in {s["recipient_category"] for s in services}},
        "by_service_type": {k: cell("by_service_type", k) for k in {s["service_type"] for s in services}},
        "by_month": {k: cell("by_month", k) for k in {month_of(date.fromisoformat(s["occurred_on"])) for s in services}},
        "by_village": {k: cell("by_village", k) for k in {villages.get(s["id"]) for s in services} if k},
        "funds_spent": str(sum(by_source.values(), Decimal(0)).quantize(Decimal("0.01"))),
        "funds_by_source": {k: str(v.quantize(Decimal("0.01"))) for k, v in by_source.items()},
        "inspections": sum(period_of(date.fromisoformat(i["occurred_on"])) == period for i in inspections),
        # Every inspection by the period's end not put right by then (the cutoff: the periods are past).
        "open_rectifications": sum(i["issues_found"] and date.fromisoformat(i["occurred_on"]) <= last
                                   and rectified.get(i["id"], date.max) > last for i in inspections),
        "projects": {"core": sum(c["role"] == "core" for c in running), "linked": sum(c["role"] == "linked" for c in running)},
    }


def matches(report: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """The part of the report's figures the naive figures speak of (nonzero cells only)."""
    seen: dict[str, Any] = {}
    for key, value in expected.items():
        actual = report[key]
        if isinstance(value, dict) and key != "projects":
            seen[key] = {k: actual[k] for k in value} | {
                k: v for k, v in actual.items() if k not in value and v not in (0, "0.00")
                and v != {"person_times": 0, "recipients": 0, "hours": "0.00"}}
        else:
            seen[key] = actual
    return seen


# -- the district's duties ---------------------------------------------------------------------

def _plan(rng: random.Random, towns: list[str], projects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The year's plan: each town's core project (at a planned amount of its own) and one project
    never contracted, drawing one source at both levels; the linked contracts are left outside it."""
    items = []
    for project, contract in projects.items():
        if contract["role"] != "core":
            continue
        amount = Decimal(rng.randint(100, 4000)) * 100
        items.append({"project": project, "town": contract["town"], "role": "core", "name": contract["name"],
                      "domains": contract["domains"], "amount": str(amount),
                      "funds": [{"source": "elderly_care", "amount": str(amount)}],
                      "purchaser_kind": "district_bureau", "method": "open_tender",
                      "self_evaluation_on": "2025-06-30", "final_evaluation_on": "2025-12-20",
                      "evaluator": "third_party"})
    for town in towns:
        items.append({**items[0], "project": rid("P-planned"), "town": town, "role": "linked",
                      "funds": [{"source": "child_welfare", "amount": "600.00"},
                                {"source": "child_welfare", "level": "allocated", "amount": "400.00"}],
                      "amount": "1000.00"})
    return {"id": rid("plan"), "type": "purchase_plan_drafted", "year": 2025, "projects": items,
            "exit_conditions": [{"condition": "evaluation_failed", "description": "评估不合格的更换承接方"}],
            "emergency_plan": {"document": "应急预案（2025）", "dated_on": "2025-01-05"}}


def _duties(rng: random.Random, towns: list[str], projects: dict[str, dict[str, Any]],
            records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Linked projects' figures, progress notes and their problems, and one provider's exit."""
    more: list[dict[str, Any]] = []
    for town in towns:
        for period, day in (("2025H1", "2025-06-20"), ("2025H2", "2025-12-20")):
            for n in range(rng.randint(0, 3)):
                figures = {"id": rid("lf"), "type": "linked_figures_collected", "town": town, "period": period,
                           "name": f"对接项目{n}", "purchaser": "区妇联", "domain": rng.choice(DOMAINS),
                           "people_served": rng.randint(0, 80), "amount": f"{rng.randint(1, 90000)}.50",
                           "collected_on": day}
                if rng.random() < 0.5:
                    figures["person_times"] = rng.randint(0, 300)
                more.append(figures)
                if rng.random() < 0.2:
                    more.append({"id": rid("void"), "type": "record_voided", "record": figures["id"], "reason": "重报"})
        for _ in range(rng.randint(1, 3)):
            note = {"id": rid("pr"), "type": "progress_reported", "town": town, "reported_on": a_day(rng).isoformat(),
                    "summary": "按计划推进", "problems": [{"key": f"K{k}", "description": "村居配合不足"}
                                                          for k in range(rng.randint(0, 3))]}
            more.append(note)
            for problem in note["problems"]:
                if rng.random() < 0.5:
                    resolved_on = max(date.fromisoformat(note["reported_on"]), a_day(rng)).isoformat()
                    more.append({"id": rid("ps"), "type": "problem_resolved", "progress": note["id"],
                                 "problem": problem["key"], "resolved_on": resolved_on, "note": "已协调"})
    first = towns[0]
    for project, contract in projects.items():  # the linked projects' own figures: some half years only
        if contract["role"] != "linked" or contract["contract_start"] < "2025":
            continue
        town = _towns_of(contract)[0]
        for period, day in (("2025H1", "2025-06-25"), ("2025H2", "2025-12-25"))[:2 if town == first else 1]:
            more.append({"id": rid("lf"), "type": "linked_figures_collected", "town": town, "period": period,
                         "name": contract["name"], "purchaser": "区民政局", "domain": contract["domains"][0],
                         "people_served": rng.randint(0, 80), "amount": "1000.00", "project": project,
                         "collected_on": day})
    leaving = next(p for p, c in projects.items() if c["role"] == "linked")
    served = [date.fromisoformat(r["occurred_on"]) for r in records
              if r["type"] == "service_delivered" and r.get("project") == leaving]
    more.append({"id": rid("px"), "type": "provider_exited", "project": leaving, "condition": "provider_withdrew",
                 "reason": "承接方主动退出", "exited_on": max(served, default=date(2025, 6, 30)).isoformat()})
    return more


def record_year(runtime: Runtime, district: SampleDistrict, seed: int) -> list[dict]:
    """The district's generated year, recorded batch by batch through its ledger; every record sent."""
    ledger = runtime.tenants.ledger(district.code)
    sent = []
    for batch in generate(district, seed):
        ledger.record([parse_record(r) for r in batch], context(runtime, district))
        sent += batch
    return sent
