"""What changes the logs: a batch of records, a report's and a plan's steps up the chain, the
city's report to the province. Each is recorded in one district's store (or the city's), by the
caller, through the request they made."""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import anyio
from anyio import to_thread

from audit import signer
from domain import records as r
from kernel.digest import figures_digest
from service import chain, queries
from service.callers import Caller
from service.runtime import Runtime
from tenants.stores import CITY
from writes.ledger import WriteResult


async def record_batch(runtime: Runtime, caller: Caller, district: str, records: Sequence[r.Record],
                       request_id: str, *, at: datetime | None = None) -> WriteResult:
    """Store every new record of the batch in one transaction, or none of them; a record sent
    again with the same id and content is a duplicate, stored once. Batches of one district that
    arrive together are saved together (`writes.batching`)."""
    ledger = runtime.tenants.opened_ledger(district) or await to_thread.run_sync(runtime.tenants.ledger, district)
    return await runtime.writes.record(ledger, records, runtime.context(district, caller, request_id, at=at))


async def check_batch(runtime: Runtime, caller: Caller, district: str, records: Sequence[r.Record],
                      request_id: str) -> None:
    """What `record_batch` would refuse of these records sent as one batch, however many: nothing is stored."""
    ledger = runtime.tenants.opened_ledger(district) or await to_thread.run_sync(runtime.tenants.ledger, district)
    await to_thread.run_sync(ledger.check, records, runtime.context(district, caller, request_id))


async def record_city_batch(runtime: Runtime, caller: Caller, records: Sequence[r.Record],
                            request_id: str) -> WriteResult:
    """The city's own records (its training sessions), in the city's store, as a district's batch."""
    return await record_batch(runtime, caller, CITY, records, request_id)


CHECKPOINT_LOOKS_EVERY = 0.05  # seconds between looks for the signer's checkpoint


async def checkpoint(runtime: Runtime, store: str, reason: str, position: int) -> dict[str, Any]:
    """Ask the signer to sign the store's log up to a report's step, so the report carries proof of
    what it stood on: the checkpoint once signed, or (the signer being slow or away) that it is
    pending and where it will be listed."""
    pool = await runtime.own_reads.of_store(store)  # the signer's requests are the service's to write
    async with pool.acquire() as conn:
        await signer.ask(conn, store, position, reason)
    with anyio.move_on_after(runtime.audit.checkpoint_wait):
        while True:
            async with pool.acquire() as conn:
                if (made := await signer.signed(conn, store, position)) is not None:
                    return made.as_json()
            await anyio.sleep(CHECKPOINT_LOOKS_EVERY)
    return {"district": store, "position": position, "reason": reason, "pending": True,
            "href": f"/v1/districts/{store}/audit/checkpoints?position={position}"}


def heads(runtime: Runtime, stores: Sequence[str]) -> dict[str, int]:
    """Each store's log head: the position of its last event (0 for an empty log)."""
    return {store: runtime.tenants.ledger(store).recorder.max_notification_id() or 0 for store in stores}


def with_digest(report: dict[str, Any]) -> dict[str, Any]:
    """The version as frozen, with the digest of its figures (docs/audit.md)."""
    return {**report, "digest": figures_digest(report["figures"])}


async def submit_report(runtime: Runtime, caller: Caller, district: str, period: str, town: str,
                        request_id: str, *, at: datetime | None = None,
                        incomplete_reason: str | None = None,
                        narrative: dict[str, str | None] | None = None) -> dict[str, Any]:
    """Freeze the figures at the log's head, then record the submission that carries them
    (`town` '' for the district's report to the city, once its towns are approved or
    `incomplete_reason` says why it goes without them) with the submitter's `narrative`."""
    chain.check_period_ended(period, at or runtime.now())
    if town:
        queries.known_town(runtime, district, town)
        queries.own_town(caller, town)
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)
    await to_thread.run_sync(ledger.check_can_submit, period, town)
    head = (await to_thread.run_sync(heads, runtime, [district]))[district]
    await queries.caught_up(runtime, district, head)
    report = await (queries.town_report(runtime, caller, district, period, town) if town
                    else queries.district_report(runtime, caller, district, period))
    if not town:
        missing = chain.children_first("towns", chain.unapproved_towns(report), incomplete_reason)
        report = {**await queries.at_the_cut(runtime, caller, district, period, report), **missing}
    who = runtime.provenance(caller, request_id, at=at)
    report = {**report, "narrative": narrative}
    position = await to_thread.run_sync(ledger.submit_report, period, town, head, with_digest(report), who)
    return {"period": period, "district": district, "town": town or None, "status": "submitted",
            "frozen_position": head, "position": position,
            "checkpoint": await checkpoint(runtime, district, "report_submitted", position)}


async def decide_report(runtime: Runtime, caller: Caller, district: str, period: str, town: str, request_id: str,
                        *, reason: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Approve the report (signing its log), or return it with `reason`."""
    if town:
        queries.known_town(runtime, district, town)
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)
    who = runtime.provenance(caller, request_id, at=at)
    if reason is None:
        position = await to_thread.run_sync(ledger.approve_report, period, town, who)
    else:
        position = await to_thread.run_sync(ledger.return_report, period, town, reason, who)
    answer = {"period": period, "district": district, "town": town or None,
              "status": "approved" if reason is None else "returned", "position": position}
    answer["checkpoint"] = await checkpoint(runtime, district, "report_approved" if reason is None
                                            else "report_returned", position)
    return answer


async def submit_city_report(runtime: Runtime, caller: Caller, period: str, request_id: str, *,
                             at: datetime | None = None, incomplete_reason: str | None = None,
                             narrative: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The city's report to the province, once its districts are approved (or
    `incomplete_reason` says why it goes without them), with the city's `narrative`."""
    chain.check_period_ended(period, at or runtime.now())
    ledger = await to_thread.run_sync(runtime.tenants.ledger, CITY)
    await to_thread.run_sync(ledger.check_can_submit, period, "")
    # The districts' approvals are read from their projections: each first at its log's head.
    districts = await to_thread.run_sync(heads, runtime, runtime.tenants.divisions.district_codes)
    await asyncio.gather(*(queries.caught_up(runtime, d, head) for d, head in districts.items() if head))
    report, blocking = await queries.city_at_the_cut(runtime, period)
    report = {**report, **chain.children_first("districts", blocking, incomplete_reason), "narrative": narrative}
    who = runtime.provenance(caller, request_id, at=at)
    position = await to_thread.run_sync(ledger.submit_report, period, "", 0, with_digest(report), who)
    return {"period": period, "status": "submitted", "position": position,
            "checkpoint": await checkpoint(runtime, CITY, "report_submitted", position)}


async def decide_city_report(runtime: Runtime, caller: Caller, period: str, request_id: str, *,
                             reason: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """The province approves the city's submitted report (signing the city's log), or returns it
    with `reason`; either is recorded in the city's store."""
    answer = await decide_report(runtime, caller, CITY, period, "", request_id, reason=reason, at=at)
    return {key: value for key, value in answer.items() if key not in ("district", "town")}


# -- purchase plans ---------------------------------------------------------------------------

async def plan_step(runtime: Runtime, caller: Caller, district: str, year: int, step: str, request_id: str,
                    *, reason: str | None = None) -> dict[str, Any]:
    """The year's plan submitted by its district, or filed or returned (with `reason`) by the city."""
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)
    who = runtime.provenance(caller, request_id)
    if step == "submit":
        position = await to_thread.run_sync(ledger.submit_plan, year, who)
    elif step == "file":
        position = await to_thread.run_sync(ledger.file_plan, year, who)
    else:
        position = await to_thread.run_sync(ledger.return_plan, year, reason, who)
    plan = await to_thread.run_sync(ledger.plan, year)
    return {"district": district, "year": year, "status": plan.status, "version": plan.plan_version,
            "filed_version": plan.filed_version, "position": position}
