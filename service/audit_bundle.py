"""Writing an offline audit bundle: a report as submitted (or approved) and every event of the
district's log up to the signed checkpoint covering it (docs/audit.md, "The offline bundle"); the
city's, with a district bundle for each district its version took ("The city bundle").

`audit/offline.py` checks such a bundle with no database and no service: it recomputes the
checkpoint's root from all the events, so an event left out or changed is seen, and every figure
of the report from them.
"""

import asyncio
import base64
from typing import Any

import asyncpg

from audit import checkpoints
from audit.signing import public_b64
from domain.events import stream_id
from projections.reports import Scope, frozen_version
from service.runtime import Runtime
from tenants.stores import CITY, events_table

FORMAT = "stations-audit-bundle-v2"
CITY_FORMAT = "stations-city-bundle-v1"
_TOPICS = {"submitted": ["domain.report:Report.Opened", "domain.report:Report.Submitted"],
           "approved": ["domain.report:Report.Approved"]}


class NothingToExport(LookupError):
    pass


async def export(runtime: Runtime, district: str, period: str, version: str) -> dict[str, Any]:
    """The district's report as submitted (or approved), read on its server (the runtime
    `reading`), with every event of its log up to the checkpoint that covers it."""
    async with (await runtime.own_reads.of_store(district)).acquire() as conn:
        return await _export(conn, runtime, runtime.scope(district, period), version)


async def export_city(runtime: Runtime, period: str, version: str) -> dict[str, Any]:
    """The city's report as submitted (or approved) with its log up to the checkpoint covering it,
    and for each district its version took (`children`), that district's approved bundle, read on
    the district's own server (the districts at once)."""
    async with (await runtime.own_reads.of_store(CITY)).acquire() as conn:
        city = await _export(conn, runtime, runtime.scope(CITY, period), version)
    children = [child["code"] for child in city["report"].get("children", [])]
    try:
        districts = await asyncio.gather(*(export(runtime, code, period, "approved") for code in children))
    except NothingToExport as exc:  # the district's approved version was returned since the city took it
        raise NothingToExport(f"a district the city's {version} report took cannot be exported: {exc}") from None
    return {**city, "format": CITY_FORMAT, "districts": list(districts)}


async def _export(conn: asyncpg.Connection, runtime: Runtime, scope: Scope, version: str) -> dict[str, Any]:
    report = await frozen_version(conn, scope, "", version)
    if report is None:
        who = "the city" if scope.district == CITY else f"district {scope.district}"
        raise NothingToExport(f"{who} has no {version} report for {scope.period}")
    # The report's own checkpoint covers the position it froze; the bundle's must cover the event
    # that froze it too, so the verifier finds the version in the signed log.
    step = await conn.fetchval(
        f'SELECT max(notification_id) FROM {events_table(scope.district)}'
        f" WHERE originator_id = $1 AND topic = ANY($2::text[])",
        stream_id(scope.district, "report", f"{scope.period}/district"), _TOPICS[version])
    found = None if step is None else await checkpoints.covering(conn, scope.district, step)
    if found is None:
        raise NothingToExport(f"no signed checkpoint covers the {version} report yet")
    signed = found.as_json()
    rows = await conn.fetch(
        f'SELECT notification_id, originator_id, originator_version, topic, state FROM'
        f' {events_table(scope.district)} WHERE notification_id <= $1 ORDER BY notification_id', signed["position"])
    chained = await checkpoints.leaves(conn, scope.district, signed["position"])
    return {
        "format": FORMAT,
        "district": scope.district,
        "period": scope.period,
        "version": version,
        "report": report,
        "checkpoint": signed,
        "public_key": public_b64(runtime.keyring()[signed["key_id"]]),
        "events": [{
            "position": row["notification_id"],
            "stream": str(row["originator_id"]),
            "version": row["originator_version"],
            "topic": row["topic"],
            "state": base64.b64encode(bytes(row["state"])).decode(),
            "index": index,
            "leaf": leaf.hex(),
        } for index, (row, (_, leaf, _)) in enumerate(zip(rows, chained, strict=True))],
    }

