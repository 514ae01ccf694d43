"""One town's year apart from its services: the station, its projects, their money and checks.

These records are few (tens per town, whatever the number of services), so each town's are
planned in full up front; the services that make up the bulk stream past them
(`demo/services.py`). Every date respects what the rules and the compliance check expect:
set-up before the year, spending within each fund line, evaluations when due, rectifications
after their inspection. A few towns are given a gap on purpose (`GAPS`), some closed in the
second half year, so the reports have something to show.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from demo import texts
from demo.areas import District, Town
from domain.vocabulary import codes
from projections.evaluation_rules import ProjectFact, contract_years, midyear

# What a gap town lacks; each is a gap `projections/compliance.py` names.
GAPS = ("signboard", "staff", "deputy", "rules", "equipment", "rectification", "evaluation")
GAP_SHARE = 0.12  # of a district's towns, at least one

FUND_OF_DOMAIN = {"elderly_care": "elderly_care", "social_assistance": "social_assistance",
                  "child_welfare": "child_welfare", "place_names": "place_names",
                  "old_revolutionary_areas": "old_revolutionary_areas"}  # every other domain: social_affairs
CORE_DOMAINS = ("elderly_care", "social_assistance", "child_welfare", "disability_welfare")
LINKED_DOMAINS = tuple(codes("service_domain"))
LINKED_WEIGHTS = (3, 5, 4, 1, 2, 3, 1, 1, 1, 1, 1)
KEY_RECIPIENTS = {"elderly_care": ("living_alone_elderly", "advanced_age_elderly", "disabled_elderly"),
                  "social_assistance": ("subsistence_allowance", "extreme_poverty"),
                  "child_welfare": ("child_in_difficulty", "unsupported_child"),
                  "disability_welfare": ("person_with_disability",)}

# Sorting key within one day: a station before its other records, a contract before its use.
FIRST, STATION, CONTRACT, USE, FOLLOW_UP = range(5)


@dataclass(frozen=True)
class ProjectTerm:
    project: str
    role: str
    domains: tuple[str, ...]
    start: date
    end: date


@dataclass
class TownPlan:
    town: Town
    weight: float  # its share of the district's services
    villages: list[str]
    projects: list[ProjectTerm] = field(default_factory=list)
    # (date, order, record) of everything but services, to be merged into the year's stream.
    records: list[tuple[date, int, dict]] = field(default_factory=list)

    def add(self, day: date, order: int, record: dict) -> dict:
        self.records.append((day, order, record))
        return record


def plan_district(rng: random.Random, district: District, year: int) -> list[TownPlan]:
    """Every town's plan; which towns have gaps is drawn per district, so districts stay independent."""
    count = max(1, round(len(district.towns) * GAP_SHARE)) if district.towns else 0
    gap_towns = dict(zip(rng.sample(range(len(district.towns)), count), rng.sample(GAPS, count), strict=True))
    return [plan_town(rng, district, town, year, gap_towns.get(i)) for i, town in enumerate(district.towns)]


def plan_town(rng: random.Random, district: District, town: Town, year: int, gap: str | None) -> TownPlan:
    rural = town.kind == "镇"
    plan = TownPlan(town, rng.uniform(0.5, 1.6) * (1.2 if rural else 1.0),
                    texts.places(rng, rng.randint(6, 14) if rural else rng.randint(4, 9), rural))
    # Half the gaps are closed in the second half year: the H1 report shows them, H2 does not.
    fixed_on = _day_between(rng, date(year, 7, 10), date(year, 10, 31)) if rng.random() < 0.5 else None
    _station(rng, plan, district, year, gap, fixed_on)
    _projects(rng, plan, district, year, gap)
    _inspections(rng, plan, year, gap, fixed_on)
    return plan


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _person(rng: random.Random) -> str:
    return f"S-{rng.getrandbits(40):010x}"


def _station(rng: random.Random, plan: TownPlan, district: District, year: int, gap: str | None,
             fixed_on: date | None) -> None:
    code = plan.town.code
    opened = _day_between(rng, date(year - 2, 1, 5), date(year - 1, 9, 30))
    if plan.town.valid_from is not None and opened < plan.town.valid_from:
        opened = plan.town.valid_from + timedelta(days=rng.randint(1, 60))
    host = rng.choices(codes("host_facility"), weights=(2, 3, 5, 3, 1))[0]
    plan.add(opened, FIRST, {
        "id": f"st-{code}", "type": "station_established", "town": code, "host_facility": host,
        "address": f"{district.name}{plan.town.name}{rng.choice(texts.ROADS)}路{rng.randint(1, 399)}号",
        "established_on": opened.isoformat()})

    def later(days: int) -> date:
        return opened + timedelta(days=rng.randint(0, days))

    def then(day: date | None) -> date | None:
        return fixed_on if day is None else day

    for n, name in enumerate(plan.villages, start=1):  # the district registers the town's villages
        plan.add(opened, STATION, {"id": f"vr-{code}-{n:03d}", "type": "village_registered", "town": code,
                                   "village": f"{code}{n:03d}", "name": name,
                                   "kind": "village" if name.endswith("村") else "community",
                                   "valid_from": opened.isoformat()})
    sign_on = then(None if gap == "signboard" else later(30))
    if sign_on is not None:
        plan.add(sign_on, STATION, {"id": f"sg-{code}", "type": "signboard_hung", "town": code,
                                    "text": f"{district.name}{plan.town.name}民政服务站", "hung_on": sign_on.isoformat(),
                                    "emblem": True, "position": "outside_prominent", "uniform_style": True})
    quantities = {"desks_chairs": (6, 20), "data_cabinet": (1, 4), "archive_cabinet": (1, 4), "computer": (2, 5),
                  "printer_copier": (1, 2), "service_equipment": (1, 10)}
    for item, (low, high) in quantities.items():
        on = then(None if gap == "equipment" and item == "printer_copier" else later(20))
        if on is not None:
            plan.add(on, STATION, {"id": f"eq-{code}-{item}", "type": "equipment_recorded", "town": code,
                                   "item": item, "quantity": rng.randint(low, high), "recorded_on": on.isoformat()})
    roles = ["station_head", "deputy_head_government", "deputy_head_provider"] + ["staff"] * rng.randint(2, 4)
    if gap == "staff":
        roles = roles[:4]  # one staff member where two are the least
    held: list[tuple[int, str]] = []
    for n, role in enumerate(roles):
        on = then(None if gap == "deputy" and role == "deputy_head_provider" else later(10))
        if on is not None:
            person = _assign(plan, code, n, role, on, rng)
            if role == "staff" and on < date(year, 1, 1):
                held.append((n, person))
    if gap == "staff" and fixed_on is not None:
        _assign(plan, code, len(roles), "staff", fixed_on, rng)
    if held and rng.random() < 0.25:  # a staff member leaves and is replaced the same day
        n, person = rng.choice(held)
        on = _day_between(rng, date(year, 2, 1), date(year, 11, 30))
        plan.add(on, STATION, {"id": f"sr-{code}-{n}", "type": "staff_released", "town": code, "person_ref": person,
                               "released_on": on.isoformat()})
        _assign(plan, code, len(roles) + 1, "staff", on, rng)
    for category in codes("rule_category"):
        on = then(None if gap == "rules" and category == "volunteer" else later(60))
        if on is not None:
            plan.add(on, STATION, {"id": f"ru-{code}-{category}", "type": "rules_adopted", "town": code,
                                   "category": category, "posted_on_wall": rng.random() < 0.85,
                                   "adopted_on": on.isoformat()})


def _assign(plan: TownPlan, code: str, n: int, role: str, on: date, rng: random.Random) -> str:
    person = _person(rng)
    plan.add(on, STATION, {"id": f"sa-{code}-{n}", "type": "staff_assigned", "town": code, "person_ref": person,
                           "role": role, "assigned_on": on.isoformat()})
    return person


def _projects(rng: random.Random, plan: TownPlan, district: District, year: int, gap: str | None) -> None:
    linked = rng.choice((0, 1, 1, 2, 2, 3))
    for k in range(1 + linked):
        core = k == 0
        if core:
            domains = rng.sample(CORE_DOMAINS, rng.randint(2, 3))
            # A gap of evaluations needs a contract year whose middle passes within the year.
            two_years = gap != "evaluation" and rng.random() < 0.4
            start = date(year - 1, 7, 1) if two_years else date(year, 1, 1)
            end = date(year + 1, 6, 30) if two_years else date(year, 12, 31)
            amount = rng.randrange(200, 601) * 1000
        else:
            domains = _distinct(rng, LINKED_DOMAINS, LINKED_WEIGHTS, rng.randint(1, 2))
            month = rng.randint(0, 11)  # from July of the year before to June of the year
            start = date(year - 1 + (6 + month) // 12, (6 + month) % 12 + 1, 1)
            months = rng.choice((12, 12, 24))
            end = date(start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1, 1) \
                - timedelta(days=1)
            amount = rng.randrange(50, 301) * 1000
        term = ProjectTerm(f"P-{plan.town.code}-{start.year}-{k}", "core" if core else "linked", tuple(domains),
                           start, end)
        plan.projects.append(term)
        funds = _fund_lines(rng, domains, amount)
        name = f"{plan.town.name}{rng.choice(texts.PROJECT_NAMES[domains[0]])}"
        plan.add(start, CONTRACT, {
            "id": f"pc-{term.project}", "type": "project_contracted", "project": term.project,
            "town": plan.town.code, "role": term.role, "name": name,
            "purchaser_kind": "district_bureau" if core or rng.random() < 0.5 else "town_government",
            "provider": texts.provider(rng, district.name),
            "method": rng.choices(codes("procurement_method"), weights=(4, 1, 3, 2, 2, 1))[0],
            "amount": f"{amount}.00", "contract_start": start.isoformat(), "contract_end": end.isoformat(),
            "funds": [{"source": s, "amount": f"{a}.00"} for s, a in funds], "domains": list(domains),
            **({"key_recipients": _key_recipients(domains)} if core else {})})
        _spending(rng, plan, term, funds, year)
        _evaluations(rng, plan, term, year, skip_self=core and gap == "evaluation")


def _key_recipients(domains: tuple[str, ...]) -> list[str]:
    """The key recipients a core project is designed for (选择部分重点民政服务对象), by its domains."""
    return [category for domain, categories in KEY_RECIPIENTS.items() if domain in domains for category in categories]


def _distinct(rng: random.Random, population: tuple[str, ...], weights: tuple[int, ...], count: int) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < count:
        pick = rng.choices(population, weights=weights)[0]
        if pick not in chosen:
            chosen.append(pick)
    return chosen


def _fund_lines(rng: random.Random, domains: list[str], amount: int) -> list[tuple[str, int]]:
    """The contract's amount split over the budget lines its domains draw on, in hundreds of yuan."""
    sources = list(dict.fromkeys(FUND_OF_DOMAIN.get(d, "social_affairs") for d in domains))
    shares = [rng.uniform(1, 3) for _ in sources]
    lines = [int(amount * s / sum(shares)) // 100 * 100 for s in shares]
    lines[0] += amount - sum(lines)
    return list(zip(sources, lines, strict=True))


def _spending(rng: random.Random, plan: TownPlan, term: ProjectTerm, funds: list[tuple[str, int]],
              year: int) -> None:
    """Monthly payments in the year, each line spending most of its share of the year and never more."""
    months = [m for m in range(1, 13) if term.start <= date(year, m, 15) <= term.end]
    if not months:
        return
    term_months = (term.end.year - term.start.year) * 12 + term.end.month - term.start.month + 1
    for source, budget in funds:
        share = Decimal(budget) * len(months) / term_months * Decimal(str(round(rng.uniform(0.8, 0.97), 2)))
        weights = [rng.uniform(0.6, 1.4) for _ in months]
        for month, weight in zip(months, weights, strict=True):
            cents = int(share * 100 * Decimal(weight) / Decimal(sum(weights)))
            if cents <= 0:
                continue
            on = date(year, month, rng.randint(5, 25))
            plan.add(on, USE, {
                "id": f"fs-{term.project}-{source}-{month:02d}", "type": "fund_spent", "project": term.project,
                "occurred_on": on.isoformat(), "source": source, "amount": f"{cents // 100}.{cents % 100:02d}",
                "purpose": rng.choice(texts.SPEND_PURPOSES), "voucher": f"PZ-{year}{month:02d}-{rng.randint(1, 999):03d}"})


def _evaluations(rng: random.Random, plan: TownPlan, term: ProjectTerm, year: int, skip_self: bool) -> None:
    last = date(year, 12, 31)
    for n, first, end in contract_years(ProjectFact(term.project, term.role, term.start, term.end)):
        due = midyear(first, end)
        on = due - timedelta(days=rng.randint(1, 12))
        if on <= last and not skip_self:
            score = round(rng.uniform(78, 96), 1)
            plan.add(on, USE, {"id": f"se-{term.project}-{n}", "type": "self_evaluation_submitted",
                               "project": term.project, "contract_year": n, "submitted_on": on.isoformat(),
                               "summary": rng.choice(texts.SELF_EVALUATION), "score": f"{score}"})
        on = end - timedelta(days=rng.randint(3, 20))
        if on <= last:
            score = round(rng.uniform(72, 97), 1)
            third_party = rng.random() < 0.6
            plan.add(on, USE, {"id": f"fe-{term.project}-{n}", "type": "final_evaluation_done", "project": term.project,
                               "contract_year": n, "evaluator": "third_party" if third_party else "purchaser",
                               "evaluator_name": rng.choice(texts.EVALUATORS) if third_party else "区民政局",
                               "score": f"{score}", "grade": texts.grade(score), "done_on": on.isoformat(),
                               "focus": [{"area": "service_effect", "score": f"{score}"},
                                         {"area": "station_operation", "score": f"{min(score + 1.5, 100.0):.1f}"}]})


def _inspections(rng: random.Random, plan: TownPlan, year: int, gap: str | None, fixed_on: date | None) -> None:
    code = plan.town.code
    last = date(year, 12, 31)
    visits = sorted(_day_between(rng, date(year, 1, 10), date(year, 11, 20)) for _ in range(rng.randint(2, 4)))
    if rng.random() < 0.4:  # a year-end check whose findings are still being put right
        visits.append(_day_between(rng, date(year, 12, 1), date(year, 12, 24)))
    for n, on in enumerate(visits):
        issues = rng.random() < (0.6 if on.month == 12 else 0.35)
        due = on + timedelta(days=30) if issues else None
        rectified = on + timedelta(days=rng.randint(5, 28) if on.month < 12 else 40) if issues else None
        if n == 0 and gap == "rectification":  # found in spring, put right late (or never)
            on, issues, due, rectified = date(year, 3, rng.randint(3, 20)), True, None, fixed_on
            due = on + timedelta(days=30)
        if rectified is not None and rectified > last:
            rectified, due = None, max(due, date(year + 1, 1, 15))  # still open, but not yet late
        project = plan.projects[0] if rng.random() < 0.6 and plan.projects[0].start <= on else None
        record = plan.add(on, USE, {
            "id": f"in-{code}-{year}-{n}", "type": "inspection_done", "town": code, "occurred_on": on.isoformat(),
            "kind": rng.choices(codes("inspection_kind"), weights=(2, 3, 2))[0],
            "scopes": sorted(rng.sample(codes("inspection_scope"), rng.randint(1, 3))),
            "by": rng.choices(("district", "town", "city"), weights=(5, 3, 2))[0],
            "findings": rng.choice(texts.FINDINGS_ISSUES if issues else texts.FINDINGS_OK), "issues_found": issues})
        if project is not None:
            record["project"] = project.project
        if due is not None:
            record["rectification_due"] = due.isoformat()
        if rectified is not None:
            plan.add(rectified, FOLLOW_UP, {"id": f"rc-{code}-{year}-{n}", "type": "rectification_done",
                                            "inspection": record["id"], "occurred_on": rectified.isoformat(),
                                            "note": rng.choice(texts.RECTIFICATION_NOTES)})
