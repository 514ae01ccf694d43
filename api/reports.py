"""Reading the half-year reports and moving them up the chain (`../shared/API.md`): each route
its dependencies, one call of the service (`service.queries`, `service.commands`), the answer."""

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, ConfigDict

from api.deps import (
    AuditedRead, CallerDep, DistrictDep, KnownDistrict, RequestIdDep, RuntimeDep, allow,
)
from domain.values import PERIOD_PATTERN, POSITION_MAX, TOWN_PATTERN, text
from service import commands, queries, replay
from service.callers import Caller, Role
from service.queries import CityReport, DistrictReport, TownReport

router = APIRouter(tags=["reports 报表"])

Period = Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2025H1"], description="a half year, 20YYH1 or 20YYH2")]
TownCode = Annotated[str, Path(pattern=TOWN_PATTERN, examples=["350203001"])]
TownQuery = Annotated[str | None, Query(pattern=TOWN_PATTERN)]
Version = Annotated[Literal["submitted", "approved"] | None,
                    Query(description="the report exactly as it was submitted or approved")]
MinPosition = Annotated[int | None, Query(ge=0, le=POSITION_MAX, description="wait (up to 10 s) until projections reach it")]


def _positions_in_range(pairs: str | None) -> str | None:
    if pairs and any(int(pair.rpartition(":")[2]) > POSITION_MAX for pair in pairs.split(",")):
        raise ValueError(f"位置不得大于 {POSITION_MAX} / a position is at most {POSITION_MAX}")
    return pairs


# Positions of 1 to 19 digits, each a bigint: a number of thousands of digits is a 422, never a 500.
CityMinPosition = Annotated[str | None, Query(
    pattern=r"^([0-9]{6}|city):[0-9]{1,19}(,([0-9]{6}|city):[0-9]{1,19})*$", max_length=4000,
    description="district:position pairs, comma-separated ('city' for the city's own store)"),
    AfterValidator(_positions_in_range)]
AsOf = Annotated[datetime | None, Query(description="the report as the records known at this moment (RFC 3339,"
                                                    " with its offset) made it", examples=["2025-07-10T17:00:00+08:00"])]
DistrictReader = Annotated[Caller, Depends(allow(Role.district, Role.city, Role.auditor, Role.admin))]
CityReader = Annotated[Caller, Depends(allow(Role.city, Role.auditor, Role.admin))]
CityReportReader = Annotated[Caller, Depends(allow(Role.city, Role.province, Role.auditor, Role.admin))]  # and the province
DistrictWriter = Annotated[Caller, Depends(allow(Role.district))]
CityWriter = Annotated[Caller, Depends(allow(Role.city))]
ProvinceWriter = Annotated[Caller, Depends(allow(Role.province))]
# Screened for personal data like every free text: both are stored in the district's events.
Reason = Annotated[text(1000), Body(embed=True, description="why it is returned")]
IncompleteReason = Annotated[text(1000) | None, Body(
    embed=True, description="why the report goes up without every child approved (frozen with it, the children under `missing`)")]


class Narrative(BaseModel):
    """What the submitting level writes with its report (工作开展情况 / 存在问题 / 下步打算), frozen with it."""

    model_config = ConfigDict(extra="forbid")

    work_done: text(5000) | None = None
    problems: text(5000) | None = None
    next_steps: text(5000) | None = None


NarrativeBody = Annotated[Narrative | None, Body(
    embed=True, description="工作开展情况、存在问题、下步打算 / work done, problems, next steps: frozen with the version")]


def _narrative(narrative: Narrative | None) -> dict[str, str | None] | None:
    return narrative.model_dump() if narrative is not None else None


def answer(report: Any) -> Response:
    """A report as its JSON text: the text it is kept as, or the text FastAPI would write for it,
    written by orjson (FastAPI's documented-only answers go through its slowest encoder)."""
    return Response(report if isinstance(report, bytes) else orjson.dumps(report, default=str),
                    media_type="application/json")


def documented(shape: type) -> dict[str, Any]:
    """The route's answer, documented as `shape` but not checked against it on its way out (a
    report is made to its shape, and checking a large one costs more than making it)."""
    return {"response_model": None, "responses": {200: {"model": shape, "description": "Successful Response"}}}


# -- a district's reports ------------------------------------------------------------------
# The report routes have no docstring: it would become their description in the OpenAPI document.

@router.get("/v1/districts/{district}/reports/{period}", summary="区半年报表 / A district's half-year report",
            name="get_district_report", **documented(DistrictReport))
async def district_report(district: DistrictDep, period: Period, caller: DistrictReader, runtime: RuntimeDep,
                          version: Version = None, min_position: MinPosition = None,
                          as_of: AsOf = None) -> Response:
    return answer(await queries.district_report(runtime, caller, district, period, version=version,
                                                min_position=min_position, as_of=as_of, as_text=True))


@router.get("/v1/districts/{district}/reports/{period}/towns/{town}",
            summary="镇(街道)半年报表 / A town's half-year report", **documented(TownReport))
async def get_town_report(district: DistrictDep, period: Period, town: TownCode, caller: CallerDep,
                          runtime: RuntimeDep, version: Version = None, min_position: MinPosition = None,
                          as_of: AsOf = None) -> Response:
    return answer(await queries.town_report(runtime, caller, district, period, town, version=version,
                                            min_position=min_position, as_of=as_of))


@router.post("/v1/districts/{district}/reports/{period}/towns/{town}/submit",
             summary="报送镇(街道)报表 / Submit a town's report")
async def submit_town_report(district: DistrictDep, period: Period, town: TownCode,
                             caller: Annotated[Caller, Depends(allow(Role.town, Role.district))],
                             runtime: RuntimeDep, request_id: RequestIdDep,
                             narrative: NarrativeBody = None) -> dict[str, Any]:
    return await commands.submit_report(runtime, caller, district, period, town, request_id,
                                        narrative=_narrative(narrative))


@router.post("/v1/districts/{district}/reports/{period}/towns/{town}/approve",
             summary="审核通过镇(街道)报表 / Approve a town's report")
async def approve_town_report(district: DistrictDep, period: Period, town: TownCode, caller: DistrictWriter,
                              runtime: RuntimeDep, request_id: RequestIdDep) -> dict[str, Any]:
    return await commands.decide_report(runtime, caller, district, period, town, request_id)


@router.post("/v1/districts/{district}/reports/{period}/towns/{town}/return",
             summary="退回镇(街道)报表 / Return a town's report")
async def return_town_report(district: DistrictDep, period: Period, town: TownCode, caller: DistrictWriter,
                             runtime: RuntimeDep, request_id: RequestIdDep, reason: Reason) -> dict[str, Any]:
    return await commands.decide_report(runtime, caller, district, period, town, request_id, reason=reason)


@router.post("/v1/districts/{district}/reports/{period}/submit",
             summary="向市报送区报表 / Submit the district's report to the city")
async def submit_district_report(district: DistrictDep, period: Period, caller: DistrictWriter,
                                 runtime: RuntimeDep, request_id: RequestIdDep,
                                 incomplete_reason: IncompleteReason = None,
                                 narrative: NarrativeBody = None) -> dict[str, Any]:
    return await commands.submit_report(runtime, caller, district, period, "", request_id,
                                        incomplete_reason=incomplete_reason, narrative=_narrative(narrative))


@router.get("/v1/districts/{district}/reports/{period}/preview",
            summary="报送口径：此刻报送将冻结的报表 / What a submission would freeze now")
async def get_district_preview(district: DistrictDep, period: Period, caller: DistrictReader, runtime: RuntimeDep,
                               min_position: MinPosition = None) -> Response:
    """The district's report at the cut of its towns' approved versions (报送口径), beside the
    live report (实时数据); `blocking` lists the towns whose reports stop a submission."""
    return answer(await queries.district_preview(runtime, caller, district, period, min_position=min_position))


@router.get("/v1/districts/{district}/reports/{period}/lineage", summary="数字溯源 / The events behind a figure",
            dependencies=[AuditedRead])
async def get_lineage(district: DistrictDep, period: Period, caller: DistrictReader, runtime: RuntimeDep,
                      figure: Annotated[str, Query(max_length=200, examples=["by_domain.elderly_care.person_times"],
                                                   description="the figure's path in the report's figures")],
                      town: TownQuery = None,
                      contracts: Annotated[bool, Query(description="each record with its project's contract and the"
                                                                   " filed plan item it was bought under")] = False
                      ) -> dict[str, Any]:
    """Every event behind the figure, voided ones marked; the active ones add up to the figure."""
    return await queries.figure_lineage(runtime, caller, district, period, figure, town, contracts=contracts)


@router.get("/v1/districts/{district}/reports/{period}/restatement",
            summary="重述：两个版本逐项对比 / Two readings of a report, figure by figure", dependencies=[AuditedRead])
async def get_restatement(district: DistrictDep, period: Period, caller: DistrictReader, runtime: RuntimeDep,
                          version: Annotated[Literal["submitted", "approved"], Query(
                              description="compare this version (unless from_as_of is given)")] = "submitted",
                          from_as_of: AsOf = None, to_as_of: AsOf = None, town: TownQuery = None) -> dict[str, Any]:
    """Every figure that differs between the report as submitted (or approved, or as of
    `from_as_of`) and the report now (or as of `to_as_of`), with the records between them that
    explain each difference."""
    return await queries.restatement(runtime, caller, district, period, version=version, from_as_of=from_as_of,
                                     to_as_of=to_as_of, town=town)


FrozenVersion = Annotated[Literal["submitted", "approved"], Query(description="the frozen version to recompute")]


@router.get("/v1/districts/{district}/reports/{period}/replay",
            summary="复算：由事件重算冻结版本并逐项比对 / A frozen version recomputed from the log, compared")
async def get_replay(district: DistrictDep, period: Period, caller: DistrictReader, runtime: RuntimeDep,
                     version: FrozenVersion = "submitted") -> replay.Replay:
    """The district's frozen version made again from the live log at its cut (each town's events
    up to its approved version's position) by the service's projection code: `equal`, and each
    figure that differs (`figure`, `frozen`, `replayed`)."""
    return await replay.replayed(runtime, caller, district, period, version)


@router.get("/v1/districts/{district}/reports/{period}/towns/{town}/replay",
            summary="复算镇(街道)冻结版本 / A town's frozen version recomputed from the log, compared")
async def get_town_replay(district: DistrictDep, period: Period, town: TownCode, caller: DistrictReader,
                          runtime: RuntimeDep, version: FrozenVersion = "submitted") -> replay.Replay:
    """The town's frozen version made again from the log at the position it froze, compared."""
    return await replay.replayed(runtime, caller, district, period, version, town)


# -- the city -------------------------------------------------------------------------------

@router.get("/v1/city/reports/{period}", summary="市半年报表 / The city's half-year report",
            **documented(CityReport))
async def get_city_report(period: Period, _: CityReportReader, runtime: RuntimeDep, min_position: CityMinPosition = None,
                          as_of: AsOf = None, version: Version = None) -> Response:
    return answer(await queries.city_report_text(runtime, period, min_position=min_position, as_of=as_of,
                                                 version=version))


@router.get("/v1/city/reports/{period}/preview",
            summary="报送口径：此刻市报表报送将冻结的内容 / What the city's submission would freeze now")
async def get_city_preview(period: Period, _: CityReportReader, runtime: RuntimeDep,
                           min_position: CityMinPosition = None) -> Response:
    """The sum of the districts' approved versions (报送口径), with `blocking` districts."""
    return answer(await queries.city_preview(runtime, period, min_position=min_position))


@router.post("/v1/city/reports/{period}/districts/{district}/approve",
             summary="审核通过区报表 / Approve a district's report")
async def approve_district_report(period: Period, caller: CityWriter, district: KnownDistrict,
                                  runtime: RuntimeDep, request_id: RequestIdDep) -> dict[str, Any]:
    return await commands.decide_report(runtime, caller, district, period, "", request_id)


@router.post("/v1/city/reports/{period}/districts/{district}/return",
             summary="退回区报表 / Return a district's report")
async def return_district_report(period: Period, caller: CityWriter, district: KnownDistrict,
                                 runtime: RuntimeDep, request_id: RequestIdDep, reason: Reason) -> dict[str, Any]:
    return await commands.decide_report(runtime, caller, district, period, "", request_id, reason=reason)


@router.post("/v1/city/reports/{period}/submit", summary="向省报送市报表 / Submit the city's report to the province")
async def submit_city_report(period: Period, caller: CityWriter, runtime: RuntimeDep,
                             request_id: RequestIdDep, incomplete_reason: IncompleteReason = None,
                             narrative: NarrativeBody = None) -> dict[str, Any]:
    return await commands.submit_city_report(runtime, caller, period, request_id,
                                             incomplete_reason=incomplete_reason, narrative=_narrative(narrative))


@router.post("/v1/city/reports/{period}/approve", summary="省厅审核通过市报表 / The province approves the city's report")
async def approve_city_report(period: Period, caller: ProvinceWriter, runtime: RuntimeDep,
                              request_id: RequestIdDep) -> dict[str, Any]:
    return await commands.decide_city_report(runtime, caller, period, request_id)


@router.post("/v1/city/reports/{period}/return", summary="省厅退回市报表 / The province returns the city's report")
async def return_city_report(period: Period, caller: ProvinceWriter, runtime: RuntimeDep,
                             request_id: RequestIdDep, reason: Reason) -> dict[str, Any]:
    return await commands.decide_city_report(runtime, caller, period, request_id, reason=reason)
