"""A district's report at the cut of its towns' approved versions (`../shared/API.md`, "The chain
composes"): for each town, its events at or below the position its approved version froze.

The additive figures are the sums of the towns' approved figures (the count of projects is the
district's own, as in its live report); `recipients`, in every cell,
is counted again over exactly the services of the cut (a person served in two towns counts once),
from the events themselves: the report tables hold each recipient's services of now, not of a cut.
"""

import json
from collections import defaultdict
from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper

from kernel.digest import figures_digest

from audit import checkpoints
from domain.events import RecordKeeping
from domain.service import ServiceDelivery
from projections.cut_sections import sections_at_the_cut
from projections.event_log import stored_event
from projections.figures import add
from projections.periods import month_of
from projections.reports import district_reports
from tenants.stores import events_table

# A report's service cells by group, and what a service counts under in each.
_GROUPS = {"by_domain": lambda e: e.domain, "by_recipient_category": lambda e: e.recipient_category,
           "by_service_type": lambda e: e.service_type, "by_month": lambda e: month_of(e.occurred_on),
           "by_village": lambda e: e.village_key}
# Not a sum over towns: a district purchase for several towns counts in each, and once in the district.
DISTRICT_OWN = ("projects",)


async def approved_towns(conn: asyncpg.Connection, district: str, period: str) -> dict[str, dict[str, Any]]:
    """Each town's approved version: the position it froze, the report it froze, and the
    district's checkpoint covering it."""
    rows = await conn.fetch("SELECT town, position, figures FROM report_versions WHERE district = $1"
                            " AND period = $2 AND town <> '' AND version = 'approved'", district, period)
    return {row["town"]: {"position": row["position"], "report": json.loads(row["figures"]),
                          "checkpoint": await _covering(conn, district, row["position"])} for row in rows}


async def _covering(conn: asyncpg.Connection, store: str, position: int) -> dict[str, Any] | None:
    """The store's first checkpoint covering `position`; None while none is signed yet (the
    signer may be behind: the version records what is there)."""
    signed = await checkpoints.covering(conn, store, position)
    return {"tree_size": signed.tree_size, "root": signed.root.hex()} if signed else None


def child(code: str, position: int, report: dict[str, Any], checkpoint: dict[str, Any] | None) -> dict[str, Any]:
    """A child's approved version as its parent's version records it."""
    return {"code": code, "version": "approved", "position": position, "digest": figures_digest(report["figures"]),
            "checkpoint": checkpoint}


async def cut_services(conn: asyncpg.Connection, district: str, period: str, cut: dict[str, int],
                       mapper: Mapper) -> list[ServiceDelivery.Delivered]:
    """The period's services of the cut that stand there: each town's services at or below its
    position, less those voided at or below it."""
    if not cut:
        return []
    towns, positions = zip(*cut.items(), strict=True)
    rows = await conn.fetch(
        f'SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state'
        f' FROM record_periods p JOIN unnest($3::text[], $4::bigint[]) AS c (town, position)'
        f' ON c.town = p.town AND p.position <= c.position'
        f' JOIN {events_table(district)} e ON e.notification_id = p.position'
        f" WHERE p.district = $1 AND p.period = $2 AND p.record_type IN ('service_delivered', 'record_voided')"
        f' ORDER BY e.notification_id', district, period, list(towns), list(positions))
    services: dict[str, ServiceDelivery.Delivered] = {}
    voided: set[str] = set()
    for row in rows:
        event = mapper.to_domain_event(stored_event(row))
        if isinstance(event, ServiceDelivery.Delivered):
            services[event.record_id] = event
        elif isinstance(event, RecordKeeping.RecordVoided):
            voided.add(event.record)
    return [service for record_id, service in services.items() if record_id not in voided]


def cut_figures(approved: list[dict[str, Any]], services: list[ServiceDelivery.Delivered]) -> dict[str, Any]:
    """The sum of the towns' approved figures, with `recipients` distinct over the cut's services."""
    figures: dict[str, Any] = {}
    for town_figures in approved:
        figures = add(figures, town_figures)
    if not figures:
        return figures
    figures["recipients"] = len({s.recipient_ref for s in services})
    for group, key_of in _GROUPS.items():
        distinct: dict[str, set[str]] = defaultdict(set)
        for service in services:
            distinct[key_of(service)].add(service.recipient_ref)
        for key, cell in figures.get(group, {}).items():
            cell["recipients"] = len(distinct.get(key, ()))
    return figures


def zeroed(figures: Any) -> Any:
    """The figures' shape with nothing in it: a town outside the cut counts nothing."""
    if isinstance(figures, dict):
        return {key: zeroed(value) for key, value in figures.items()}
    if isinstance(figures, str):
        return "0.00" if "." in figures else figures
    return 0 if isinstance(figures, int) else figures


async def earlier_children(conn: asyncpg.Connection, district: str, period: str) -> list[dict[str, Any]] | None:
    """The children of the district's last submitted version, if it has one (None: a first submission)."""
    text = await conn.fetchval("SELECT figures FROM report_versions WHERE district = $1 AND period = $2"
                               " AND town = '' AND version = 'submitted'", district, period)
    return None if text is None else json.loads(text).get("children", [])


def at_the_cut(report: dict[str, Any], approved: dict[str, dict[str, Any]],
               services: list[ServiceDelivery.Delivered], earlier: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The district's report as its submission freezes it: its towns' rows from their approved
    versions (a town without one counts nothing), its figures at the cut, the cut itself; submitted
    again, each child says whether it `changed` since the `earlier` version."""
    towns = []
    for row in report["towns"]:
        version = approved.get(row["town"])
        if version is None:
            towns.append({**row, "figures": zeroed(row["figures"])})
        else:
            towns.append({**row, **{key: version["report"][key] for key in row if key in version["report"]}})
    figures = cut_figures([approved[t]["report"]["figures"] for t in sorted(approved)], services)
    summed = {**report["figures"], **figures} if figures else zeroed(report["figures"])
    return {**report, **sections_at_the_cut(report, {town: v["report"] for town, v in approved.items()}),
            "towns": towns, "figures": {**summed, **{key: report["figures"][key] for key in DISTRICT_OWN}},
            "cut": {town: approved[town]["position"] for town in sorted(approved)},
            "children": _compared([child(town, v["position"], v["report"], v["checkpoint"])
                                   for town, v in sorted(approved.items())], earlier)}


def _compared(children: list[dict[str, Any]], earlier: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if earlier is None:
        return children
    before = {c["code"]: c["position"] for c in earlier}
    return [{**c, "changed": before.get(c["code"]) != c["position"]} for c in children]


async def approved_districts(conn: asyncpg.Connection, scopes: list[Any]) -> list[dict[str, Any]]:
    """Each district as the city's submission takes it: its approved version (its status now), or,
    without one, its report now counting nothing; `stations_now` its stations in the period now."""
    if not scopes:
        return []
    rows = await conn.fetch("SELECT district, position, figures FROM report_versions WHERE district = ANY($1::text[])"
                            " AND period = $2 AND town = '' AND version = 'approved'",
                            [s.district for s in scopes], scopes[0].period)
    approved = {row["district"]: (row["position"], json.loads(row["figures"])) for row in rows}
    parts = []
    for live in await district_reports(conn, scopes):
        found, stations = approved.get(live["district"]), live["figures"]["stations"]
        if found is None:
            parts.append({**live, "figures": zeroed(live["figures"]), "stations_now": stations})
        else:
            position, report = found
            signed = await _covering(conn, live["district"], position)
            parts.append({**report, "status": live["status"], "stations_now": stations,
                          "child": child(live["district"], position, report, signed)})
    return parts


async def stale_children(conn: asyncpg.Connection, district: str, period: str,
                         version: dict[str, Any]) -> list[dict[str, Any]]:
    """The towns whose approved version is no longer the one the district's `version` took: returned
    or submitted again since, approved again at another position, or approved since it went
    without them; each with what the version took and what stands now."""
    rows = await conn.fetch(
        "SELECT s.town AS code, s.status, v.position, v.figures FROM report_states s LEFT JOIN report_versions v"
        " ON v.district = s.district AND v.period = s.period AND v.town = s.town AND v.version = 'approved'"
        " WHERE s.district = $1 AND s.period = $2 AND s.town <> '' ORDER BY s.town", district, period)
    return stale(rows, version)


async def standing_districts(conn: asyncpg.Connection, scopes: list[Any]) -> list[asyncpg.Record]:
    """Each district's own report as it stands now: its status, and its approved version if any
    (a row per district that has a status), as `stale` reads them."""
    return await conn.fetch(
        "SELECT s.district AS code, s.status, v.position, v.figures FROM report_states s LEFT JOIN report_versions v"
        " ON v.district = s.district AND v.period = s.period AND v.town = s.town AND v.version = 'approved'"
        " WHERE s.district = ANY($1::text[]) AND s.period = $2 AND s.town = '' ORDER BY s.district",
        [scope.district for scope in scopes], scopes[0].period) if scopes else []


def stale(rows: list[asyncpg.Record], version: dict[str, Any]) -> list[dict[str, Any]]:
    """The children (`rows`: code, status, approved position and figures now) whose approved
    version is no longer the one `version` took, with what it took and what stands now."""
    took = {c["code"]: c for c in version.get("children", [])}
    found = []
    for row in rows:
        was, approved = took.get(row["code"]), row["status"] == "approved"
        if (was is None and not approved) or (was is not None and approved and row["position"] == was["position"]):
            continue
        now = {"status": row["status"], "position": row["position"] if approved else None,
               "digest": figures_digest(json.loads(row["figures"])["figures"]) if approved else None}
        found.append({"code": row["code"], "took": {key: was[key] for key in ("position", "digest")} if was else None,
                      "now": now})
    return found
