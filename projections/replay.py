"""A frozen version of a report made again from the log, with the service's own projection code:
the report tables rebuilt at the position the version froze (`as_of.shadow_tables`), the report
read from them as it was read when frozen; then compared with what was frozen, figure by figure.

A figure is named as the offline verifier names it (docs/audit.md, "The offline bundle"):
`figures.by_domain.elderly_care.hours`, `towns[350203001].figures.by_month.2025-03.person_times`,
`children[350203001].digest`, `digest`.
"""

import json
from dataclasses import replace
from typing import Any

import asyncpg
import orjson
from typing_extensions import TypedDict  # pydantic documents typing's only from Python 3.12

from projections import report_cache
from projections.as_of import shadow_tables
from projections.reports import Scope, district_report, town_report
from projections.restatement import flatten
from tenants.stores import chain_table


class Difference(TypedDict):
    figure: str  # its path, as the offline verifier names it
    frozen: Any  # as stored in the version (null: the version has no such figure)
    replayed: Any  # as the log gives it (null: the replay has no such figure)


async def frozen(conn: asyncpg.Connection, scope: Scope, town: str, version: str) -> tuple[int, dict[str, Any]] | None:
    """The position a version froze and the report it froze, exactly as stored (None: no such version)."""
    row = await conn.fetchrow("SELECT position, figures FROM report_versions"
                              " WHERE district = $1 AND period = $2 AND town = $3 AND version = $4",
                              scope.district, scope.period, town, version)
    return None if row is None else (row["position"], json.loads(row["figures"]))


async def report_at(conn: asyncpg.Connection, scope: Scope, town: str, position: int) -> dict[str, Any] | None:
    """The town's (or, town '', the district's) report made from the log up to `position`, within
    the caller's transaction (one a position: it makes the temporary tables once). `today` stays the
    scope's: a version is frozen after its half year ended, so its figures are judged at that end."""
    # The moment the log held `position` (an as-of read's moment: never None, so no kept report is
    # given instead of one made from the temporary tables); before the first event, the epoch.
    moment = await conn.fetchval(f'SELECT coalesce((SELECT recorded_at FROM {chain_table(scope.district)}'
                                 " WHERE position <= $1 ORDER BY position DESC LIMIT 1), 'epoch'::timestamptz)", position)
    await shadow_tables(conn, scope.district, position)
    then = replace(scope, as_of=moment)
    report = await (town_report(conn, then, town) if town else district_report(conn, then))
    return None if report is None else orjson.loads(report_cache.encode(report))


def differences(frozen_report: dict[str, Any], replayed: dict[str, Any]) -> list[Difference]:
    """Every figure whose frozen value is not the replayed one: the version's digest and figures,
    each town row's figures and each child's digest (those a version holds)."""
    found = _compared({"digest": frozen_report.get("digest")}, {"digest": replayed.get("digest")})
    found += _compared(flatten(frozen_report.get("figures", {}), "figures."),
                       flatten(replayed.get("figures", {}), "figures."))
    for part, key, value in (("towns", "town", "figures"), ("children", "code", "digest")):
        if part in frozen_report or part in replayed:
            found += _compared(_rows(frozen_report.get(part, []), part, key, value),
                               _rows(replayed.get(part, []), part, key, value))
    return found


def _rows(rows: list[dict[str, Any]], part: str, key: str, value: str) -> dict[str, Any]:
    """A list of rows (a town's, a child's) as figure path -> value, each row named by its code."""
    flat: dict[str, Any] = {}
    for row in rows:
        at = f"{part}[{row[key]}].{value}"
        flat |= flatten(row[value], f"{at}.") if isinstance(row[value], dict) else {at: row[value]}
    return flat


def _compared(frozen_flat: dict[str, Any], replayed_flat: dict[str, Any]) -> list[Difference]:
    return [Difference(figure=path, frozen=frozen_flat.get(path), replayed=replayed_flat.get(path))
            for path in sorted(frozen_flat.keys() | replayed_flat.keys())
            if type(frozen_flat.get(path)) is not type(replayed_flat.get(path))
            or frozen_flat.get(path) != replayed_flat.get(path)]
