"""A restatement: a report as submitted (or approved) against the report now, figure by figure,
with the later events that explain each difference."""

from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper

from projections.lineage import period_events, trace, traceable
from projections.reports import Scope, district_report, frozen_version, town_report


def flatten(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= flatten(value, f"{path}.")
        else:
            flat[path] = value
    return flat


async def restatement(conn: asyncpg.Connection, scope: Scope, town: str, version: str,
                      mapper: Mapper) -> dict[str, Any] | None:
    frozen = await frozen_version(conn, scope, town, version)
    if frozen is None:
        return None
    now = await (town_report(conn, scope, town) if town else district_report(conn, scope))
    before, after = flatten(frozen["figures"]), flatten(now["figures"])
    changed = [path for path in after if before.get(path) != after[path]]
    position = frozen["checkpoint"]["position"]
    events = await period_events(conn, scope, town or None, mapper) if changed else []
    differences = []
    for path in changed:
        difference = {"figure": path, "from": before.get(path), "to": after[path]}
        if traceable(path):
            difference["events"] = trace(events, path, mapper, after=position)["events"]
        differences.append(difference)
    return {"period": scope.period, "district": scope.district, "town": town or None, "version": version,
            "from_position": position, "to_position": now["checkpoint"]["position"], "differences": differences}
