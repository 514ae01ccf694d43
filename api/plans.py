"""District annual purchase plans and the city's oversight (guide, section 四).

A district drafts its plan as a `purchase_plan_drafted` record (`POST .../records`), submits it
here, and the city files (备案) or returns it, as the reporting chain does with reports: each step
is an event in the district's store, the city's steps recorded with the city as actor. The
city's own records (its training sessions) go to the city's store through `POST /v1/city/records`.
"""

import json
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool

from api.auth import Caller, Role
from api.deps import (
    ALL_DISTRICTS, DistrictDep, ProgressDep, ReadPoolDep, ReadScopeDep, RequestIdDep, RuntimeDep, allow,
    scoped_connection,
)
from api.records import RecordOutcome, WriteAnswer
from api.reports import (
    CityReader, CityWriter, DistrictReader, DistrictWriter, KnownDistrict, MinPosition, Reason, caught_up, provenance,
)
from domain.decisions import Context
from domain.records import CityRecordBatch
from domain.vocabulary import label
from kernel import clock
from service.runtime import Runtime
from tenants.event_store import CITY

router = APIRouter(tags=["plans 购买计划与市级监管"])

Year = Annotated[int, Path(ge=2000, le=2099, examples=[2025], description="the plan's year")]


def _at(value: Any) -> str | None:
    return value.astimezone(clock.CST).isoformat() if value else None


def _status(row: asyncpg.Record | None) -> dict[str, Any]:
    status = row["status"] if row else None
    return {"status": status, "status_label": label("plan_status", status) if status else "未编制",
            "version": row["version"] if row else None, "filed_version": row["filed_version"] if row else None,
            "submitted_at": _at(row["submitted_at"]) if row else None,
            "filed_at": _at(row["filed_at"]) if row else None,
            "returned_reason": row["reason"] if row and status == "returned" else None}


async def read_plan(conn: asyncpg.Connection, district: str, year: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM plans WHERE district = $1 AND year = $2", district, year)
    steps = await conn.fetch("SELECT * FROM plan_steps WHERE district = $1 AND year = $2 ORDER BY position",
                             district, year)
    return {"district": district, "year": year, **_status(row),
            "current": json.loads(row["content"]) if row else None,
            "filed": json.loads(row["filed_content"]) if row and row["filed_content"] else None,
            "history": [{"position": s["position"], "step": s["step"], "version": s["version"],
                         "record_id": s["record_id"], "actor": s["actor"], "actor_role": s["actor_role"],
                         "at": _at(s["at"]), "reason": s["reason"]} for s in steps]}


async def step_answer(runtime: Runtime, district: str, year: int, position: int) -> dict[str, Any]:
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)
    plan = await run_in_threadpool(ledger.plan, year)
    return {"district": district, "year": year, "status": plan.status, "version": plan.plan_version,
            "filed_version": plan.filed_version, "position": position}


# -- a district's plan -------------------------------------------------------------------------

@router.get("/v1/districts/{district}/plans/{year}", summary="区年度购买计划 / A district's annual purchase plan")
async def get_district_plan(district: DistrictDep, year: Year, _: DistrictReader, pool: ReadPoolDep,
                            read_scope: ReadScopeDep, progress: ProgressDep,
                            min_position: MinPosition = None) -> dict[str, Any]:
    """The plan's current version and status, the version last filed (the one reports measure
    reality against) and every step it went through. A year with no plan answers status null."""
    if min_position is not None:
        await caught_up(progress, district, min_position)
    async with scoped_connection(pool, read_scope) as conn:
        return await read_plan(conn, district, year)


@router.post("/v1/districts/{district}/plans/{year}/submit",
             summary="报市备案 / Submit the year's plan to the city for filing")
async def submit_plan(district: DistrictDep, year: Year, caller: DistrictWriter, runtime: RuntimeDep,
                      request_id: RequestIdDep) -> dict[str, Any]:
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)
    position = await run_in_threadpool(ledger.submit_plan, year, provenance(caller, request_id))
    return await step_answer(runtime, district, year, position)


# -- the city ---------------------------------------------------------------------------------

@router.get("/v1/city/plans/{year}", summary="各区购买计划备案情况 / Every district's plan and its filing status")
async def get_city_plans(year: Year, _: CityReader, runtime: RuntimeDep, pool: ReadPoolDep) -> dict[str, Any]:
    districts = runtime.tenants.divisions.district_codes
    async with scoped_connection(pool, ALL_DISTRICTS) as conn:
        rows = {r["district"]: r for r in await conn.fetch("SELECT * FROM plans WHERE year = $1", year)}
    today = clock.today()
    listed = []
    for code in districts:
        version = runtime.tenants.divisions.district(code, today)
        listed.append({"district": code, "name": version.name if version else None, **_status(rows.get(code))})
    statuses = [d["status"] for d in listed]
    return {"year": year, "filed": statuses.count("filed"), "submitted": statuses.count("submitted"),
            "returned": statuses.count("returned"), "draft": statuses.count("draft"), "none": statuses.count(None),
            "districts": listed}


@router.post("/v1/city/plans/{year}/districts/{district}/file", summary="备案区购买计划 / File a district's plan")
async def file_plan(year: Year, caller: CityWriter, district: KnownDistrict, runtime: RuntimeDep,
                    request_id: RequestIdDep) -> dict[str, Any]:
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)
    position = await run_in_threadpool(ledger.file_plan, year, provenance(caller, request_id))
    return await step_answer(runtime, district, year, position)


@router.post("/v1/city/plans/{year}/districts/{district}/return",
             summary="退回区购买计划 / Return a district's plan")
async def return_plan(year: Year, caller: CityWriter, district: KnownDistrict, runtime: RuntimeDep,
                      request_id: RequestIdDep, reason: Reason) -> dict[str, Any]:
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)
    position = await run_in_threadpool(ledger.return_plan, year, reason, provenance(caller, request_id))
    return await step_answer(runtime, district, year, position)


CityRecorder = Annotated[Caller, Depends(allow(Role.city))]


@router.post("/v1/city/records", response_model=WriteAnswer,
             summary="市级记录（培训）/ Record a batch of the city's own records (training)")
def post_city_records(batch: CityRecordBatch, caller: CityRecorder, runtime: RuntimeDep,
                      request_id: RequestIdDep) -> WriteAnswer:
    """The city's records, in the city's own store, with the conventions of a district's batch:
    1 to 1000 records, atomic, idempotent by id, every bad record listed."""
    ctx = Context(district=CITY, divisions=runtime.tenants.divisions, today=clock.today(),
                  provenance=provenance(caller, request_id))
    written = runtime.tenants.ledger(CITY).record(batch.records, ctx)
    return WriteAnswer(results=[RecordOutcome(id=r.id, status=r.status, position=r.position) for r in written.results],
                       position=written.position)

