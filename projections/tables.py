"""Writing a batch's `Changes` to the report tables, inside the caller's transaction."""

import json
from collections.abc import Sequence
from itertools import groupby

import asyncpg

from projections import service_counts
from projections.packed import pack, split
from projections.duty_tables import DUTY_STATEMENTS, DUTY_TABLES
from projections.projector import DISTRICT_SCOPE, Changes

# Every table of a district's report state (besides its tracking row).
REPORT_TABLES = ("service_figures", "service_recipients", "fund_spending", "projects", "evaluations",
                 "inspections", "station_facts", "record_periods", "report_states", "report_versions",
                 *DUTY_TABLES)

# Tables a rebuild only ever inserts into (the services counted once at its end, a row per
# record): its temporary copies of them need no index.
INSERTED_ONLY_IN_REBUILD = ("service_figures", "service_recipients", "record_periods")

# One statement per (table, operation); $1 is always the district.
_ROW_STATEMENTS = {
    ("projects", "upsert"): (
        "INSERT INTO projects (district, project, record_id, town, role, name, provider, method, amount,"
        " contract_start, contract_end, budget, lines, towns, credit_code, key_recipients, before_rules,"
        " purchaser_kind, provider_kind)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
        " ON CONFLICT (district, project) DO UPDATE SET record_id = excluded.record_id, town = excluded.town,"
        " role = excluded.role, name = excluded.name, provider = excluded.provider, method = excluded.method,"
        " amount = excluded.amount, contract_start = excluded.contract_start,"
        " contract_end = excluded.contract_end, budget = excluded.budget, lines = excluded.lines,"
        " towns = excluded.towns, credit_code = excluded.credit_code, key_recipients = excluded.key_recipients,"
        " before_rules = excluded.before_rules, purchaser_kind = excluded.purchaser_kind,"
        " provider_kind = excluded.provider_kind",
        ("project", "record_id", "town", "role", "name", "provider", "method", "amount", "contract_start",
         "contract_end", "budget", "lines", "towns", "credit_code", "key_recipients", "before_rules",
         "purchaser_kind", "provider_kind")),
    ("projects", "delete"): ("DELETE FROM projects WHERE district = $1 AND project = $2", ("project",)),
    ("evaluations", "upsert"): (
        "INSERT INTO evaluations (district, record_id, project, kind, contract_year, on_date, score, focus, before_rules,"
        " evaluator, evaluator_name, grade)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "project", "kind", "contract_year", "on_date", "score", "focus", "before_rules",
         "evaluator", "evaluator_name", "grade")),
    ("evaluations", "delete"): ("DELETE FROM evaluations WHERE district = $1 AND record_id = $2",
                                ("record_id",)),
    ("inspections", "upsert"): (
        "INSERT INTO inspections (district, record_id, town, project, occurred_on, period, kind, by_level,"
        " issues_found, rectification_due, rectified_on, rectified_by, scopes)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "project", "occurred_on", "period", "kind", "by_level", "issues_found",
         "rectification_due", "rectified_on", "rectified_by", "scopes")),
    ("inspections", "delete"): ("DELETE FROM inspections WHERE district = $1 AND record_id = $2",
                                ("record_id",)),
    ("inspections", "rectify"): (
        "UPDATE inspections SET rectified_on = $3, rectified_by = $4 WHERE district = $1 AND record_id = $2",
        ("record_id", "rectified_on", "rectified_by")),
    ("station_facts", "upsert"): (
        "INSERT INTO station_facts (district, record_id, town, kind, key, on_date, detail, attributes, before_rules)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "kind", "key", "on_date", "detail", "attributes", "before_rules")),
    ("station_facts", "delete"): ("DELETE FROM station_facts WHERE district = $1 AND record_id = $2",
                                  ("record_id",)),
    ("report_states", "transition"): (
        "INSERT INTO report_states AS s (district, period, town, status, submitted_at, decided_at, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, period, town) DO UPDATE SET"
        " status = excluded.status, submitted_at = coalesce(excluded.submitted_at, s.submitted_at),"
        " decided_at = excluded.decided_at, reason = excluded.reason",
        ("period", "town", "status", "submitted_at", "decided_at", "reason")),
    ("report_versions", "upsert"): (
        "INSERT INTO report_versions (district, period, town, version, position, figures, recorded_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, period, town, version) DO UPDATE SET"
        " position = excluded.position, figures = excluded.figures, recorded_at = excluded.recorded_at",
        ("period", "town", "version", "position", "figures", "recorded_at")),
    **DUTY_STATEMENTS,
}

_UPSERT_FUNDS = """
INSERT INTO fund_spending AS s (district, period, town, project, source, level, amount, spends)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[], $8::int[])
ON CONFLICT (district, period, town, project, source, level) DO UPDATE SET
    amount = s.amount + excluded.amount, spends = s.spends + excluded.spends
"""

_RECORD_PERIOD_COLUMNS = ("district", "position", "record_id", "record_type", "period", "town", "on_behalf_of")
def insert_record_periods(first: int) -> str:
    """The statement inserting a batch's record periods, its parameters numbered from $`first`:
    the district, then what `record_period_columns` gives (six packed columns and their marks:
    `packed.py`; empty ones insert nothing)."""
    types = ("bigint", "text", "text", "text", "text", "text")
    columns = ", ".join(split(first + 1 + n, kind, first + 7) for n, kind in enumerate(types))
    return (f"INSERT INTO record_periods ({', '.join(_RECORD_PERIOD_COLUMNS)})"
            f" SELECT ${first}, * FROM unnest({columns})")


_INSERT_RECORD_PERIODS = insert_record_periods(1)


def record_period_columns(*batches: Changes) -> list[str | None]:
    """The record periods of the batches' changes as `insert_record_periods` takes them: a packed
    text a column, then their marks."""
    periods = [row for changes in batches for row in changes.record_periods]
    return pack(*(_columns(periods) if periods else [[] for _ in range(6)]))


def _columns(rows: Sequence[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]


def written(*batches: Changes) -> dict[str, frozenset[str] | None]:
    """The report tables that writing the batches' changes may change, each with the towns whose
    rows may change (None: any row). Services count in their town's figures and the district's (town '')."""
    changed: dict[str, frozenset[str] | None] = dict.fromkeys(
        {table for changes in batches for table, _, _ in changes.rows})
    if towns := {service.town for changes in batches for service in changes.services}:
        changed["service_figures"] = frozenset(towns | {DISTRICT_SCOPE})
        changed["service_recipients"] = None
    if any(changes.funds for changes in batches):
        changed["fund_spending"] = None
    if any(changes.record_periods for changes in batches):
        changed["record_periods"] = None
    return changed


async def write(conn: asyncpg.Connection, district: str, changes: Changes, *, rebuilding: bool = False,
                periods: bool = True) -> None:
    """A rebuild's batch (into its temporary tables) gathers its services for `finish_rebuild`
    and copies its record periods into a table no other row can clash with; `periods=False`
    leaves the record periods to the caller (`insert_record_periods`: the worker inserts them in the
    statement that moves its tracking row, a round trip less per batch)."""
    for (table, operation), ops in groupby(changes.rows, key=lambda op: op[:2]):
        statement, fields = _ROW_STATEMENTS[(table, operation)]
        await conn.executemany(statement, [(district, *(_db_value(op[2][f]) for f in fields)) for op in ops])

    if changes.services and rebuilding:
        await conn.copy_records_to_table(service_counts.SERVICES_TABLE, records=changes.services)
    elif changes.services:
        await service_counts.project_services(conn, district, changes.services)

    if changes.funds:
        await conn.execute(_UPSERT_FUNDS, district, *_columns([(*k, *v) for k, v in changes.funds.items()]))

    if changes.record_periods and rebuilding:
        await conn.copy_records_to_table("record_periods", schema_name="pg_temp", columns=_RECORD_PERIOD_COLUMNS,
                                         records=[(district, *row) for row in changes.record_periods])
    elif changes.record_periods and periods:
        await conn.execute(_INSERT_RECORD_PERIODS, district, *record_period_columns(changes))


async def begin_rebuild(conn: asyncpg.Connection) -> None:
    await conn.execute(service_counts.CREATE_SERVICES_TABLE)


async def finish_rebuild(conn: asyncpg.Connection, district: str) -> None:
    """Count every service gathered by a rebuild into its empty (temporary) service tables."""
    await conn.execute(service_counts.COUNT_ALL_SERVICES, district)


def _db_value(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
