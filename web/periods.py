"""`GET /v1/periods`: the half year the dashboard opens on for the caller, decided from the
report tables so a screen opens on figures rather than on an empty current half year."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import CallerDep, RuntimeDep
from service.periods import opening_period

router = APIRouter(tags=["divisions 区划"])


class Periods(BaseModel):
    opening: str = Field(description="the half year to open on: `due` when it has records in the caller's scope,"
                                     " else `latest_recorded`, else `current`", examples=["2025H2"])
    current: str = Field(description="today's half year (China Standard Time)", examples=["2026H2"])
    due: str = Field(description="the last half year that has ended: the one due for reporting", examples=["2026H1"])
    latest_recorded: str | None = Field(description="the latest half year with records in the caller's scope"
                                                    " (none on an empty database)", examples=["2025H2"])


@router.get("/v1/periods", response_model=Periods,
            summary="仪表盘默认报告期 / The half year the dashboard opens on")
async def periods(caller: CallerDep, runtime: RuntimeDep) -> Periods:
    """For the caller's scope (a district, its one town, or every district for the city, auditors,
    admins and the province)."""
    chosen = await opening_period(runtime, caller)
    return Periods(opening=chosen.opening, current=chosen.current, due=chosen.due,
                   latest_recorded=chosen.latest_recorded)
