"""Services counted into the figures: their person-times and hours, and their distinct recipients.

A service counts in every figure of its town and of the district (town '') by each dimension:
the total, its domain, recipient category, service type, month and village. A recipient counts
in a figure while they have an active service in it, so the counting keeps, per district,
period and recipient, one row of their active services per figure of their towns
(`reports.service_recipients.counts`, keyed "town/dim/key"); their district figures follow,
counted in where any town has one. A batch reads the rows of the recipients it names, counts
its services onto them here, and writes back the rows and what changed in the figures: a row
per recipient rather than per recipient and figure (a dozen or more), which was the
projection's largest cost in time and space.

An as-of read counts its replay the same way onto a snapshot's rows (`SnapshotCounting`); a
rebuild counts a whole log at once in the database (`COUNT_ALL_SERVICES`), to the same rows.
"""

import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

import asyncpg
import orjson

from projections.packed import pack, split

# A service under a project also counts in its project's figures, in all and by domain (the report's
# `projects` section): `project_domain` keys are "project|domain" (a record id holds no '|').
DIMENSIONS = ("total", "domain", "recipient_category", "service_type", "month", "village", "project",
              "project_domain")

class ServiceRow(NamedTuple):
    """A service as the figures count it: +1 recorded, -1 voided (the same fields, negated)."""

    period: str
    town: str
    domain: str
    category: str
    service_type: str
    month: str
    village: str | None
    recipient_ref: str
    person_times: int
    hours: Decimal
    sign: int
    project: str | None = None


def project_domain(project: str | None, domain: str) -> str | None:
    """The key of a project's figure in a domain (none for a service under no project)."""
    return f"{project}|{domain}" if project else None


Counts = dict[str, int]  # "town/dim/key" -> the recipient's active services in that figure
Figure = tuple[str, str, str, str]  # period, town ('' for the district), dim, key


class Counted:
    """What a batch of services does to the figures, and to the rows of the recipients it names."""

    def __init__(self, before: Mapping[tuple[str, str], Counts]):
        self.before = before
        self.after: dict[tuple[str, str], Counts] = {}  # (period, recipient) -> their counts now
        # Person-times and hours summed by period and figure of a town (its name in the counts) as
        # each service's counts are changed, then spread over the town's and the district's figures
        # once, at the end of each `add`: a batch's services are nearly all of different kinds
        # (months, villages, projects), so summing by kind first spread nearly every service
        # over sixteen figures; kept across an as-of replay's batches, kinds piled up (19,000 in
        # a replay of 26,000 events), and figures are far fewer.
        self._sums: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0)])
        self._figures: dict[Figure, list] = defaultdict(lambda: [0, Decimal(0)])
        self._recipients: Counter[Figure] = Counter()  # the change in each figure's recipients

    def add(self, services: Iterable[ServiceRow]) -> "Counted":
        sums, after, before = self._sums, self.after, self.before
        # A kind's figures are spelled once a batch (kept longer, the kinds would pile up: towns
        # by categories by months by villages...).
        figures_of: dict[tuple, tuple[str, ...]] = {}
        for period, town, domain, category, service_type, month, village, ref, person_times, hours, sign, project in services:
            kind = (town, domain, category, service_type, month, village, project)
            if (figures := figures_of.get(kind)) is None:
                figures = figures_of[kind] = _figures_of(*kind, project_domain(project, domain))
            counts = after.get((period, ref))
            if counts is None:
                counts = after[(period, ref)] = dict(before.get((period, ref), {}))
            if sign < 0:
                person_times, hours = -person_times, -hours
            for figure in figures:
                if n := counts.get(figure, 0) + sign:
                    counts[figure] = n
                else:
                    del counts[figure]
                cell = sums[(period, figure)]
                cell[0] += person_times
                cell[1] += hours
        self._spread_sums()
        return self

    def _spread_sums(self) -> None:
        figures = self._figures
        for (period, figure), (person_times, hours) in self._sums.items():
            town, dim, key = _parts(figure)
            for scope in (town, ""):
                cell = figures[(period, scope, dim, key)]
                cell[0] += person_times
                cell[1] += hours
        self._sums.clear()

    def count_recipients(self) -> "Counted":
        """Each named recipient counted into the figures they entered and out of those they left."""
        recipients = self._recipients
        # Most recipients of a batch are new to its period, or stay in the same figures: the new
        # ones are counted by the figures they entered (many share them), the others not at all.
        new: Counter[tuple[str, tuple[str, ...]]] = Counter()
        for (period, ref), now in self.after.items():
            was = self.before.get((period, ref))
            if not was:
                new[(period, tuple(now))] += 1
            elif now.keys() != was.keys():
                for figure in now.keys() - was.keys():
                    recipients[(period, *_parts(figure))] += 1
                for figure in was.keys() - now.keys():
                    recipients[(period, *_parts(figure))] -= 1
                district_now, district_was = _district(now), _district(was)
                for dim, key in district_now - district_was:
                    recipients[(period, "", dim, key)] += 1
                for dim, key in district_was - district_now:
                    recipients[(period, "", dim, key)] -= 1
        for (period, figures), n in new.items():
            for figure in figures:
                recipients[(period, *_parts(figure))] += n
            for dim, key in _district(figures):
                recipients[(period, "", dim, key)] += n
        return self

    def figure_columns(self) -> list[list]:
        """period, town, dim, key, person-times, hours, recipients: a column each, a row per figure."""
        figures = {figure: [*sums, 0] for figure, sums in self._figures.items()}
        for figure, change in self._recipients.items():
            figures.setdefault(figure, [0, Decimal(0), 0])[2] += change
        return [list(c) for c in zip(*((*figure, *cell) for figure, cell in figures.items()), strict=True)]


def _figures_of(town: str, *keys: str | None) -> tuple[str, ...]:
    """The figures of its town a service with these keys counts in (the counts' keys), each name
    one string however many recipients' counts name it (an as-of replay keeps them all)."""
    return tuple(sys.intern(f"{town}/{dim}/{key}") for dim, key in zip(DIMENSIONS, ("", *keys), strict=True)
                 if key is not None)


@lru_cache(maxsize=1 << 16)  # figures are towns by keys, but a village is whatever the records name
def _parts(figure: str) -> tuple[str, str, str]:
    town, dim, key = figure.split("/", 2)  # a village's name may hold a '/', a town code or dimension not
    return town, dim, key


def _district(figures: Iterable[str]) -> set[tuple[str, str]]:
    """The district's figures (dim, key) that figures of its towns make up."""
    return {_parts(figure)[1:] for figure in figures}


_FIGURE_KINDS = ("text", "text", "text", "text", "int", "numeric", "int")


def _add_to_figures(first: int, marks: int) -> str:
    """The figures (their packed columns from parameter `first` on, their marks at `marks`: `packed`)
    added to the district's ($1): person-times, hours and the change in recipients."""
    columns = ", ".join(split(first + n, kind, marks) for n, kind in enumerate(_FIGURE_KINDS))
    return f"""
INSERT INTO service_figures AS f (district, period, town, dim, key, person_times, hours, recipients)
SELECT $1, * FROM unnest({columns})
ON CONFLICT (district, period, town, dim, key) DO UPDATE SET
    person_times = f.person_times + excluded.person_times,
    hours = f.hours + excluded.hours,
    recipients = f.recipients + excluded.recipients
"""


_ADD_TO_FIGURES = _add_to_figures(2, 2 + len(_FIGURE_KINDS))


def _named_pairs(marks: int) -> str:
    """The named (period, recipient) pairs: their packed columns $2 and $3, their marks at `marks`."""
    return f"unnest({split(2, 'text', marks)}, {split(3, 'text', marks)}) AS named (recipient_ref, period)"


# A named recipient's row (at most one: the key). As a join, the plan the worker's connection
# kept (generic, made while the table was small) hashed the named recipients and scanned every
# row of the district against them, per batch; a LATERAL subquery with a LIMIT is not merged into
# a join, so each named recipient is one index probe whatever the row estimates.
_LIVE_COUNTS = f"""
SELECT named.period, named.recipient_ref, kept.counts FROM {_named_pairs(4)}, LATERAL (
    SELECT counts FROM service_recipients r
    WHERE r.district = $1 AND r.recipient_ref = named.recipient_ref AND r.period = named.period
    LIMIT 1) AS kept
"""

# A recipient's counts as of snapshot $4 (the pairs' marks at $5): their row of the latest snapshot
# at or before it that changed them (`snapshots.py`), '{}' or none meaning counted nowhere; one
# index probe per named recipient, as above.
_SNAPSHOT_COUNTS = f"""
SELECT named.period, named.recipient_ref, kept.counts FROM {_named_pairs(5)}, LATERAL (
    SELECT counts FROM snapshots.service_recipients s
    WHERE s.district = $1 AND s.recipient_ref = named.recipient_ref AND s.period = named.period
      AND s.snapshot_position <= $4
    ORDER BY s.snapshot_position DESC LIMIT 1) AS kept
"""

# The named recipients' rows as counted now (a recipient with no active service left has none),
# and the figures changed with them: one statement (ten packed columns, their marks at $12).
_SAVE_COUNTS_AND_FIGURES = f"""
WITH counted (recipient_ref, period, counts) AS NOT MATERIALIZED (
    SELECT * FROM unnest({split(2, 'text', 12)}, {split(3, 'text', 12)}, {split(4, 'text', 12)}::jsonb[])
), gone AS (
    DELETE FROM service_recipients r USING counted c
    WHERE c.counts = '{{}}' AND r.district = $1 AND r.recipient_ref = c.recipient_ref AND r.period = c.period
), saved AS (
    INSERT INTO service_recipients AS r (district, recipient_ref, period, counts)
    SELECT $1, recipient_ref, period, counts FROM counted WHERE counts <> '{{}}'
    ON CONFLICT (district, recipient_ref, period) DO UPDATE SET counts = excluded.counts
)
{_add_to_figures(5, 12)}"""


def _named(services: Sequence[ServiceRow]) -> set[tuple[str, str]]:
    """The (period, recipient) pairs the services name."""
    return {(s.period, s.recipient_ref) for s in services}


async def _counts(conn: asyncpg.Connection, statement: str, district: str, named: set[tuple[str, str]],
                  *more: object) -> dict[tuple[str, str], Counts]:
    """The counts of the named (period, recipient) pairs that have any."""
    periods, refs = zip(*named, strict=True) if named else ((), ())
    refs_text, periods_text, *marks = pack(refs, periods)
    rows = await conn.fetch(statement, district, refs_text, periods_text, *more, *marks)
    return {(row["period"], row["recipient_ref"]): orjson.loads(row["counts"]) for row in rows}


async def project_services(conn: asyncpg.Connection, district: str, services: Sequence[ServiceRow]) -> None:
    """Within the caller's transaction (the district's tracking row locked): a batch's services
    counted into the district's figures and recipients."""
    counted = Counted(await _counts(conn, _LIVE_COUNTS, district, _named(services))).add(services).count_recipients()
    rows = list(counted.after.items())
    figures = counted.figure_columns() or [[] for _ in _FIGURE_KINDS]
    await conn.execute(_SAVE_COUNTS_AND_FIGURES, district, *pack(
        [ref for (_, ref), _ in rows], [period for (period, _), _ in rows],
        [orjson.dumps(counts).decode() for _, counts in rows], *figures))


class SnapshotCounting:
    """An as-of replay's services counted onto the figures of the snapshot it started from (in
    the read's temporary tables), batch by batch as the replay reads them: what is kept between
    batches grows with the recipients and figures named, not with the events replayed
    (a replay of 50,000 events kept every service until the end). The recipients' rows are not
    kept (no report reads them)."""

    def __init__(self, district: str, snapshot: int):
        self.district = district
        self.snapshot = snapshot
        self._before: dict[tuple[str, str], Counts] = {}
        self._looked_up: set[tuple[str, str]] = set()
        self._counted = Counted(self._before)

    async def add(self, conn: asyncpg.Connection, services: Sequence[ServiceRow]) -> None:
        """A batch's services counted in, after the snapshot's rows of the recipients first named in it."""
        named = _named(services) - self._looked_up
        if named:
            self._before.update(await _counts(conn, _SNAPSHOT_COUNTS, self.district, named, self.snapshot))
            self._looked_up |= named
        self._counted.add(services)

    async def finish(self, conn: asyncpg.Connection) -> None:
        """The counted figures added to the snapshot's."""
        if columns := self._counted.count_recipients().figure_columns():  # none when no service was replayed
            await conn.execute(_ADD_TO_FIGURES, self.district, *pack(*columns))


# A rebuild gathers every service of the district first, then counts them at once into its
# empty (temporary) service tables: the same rows, without a read and write per batch.
SERVICES_TABLE = "rebuilt_services"
CREATE_SERVICES_TABLE = f"""
CREATE TEMPORARY TABLE {SERVICES_TABLE} (
    period text COLLATE "C", town text COLLATE "C", domain text COLLATE "C", category text COLLATE "C",
    service_type text COLLATE "C", month text COLLATE "C", village text COLLATE "C", ref text COLLATE "C",
    person_times int, hours numeric, sign int, project text COLLATE "C"
) ON COMMIT DROP
"""
# The figure a grouping set below stands for: a set per scope (town, or '' for the district) and
# dimension; the columns a set leaves out are NULL, and as in `Counted.add` a figure is never keyed
# by a missing value (a service without a village).
_FIGURE = """CASE WHEN GROUPING(town) = 0 THEN town ELSE '' END AS town,
    CASE WHEN GROUPING(domain) = 0 THEN 'domain' WHEN GROUPING(category) = 0 THEN 'recipient_category'
         WHEN GROUPING(service_type) = 0 THEN 'service_type' WHEN GROUPING(month) = 0 THEN 'month'
         WHEN GROUPING(village) = 0 THEN 'village' WHEN GROUPING(project) = 0 THEN 'project'
         WHEN GROUPING(project_domain) = 0 THEN 'project_domain' ELSE 'total' END AS dim,
    coalesce(domain, category, service_type, month, village, project, project_domain, '') AS key"""
_BY_FIGURE = """GROUPING SETS ((town), (), (town, domain), (domain), (town, category), (category),
    (town, service_type), (service_type), (town, month), (month), (town, village), (village),
    (town, project), (project), (town, project_domain), (project_domain))
HAVING GROUPING(domain, category, service_type, month, village, project, project_domain) = 127
    OR coalesce(domain, category, service_type, month, village, project, project_domain) IS NOT NULL"""

COUNT_ALL_SERVICES = f"""
WITH signed AS MATERIALIZED (
    SELECT period, town, domain, category, service_type, month, village, project,
           project || '|' || domain AS project_domain, ref,
           person_times * sign AS person_times, hours * sign AS hours, sign
    FROM {SERVICES_TABLE}
), per_recipient AS MATERIALIZED (
    SELECT period, {_FIGURE}, ref, sum(sign) AS services
    FROM signed GROUP BY period, ref, {_BY_FIGURE}
), counted AS (
    INSERT INTO service_recipients (district, recipient_ref, period, counts)
    SELECT $1, ref, period, jsonb_object_agg(town || '/' || dim || '/' || key, services)
    FROM per_recipient WHERE services > 0 AND town <> '' GROUP BY ref, period
), figures AS (
    SELECT period, {_FIGURE}, sum(person_times) AS person_times, sum(hours) AS hours
    FROM signed GROUP BY period, {_BY_FIGURE}
), recipients AS (
    SELECT period, town, dim, key, count(*) AS recipients FROM per_recipient WHERE services > 0
    GROUP BY period, town, dim, key
)
INSERT INTO service_figures (district, period, town, dim, key, person_times, hours, recipients)
SELECT $1, f.period, f.town, f.dim, f.key, f.person_times, f.hours, coalesce(r.recipients, 0)
FROM figures f LEFT JOIN recipients r USING (period, town, dim, key)
"""
