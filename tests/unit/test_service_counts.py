"""Counting a log's services batch by batch, onto the rows the batches before left, gives the
figures a count of the whole log at once gives: whatever the batches, deliveries and voids."""

import random
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from projections.service_counts import Counted

TOWNS, MONTHS, TYPES, VILLAGES = ("T1", "T2"), ("2025-01", "2025-02", "2025-03"), ("visit", "daily_care"), \
    ("a", "b/c", None)
PROJECTS = ("P-1", "P/2", None)  # a service under no project counts in no project's figures


def services(seed: int) -> list[tuple]:
    """Deliveries to few recipients, some voided later in the log (the same row with sign -1)."""
    rng = random.Random(seed)
    log: list[tuple] = []
    for _ in range(300):
        if log and rng.random() < 0.2:
            delivered = rng.choice([s for s in log if s[10] > 0])
            if (voided := (*delivered[:10], -1, delivered[11])) not in log:
                log.append(voided)
                continue
        log.append(("2025H1", rng.choice(TOWNS), rng.choice(("elderly_care", "child_welfare")),
                    rng.choice(("living_alone_elderly", "disabled")),
                    rng.choice(TYPES), rng.choice(MONTHS), rng.choice(VILLAGES), f"R-{rng.randrange(12)}",
                    rng.randint(1, 3), Decimal(rng.choice(("0.5", "1.5", "2"))), 1, rng.choice(PROJECTS)))
    return log


def recount(log: list[tuple]) -> dict[tuple, list]:
    """Each figure's person-times, hours and recipients with an active service, from the whole log."""
    figures: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), 0])
    active: Counter[tuple] = Counter()
    for period, town, domain, category, service_type, month, village, ref, person_times, hours, sign, project in log:
        for dim, key in zip(("total", "domain", "recipient_category", "service_type", "month", "village", "project",
                             "project_domain"),
                            ("", domain, category, service_type, month, village, project,
                             project and f"{project}|{domain}"), strict=True):
            if key is None:
                continue
            for scope in (town, ""):
                figures[(period, scope, dim, key)][0] += person_times * sign
                figures[(period, scope, dim, key)][1] += hours * sign
                active[(period, scope, dim, key, ref)] += sign
    for (period, scope, dim, key, _), n in active.items():
        figures[(period, scope, dim, key)][2] += n > 0
    return {figure: cell for figure, cell in figures.items()}


@pytest.mark.parametrize("seed", range(8))
def test_batches_counted_onto_earlier_rows_add_up_to_a_recount(seed):
    log, rng = services(seed), random.Random(seed)
    rows: dict[tuple[str, str], dict[str, int]] = {}
    figures: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), 0])
    at = 0
    while at < len(log):
        batch = log[at:at + rng.randint(1, 40)]
        at += len(batch)
        counted = Counted({k: rows[k] for k in {(s[0], s[7]) for s in batch} if k in rows}).add(batch)
        for period, town, dim, key, person_times, hours, recipients in zip(*counted.count_recipients()
                                                                          .figure_columns(), strict=True):
            cell = figures[(period, town, dim, key)]
            cell[0], cell[1], cell[2] = cell[0] + person_times, cell[1] + hours, cell[2] + recipients
        rows |= counted.after
        rows = {k: v for k, v in rows.items() if v}
    assert dict(figures) == recount(log)
    assert all(n > 0 for counts in rows.values() for n in counts.values()), "a row holds active services only"


@pytest.mark.parametrize("seed", range(4))
def test_one_count_fed_batch_by_batch_adds_up_to_a_recount(seed):
    """As an as-of replay counts: one `Counted`, every batch added to it, its figures read once."""
    log, rng = services(seed), random.Random(seed)
    counted, at = Counted({}), 0
    while at < len(log):
        batch = log[at:at + rng.randint(1, 40)]
        at += len(batch)
        counted.add(batch)
    columns = counted.count_recipients().figure_columns()
    figures = {(period, town, dim, key): [person_times, hours, recipients]
               for period, town, dim, key, person_times, hours, recipients in zip(*columns, strict=True)}
    expected = recount(log)
    assert {f: cell for f, cell in figures.items() if any(cell)} == {f: cell for f, cell in expected.items() if any(cell)}
