"""The reports as their readers ask for them: a district's, a town's and the city's, now, as
submitted or approved, or as of a past moment; the events behind a figure, and a restatement.

Each district is read on the server that holds it, in a snapshot that shows only the caller's
scope (row-level security); the city's report fans out over every server at once.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
from anyio import to_thread

from kernel.clock import CST
from projections import cut, report_cache
from projections.as_of import position_at, shadow_tables
from projections.connections import ALL_DISTRICTS, scoped
from projections.lineage import UnknownFigure as NoSuchFigure
from projections.lineage import lineage
from projections.lineage_contracts import with_contracts
from projections.reports import (
    Scope, city_json, city_of, district_report as read_district, district_reports, district_reports_json,
    frozen_version, town_report as read_town,
)
from projections.report_rows import CITY_SERVER
from projections.report_shapes import CityReport, DistrictReport, TownReport
from projections.restatement import compare
from service import chain
from service.callers import Caller
from service.errors import Forbidden, Invalid, NotFound, ProjectionBehind, UnknownFigure
from service.runtime import Runtime
from tenants.stores import CITY

POSITION_MAX = 2**63 - 1  # a log position is a PostgreSQL bigint


def read_scope(caller: Caller) -> str:
    """What the caller's reads may see in the database: their district, or every district."""
    return ALL_DISTRICTS if caller.sees_all_districts() else caller.district or ""


async def read_pool(runtime: Runtime, district: str) -> asyncpg.Pool:
    """The reader's pool on the server holding the district (scoped reads only: it logs in as
    stations_reader); a read there takes the city's training rows from the service's own
    database (`report_rows.CITY_SERVER`, in this task's context)."""
    pools = runtime.reads
    if pools.server_of(district) is not None:
        CITY_SERVER.set(pools.home)
    return await pools.of_store(district)


async def caught_up(runtime: Runtime, district: str, position: int | None) -> None:
    """Wait (up to the runtime's timeout) until the district's reports reached `position`."""
    if position is not None and not await runtime.progress.wait_for(district, position):
        raise ProjectionBehind(position)


def known_town(runtime: Runtime, district: str, town: str) -> None:
    if not runtime.tenants.divisions.town_belongs(town, district):
        raise NotFound(f"镇(街道) {town} ", f"town {town}", kind="town")


def own_town(caller: Caller, town: str) -> None:
    if caller.town_scoped() and caller.town != town:
        raise Forbidden("服务站和镇(街道)只能查看和报送本镇(街道)的报表",
                        "a station or a town sees (and a town submits) its own town's report only")


async def known_district(runtime: Runtime, district: str) -> str:
    """The district, if the registry knows it (read again, in a thread, for one not known yet)."""
    if not runtime.tenants.divisions.has_district(district) and not await to_thread.run_sync(
            runtime.tenants.knows, district):
        raise NotFound(f"区 {district} ", f"district {district}", kind="district")
    return district


# -- one district's reports ------------------------------------------------------------------

async def _as_of(pool: asyncpg.Pool, scope_: str, scope: Scope, town: str, moment: datetime) -> Any:
    """The report from temporary tables rebuilt to the log's position at `moment`."""
    if moment.tzinfo is None:
        raise Invalid("as_of 须带时区，如 2025-07-10T17:00:00+08:00", "as_of needs its offset")
    async with scoped(pool, scope_, readonly=False) as conn:
        position = await position_at(conn, scope.district, moment)
        replayed = await shadow_tables(conn, scope.district, position)
        then = replace(scope, today=min(scope.today, moment.astimezone(CST).date()), as_of=moment)
        report = await (read_town(conn, then, town) if town else read_district(conn, then))
    if report is None:
        raise NotFound(f"镇(街道) {town} ", f"town {town}", kind="town")
    return {**report, "as_of": {"moment": moment.astimezone(CST).isoformat(), "position": position,
                                "replayed_events": replayed}}


def one_reading(version: str | None, as_of: datetime | None) -> None:
    if as_of is not None and version is not None:
        raise Invalid("as_of 与 version 只能选一", "use as_of or version, not both")


async def _read(pool: asyncpg.Pool, scope_: str, scope: Scope, town: str, version: str | None,
                as_of: datetime | None = None) -> Any:
    """A district's (town == '') or a town's report: now, as of a moment, or a frozen version."""
    one_reading(version, as_of)
    if as_of is not None:
        return await _as_of(pool, scope_, scope, town, as_of)
    async with scoped(pool, scope_) as conn:
        if version is not None:
            report = await frozen_version(conn, scope, town, version)
            if report is None:
                raise NotFound(f"{scope.period} 的{'已报送' if version == 'submitted' else '已审核'}报表 ",
                               f"a {version} {scope.period} report", kind="report")
            if "cut" in report:  # a district's version taken at its towns' approved versions
                report["stale_children"] = await cut.stale_children(conn, scope.district, scope.period, report)
            return report
        report = await (read_town(conn, scope, town) if town else read_district(conn, scope))
        if report is None:
            raise NotFound(f"镇(街道) {town} ", f"town {town}", kind="town")
        return report


async def district_report(runtime: Runtime, caller: Caller, district: str, period: str, *,
                          version: str | None = None, min_position: int | None = None,
                          as_of: datetime | None = None, as_text: bool = False) -> DistrictReport | bytes:
    """A district's report; with `as_text`, the current one as the JSON text it is kept as
    (neither decoded nor encoded again: a report read right after a write is made once, then
    only sent)."""
    await caught_up(runtime, district, min_position)
    pool = await read_pool(runtime, district)
    if as_text and version is None and as_of is None:
        async with scoped(pool, read_scope(caller)) as conn:
            return (await district_reports_json(conn, [runtime.scope(district, period)]))[0]
    return await _read(pool, read_scope(caller), runtime.scope(district, period), "", version, as_of)


async def town_report(runtime: Runtime, caller: Caller, district: str, period: str, town: str, *,
                      version: str | None = None, min_position: int | None = None,
                      as_of: datetime | None = None) -> TownReport:
    known_town(runtime, district, town)
    own_town(caller, town)
    await caught_up(runtime, district, min_position)
    return await _read(await read_pool(runtime, district), read_scope(caller), runtime.scope(district, period),
                       town, version, as_of)


async def at_the_cut(runtime: Runtime, caller: Caller, district: str, period: str,
                     report: dict[str, Any]) -> dict[str, Any]:
    """The district's `report` as a submission now would freeze it: at the cut of its towns'
    approved versions (`projections.cut`)."""
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        approved = await cut.approved_towns(conn, district, period)
        services = await cut.cut_services(conn, district, period,
                                          {town: version["position"] for town, version in approved.items()},
                                          ledger.mapper)
        earlier = await cut.earlier_children(conn, district, period)
    return cut.at_the_cut(report, approved, services, earlier)


SUBMISSION_BASIS = {"basis": "submission", "basis_zh": "报送口径"}


async def district_preview(runtime: Runtime, caller: Caller, district: str, period: str, *,
                           min_position: int | None = None) -> dict[str, Any]:
    """What the district's submission would freeze now (报送口径: the cut of its towns' approved
    versions), and the towns that block it (`blocking`), beside the live report (实时数据)."""
    await caught_up(runtime, district, min_position)
    report = await district_report(runtime, caller, district, period)
    return {**await at_the_cut(runtime, caller, district, period, report), **SUBMISSION_BASIS,
            "blocking": chain.unapproved_towns(report)}


async def figure_lineage(runtime: Runtime, caller: Caller, district: str, period: str, figure: str,
                         town: str | None = None, *, contracts: bool = False) -> dict[str, Any]:
    """Every event behind the figure, voided ones marked; the active ones add up to the figure;
    with `contracts`, each with its project's contract and filed plan item."""
    if town is not None:
        known_town(runtime, district, town)
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        try:
            traced = await lineage(conn, runtime.scope(district, period), figure, town, ledger.mapper)
        except NoSuchFigure as exc:
            raise UnknownFigure(str(exc)) from exc
        return await with_contracts(conn, runtime.scope(district, period), traced, ledger.mapper) if contracts \
            else traced


async def restatement(runtime: Runtime, caller: Caller, district: str, period: str, *, version: str = "submitted",
                      from_as_of: datetime | None = None, to_as_of: datetime | None = None,
                      town: str | None = None) -> dict[str, Any]:
    """Every figure that differs between the report as submitted (or approved, or as of
    `from_as_of`) and the report now (or as of `to_as_of`), with the records between them that
    explain each difference."""
    if town is not None:
        known_town(runtime, district, town)
    scope, pool, seen = runtime.scope(district, period), await read_pool(runtime, district), read_scope(caller)
    earlier = await _read(pool, seen, scope, town or "", None if from_as_of else version, from_as_of)
    later = await _read(pool, seen, scope, town or "", None, to_as_of)
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)
    async with scoped(pool, seen) as conn:
        compared = await compare(conn, scope, town or "", earlier, later, ledger.mapper)
    return {**compared, "from": f"as_of {from_as_of.isoformat()}" if from_as_of else version,
            "to": f"as_of {to_as_of.isoformat()}" if to_as_of else "now"}


# -- the city ---------------------------------------------------------------------------------

async def city_caught_up(runtime: Runtime, min_position: str | None) -> None:
    """Wait for each `district:position` pair of a comma-separated list ('city' for the city's store)."""
    for pair in filter(None, (min_position or "").split(",")):
        district, _, position = pair.partition(":")
        known = CITY if district == CITY else await known_district(runtime, district)
        await caught_up(runtime, known, min(int(position), POSITION_MAX))


async def city_status(runtime: Runtime, period: str) -> str:
    async with scoped(runtime.reads.home, ALL_DISTRICTS) as conn:
        status = await conn.fetchval("SELECT status FROM reports.report_states WHERE district = $1"
                                     " AND period = $2 AND town = ''", CITY, period)
    return status or "draft"


Report = TypeVar("Report", DistrictReport, bytes)
Part = TypeVar("Part")


async def on_each_server(runtime: Runtime,
                         read: Callable[[asyncpg.Connection, list[str]], Awaitable[list[Part]]]) -> list[Part]:
    """`read`'s part for every district, asked on the server holding it (one transaction per
    server, the servers read at once), in the order of the districts' codes: every city-wide
    read goes through here, so a district placed on another server is never left out."""
    pools = runtime.reads

    async def on(server: str | None, districts: list[str]) -> list[tuple[str, Part]]:
        if server is not None:
            CITY_SERVER.set(pools.home)  # this task's own context: the other servers' reads are theirs
        async with scoped(await pools.of_server(server), ALL_DISTRICTS) as conn:
            return list(zip(districts, await read(conn, districts), strict=True))

    held = {server: [d for d in stores if d != CITY] for server, stores in runtime.tenants.servers().items()}
    parts = await asyncio.gather(*(on(server, districts) for server, districts in held.items()))
    return [part for _, part in sorted((pair for found in parts for pair in found), key=lambda pair: pair[0])]


async def on_their_servers(runtime: Runtime, period: str,
                           reports: Callable[[asyncpg.Connection, list[Scope]], Awaitable[list[Report]]]
                           = district_reports) -> list[Report]:
    """Every district's report of the period (as `reports` gives them: dicts, or JSON texts),
    each read on the server holding it."""
    return await on_each_server(runtime, lambda conn, districts: reports(
        conn, [runtime.scope(d, period) for d in districts]))


async def _as_of_on_its_server(runtime: Runtime, scope: Scope, as_of: datetime) -> DistrictReport:
    """A district's report as of a moment, read on its own server (in a task of its own)."""
    return await _as_of(await read_pool(runtime, scope.district), ALL_DISTRICTS, scope, "", as_of)


async def city_report(runtime: Runtime, period: str, *, min_position: str | None = None,
                      as_of: datetime | None = None) -> tuple[CityReport, list[DistrictReport]]:
    """The city's report, and the whole reports of the districts it is made of."""
    await city_caught_up(runtime, min_position)
    if as_of is not None:  # each district rebuilt to that moment, on its own server
        scopes = [runtime.scope(d, period) for d in runtime.tenants.divisions.district_codes]
        parts = list(await asyncio.gather(*(_as_of_on_its_server(runtime, s, as_of) for s in scopes)))
        return {**city_of(period, parts), "as_of": {"moment": as_of.astimezone(CST).isoformat()}}, parts
    parts = await on_their_servers(runtime, period)
    return {**city_of(period, parts), "status": await city_status(runtime, period)}, parts


async def city_at_the_cut(runtime: Runtime, period: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The city's report as its submission would freeze it now: the sum of its districts' approved
    versions, each named among its `children`; and the districts that block it."""
    districts = await on_their_servers(runtime, period, cut.approved_districts)
    report = {**city_of(period, districts), "children": [d["child"] for d in districts if "child" in d]}
    return report, chain.unapproved_districts(districts)


async def city_preview(runtime: Runtime, period: str, *, min_position: str | None = None) -> dict[str, Any]:
    """What the city's submission would freeze now (报送口径), and the districts that block it."""
    await city_caught_up(runtime, min_position)
    report, blocking = await city_at_the_cut(runtime, period)
    return {**report, **SUBMISSION_BASIS, "blocking": blocking, "status": await city_status(runtime, period)}


async def city_version(runtime: Runtime, period: str, version: str, min_position: str | None = None) -> dict[str, Any]:
    """The city's report exactly as it was submitted to the province (or approved by it)."""
    await city_caught_up(runtime, min_position)
    async with scoped(runtime.reads.home, ALL_DISTRICTS) as conn:
        report = await frozen_version(conn, runtime.scope(CITY, period), "", version)
    if report is None:
        raise NotFound(f"{period} 的{'已报送' if version == 'submitted' else '已审核'}市报表 ",
                       f"a {version} {period} city report", kind="report")
    if "children" in report:  # the city's version taken at its districts' approved versions
        standing = await on_their_servers(runtime, period, _standing)
        report["stale_children"] = cut.stale([row for row in standing if row is not None], report)
    return report


async def _standing(conn: asyncpg.Connection, scopes: list[Scope]) -> list[asyncpg.Record | None]:
    """`cut.standing_districts` as `on_their_servers` asks: each district's row, if it has one."""
    rows = {row["code"]: row for row in await cut.standing_districts(conn, scopes)}
    return [rows.get(scope.district) for scope in scopes]


async def city_report_text(runtime: Runtime, period: str, *, min_position: str | None = None,
                           as_of: datetime | None = None, version: str | None = None) -> bytes:
    """The city's report as JSON text: made from the districts' kept texts, and kept itself
    (`city_json`), unless it is read as of a moment or as frozen (`version`)."""
    one_reading(version, as_of)
    if version is not None:
        return report_cache.encode(await city_version(runtime, period, version, min_position))
    if as_of is not None:
        return report_cache.encode((await city_report(runtime, period, min_position=min_position, as_of=as_of))[0])
    await city_caught_up(runtime, min_position)
    texts = await on_their_servers(runtime, period, district_reports_json)
    return city_json(period, await city_status(runtime, period), texts)


async def city_download(runtime: Runtime, period: str, *, min_position: str | None = None,
                        as_of: datetime | None = None, version: str | None = None) -> dict[str, Any]:
    """The city's report with its districts' projects, for a download's budget columns (the
    city's JSON leaves them out); a frozen version as it was frozen."""
    one_reading(version, as_of)
    if version is not None:
        return await city_version(runtime, period, version, min_position)
    city, parts = await city_report(runtime, period, min_position=min_position, as_of=as_of)
    districts = [{**d, "projects_detail": p["projects_detail"]} for d, p in zip(city["districts"], parts, strict=True)]
    return {**city, "districts": districts}


def district_name(runtime: Runtime, district: str, period: str) -> str | None:
    """The district's name at the period's cutoff (the last day, or today if earlier)."""
    scope = runtime.scope(district, period)
    version = scope.divisions.district(district, scope.cutoff)
    return version.name if version else None
