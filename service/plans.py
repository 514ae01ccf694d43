"""Reading the districts' annual purchase plans: one district's, with every step it went
through, and every district's filing status for the city (their steps are `commands`')."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg

from domain.vocabulary import label
from kernel.clock import CST
from projections.connections import scoped
from service.callers import Caller
from service.queries import caught_up, on_each_server, read_pool, read_scope
from service.runtime import Runtime


def _at(value: Any) -> str | None:
    return value.astimezone(CST).isoformat() if value else None


def _status(row: Mapping[str, Any] | None) -> dict[str, Any]:
    status = row["status"] if row else None
    return {"status": status, "status_label": label("plan_status", status) if status else "未编制",
            "version": row["version"] if row else None, "filed_version": row["filed_version"] if row else None,
            "submitted_at": _at(row["submitted_at"]) if row else None,
            "filed_at": _at(row["filed_at"]) if row else None,
            "returned_reason": row["reason"] if row and status == "returned" else None}


async def district_plan(runtime: Runtime, caller: Caller, district: str, year: int, *,
                        min_position: int | None = None) -> dict[str, Any]:
    """The plan's current version and status, the version last filed (the one reports measure
    reality against) and every step it went through. A year with no plan has status None."""
    await caught_up(runtime, district, min_position)
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        row = await conn.fetchrow("SELECT * FROM plans WHERE district = $1 AND year = $2", district, year)
        steps = await conn.fetch("SELECT * FROM plan_steps WHERE district = $1 AND year = $2 ORDER BY position",
                                 district, year)
    decoded = None if row is None else {
        **dict(row), "content": json.loads(row["content"]),
        "filed_content": json.loads(row["filed_content"]) if row["filed_content"] else None}
    return {"district": district, "year": year, **plan_answer(decoded, steps)}


def plan_answer(row: Mapping[str, Any] | None, steps: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A plan's status, current and filed content and its steps, from its `plans` row (contents
    decoded) and `plan_steps` rows: as the read model holds them, or as a replay of its events
    folds them (`projections.states.plan_rows`)."""
    return {**_status(row), "current": row["content"] if row else None,
            "filed": row["filed_content"] if row else None,
            "history": [{"position": s["position"], "step": s["step"], "version": s["version"],
                         "record_id": s["record_id"], "actor": s["actor"], "actor_role": s["actor_role"],
                         "at": _at(s["at"]), "reason": s["reason"]} for s in steps]}


async def city_plans(runtime: Runtime, year: int) -> dict[str, Any]:
    """Every district's plan status for the year, and how many are in each status."""
    async def plans(conn: asyncpg.Connection, districts: list[str]) -> list[asyncpg.Record | None]:
        rows = {r["district"]: r for r in await conn.fetch(
            "SELECT * FROM plans WHERE year = $1 AND district = ANY($2::text[])", year, districts)}
        return [rows.get(code) for code in districts]

    divisions, today = runtime.tenants.divisions, runtime.today()
    rows = {row["district"]: row for row in await on_each_server(runtime, plans) if row is not None}
    listed = []
    for code in divisions.district_codes:
        version = divisions.district(code, today)
        listed.append({"district": code, "name": version.name if version else None, **_status(rows.get(code))})
    statuses = [d["status"] for d in listed]
    return {"year": year, "filed": statuses.count("filed"), "submitted": statuses.count("submitted"),
            "returned": statuses.count("returned"), "draft": statuses.count("draft"), "none": statuses.count(None),
            "districts": listed}
