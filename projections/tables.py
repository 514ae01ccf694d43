"""Writing a batch's `Changes` to the report tables, inside the caller's transaction."""

import json
from collections.abc import Sequence
from collections import defaultdict
from itertools import groupby

import asyncpg

from projections.projector import Changes, FigureKey

# One statement per (table, operation); $1 is always the district.
_ROW_STATEMENTS = {
    ("projects", "upsert"): (
        "INSERT INTO reports.projects (district, project, record_id, town, role, name, provider, method, amount,"
        " contract_start, contract_end, budget) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (district, project) DO UPDATE SET record_id = excluded.record_id, town = excluded.town,"
        " role = excluded.role, name = excluded.name, provider = excluded.provider, method = excluded.method,"
        " amount = excluded.amount, contract_start = excluded.contract_start,"
        " contract_end = excluded.contract_end, budget = excluded.budget",
        ("project", "record_id", "town", "role", "name", "provider", "method", "amount", "contract_start",
         "contract_end", "budget")),
    ("projects", "delete"): ("DELETE FROM reports.projects WHERE district = $1 AND project = $2", ("project",)),
    ("evaluations", "upsert"): (
        "INSERT INTO reports.evaluations (district, record_id, project, kind, contract_year, on_date, score)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "project", "kind", "contract_year", "on_date", "score")),
    ("evaluations", "delete"): ("DELETE FROM reports.evaluations WHERE district = $1 AND record_id = $2",
                                ("record_id",)),
    ("inspections", "upsert"): (
        "INSERT INTO reports.inspections (district, record_id, town, project, occurred_on, period, kind, by_level,"
        " issues_found, rectification_due, rectified_on, rectified_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "project", "occurred_on", "period", "kind", "by_level", "issues_found",
         "rectification_due", "rectified_on", "rectified_by")),
    ("inspections", "delete"): ("DELETE FROM reports.inspections WHERE district = $1 AND record_id = $2",
                                ("record_id",)),
    ("inspections", "rectify"): (
        "UPDATE reports.inspections SET rectified_on = $3, rectified_by = $4 WHERE district = $1 AND record_id = $2",
        ("record_id", "rectified_on", "rectified_by")),
    ("station_facts", "upsert"): (
        "INSERT INTO reports.station_facts (district, record_id, town, kind, key, on_date, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "kind", "key", "on_date", "detail")),
    ("station_facts", "delete"): ("DELETE FROM reports.station_facts WHERE district = $1 AND record_id = $2",
                                  ("record_id",)),
    ("report_states", "transition"): (
        "INSERT INTO reports.report_states AS s (district, period, town, status, submitted_at, decided_at, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, period, town) DO UPDATE SET"
        " status = excluded.status, submitted_at = coalesce(excluded.submitted_at, s.submitted_at),"
        " decided_at = excluded.decided_at, reason = excluded.reason",
        ("period", "town", "status", "submitted_at", "decided_at", "reason")),
    ("report_versions", "upsert"): (
        "INSERT INTO reports.report_versions (district, period, town, version, position, figures, recorded_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, period, town, version) DO UPDATE SET"
        " position = excluded.position, figures = excluded.figures, recorded_at = excluded.recorded_at",
        ("period", "town", "version", "position", "figures", "recorded_at")),
}

_UPSERT_RECIPIENTS = """
INSERT INTO reports.service_recipients AS r (district, period, town, dim, key, recipient_ref, services)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])
ON CONFLICT (district, period, town, dim, key, recipient_ref)
DO UPDATE SET services = r.services + excluded.services
RETURNING period, town, dim, key, recipient_ref, services
"""

_DELETE_RECIPIENTS = """
DELETE FROM reports.service_recipients WHERE district = $1 AND services = 0
AND (period, town, dim, key, recipient_ref) IN (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]))
"""

_UPSERT_FIGURES = """
INSERT INTO reports.service_figures AS f (district, period, town, dim, key, person_times, hours, recipients)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::numeric[], $8::bigint[])
ON CONFLICT (district, period, town, dim, key) DO UPDATE SET
    person_times = f.person_times + excluded.person_times,
    hours = f.hours + excluded.hours,
    recipients = f.recipients + excluded.recipients
"""

_UPSERT_FUNDS = """
INSERT INTO reports.fund_spending AS s (district, period, town, project, source, amount, spends)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::int[])
ON CONFLICT (district, period, town, project, source) DO UPDATE SET
    amount = s.amount + excluded.amount, spends = s.spends + excluded.spends
"""

_INSERT_RECORD_PERIODS = """
INSERT INTO reports.record_periods (district, position, record_id, record_type, period, town)
SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
"""


def _columns(rows: Sequence[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]


async def write(conn: asyncpg.Connection, district: str, changes: Changes) -> None:
    for (table, operation), ops in groupby(changes.rows, key=lambda op: op[:2]):
        statement, fields = _ROW_STATEMENTS[(table, operation)]
        await conn.executemany(statement, [(district, *(_db_value(op[2][f]) for f in fields)) for op in ops])

    recipients = await _count_recipients(conn, district, changes.recipients)
    if changes.figures:
        figures = [(*key, person_times, hours, recipients.get(key, 0))
                   for key, (person_times, hours) in changes.figures.items()]
        await conn.execute(_UPSERT_FIGURES, district, *_columns(figures))

    if changes.funds:
        await conn.execute(_UPSERT_FUNDS, district, *_columns([(*k, *v) for k, v in changes.funds.items()]))

    if changes.record_periods:
        await conn.execute(_INSERT_RECORD_PERIODS, district, *_columns(changes.record_periods))


async def _count_recipients(conn: asyncpg.Connection, district: str,
                            deltas: dict[tuple[str, str, str, str, str], int]) -> dict[FigureKey, int]:
    """Apply the per-recipient service counts; how each figure's distinct recipients change."""
    rows = [(*key, delta) for key, delta in deltas.items() if delta]
    if not rows:
        return {}
    counted: dict[FigureKey, int] = defaultdict(int)
    gone = []
    for row in await conn.fetch(_UPSERT_RECIPIENTS, district, *_columns(rows)):
        key = (row["period"], row["town"], row["dim"], row["key"])
        after = row["services"]
        before = after - deltas[(*key, row["recipient_ref"])]
        if before == 0 and after > 0:
            counted[key] += 1
        elif before > 0 and after == 0:
            counted[key] -= 1
            gone.append((*key, row["recipient_ref"]))
    if gone:
        await conn.execute(_DELETE_RECIPIENTS, district, *_columns(gone))
    return counted


def _db_value(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
