"""The bulk of a demo year: services, streamed day by day, never held in memory.

A district's services are spread over the year's working days (fewer at weekends and public
holidays) and over its towns by weight. Each town has a pool of recipients, some served far
more often than others; a recipient's pseudonym, category and village follow from their number
in the pool, so nothing about them is stored. A service names a project of its town whose
term covers the day and whose domains include the service's, when there is one.
"""

import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from itertools import accumulate

from demo import texts
from demo.towns import TownPlan

VISITS_PER_RECIPIENT = 7  # a recipient's services in a year, on average
VOID_EVERY, VOID_AT = 250, 137  # one service in 250 is voided again (a slip found and undone)

CATEGORIES = {  # recipient category: (share of recipients, {domain: share of their services})
    "living_alone_elderly": (18, {"elderly_care": 1}),
    "advanced_age_elderly": (14, {"elderly_care": 1}),
    "disabled_elderly": (8, {"elderly_care": 7, "disability_welfare": 3}),
    "subsistence_allowance": (14, {"social_assistance": 8, "charity": 1, "elderly_care": 1}),
    "extreme_poverty": (4, {"social_assistance": 7, "elderly_care": 3}),
    "low_income_margin": (6, {"social_assistance": 9, "charity": 1}),
    "expenditure_hardship": (3, {"social_assistance": 9, "charity": 1}),
    "person_with_disability": (10, {"disability_welfare": 17, "social_assistance": 3}),
    "child_in_difficulty": (5, {"child_welfare": 9, "social_assistance": 1}),
    "left_behind_child": (3, {"child_welfare": 1}),
    "orphan": (1, {"child_welfare": 1}),
    "unsupported_child": (1, {"child_welfare": 1}),
    "vagrant": (1, {"vagrant_relief": 1}),
    "other": (8, {"social_organization": 4, "marriage": 4, "funeral": 3, "charity": 4, "place_names": 2,
                  "old_revolutionary_areas": 3}),
}
SERVICE_TYPES = {  # domain: {service type: share}
    "elderly_care": {"visit": 35, "daily_care": 25, "health_management": 15, "counselling": 5, "group_activity": 12,
                     "resource_linking": 5, "social_integration": 3},
    "social_assistance": {"visit": 30, "resource_linking": 25, "emergency_relief": 10, "family_support": 15,
                          "counselling": 10, "capacity_building": 10},
    "child_welfare": {"visit": 20, "family_support": 20, "counselling": 15, "capacity_building": 20,
                      "group_activity": 20, "resource_linking": 5},
    "disability_welfare": {"visit": 25, "daily_care": 20, "health_management": 15, "capacity_building": 15,
                           "social_integration": 15, "resource_linking": 10},
    "vagrant_relief": {"emergency_relief": 6, "resource_linking": 4},
}
OTHER_TYPES = {"group_activity": 30, "resource_linking": 25, "visit": 15, "counselling": 10, "social_integration": 10,
               "capacity_building": 10}
HOURS = {"visit": ("0.50", "1.00", "1.00", "1.50"), "daily_care": ("1.50", "2.00", "3.00", "4.00"),
         "health_management": ("0.50", "1.00", "1.50"), "counselling": ("1.00", "1.50", "2.00"),
         "capacity_building": ("1.50", "2.00", "3.00"), "emergency_relief": ("1.00", "2.00", "3.00"),
         "family_support": ("1.00", "1.50", "2.00"), "resource_linking": ("0.50", "1.00"),
         "social_integration": ("1.50", "2.00", "3.00"), "group_activity": ("1.50", "2.00", "2.50", "3.00")}
# Days off beyond weekends (the State Council's holiday notices); other years get weekends only.
HOLIDAYS = {2025: [(date(2025, 1, 28), 8), (date(2025, 4, 4), 3), (date(2025, 5, 1), 5), (date(2025, 5, 31), 3),
                   (date(2025, 10, 1), 8)]}


class Weighted:
    """A choice by weight in one random draw and a bisection."""

    def __init__(self, choices: dict):
        self.items = list(choices)
        self.cumulative = list(accumulate(choices.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


def spread(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up exactly."""
    whole, done, counts = sum(weights), 0, []
    for reached in accumulate(weights):
        upto = round(total * reached / whole)
        counts.append(upto - done)
        done = upto
    counts[-1] += total - done
    return counts


def year_days(year: int) -> tuple[list[date], list[float]]:
    days = [date(year, 1, 1) + timedelta(days=n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    off = {first + timedelta(days=n) for first, length in HOLIDAYS.get(year, ()) for n in range(length)}
    return days, [0.15 if d in off else (1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.15)[d.weekday()] for d in days]


class TownServices:
    """What the services of one town are drawn from."""

    def __init__(self, plan: TownPlan, expected: float, rng: random.Random):
        self.town = plan.town.code
        self.villages = plan.villages
        self.pool = max(8, int(expected / VISITS_PER_RECIPIENT))
        self.salt = rng.getrandbits(40)
        people = Weighted({c: share for c, (share, _) in CATEGORIES.items()})
        self.categories = [people.pick(rng) for _ in range(509)]  # a prime, so no pattern repeats in step
        self.projects: dict[str, list[tuple[date, date, str]]] = {}
        for term in plan.projects:  # the core project first: it serves the key recipients
            for domain in term.domains:
                self.projects.setdefault(domain, []).append((term.start, term.end, term.project))

    def recipient(self, k: int) -> tuple[str, str, str]:
        """The k-th recipient of the town: pseudonym, category, village (a bijection of k: no clashes)."""
        ref = f"R-{((k + 1) * 0x9E3779B97F4A7C15 ^ self.salt) & 0xFFFFFFFFFF:010x}"
        return ref, self.categories[k % 509], self.villages[(k * 7919) % len(self.villages)]

    def project(self, domain: str, day: date) -> str | None:
        return next((p for start, end, p in self.projects.get(domain, ()) if start <= day <= end), None)


def services(rng: random.Random, district: str, plans: list[TownPlan], count: int, year: int,
             merged: Iterator[tuple[date, dict]]) -> Iterator[dict]:
    """The district's `count` services (and the few voided again), merged by day with `merged`:
    the other records, in date order, each coming before the services of its day."""
    days, day_weights = year_days(year)
    if not plans:
        yield from (record for _, record in merged)
        return
    weights = [p.weight for p in plans]
    towns = [TownServices(p, count * w / sum(weights), rng) for p, w in zip(plans, weights, strict=True)]
    pick_town = Weighted(dict(enumerate(weights)))
    domains = {c: Weighted(d) for c, (_, d) in CATEGORIES.items()}
    types = {d: Weighted(SERVICE_TYPES.get(d, OTHER_TYPES)) for d in {d for _, ds in CATEGORIES.values() for d in ds}}
    pending = next(merged, None)
    n = 0
    for day, today in zip(days, spread(count, day_weights), strict=True):
        while pending is not None and pending[0] <= day:
            yield pending[1]
            pending = next(merged, None)
        on = day.isoformat()
        for _ in range(today):
            town = towns[pick_town.pick(rng)]
            ref, category, village = town.recipient(int(town.pool * rng.random() ** 1.6))
            domain = domains[category].pick(rng)
            service_type = types[domain].pick(rng)
            hours = HOURS[service_type]
            record = {"id": f"svc-{district}-{year}-{n:08d}", "type": "service_delivered", "town": town.town,
                      "occurred_on": on, "domain": domain, "service_type": service_type,
                      "recipient_category": category, "recipient_ref": ref,
                      "person_times": 2 if rng.random() < 0.05 else 1,
                      "hours": hours[int(rng.random() * len(hours))]}
            if rng.random() < 0.85 and (project := town.project(domain, day)):
                record["project"] = project
            if rng.random() < 0.9:
                record["village"] = village
            yield record
            if n % VOID_EVERY == VOID_AT:
                yield {"id": f"void-{record['id']}", "type": "record_voided", "record": record["id"],
                       "reason": texts.VOID_REASONS[n % len(texts.VOID_REASONS)]}
            n += 1
    while pending is not None:
        yield pending[1]
        pending = next(merged, None)


def voided(count: int) -> int:
    """How many of `count` services are voided again."""
    return max(0, (count - VOID_AT + VOID_EVERY - 1) // VOID_EVERY)

