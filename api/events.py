"""Auditing: `GET /v1/districts/{district}/events`, the district's event log in order."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.auth import Caller, Role
from api.deps import (
    POSITION_MAX, AuditedRead, DistrictDep, ReadPoolDep, ReadScopeDep, RuntimeDep, allow, scoped_connection,
)
from projections.event_log import read_page

router = APIRouter(prefix="/v1/districts/{district}", tags=["audit 审计"])


class Actor(BaseModel):
    sub: str
    role: str


class LoggedEvent(BaseModel):
    position: int
    stream: str
    version: int
    type: str
    event: str
    record_id: str
    recorded_at: str
    decided_at: str
    actor: Actor
    request_id: str
    payload: dict[str, Any]
    hash: str
    chain: str


class EventPage(BaseModel):
    events: list[LoggedEvent]
    next_after: int


Reader = Annotated[Caller, Depends(allow(Role.district, Role.city, Role.auditor, Role.admin))]


@router.get("/events", response_model=EventPage, summary="事件日志 / The district's event log", dependencies=[AuditedRead])
async def get_events(district: DistrictDep, _: Reader, runtime: RuntimeDep, pool: ReadPoolDep,
                     read_scope: ReadScopeDep,
                     after: Annotated[int, Query(ge=0, le=POSITION_MAX, description="return events after this position")] = 0,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> EventPage:
    """Events in the order they were recorded, each with its position, stream, version,
    record type, recorded-at time (China Standard Time), actor, payload and hash."""
    ledger = await run_in_threadpool(runtime.tenants.ledger, district)  # opens its store once
    async with scoped_connection(pool, read_scope) as conn:
        events = await read_page(conn, district, ledger.mapper, after=after, limit=limit)
    return EventPage(events=events, next_after=events[-1]["position"] if events else after)
