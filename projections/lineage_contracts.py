"""From a figure to the procurement behind it: each lineage record's project with its contract, as
its `project_contracted` event holds it, and the item of the district's filed purchase plan it was
bought under (`../shared/API.md`, "Provable reports").

A plan item and a contract are one project when they carry the same project id: the plan names the
id its contract will carry (`domain.duty_records.PlannedProject.project`).
"""

import json
from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper

from projections.event_log import EVENT_COLUMNS, describe
from projections.periods import bounds
from projections.reports import Scope
from tenants.stores import chain_table, events_table, records_table


async def with_contracts(conn: asyncpg.Connection, scope: Scope, traced: dict[str, Any],
                         mapper: Mapper) -> dict[str, Any]:
    """The lineage `traced`, each record with `contract` and `plan_item` (null for a record of no
    project, a project with no standing contract, or one the filed plan of the period's year lacks)."""
    projects = sorted({p for e in traced["events"] if isinstance(p := e["payload"].get("project"), str)})
    contracts = await _contracts(conn, scope, projects, mapper) if projects else {}
    planned = await _filed_items(conn, scope) if projects else {}
    return {**traced, "events": [{**e, "contract": contracts.get(e["payload"].get("project")),
                                  "plan_item": planned.get(e["payload"].get("project"))} for e in traced["events"]]}


async def _contracts(conn: asyncpg.Connection, scope: Scope, projects: list[str], mapper: Mapper) -> dict[str, Any]:
    """Each project's standing contract, read from its event (the record the projects table names)."""
    d = scope.district
    rows = await conn.fetch(
        f"SELECT {EVENT_COLUMNS} FROM reports.projects p"
        f' JOIN {records_table(d)} r ON r.record_id = p.record_id'
        f' JOIN {events_table(d)} e ON e.originator_id = r.stream_id AND e.originator_version = r.stream_version'
        f' JOIN {chain_table(d)} c ON c.position = e.notification_id'
        " WHERE p.district = $1 AND p.project = ANY($2::text[])", d, projects)
    found = {}
    for row in rows:
        event = describe(row, mapper)
        found[event["payload"]["project"]] = _contract(scope, event)
    return found


def _contract(scope: Scope, event: dict[str, Any]) -> dict[str, Any]:
    """The contract as an auditor reads it: who bought what from whom, how, for how much, when, from which funds."""
    c, end = event["payload"], bounds(scope.period)[1]
    by_town = c["purchaser_kind"] == "town_government"
    code = c.get("town") if by_town else scope.district
    division = (scope.divisions.town(code, end) if by_town else scope.divisions.district(code, end)) if code else None
    return {"project": c["project"], "name": c["name"], "record_id": event["record_id"], "position": event["position"],
            "role": c["role"], "town": c.get("town"), "towns": c.get("towns"),
            "purchaser": {"code": code, "name": division.name if division else None},
            "purchaser_kind": c["purchaser_kind"],
            "provider": {"name": c["provider"]["name"], "kind": c["provider"]["kind"],
                         "credit_code": c["provider"].get("credit_code")},
            "method": c["method"], "amount": c["amount"],
            "term": {"start": c["contract_start"], "end": c["contract_end"]},
            "fund_lines": [{"source": f["source"], "level": f.get("level", "own"), "amount": f["amount"]}
                           for f in c["funds"]]}


async def _filed_items(conn: asyncpg.Connection, scope: Scope) -> dict[str, Any]:
    """The items of the district's plan last filed for the period's year, by project, each with the
    plan's year and filed version."""
    row = await conn.fetchrow("SELECT year, filed_version, filed_content FROM reports.plans"
                              " WHERE district = $1 AND year = $2", scope.district, int(scope.period[:4]))
    if row is None or row["filed_content"] is None:
        return {}
    plan = {"year": row["year"], "filed_version": row["filed_version"]}
    return {item["project"]: {**item, "plan": plan} for item in json.loads(row["filed_content"])["projects"]}
