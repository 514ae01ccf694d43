"""Reading the half-year reports and moving them up the chain (`../shared/API.md`)."""

import asyncio
from dataclasses import replace
from datetime import datetime
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar

import asyncpg
from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.auth import Caller, Role
from api.deps import (
    ALL_DISTRICTS, POSITION_MAX, AuditedRead, CallerDep, DistrictDep, ProgressDep, ReadPoolDep, ReadPoolsDep,
    ReadScopeDep, RequestIdDep, RuntimeDep, allow, scoped_connection,
)
from api.problems import ApiProblem, forbidden, not_found
from audit import checkpoints
from domain.events import Provenance
from projections import report_cache
from projections.as_of import position_at, shadow_tables
from projections.connections import ServerPools
from projections.report_rows import CITY_SERVER
from projections.lineage import UnknownFigure, lineage
from projections.periods import PERIOD_PATTERN
from projections.restatement import compare
from projections.progress import Progress
from projections.reports import (
    Scope, city_json, city_of, district_report, district_report_json, district_reports,
    district_reports_json, frozen_version, town_report,
)
from kernel import clock
from kernel.clock import CST
from service.runtime import Runtime
from tenants.event_store import CITY

router = APIRouter(tags=["reports 报表"])

Period = Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2025H1"], description="a half year, 20YYH1 or 20YYH2")]
TownCode = Annotated[str, Path(pattern=r"^[0-9]{9}$", examples=["350203001"])]
Version = Annotated[Literal["submitted", "approved"] | None,
                    Query(description="the report exactly as it was submitted or approved")]
MinPosition = Annotated[int | None, Query(ge=0, le=POSITION_MAX, description="wait (up to 10 s) until projections reach it")]
AsOf = Annotated[datetime | None, Query(description="the report as the records known at this moment (RFC 3339,"
                                                    " with its offset) made it", examples=["2025-07-10T17:00:00+08:00"])]
DistrictReader = Annotated[Caller, Depends(allow(Role.district, Role.city, Role.auditor, Role.admin))]
CityReader = Annotated[Caller, Depends(allow(Role.city, Role.auditor, Role.admin))]
DistrictWriter = Annotated[Caller, Depends(allow(Role.district))]
CityWriter = Annotated[Caller, Depends(allow(Role.city))]


def scope(runtime: Runtime, district: str, period: str) -> Scope:
    return Scope(district, period, runtime.tenants.divisions, clock.today(), runtime.deadlines, rules=runtime.rules)


async def caught_up(progress: Progress, district: str, position: int) -> None:
    if not await progress.wait_for(district, position):
        raise ApiProblem(503, "projection-behind", "报表尚未更新 / Reports not caught up",
                         f"报表尚未反映位置 {position}，请稍后重试 / the reports have not yet reached position {position}",
                         headers={"Retry-After": "1"})


async def read_as_of(pool: asyncpg.Pool, read_scope: str, scope_: Scope, town: str,
                     moment: datetime) -> dict[str, Any]:
    """The report from temporary tables rebuilt to the log's position at `moment`."""
    if moment.tzinfo is None:
        raise ApiProblem(422, "validation", "请求有误 / Invalid request",
                         "as_of 须带时区，如 2025-07-10T17:00:00+08:00 / as_of needs its offset")
    async with scoped_connection(pool, read_scope, readonly=False) as conn:
        position = await position_at(conn, scope_.district, moment)
        replayed = await shadow_tables(conn, scope_.district, position)
        then = replace(scope_, today=min(scope_.today, moment.astimezone(CST).date()), as_of=moment)
        report = await (town_report(conn, then, town) if town else district_report(conn, then))
    if report is None:
        raise not_found(f"镇(街道) {town} ", f"town {town}")
    return {**report, "as_of": {"moment": moment.astimezone(CST).isoformat(), "position": position,
                                "replayed_events": replayed}}


async def read_report(pool: asyncpg.Pool, read_scope: str, scope_: Scope, town: str,
                      version: str | None, as_of: datetime | None = None) -> dict[str, Any]:
    if as_of is not None:
        if version is not None:
            raise ApiProblem(422, "validation", "请求有误 / Invalid request",
                             "as_of 与 version 只能选一 / use as_of or version, not both")
        return await read_as_of(pool, read_scope, scope_, town, as_of)
    async with scoped_connection(pool, read_scope) as conn:
        if version is not None:
            report = await frozen_version(conn, scope_, town, version)
            if report is None:
                raise not_found(f"{scope_.period} 的{'已报送' if version == 'submitted' else '已审核'}报表 ",
                                f"a {version} {scope_.period} report")
            return report
        report = await (town_report(conn, scope_, town) if town else district_report(conn, scope_))
        if report is None:
            raise not_found(f"镇(街道) {town} ", f"town {town}")
        return report


def check_station_town(caller: Caller, town: str) -> None:
    if caller.role is Role.station and caller.town != town:
        raise forbidden("服务站只能查看和报送本镇(街道)的报表", "a station sees and submits its own town's report only")


def check_town(runtime: Runtime, district: str, town: str) -> None:
    if not runtime.tenants.divisions.town_belongs(town, district):
        raise not_found(f"镇(街道) {town} ", f"town {town}")


def provenance(caller: Caller, request_id: str) -> Provenance:
    return Provenance(caller.sub, caller.role, request_id, clock.now())


async def freeze_and_submit(runtime: Runtime, pool: asyncpg.Pool, progress: Progress, district: str, period: str,
                            town: str, who: Provenance, read_scope: str) -> dict[str, Any]:
    """Freeze the figures at the log's head, then record the submission that carries them."""
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)
    head = await run_in_threadpool(ledger.recorder.max_notification_id) or 0
    await caught_up(progress, district, head)
    report = await read_report(pool, read_scope, scope(runtime, district, period), town, None)
    position = await run_in_threadpool(ledger.submit_report, period, town, head, report, who)
    return {"period": period, "district": district, "town": town or None, "status": "submitted",
            "frozen_position": head, "position": position,
            "checkpoint": await checkpoint(runtime, pool, district, "report_submitted", position)}


async def decide(runtime: Runtime, pool: asyncpg.Pool, district: str, period: str, town: str, who: Provenance,
                 reason: str | None) -> dict[str, Any]:
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)
    if reason is None:
        position = await run_in_threadpool(ledger.approve_report, period, town, who)
    else:
        position = await run_in_threadpool(ledger.return_report, period, town, reason, who)
    answer = {"period": period, "district": district, "town": town or None,
              "status": "approved" if reason is None else "returned", "position": position}
    if reason is None:
        answer["checkpoint"] = await checkpoint(runtime, pool, district, "report_approved", position)
    return answer


async def checkpoint(runtime: Runtime, pool: asyncpg.Pool, store: str, reason: str, position: int) -> dict[str, Any]:
    """Sign the store's log up to a report's step, so the report carries proof of what it stood on."""
    async with pool.acquire() as conn:
        return (await checkpoints.make(conn, runtime.signing_key, store, reason, up_to=position)).as_json()


Reason = Annotated[str, Body(embed=True, min_length=1, max_length=1000, description="why it is returned")]


# -- a district's reports ------------------------------------------------------------------

@router.get("/v1/districts/{district}/reports/{period}", summary="区半年报表 / A district's half-year report",
            name="get_district_report", response_model=dict[str, Any])
async def district_report_route(district: DistrictDep, period: Period, caller: DistrictReader, runtime: RuntimeDep,
                                pool: ReadPoolDep, read_scope: ReadScopeDep, progress: ProgressDep,
                                version: Version = None, min_position: MinPosition = None,
                                as_of: AsOf = None) -> Response | dict[str, Any]:
    # The current report is sent as the JSON text it is kept as (neither decoded nor encoded
    # again: a report read right after a write is made once, then only sent). No docstring: it
    # would become the route's description in the OpenAPI document.
    if version is not None or as_of is not None:
        return await get_district_report(district, period, caller, runtime, pool, read_scope, progress,
                                         version, min_position, as_of)
    if min_position is not None:
        await caught_up(progress, district, min_position)
    async with scoped_connection(pool, read_scope) as conn:
        return Response(await district_report_json(conn, scope(runtime, district, period)),
                        media_type="application/json")


async def get_district_report(district: str, period: str, _: Caller, runtime: Runtime, pool: asyncpg.Pool,
                              read_scope: str, progress: Progress, version: str | None = None,
                              min_position: int | None = None, as_of: datetime | None = None) -> dict[str, Any]:
    """A district's report (the route's, as a dict: the downloads make theirs from it)."""
    if min_position is not None:
        await caught_up(progress, district, min_position)
    return await read_report(pool, read_scope, scope(runtime, district, period), "", version, as_of)


@router.get("/v1/districts/{district}/reports/{period}/towns/{town}",
            summary="镇(街道)半年报表 / A town's half-year report")
async def get_town_report(district: DistrictDep, period: Period, town: TownCode, caller: CallerDep,
                          runtime: RuntimeDep, pool: ReadPoolDep, read_scope: ReadScopeDep, progress: ProgressDep,
                          version: Version = None, min_position: MinPosition = None,
                          as_of: AsOf = None) -> dict[str, Any]:
    check_town(runtime, district, town)
    check_station_town(caller, town)
    if min_position is not None:
        await caught_up(progress, district, min_position)
    return await read_report(pool, read_scope, scope(runtime, district, period), town, version, as_of)


@router.post("/v1/districts/{district}/reports/{period}/towns/{town}/submit",
             summary="报送镇(街道)报表 / Submit a town's report")
async def submit_town_report(district: DistrictDep, period: Period, town: TownCode,
                             caller: Annotated[Caller, Depends(allow(Role.station, Role.district))],
                             runtime: RuntimeDep, pool: ReadPoolDep, read_scope: ReadScopeDep, progress: ProgressDep,
                             request_id: RequestIdDep) -> dict[str, Any]:
    check_town(runtime, district, town)
    check_station_town(caller, town)
    return await freeze_and_submit(runtime, pool, progress, district, period, town,
                                   provenance(caller, request_id), read_scope)


@router.post("/v1/districts/{district}/reports/{period}/towns/{town}/approve",
             summary="审核通过镇(街道)报表 / Approve a town's report")
async def approve_town_report(district: DistrictDep, period: Period, town: TownCode, caller: DistrictWriter,
                              runtime: RuntimeDep, pool: ReadPoolDep, request_id: RequestIdDep) -> dict[str, Any]:
    check_town(runtime, district, town)
    return await decide(runtime, pool, district, period, town, provenance(caller, request_id), None)


@router.post("/v1/districts/{district}/reports/{period}/towns/{town}/return",
             summary="退回镇(街道)报表 / Return a town's report")
async def return_town_report(district: DistrictDep, period: Period, town: TownCode, caller: DistrictWriter,
                             runtime: RuntimeDep, pool: ReadPoolDep, request_id: RequestIdDep, reason: Reason) -> dict[str, Any]:
    check_town(runtime, district, town)
    return await decide(runtime, pool, district, period, town, provenance(caller, request_id), reason)


@router.post("/v1/districts/{district}/reports/{period}/submit",
             summary="向市报送区报表 / Submit the district's report to the city")
async def submit_district_report(district: DistrictDep, period: Period, caller: DistrictWriter,
                                 runtime: RuntimeDep, pool: ReadPoolDep, read_scope: ReadScopeDep,
                                 progress: ProgressDep, request_id: RequestIdDep) -> dict[str, Any]:
    return await freeze_and_submit(runtime, pool, progress, district, period, "",
                                   provenance(caller, request_id), read_scope)


@router.get("/v1/districts/{district}/reports/{period}/lineage", summary="数字溯源 / The events behind a figure", dependencies=[AuditedRead])
async def get_lineage(district: DistrictDep, period: Period, _: DistrictReader, runtime: RuntimeDep,
                      pool: ReadPoolDep, read_scope: ReadScopeDep,
                      figure: Annotated[str, Query(max_length=200, examples=["by_domain.elderly_care.person_times"],
                                                   description="the figure's path in the report's figures")],
                      town: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None) -> dict[str, Any]:
    """Every event behind the figure, voided ones marked; the active ones add up to the figure."""
    if town is not None:
        check_town(runtime, district, town)
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)
    async with scoped_connection(pool, read_scope) as conn:
        try:
            return await lineage(conn, scope(runtime, district, period), figure, town, ledger.mapper)
        except UnknownFigure as exc:
            raise ApiProblem(422, "unknown-figure", "未知的数字 / Unknown figure",
                             f"报表中没有可溯源的数字 {exc} / no traceable figure {exc} in the report") from exc


@router.get("/v1/districts/{district}/reports/{period}/restatement",
            summary="重述：两个版本逐项对比 / Two readings of a report, figure by figure", dependencies=[AuditedRead])
async def get_restatement(district: DistrictDep, period: Period, _: DistrictReader, runtime: RuntimeDep,
                          pool: ReadPoolDep, read_scope: ReadScopeDep,
                          version: Annotated[Literal["submitted", "approved"], Query(
                              description="compare this version (unless from_as_of is given)")] = "submitted",
                          from_as_of: AsOf = None, to_as_of: AsOf = None,
                          town: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None) -> dict[str, Any]:
    """Every figure that differs between the report as submitted (or approved, or as of
    `from_as_of`) and the report now (or as of `to_as_of`), with the records between them that
    explain each difference."""
    if town is not None:
        check_town(runtime, district, town)
    scope_ = scope(runtime, district, period)
    if from_as_of is not None:
        earlier = await read_as_of(pool, read_scope, scope_, town or "", from_as_of)
    else:
        earlier = await read_report(pool, read_scope, scope_, town or "", version)
    if to_as_of is not None:
        later = await read_as_of(pool, read_scope, scope_, town or "", to_as_of)
    else:
        later = await read_report(pool, read_scope, scope_, town or "", None)
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)
    async with scoped_connection(pool, read_scope) as conn:
        compared = await compare(conn, scope_, town or "", earlier, later, ledger.mapper)
    return {**compared, "from": f"as_of {from_as_of.isoformat()}" if from_as_of else version,
            "to": f"as_of {to_as_of.isoformat()}" if to_as_of else "now"}


# -- the city -------------------------------------------------------------------------------

def known_district(runtime: Runtime, district: str) -> str:
    """The district, if the registry knows it. Blocking (it may read the registry and open a new
    district's store): call it in a thread, or as the plain-`def` dependency below."""
    if not runtime.tenants.knows(district):
        raise not_found(f"区 {district} ", f"district {district}")
    return district


def get_known_district(district: Annotated[str, Path(pattern=r"^[0-9]{6}$")], runtime: RuntimeDep) -> str:
    return known_district(runtime, district)


# Resolved after the caller's role (declare it first), so a district caller is refused alike
# for every district and learns nothing of which exist.
KnownDistrict = Annotated[str, Depends(get_known_district)]


@router.get("/v1/city/reports/{period}", summary="市半年报表 / The city's half-year report",
            response_model=dict[str, Any])
async def get_city_report(period: Period, _: CityReader, runtime: RuntimeDep, pools: ReadPoolsDep,
                          progress: ProgressDep,
                          min_position: Annotated[str | None, Query(
                              pattern=r"^([0-9]{6}|city):[0-9]+(,([0-9]{6}|city):[0-9]+)*$",
                              description="district:position pairs, comma-separated ('city' for the city's"
                                          " own store)")] = None,
                          as_of: AsOf = None) -> Response:
    # Sent as JSON text made from the districts' kept texts, and kept itself (`city_json`): FastAPI
    # would check and convert every figure of every district, then encode them (bench/README section 21).
    if as_of is not None:
        report = (await read_city(runtime, pools, progress, period, min_position, as_of))[0]
        return Response(report_cache.encode(report), media_type="application/json")
    await city_caught_up(runtime, progress, min_position)
    texts = await districts_on_their_servers(runtime, pools, period, district_reports_json)
    return Response(city_json(period, await city_status(pools, period), texts), media_type="application/json")


async def read_city(runtime: Runtime, pools: ServerPools, progress: Progress, period: str, min_position: str | None,
                    as_of: datetime | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The city's report, and the whole reports of the districts it is made of."""
    await city_caught_up(runtime, progress, min_position)
    if as_of is not None:  # each district rebuilt to that moment, on its own server
        scopes = [scope(runtime, d, period) for d in runtime.tenants.divisions.district_codes]
        parts = list(await asyncio.gather(*(as_of_on_its_server(pools, s, as_of) for s in scopes)))
        return {**city_of(period, parts), "as_of": {"moment": as_of.astimezone(CST).isoformat()}}, parts
    parts = await districts_on_their_servers(runtime, pools, period)
    return {**city_of(period, parts), "status": await city_status(pools, period)}, parts


async def city_caught_up(runtime: Runtime, progress: Progress, min_position: str | None) -> None:
    for pair in filter(None, (min_position or "").split(",")):
        district, _, position = pair.partition(":")
        known = CITY if district == CITY else await run_in_threadpool(known_district, runtime, district)
        await caught_up(progress, known, min(int(position), POSITION_MAX))


async def city_status(pools: ServerPools, period: str) -> str:
    async with scoped_connection(pools.home, ALL_DISTRICTS) as conn:
        status = await conn.fetchval("SELECT status FROM reports.report_states WHERE district = $1"
                                     " AND period = $2 AND town = ''", CITY, period)
    return status or "draft"


async def as_of_on_its_server(pools: ServerPools, scope_: Scope, as_of: datetime) -> dict[str, Any]:
    """A district's report as of a moment, read on its own server (in a task of its own)."""
    if pools.server_of(scope_.district) is not None:
        CITY_SERVER.set(pools.home)
    return await read_as_of(await pools.of_store(scope_.district), ALL_DISTRICTS, scope_, "", as_of)


Report = TypeVar("Report", dict[str, Any], bytes)


async def districts_on_their_servers(
        runtime: Runtime, pools: ServerPools, period: str,
        reports: Callable[[asyncpg.Connection, list[Scope]], Awaitable[list[Report]]] = district_reports,
) -> list[Report]:
    """Every district's report (as `reports` gives them: dicts, or JSON texts), each read on the
    server holding it (one transaction and one set of queries per server, the servers read at
    once), in the order of their codes."""
    async def read(server: str | None, districts: list[str]) -> list[tuple[str, Report]]:
        if server is not None:
            CITY_SERVER.set(pools.home)  # this task's own context: the other servers' reads are theirs
        async with scoped_connection(await pools.of_server(server), ALL_DISTRICTS) as conn:
            return list(zip(districts, await reports(conn, [scope(runtime, d, period) for d in districts]),
                            strict=True))

    held = {server: [d for d in stores if d != CITY] for server, stores in runtime.tenants.servers().items()}
    parts = await asyncio.gather(*(read(server, districts) for server, districts in held.items()))
    return [report for _, report in sorted((pair for part in parts for pair in part), key=lambda pair: pair[0])]


@router.post("/v1/city/reports/{period}/districts/{district}/approve",
             summary="审核通过区报表 / Approve a district's report")
async def approve_district_report(period: Period, caller: CityWriter, district: KnownDistrict,
                                  runtime: RuntimeDep, pool: ReadPoolDep, request_id: RequestIdDep) -> dict[str, Any]:
    return await decide(runtime, pool, district, period, "", provenance(caller, request_id), None)


@router.post("/v1/city/reports/{period}/districts/{district}/return",
             summary="退回区报表 / Return a district's report")
async def return_district_report(period: Period, caller: CityWriter, district: KnownDistrict,
                                 runtime: RuntimeDep, pool: ReadPoolDep, request_id: RequestIdDep,
                                 reason: Reason) -> dict[str, Any]:
    return await decide(runtime, pool, district, period, "", provenance(caller, request_id), reason)


@router.post("/v1/city/reports/{period}/submit", summary="向省报送市报表 / Submit the city's report to the province")
async def submit_city_report(period: Period, caller: CityWriter, runtime: RuntimeDep, pools: ReadPoolsDep,
                             request_id: RequestIdDep) -> dict[str, Any]:
    report = city_of(period, await districts_on_their_servers(runtime, pools, period))
    ledger = await run_in_threadpool(runtime.tenants.ledger, CITY)
    position = await run_in_threadpool(ledger.submit_report, period, "", 0, report, provenance(caller, request_id))
    return {"period": period, "status": "submitted", "position": position,
            "checkpoint": await checkpoint(runtime, pools.home, CITY, "report_submitted", position)}
