"""District annual purchase plans and the city's oversight (guide, section 四).

A district drafts its plan as a `purchase_plan_drafted` record (`POST .../records`), submits it
here, and the city files (备案) or returns it, as the reporting chain does with reports: each step
is an event in the district's store, the city's steps recorded with the city as actor. The
city's own records (its training sessions) go to the city's store through `POST /v1/city/records`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.deps import DistrictDep, KnownDistrict, RequestIdDep, RuntimeDep, allow
from api.records import RecordOutcome, WriteAnswer
from api.reports import AsOf, CityReader, CityWriter, DistrictReader, DistrictWriter, MinPosition, Reason
from domain.records import CityRecordBatch
from service import commands, plans, states
from service.callers import Caller, Role

router = APIRouter(tags=["plans 购买计划与市级监管"])

Year = Annotated[int, Path(ge=2000, le=2099, examples=[2025], description="the plan's year")]


# -- a district's plan -------------------------------------------------------------------------

@router.get("/v1/districts/{district}/plans/{year}", summary="区年度购买计划 / A district's annual purchase plan")
async def get_district_plan(district: DistrictDep, year: Year, caller: DistrictReader, runtime: RuntimeDep,
                            min_position: MinPosition = None, as_of: AsOf = None) -> dict[str, Any]:
    """The plan's current version and status, the version last filed (the one reports measure
    reality against) and every step it went through. A year with no plan answers status null.
    With `as_of`, the plan as it stood then, replayed from its events in the district's log, with
    the log `position` and the signed `checkpoint` covering it (issue 38)."""
    if as_of is not None:
        return await states.plan(runtime, caller, district, year, as_of)
    return await plans.district_plan(runtime, caller, district, year, min_position=min_position)


@router.post("/v1/districts/{district}/plans/{year}/submit",
             summary="报市备案 / Submit the year's plan to the city for filing")
async def submit_plan(district: DistrictDep, year: Year, caller: DistrictWriter, runtime: RuntimeDep,
                      request_id: RequestIdDep) -> dict[str, Any]:
    return await commands.plan_step(runtime, caller, district, year, "submit", request_id)


# -- the city ---------------------------------------------------------------------------------

@router.get("/v1/city/plans/{year}", summary="各区购买计划备案情况 / Every district's plan and its filing status")
async def get_city_plans(year: Year, _: CityReader, runtime: RuntimeDep) -> dict[str, Any]:
    return await plans.city_plans(runtime, year)


@router.post("/v1/city/plans/{year}/districts/{district}/file", summary="备案区购买计划 / File a district's plan")
async def file_plan(year: Year, caller: CityWriter, district: KnownDistrict, runtime: RuntimeDep,
                    request_id: RequestIdDep) -> dict[str, Any]:
    return await commands.plan_step(runtime, caller, district, year, "file", request_id)


@router.post("/v1/city/plans/{year}/districts/{district}/return",
             summary="退回区购买计划 / Return a district's plan")
async def return_plan(year: Year, caller: CityWriter, district: KnownDistrict, runtime: RuntimeDep,
                      request_id: RequestIdDep, reason: Reason) -> dict[str, Any]:
    return await commands.plan_step(runtime, caller, district, year, "return", request_id, reason=reason)


CityRecorder = Annotated[Caller, Depends(allow(Role.city))]


@router.post("/v1/city/records", response_model=WriteAnswer,
             summary="市级记录（培训）/ Record a batch of the city's own records (training)")
async def post_city_records(batch: CityRecordBatch, caller: CityRecorder, runtime: RuntimeDep,
                            request_id: RequestIdDep) -> WriteAnswer:
    """The city's records, in the city's own store, with the conventions of a district's batch:
    1 to 1000 records, atomic, idempotent by id, every bad record listed."""
    written = await commands.record_city_batch(runtime, caller, batch.records, request_id)
    return WriteAnswer(results=[RecordOutcome(id=r.id, status=r.status, position=r.position) for r in written.results],
                       position=written.position)
