"""A station's, a project's, a plan's or an inspection's state as of any moment, and the events
that changed each (issue 38): each route its dependencies, one call of `service.states`, the answer. `as_of` is parsed and
checked as the reports' is (`api.reports.AsOf`)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.deps import AuditedRead, CallerDep, DistrictDep, RuntimeDep, allow
from api.plans import Year
from api.reports import AsOf, TownCode
from domain.values import RECORD_ID_PATTERN
from service import states
from service.callers import Caller, Role

router = APIRouter(tags=["audit 审计"])

ProjectId = Annotated[str, Path(pattern=RECORD_ID_PATTERN, examples=["P-2025-XG-01"])]
InspectionId = Annotated[str, Path(pattern=RECORD_ID_PATTERN, examples=["insp-2025-0001"])]
On = Annotated[date | None, Query(description="the day the state is judged on (China Standard Time), as the"
                                              " records known at as_of tell it; default that moment's day",
                                  examples=["2025-03-15"])]
ProjectReader = Annotated[Caller, Depends(allow(Role.district, Role.city, Role.auditor, Role.admin))]


@router.get("/v1/districts/{district}/towns/{town}/station", dependencies=[AuditedRead],
            summary="服务站在某一时刻的状态 / A station's state at a moment")
async def get_station(district: DistrictDep, town: TownCode, caller: CallerDep, runtime: RuntimeDep,
                      as_of: AsOf = None, on: On = None) -> dict[str, Any]:
    """The station replayed from the district's log up to `as_of` (now without it), on the day
    `on`: site, sign, staff on duty by role (references and counts), equipment present and missing,
    rules, the contracts in force and its compliance that day, each gap named; with the log
    `position` and the signed `checkpoint` covering it."""
    return await states.station(runtime, caller, district, town, as_of, on)


@router.get("/v1/districts/{district}/towns/{town}/station/history", dependencies=[AuditedRead],
            summary="服务站的变更记录 / Every event that changed a station")
async def get_station_history(district: DistrictDep, town: TownCode, caller: CallerDep, runtime: RuntimeDep,
                              as_of: AsOf = None) -> dict[str, Any]:
    """The station's events in log order (up to `as_of`, if given): position, type, occurred_on,
    recorded_at (China Standard Time) and who recorded it (on whose behalf)."""
    return await states.station_history(runtime, caller, district, town, as_of)


@router.get("/v1/districts/{district}/projects/{project}", dependencies=[AuditedRead],
            summary="项目在某一时刻的状态 / A project's state at a moment")
async def get_project(district: DistrictDep, project: ProjectId, caller: ProjectReader, runtime: RuntimeDep,
                      as_of: AsOf = None, on: On = None) -> dict[str, Any]:
    """The project replayed from the district's log up to `as_of` (now without it), on the day
    `on`: the contract, each fund line's amount, spent and left, evaluations done and due, the
    provider's exit; with the log `position` and the signed `checkpoint` covering it."""
    return await states.project(runtime, caller, district, project, as_of, on)


@router.get("/v1/districts/{district}/projects/{project}/history", dependencies=[AuditedRead],
            summary="项目的变更记录 / Every event that changed a project")
async def get_project_history(district: DistrictDep, project: ProjectId, caller: ProjectReader,
                              runtime: RuntimeDep, as_of: AsOf = None) -> dict[str, Any]:
    """The project's events in log order (up to `as_of`, if given), with who recorded each and when."""
    return await states.project_history(runtime, caller, district, project, as_of)


@router.get("/v1/districts/{district}/plans/{year}/history", dependencies=[AuditedRead],
            summary="购买计划的变更记录 / Every event of a year's purchase plan")
async def get_plan_history(district: DistrictDep, year: Year, caller: ProjectReader, runtime: RuntimeDep,
                           as_of: AsOf = None) -> dict[str, Any]:
    """The plan's drafts and steps in log order (up to `as_of`, if given), with who recorded each
    and when; none for a year with no plan. Its state as of a moment: `GET .../plans/{year}?as_of=`."""
    return await states.plan_history(runtime, caller, district, year, as_of)


@router.get("/v1/districts/{district}/inspections/{inspection}", dependencies=[AuditedRead],
            summary="检查记录在某一时刻的状态 / An inspection and its rectification at a moment")
async def get_inspection(district: DistrictDep, inspection: InspectionId, caller: ProjectReader, runtime: RuntimeDep,
                         as_of: AsOf = None) -> dict[str, Any]:
    """The inspection (date, kind, level `by`, scopes, issues found, findings, rectification due)
    and its rectification if recorded by `as_of` (now without it), replayed from its events; with
    the log `position` and the signed `checkpoint` covering it."""
    return await states.inspection(runtime, caller, district, inspection, as_of)
