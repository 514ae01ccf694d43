"""A station's or a project's state as of any moment, replayed from its district's event store,
and the events that changed it: what an auditor reconstructs (issue 38). Each answer names the
log position it reflects and the signed checkpoint covering that position, so every event behind
it can be proved with the inclusion proofs of `audit_trail`."""

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from anyio import to_thread

from audit import checkpoints
from domain.events import record_stream, stream_id
from domain.station import expected_signboard
from kernel.clock import CST
from projections import replayed, states, stream_snapshots
from projections.as_of import position_at
from projections.connections import scoped
from service import plans
from service.callers import Caller
from service.errors import Invalid, NotFound
from service.queries import known_town, own_town, read_pool, read_scope
from service.runtime import Runtime
from tenants.stores import chain_table


async def _position(conn: asyncpg.Connection, runtime: Runtime, district: str,
                    as_of: datetime | None) -> tuple[int, datetime]:
    """The log position the read reflects, and its moment: now, or `as_of` (which must carry its
    offset, lie in the past and after the district's first record)."""
    now = runtime.now()
    if as_of is None:
        return await conn.fetchval(f'SELECT coalesce(max(position), 0) FROM {chain_table(district)}'), now
    if as_of.tzinfo is None:
        raise Invalid("as_of 须带时区，如 2025-03-15T17:00:00+08:00", "as_of needs its offset")
    if as_of > now:
        raise Invalid(f"as_of {as_of.isoformat()} 晚于此刻，不能查询将来的状态",
                      f"as_of {as_of.isoformat()} is in the future: there is no state to reconstruct yet")
    position = await position_at(conn, district, as_of)
    if position == 0:
        moment = as_of.astimezone(CST).isoformat()
        raise NotFound(f"区 {district} 在 {moment} 的状态（此刻早于该区的第一条记录）",
                       f"a state of district {district} at {moment} (before its first record)", kind="state")
    return position, as_of


async def _read(runtime: Runtime, caller: Caller, district: str, as_of: datetime | None, read: Any,
                on: date | None = None) -> dict[str, Any]:
    """`read(conn, mapper, position, cutoff)` as the records known at the moment asked (`as_of`,
    else now) make the day `on` (else that moment's day), with where in the log it stands and the
    checkpoint that covers it."""
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)  # opens its store once
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        position, moment = await _position(conn, runtime, district, as_of)
        known_on = moment.astimezone(CST).date()
        if on is not None and on > known_on:
            raise Invalid(f"on {on} 晚于 as_of 的日期 {known_on}：那时的记录不能说明之后的状态",
                          f"on {on} is after the as_of day {known_on}: records known then cannot tell a later day")
        answer = await read(conn, ledger.mapper, position, on or known_on)
        signed = await checkpoints.covering(conn, district, position) if position else None
    return {"district": district, **answer, "as_of": moment.astimezone(CST).isoformat(), "position": position,
            "checkpoint": signed.as_json() if signed else None,
            "proofs": f"/v1/districts/{district}/audit/proofs/inclusion?tree_size={signed.tree_size}&position="
            if signed else None}


def _by_stream(found: list[replayed.Change]) -> list[list[replayed.Change]]:
    streams: dict[UUID, list[replayed.Change]] = defaultdict(list)
    for change in found:
        streams[change.stream].append(change)
    return list(streams.values())


async def station(runtime: Runtime, caller: Caller, district: str, town: str,
                  as_of: datetime | None = None, on: date | None = None) -> dict[str, Any]:
    """The town's station on the day `on` as the records known at `as_of` make it (now and today
    without them): site, sign, staff by role, equipment, rules, the contracts in force, and its
    compliance that day, each gap named."""
    known_town(runtime, district, town)
    own_town(caller, town)

    async def read(conn: asyncpg.Connection, mapper: Any, position: int, cutoff: date) -> dict[str, Any]:
        found = await replayed.changes(conn, district, mapper, [stream_id(district, "station", town)], position)
        projects = await states.streams_naming(conn, district, "project_contracted", town, position)
        inspections = await states.streams_naming(conn, district, "inspection_done", town, position)
        project_changes = await stream_snapshots.changes(conn, district, mapper, projects, position)
        inspection_changes = await replayed.changes(conn, district, mapper, inspections, position)
        divisions = runtime.tenants.divisions
        named = divisions.town(town, cutoff) or divisions.towns_of(district)[town][-1]
        district_name = (divisions.district(district, cutoff) or divisions.district(district, runtime.today()))
        state = states.station_state(found, _by_stream(project_changes), inspection_changes,
                                     expected_sign=expected_signboard(district_name.name if district_name else "",
                                                                      named.name),
                                     cutoff=cutoff, rules=runtime.rules)
        return {"town": town, "name": named.name, "cutoff": cutoff.isoformat(), **state}

    return await _read(runtime, caller, district, as_of, read, on)


async def project(runtime: Runtime, caller: Caller, district: str, project_id: str,
                  as_of: datetime | None = None, on: date | None = None) -> dict[str, Any]:
    """The project on the day `on` as the records known at `as_of` make it (now and today without
    them): its contract, each fund line's amount, spent and left, its evaluations done and due,
    and its provider's exit."""
    async def read(conn: asyncpg.Connection, mapper: Any, position: int, cutoff: date) -> dict[str, Any]:
        found = await stream_snapshots.changes(conn, district, mapper, [stream_id(district, "project", project_id)],
                                               position)
        state = states.project_state(found, cutoff, runtime.rules)
        if state is None:
            raise NotFound(f"项目 {project_id} ", f"project {project_id}", kind="project")
        return {**state, "cutoff": cutoff.isoformat()}

    return await _read(runtime, caller, district, as_of, read, on)


async def plan(runtime: Runtime, caller: Caller, district: str, year: int, as_of: datetime | None = None) -> dict[str, Any]:
    """The district's plan for the year as the records known at `as_of` (now without it) made it:
    the keys of `plans.district_plan`, folded from the plan's own events; a year with no plan by
    then has status None."""
    async def read(conn: asyncpg.Connection, mapper: Any, position: int, _: date) -> dict[str, Any]:
        found = await replayed.changes(conn, district, mapper, [stream_id(district, "plan", str(year))], position)
        return {"year": year, **plans.plan_answer(*states.plan_rows(found))}

    return await _read(runtime, caller, district, as_of, read)


async def inspection(runtime: Runtime, caller: Caller, district: str, record_id: str,
                     as_of: datetime | None = None) -> dict[str, Any]:
    """The inspection and its rectification as the records known at `as_of` (now without it) tell
    them; an id that names no inspection of the district by then is not found."""
    async def read(conn: asyncpg.Connection, mapper: Any, position: int, cutoff: date) -> dict[str, Any]:
        found = await replayed.changes(conn, district, mapper, [record_stream(district, record_id)], position)
        state = states.inspection_state(found, cutoff)
        if state is None:
            raise NotFound(f"检查记录 {record_id} ", f"inspection {record_id}", kind="inspection")
        return {**state, "cutoff": cutoff.isoformat()}

    return await _read(runtime, caller, district, as_of, read)


async def plan_history(runtime: Runtime, caller: Caller, district: str, year: int,
                       as_of: datetime | None = None) -> dict[str, Any]:
    """Every event of the year's plan, in log order (none for a year with no plan)."""
    return await _history(runtime, caller, district, as_of, stream_id(district, "plan", str(year)), {"year": year})


async def station_history(runtime: Runtime, caller: Caller, district: str, town: str,
                          as_of: datetime | None = None) -> dict[str, Any]:
    """Every event that changed the town's station, in log order, with who recorded it and when."""
    known_town(runtime, district, town)
    own_town(caller, town)
    return await _history(runtime, caller, district, as_of, stream_id(district, "station", town), {"town": town})


async def project_history(runtime: Runtime, caller: Caller, district: str, project_id: str,
                          as_of: datetime | None = None) -> dict[str, Any]:
    """Every event that changed the project, in log order, with who recorded it and when."""
    answer = await _history(runtime, caller, district, as_of, stream_id(district, "project", project_id),
                            {"project": project_id})
    if not answer["events"]:
        raise NotFound(f"项目 {project_id} ", f"project {project_id}", kind="project")
    return answer


async def _history(runtime: Runtime, caller: Caller, district: str, as_of: datetime | None, stream: UUID,
                   names: dict[str, Any]) -> dict[str, Any]:
    async def read(conn: asyncpg.Connection, mapper: Any, position: int, _: date) -> dict[str, Any]:
        found = await replayed.changes(conn, district, mapper, [stream], position)
        return {**names, "events": states.timeline(found, await replayed.recorded_at(conn, district, found))}

    return await _read(runtime, caller, district, as_of, read)
