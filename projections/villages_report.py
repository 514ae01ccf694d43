"""The villages a report's `by_village` names, and the district's register of them.

`by_village` is keyed by what each service counted under (`ServiceDelivery.Delivered.village_key`):
a registered village's code, or, for a service of a town with no register on its day (such as
one recorded before the register), the free text it gave. This section names every key: a code
by its village's name at the cutoff, a text as unregistered, with the registered village its
spelling matches at the cutoff, if any, so that a reader can map old text without the figures
ever adding two keys together (a person served under both would be counted twice).
"""

import json
from datetime import date
from typing import Any

import asyncpg

from domain.villages import spelling


def _current(versions: list[asyncpg.Record], cutoff: date) -> asyncpg.Record:
    """The version in force at the cutoff, else the latest one begun by then, else the first."""
    begun = [v for v in versions if v["valid_from"] <= cutoff]
    in_force = [v for v in begun if v["valid_to"] is None or v["valid_to"] >= cutoff]
    return (in_force or begun or versions)[-1]


def villages_section(registered: list[asyncpg.Record], services: list[asyncpg.Record], cutoff: date,
                     town: str | None) -> dict[str, Any]:
    by_code: dict[str, list[asyncpg.Record]] = {}
    for version in registered:  # ordered by code, then by the day each version begins
        if town is None or version["town"] == town:
            by_code.setdefault(version["village"], []).append(version)
    current = {code: _current(versions, cutoff) for code, versions in by_code.items()}
    in_force = {code: v for code, v in current.items()
                if v["valid_from"] <= cutoff and (v["valid_to"] is None or v["valid_to"] >= cutoff)}
    spelled = {(v["town"], spelling(t)): code for code, v in in_force.items()
               for t in (v["name"], *json.loads(v["aliases"]))}
    keys = sorted({(row["town"], row["key"]) for row in services
                   if row["dim"] == "village" and row["town"] and (town is None or row["town"] == town)})
    named = []
    for place, key in keys:
        if key in current:
            named.append({"key": key, "town": place, "name": current[key]["name"], "registered": True, "village": key})
        else:
            named.append({"key": key, "town": place, "name": key, "registered": False,
                          "village": spelled.get((place, spelling(key)))})
    return {"registered": [{"village": code, "town": v["town"], "name": v["name"], "kind": v["kind"],
                            "valid_from": v["valid_from"].isoformat(),
                            "valid_to": v["valid_to"].isoformat() if v["valid_to"] else None,
                            "aliases": json.loads(v["aliases"])} for code, v in in_force.items()],
            "by_village": named}
