"""Auditing: `GET /v1/districts/{district}/events`, the district's event log in order."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import AuditedRead, DistrictDep, RuntimeDep, allow
from domain.values import POSITION_MAX
from service import audit_trail
from service.callers import Caller, Role

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
    # The owner's level when a level above it wrote the record (API.md, "Roles and duties"); null otherwise.
    on_behalf_of: Literal["station", "town", "district"] | None = None
    request_id: str
    payload: dict[str, Any]
    hash: str
    chain: str


class EventPage(BaseModel):
    events: list[LoggedEvent]
    next_after: int


Reader = Annotated[Caller, Depends(allow(Role.district, Role.city, Role.auditor, Role.admin))]


@router.get("/events", response_model=EventPage, summary="事件日志 / The district's event log", dependencies=[AuditedRead])
async def get_events(district: DistrictDep, caller: Reader, runtime: RuntimeDep,
                     after: Annotated[int, Query(ge=0, le=POSITION_MAX, description="return events after this position")] = 0,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> EventPage:
    """Events in the order they were recorded, each with its position, stream, version,
    record type, recorded-at time (China Standard Time), actor, payload and hash."""
    return EventPage.model_validate(await audit_trail.events(runtime, caller, district, after=after, limit=limit))
