"""Writing an offline audit bundle: a report as submitted, the events behind it, their proofs.

`audit/offline.py` checks such a bundle with no database and no service.
"""

import base64
from typing import Any

import asyncpg

from audit import checkpoints
from audit.signing import public_b64
from kernel import merkle
from projections.reports import Scope, frozen_version
from service.runtime import Runtime
from tenants.event_store import SCHEMA, events_table

FORMAT = "stations-audit-bundle-v1"


class NothingToExport(LookupError):
    pass


async def export(runtime: Runtime, district: str, period: str, version: str) -> dict[str, Any]:
    """The district's report as submitted (or approved), read on its server (the runtime
    `reading`), with every event behind it and its proof against the checkpoint that covers it."""
    async with (await runtime.own_reads.of_store(district)).acquire() as conn:
        return await _export(conn, runtime, runtime.scope(district, period), version)


async def _export(conn: asyncpg.Connection, runtime: Runtime, scope: Scope, version: str) -> dict[str, Any]:
    report = await frozen_version(conn, scope, "", version)
    if report is None:
        raise NothingToExport(f"district {scope.district} has no {version} report for {scope.period}")
    signed = report["signed_checkpoint"]
    if signed is None:
        raise NothingToExport(f"no signed checkpoint covers the {version} report yet")
    frozen = report["checkpoint"]["position"]
    positions = [r["position"] for r in await conn.fetch(
        "SELECT position FROM record_periods WHERE district = $1 AND period = $2 AND position <= $3"
        " ORDER BY position", scope.district, scope.period, frozen)]
    rows = await conn.fetch(
        f'SELECT notification_id, originator_id, originator_version, topic, state FROM {SCHEMA}.'
        f'"{events_table(scope.district)}" WHERE notification_id = ANY($1) ORDER BY notification_id', positions)
    chained = await checkpoints.leaves(conn, scope.district, signed["position"])
    leaves = [leaf for _, leaf, _ in chained]
    index_of = {position: i for i, (position, _, _) in enumerate(chained)}
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
            "index": index_of[row["notification_id"]],
            "proof": [h.hex() for h in merkle.inclusion_proof(leaves, index_of[row["notification_id"]])],
        } for row in rows],
    }

