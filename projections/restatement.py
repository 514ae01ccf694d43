"""A restatement: a report as submitted (or approved) against the report now, figure by figure,
with the later events that explain each difference."""

from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper

from projections.lineage import period_events, trace, traceable
from projections.reports import Scope


def flatten(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= flatten(value, f"{path}.")
        else:
            flat[path] = value
    return flat


async def compare(conn: asyncpg.Connection, scope: Scope, town: str, earlier: dict[str, Any],
                  later: dict[str, Any], mapper: Mapper) -> dict[str, Any]:
    """Every figure that differs between two readings of a report, with the events recorded
    between their positions that explain each difference."""
    start, end = earlier["checkpoint"]["position"], later["checkpoint"]["position"]
    before, after = flatten(earlier["figures"]), flatten(later["figures"])
    changed = [path for path in after if before.get(path) != after[path]]
    events = await period_events(conn, scope, town or None, mapper) if changed else []
    differences = []
    for path in changed:
        difference = {"figure": path, "from": before.get(path), "to": after[path]}
        if traceable(path):
            difference["events"] = trace(events, path, mapper, after=start, until=end)["events"]
        differences.append(difference)
    return {"period": scope.period, "district": scope.district, "town": town or None,
            "from_position": start, "to_position": end, "differences": differences}
