"""The report tables' rows of several districts' half year, read in one set of queries.

A city report needs every district's rows: one query per table for all of them (`district =
ANY($1)`, the tables' keys start with `district`) costs one round trip where a query per
district cost six, and a district's report is the same set for one district. Rows come back
ordered by district first, so each district's share keeps the order its report expects.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import asyncpg

from projections.connections import scoped
from projections.duties_report import DutyRows
from tenants.stores import chain_table

# The city's training records live with the city's store, on the service's own database: a
# report read on another server (a district placed there) reads them from this pool instead.
CITY_SERVER: ContextVar[asyncpg.Pool | None] = ContextVar("CITY_SERVER", default=None)


@dataclass
class Rows:
    """The report tables' rows of one district's half year."""

    services: list[asyncpg.Record]
    funds: list[asyncpg.Record]
    inspections: list[asyncpg.Record]
    facts: list[asyncpg.Record]
    projects: list[asyncpg.Record]
    evaluations: list[asyncpg.Record]
    states: dict[str, asyncpg.Record]
    position: int
    checkpoint: dict[str, Any]
    duties: DutyRows
    tables: dict[str, list[asyncpg.Record]]  # every table's rows as read (by the names of `_TABLES`)
    on_behalf: dict[str, dict[str, int]] = field(default_factory=dict)  # town: {owner level: records}
    _grouped: dict[tuple[str, str], dict[Any, list[asyncpg.Record]]] = field(default_factory=dict)

    def of_town(self, table: str, town: str) -> list[asyncpg.Record]:
        """The rows of one table that are a town's, in their order."""
        return self.having(table, "town", town)

    def having(self, table: str, column: str, value: Any) -> list[asyncpg.Record]:
        """The rows of one table with this value in a column, in their order (grouped once, then
        looked up: a report asks the same for every town)."""
        if (grouped := self._grouped.get((table, column))) is None:
            grouped = self._grouped[(table, column)] = defaultdict(list)
            for row in getattr(self, table):
                grouped[row[column]].append(row)
        return grouped.get(value, [])


@dataclass(frozen=True)
class Head:
    """Where a district's projection stands in this snapshot: its report's checkpoint, and the
    stamp of its tracking row (`report_cache`), None when no row is seen (never projected, or
    hidden from the caller by row-level security)."""

    checkpoint: dict[str, Any]
    stamp: tuple[Any, ...] | None


# (field, query): $1 the districts, $2 the period (the year for plans and allocations); each ordered by
# district first, but for the service figures, ordered in Python (`_FIGURE_ORDER`: quicker than the database).
_TABLES = (
    ("services", "SELECT district, town, dim, key, person_times, hours, recipients FROM service_figures"
                 " WHERE district = ANY($1::text[]) AND period = $2"),
    ("funds", "SELECT district, period, town, project, source, level, amount FROM fund_spending"
              " WHERE district = ANY($1::text[]) AND period <= $2"),
    ("inspections", "SELECT * FROM inspections WHERE district = ANY($1::text[])"),
    ("facts", "SELECT * FROM station_facts WHERE district = ANY($1::text[]) ORDER BY district, on_date, record_id"),
    ("projects", "SELECT * FROM projects WHERE district = ANY($1::text[]) ORDER BY district, project"),
    ("evaluations", "SELECT * FROM evaluations WHERE district = ANY($1::text[])"),
    ("states", "SELECT * FROM report_states WHERE district = ANY($1::text[]) AND period = $2"),
    ("plan", "SELECT * FROM plans WHERE district = ANY($1::text[]) AND year = $2"),
    ("linked", "SELECT * FROM linked_figures WHERE district = ANY($1::text[]) AND period = $2"
               " ORDER BY district, town, name, record_id"),
    ("notes", "SELECT district, town, reported_on FROM progress_notes WHERE district = ANY($1::text[])"
              " AND period = $2"),
    ("problems", "SELECT * FROM progress_problems WHERE district = ANY($1::text[])"
                 " ORDER BY district, raised_on, record_id, key"),
    ("villages", "SELECT * FROM villages WHERE district = ANY($1::text[]) ORDER BY district, village, valid_from"),
    ("allocations", "SELECT * FROM budget_allocations WHERE district = ANY($1::text[]) AND year = $2"
                    " ORDER BY district, allocated_on, record_id"),
)
# The report table each of them reads.
SOURCES = {"services": "service_figures", "funds": "fund_spending", "inspections": "inspections",
           "facts": "station_facts", "projects": "projects", "evaluations": "evaluations", "states": "report_states",
           "plan": "plans", "linked": "linked_figures", "notes": "progress_notes", "problems": "progress_problems",
           "villages": "villages", "allocations": "budget_allocations"}


def reading(changed: Mapping[str, Any]) -> set[str]:
    """The tables of `_TABLES` (by name) whose rows may differ after these report tables changed."""
    return {name for name, table in SOURCES.items() if table in changed}


# Service figures of some towns only: the rows of the others are known (`load_many`).
_SERVICES_OF_TOWNS = ("SELECT district, town, dim, key, person_times, hours, recipients FROM service_figures"
                      " WHERE district = ANY($1::text[]) AND period = $2 AND town = ANY($3::text[])")


# The services query's order within a district (its columns are of collation "C", which orders
# as Python orders text); an itemgetter, since a report read after a write sorts every row by it.
_FIGURE_ORDER = itemgetter("town", "dim", "key")


_TRAINING = ("SELECT d AS district, t.record_id, t.town, t.held_on, t.topic, t.attendees"
             " FROM unnest($1::text[]) AS d,"
             " LATERAL reports.training_attendance(d, $2, $3) WITH ORDINALITY AS t(record_id, town, held_on, topic,"
             " attendees, n) ORDER BY d, t.n")


# The period's records each town's owners had entered for them by a level above, up to each district's
# projected position: the live table even in an as-of read (its rows are not snapshotted, and the
# position, read from the as-of tracking row, is the moment's).
_ON_BEHALF = ("SELECT p.district, p.town, p.on_behalf_of, count(*)::int AS records FROM reports.record_periods p"
              " JOIN unnest($1::text[], $3::bigint[]) AS h (district, position)"
              " ON h.district = p.district AND p.position <= h.position"
              " WHERE p.district = ANY($1::text[]) AND p.period = $2 AND p.on_behalf_of IS NOT NULL"
              " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")


async def on_behalf_of_towns(conn: asyncpg.Connection, districts: list[str], period: str,
                             read: dict[str, Head]) -> dict[str, dict[str, dict[str, int]]]:
    """Each district's towns' records of the period entered on their owners' behalf, by owner."""
    found: dict[str, dict[str, dict[str, int]]] = {d: {} for d in districts}
    positions = [read[d].checkpoint["position"] for d in districts]
    for row in await conn.fetch(_ON_BEHALF, districts, period, positions):
        found[row["district"]].setdefault(row["town"] or "", {})[row["on_behalf_of"]] = row["records"]
    return found


async def load_many(conn: asyncpg.Connection, districts: Sequence[str], period: str, as_of: Any = None,
                    training: dict[str, list[asyncpg.Record]] | None = None,
                    read: dict[str, Head] | None = None,
                    known: dict[str, dict[str, list[asyncpg.Record]]] | None = None,
                    service_towns: frozenset[str] = frozenset()) -> dict[str, Rows]:
    """Each district's rows of the period, all read on `conn` (one query per table; the city's
    training rows and the districts' heads too, unless `training` and `read` have them already).

    A table whose rows `known` holds for every district, as they are in this snapshot, is not
    read; nor are the known service figures, but for those of `service_towns`."""
    names, year, known = list(districts), int(period[:4]), known or {}
    by: dict[str, dict[str, list[asyncpg.Record]]] = {d: defaultdict(list) for d in names}
    for name, query in _TABLES:
        if all(name in known.get(d, {}) for d in names):
            for d in names:
                by[d][name] = known[d][name]
            if name == "services" and service_towns:
                towns = list(service_towns)
                for d in names:
                    by[d][name] = [row for row in known[d][name] if row["town"] not in service_towns]
                for row in await conn.fetch(_SERVICES_OF_TOWNS, names, period, towns):
                    by[row["district"]][name].append(row)
                for d in names:
                    by[d][name].sort(key=_FIGURE_ORDER)
            continue
        args = [names] if "$2" not in query else [names, year if name in ("plan", "allocations") else period]
        for row in await conn.fetch(query, *args):
            by[row["district"]][name].append(row)
        if name == "services":
            for d in names:
                by[d][name].sort(key=_FIGURE_ORDER)
    tables = {d: {name: by[d][name] for name, _ in _TABLES} for d in names}
    if training is None:
        training = await training_of(conn, names, year, as_of)
    for d in names:
        by[d]["training"] = training[d]
    if read is None:
        read = await heads(conn, names)
    on_behalf = await on_behalf_of_towns(conn, names, period, read)
    return {d: Rows(services=got["services"], funds=got["funds"], inspections=got["inspections"],
                    facts=got["facts"], projects=got["projects"], evaluations=got["evaluations"],
                    states={r["town"]: r for r in got["states"]}, position=read[d].checkpoint["position"],
                    checkpoint=read[d].checkpoint,
                    duties=DutyRows(plan=got["plan"][0] if got["plan"] else None, linked=got["linked"],
                                    notes=got["notes"], problems=got["problems"], training=got["training"],
                                    villages=got["villages"], allocations=got["allocations"]),
                    tables=tables[d], on_behalf=on_behalf[d])
            for d, got in by.items()}


async def heads(conn: asyncpg.Connection, districts: list[str]) -> dict[str, Head]:
    """Each district's projected position, the chain's head there and its tracking row's stamp
    (the row's position, the transaction that last moved it, and the database and server it is
    read on), in two queries of the caller's snapshot.

    The tracking rows are read by their districts (on a Citus coordinator, only the nodes holding
    them are asked: a worker down costs only its districts' reads). The chain is looked up by the
    tracking row's position given as a value, never joined: on Citus the two are tables of
    different co-located groups, and a join of the two pulled a district's whole chain to the
    coordinator, each row checked by the read scope, where a value finds its one row on the worker. Nor by an expression: under row-level security PostgreSQL may use an index only for
    a condition it knows leaks nothing, and `coalesce(...)` is not one."""
    # The server's start as a number's text: a notice carries it too (`worker._ANNOUNCE`),
    # and a timestamp's text would follow each session's TimeZone.
    tracked = await conn.fetch(
        "SELECT d.district, t.position AS tracked, t.moved_by, current_database() AS db,"
        " extract(epoch FROM pg_postmaster_start_time())::text AS server_start"
        " FROM unnest($1::text[]) AS d(district)"
        " LEFT JOIN (SELECT district, position, xmin::text AS moved_by FROM tracking WHERE district = ANY($1::text[])) t"
        " USING (district)", districts)
    # Every store is asked, a district never projected too (position 0, no row): where its store
    # cannot be reached (a Citus worker down) the read fails rather than show an empty report.
    chains: dict[str, bytes] = {}
    if tracked:
        parts = [f"SELECT {n}::int AS n, chain FROM {chain_table(row['district'])} WHERE position = ${n + 1}"
                 for n, row in enumerate(tracked)]
        for found in await conn.fetch(" UNION ALL ".join(parts), *(row["tracked"] or 0 for row in tracked)):
            chains[tracked[found["n"]]["district"]] = found["chain"]
    found = {}
    for row in tracked:
        position, chain = row["tracked"] or 0, chains.get(row["district"])
        stamp = None if row["tracked"] is None else (row["db"], row["server_start"], row["moved_by"], position)
        found[row["district"]] = Head({"position": position, "chain_head": bytes(chain).hex() if chain else None},
                                      stamp)
    return found


async def training_of(conn: asyncpg.Connection, districts: list[str], year: int,
                      as_of: Any = None) -> dict[str, list[asyncpg.Record]]:
    """The city's training rows of each district's people in the year (each in its order)."""
    home = CITY_SERVER.get()
    if home is None:
        found = await conn.fetch(_TRAINING, districts, year, as_of)
    else:
        found = []
        for district in districts:
            # The district is already in the caller's scope (the read that asked is scoped to it).
            async with scoped(home, district) as city:
                found += await city.fetch(_TRAINING, [district], year, as_of)
    by: dict[str, list[asyncpg.Record]] = {d: [] for d in districts}
    for row in found:
        by[row["district"]].append(row)
    return by
