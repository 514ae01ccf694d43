"""Writing a batch's `Changes` to the report tables, inside the caller's transaction."""

import json
from collections.abc import Sequence
from itertools import groupby

import asyncpg

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
        " contract_start, contract_end, budget) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (district, project) DO UPDATE SET record_id = excluded.record_id, town = excluded.town,"
        " role = excluded.role, name = excluded.name, provider = excluded.provider, method = excluded.method,"
        " amount = excluded.amount, contract_start = excluded.contract_start,"
        " contract_end = excluded.contract_end, budget = excluded.budget",
        ("project", "record_id", "town", "role", "name", "provider", "method", "amount", "contract_start",
         "contract_end", "budget")),
    ("projects", "delete"): ("DELETE FROM projects WHERE district = $1 AND project = $2", ("project",)),
    ("evaluations", "upsert"): (
        "INSERT INTO evaluations (district, record_id, project, kind, contract_year, on_date, score)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "project", "kind", "contract_year", "on_date", "score")),
    ("evaluations", "delete"): ("DELETE FROM evaluations WHERE district = $1 AND record_id = $2",
                                ("record_id",)),
    ("inspections", "upsert"): (
        "INSERT INTO inspections (district, record_id, town, project, occurred_on, period, kind, by_level,"
        " issues_found, rectification_due, rectified_on, rectified_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "project", "occurred_on", "period", "kind", "by_level", "issues_found",
         "rectification_due", "rectified_on", "rectified_by")),
    ("inspections", "delete"): ("DELETE FROM inspections WHERE district = $1 AND record_id = $2",
                                ("record_id",)),
    ("inspections", "rectify"): (
        "UPDATE inspections SET rectified_on = $3, rectified_by = $4 WHERE district = $1 AND record_id = $2",
        ("record_id", "rectified_on", "rectified_by")),
    ("station_facts", "upsert"): (
        "INSERT INTO station_facts (district, record_id, town, kind, key, on_date, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "kind", "key", "on_date", "detail")),
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

# Services spread over every figure they count in: each scope (the town, and the district as
# town '') by each dimension.
SPREAD = """
spread AS (
    SELECT s.period, scope.town, d.dim, d.key, s.ref, s.person_times * s.sign AS person_times,
           s.hours * s.sign AS hours, s.sign
    FROM services s
    CROSS JOIN LATERAL (VALUES (s.town), ('')) AS scope (town)
    CROSS JOIN LATERAL (VALUES ('total', ''), ('domain', s.domain), ('recipient_category', s.category),
                               ('service_type', s.service_type), ('month', s.month), ('village', s.village))
                       AS d (dim, key)
    WHERE d.key IS NOT NULL
), figures AS (
    SELECT period, town, dim, key, sum(person_times) AS person_times, sum(hours) AS hours
    FROM spread GROUP BY period, town, dim, key
)"""

# The last step of counting services: `figures` (their sums) and `recipients` (the change in
# distinct recipients) added to the district's figures.
ADD_TO_FIGURES = """
INSERT INTO service_figures AS f (district, period, town, dim, key, person_times, hours, recipients)
SELECT $1, f.period, f.town, f.dim, f.key, f.person_times, f.hours, coalesce(r.recipients, 0)
FROM figures f LEFT JOIN recipients r USING (period, town, dim, key)
ON CONFLICT (district, period, town, dim, key) DO UPDATE SET
    person_times = f.person_times + excluded.person_times,
    hours = f.hours + excluded.hours,
    recipients = f.recipients + excluded.recipients
"""

SERVICE_COLUMNS = ("period", "town", "domain", "category", "service_type", "month", "village", "ref",
                   "person_times", "hours", "sign")

# A batch's services added to the figures. A recipient's first active service in a figure
# counts them in, their last one voided counts them out.
_PROJECT_SERVICES = f"""
WITH services ({", ".join(SERVICE_COLUMNS)}) AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                         $9::text[], $10::int[], $11::numeric[], $12::int[])
), {SPREAD}, delta AS (
    SELECT period, town, dim, key, ref, sum(sign)::int AS n FROM spread
    GROUP BY period, town, dim, key, ref HAVING sum(sign) <> 0
), counted AS (
    INSERT INTO service_recipients AS r (district, period, town, dim, key, recipient_ref, services)
    SELECT $1, * FROM delta
    ON CONFLICT (district, period, town, dim, key, recipient_ref)
    DO UPDATE SET services = r.services + excluded.services
    RETURNING period, town, dim, key, services, xmax = 0 AS inserted
), recipients AS (
    -- A row with no services is always deleted after its batch, so a recipient is new to a
    -- figure exactly when their row was inserted, and gone exactly when it falls to zero.
    SELECT period, town, dim, key,
           sum(CASE WHEN inserted THEN 1 WHEN services = 0 THEN -1 ELSE 0 END) AS recipients
    FROM counted GROUP BY period, town, dim, key
)
{ADD_TO_FIGURES}"""

# A rebuild gathers every service of the district first (`rebuilding`), then counts them at
# once into its empty (temporary) service tables: the same figures, without an upsert per row.
SERVICES_TABLE = "rebuilt_services"
_CREATE_SERVICES_TABLE = f"""
CREATE TEMPORARY TABLE {SERVICES_TABLE} (
    period text COLLATE "C", town text COLLATE "C", domain text COLLATE "C", category text COLLATE "C",
    service_type text COLLATE "C", month text COLLATE "C", village text COLLATE "C", ref text COLLATE "C",
    person_times int, hours numeric, sign int
) ON COMMIT DROP
"""
# The figure a grouping set below stands for: a set per scope (town, or '' for the district) and
# dimension; the columns a set leaves out are NULL, and as in `spread` a figure is never keyed by
# a missing value (a service without a village).
_FIGURE = """CASE WHEN GROUPING(town) = 0 THEN town ELSE '' END AS town,
    CASE WHEN GROUPING(domain) = 0 THEN 'domain' WHEN GROUPING(category) = 0 THEN 'recipient_category'
         WHEN GROUPING(service_type) = 0 THEN 'service_type' WHEN GROUPING(month) = 0 THEN 'month'
         WHEN GROUPING(village) = 0 THEN 'village' ELSE 'total' END AS dim,
    coalesce(domain, category, service_type, month, village, '') AS key"""
_BY_FIGURE = """GROUPING SETS ((town), (), (town, domain), (domain), (town, category), (category),
    (town, service_type), (service_type), (town, month), (month), (town, village), (village))
HAVING GROUPING(domain, category, service_type, month, village) = 31
    OR coalesce(domain, category, service_type, month, village) IS NOT NULL"""

# The same rows as `_PROJECT_SERVICES` would reach, counted in two passes over the services
# rather than over their spread.
_COUNT_ALL_SERVICES = f"""
WITH signed AS MATERIALIZED (
    SELECT period, town, domain, category, service_type, month, village, ref,
           person_times * sign AS person_times, hours * sign AS hours, sign
    FROM {SERVICES_TABLE}
), per_recipient AS MATERIALIZED (
    SELECT period, {_FIGURE}, ref, sum(sign) AS services
    FROM signed GROUP BY period, ref, {_BY_FIGURE}
), counted AS (
    INSERT INTO service_recipients (district, period, town, dim, key, recipient_ref, services)
    SELECT $1, period, town, dim, key, ref, services FROM per_recipient WHERE services > 0
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

# Recipients whose last service in a figure was voided: nothing left to count.
_FORGET_RECIPIENTS = """
DELETE FROM service_recipients
WHERE district = $1 AND services = 0 AND recipient_ref = ANY($2::text[])
"""

_UPSERT_FUNDS = """
INSERT INTO fund_spending AS s (district, period, town, project, source, amount, spends)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::int[])
ON CONFLICT (district, period, town, project, source) DO UPDATE SET
    amount = s.amount + excluded.amount, spends = s.spends + excluded.spends
"""

_RECORD_PERIOD_COLUMNS = ("district", "position", "record_id", "record_type", "period", "town")
_INSERT_RECORD_PERIODS = """
INSERT INTO record_periods (district, position, record_id, record_type, period, town)
SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
"""


def _columns(rows: Sequence[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]


def written(changes: Changes) -> dict[str, frozenset[str] | None]:
    """The report tables that writing `changes` may change, each with the towns whose rows may
    change (None: any row). Services count in their town's figures and the district's (town '')."""
    changed: dict[str, frozenset[str] | None] = dict.fromkeys({table for table, _, _ in changes.rows})
    if changes.services:
        changed["service_figures"] = frozenset({service[1] for service in changes.services} | {DISTRICT_SCOPE})
        changed["service_recipients"] = None
    if changes.funds:
        changed["fund_spending"] = None
    if changes.record_periods:
        changed["record_periods"] = None
    return changed


async def write(conn: asyncpg.Connection, district: str, changes: Changes, *, rebuilding: bool = False) -> None:
    """A rebuild's batch (into its temporary tables) gathers its services for `finish_rebuild`
    and copies its record periods into a table no other row can clash with."""
    for (table, operation), ops in groupby(changes.rows, key=lambda op: op[:2]):
        statement, fields = _ROW_STATEMENTS[(table, operation)]
        await conn.executemany(statement, [(district, *(_db_value(op[2][f]) for f in fields)) for op in ops])

    if changes.services and rebuilding:
        await conn.copy_records_to_table(SERVICES_TABLE, records=changes.services)
    elif changes.services:
        await conn.execute(_PROJECT_SERVICES, district, *_columns(changes.services))
        voided = [service[7] for service in changes.services if service[-1] < 0]
        if voided:
            await conn.execute(_FORGET_RECIPIENTS, district, voided)

    if changes.funds:
        await conn.execute(_UPSERT_FUNDS, district, *_columns([(*k, *v) for k, v in changes.funds.items()]))

    if changes.record_periods and rebuilding:
        await conn.copy_records_to_table("record_periods", schema_name="pg_temp", columns=_RECORD_PERIOD_COLUMNS,
                                         records=[(district, *row) for row in changes.record_periods])
    elif changes.record_periods:
        await conn.execute(_INSERT_RECORD_PERIODS, district, *_columns(changes.record_periods))


async def begin_rebuild(conn: asyncpg.Connection) -> None:
    await conn.execute(_CREATE_SERVICES_TABLE)


async def finish_rebuild(conn: asyncpg.Connection, district: str) -> None:
    """Count every service gathered by a rebuild into its empty (temporary) service tables."""
    await conn.execute(_COUNT_ALL_SERVICES, district)


def _db_value(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
