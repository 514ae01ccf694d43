"""The half year a reader's screens open on: the one due for reporting when the caller's scope
has records in it, else the latest that has any, else the current one (a fresh database)."""

import asyncio
from dataclasses import dataclass

from kernel import clock
from projections.connections import ALL_DISTRICTS, scoped
from projections.periods import period_of, previous, recorded
from projections.report_rows import CITY_SERVER
from service.callers import Caller
from service.runtime import Runtime
from tenants.stores import CITY


@dataclass(frozen=True)
class Periods:
    opening: str  # the one a dashboard opens on
    current: str  # today's half year (China Standard Time)
    due: str  # the last half year that has ended: the one due for reporting
    latest_recorded: str | None  # the latest half year with records in the caller's scope


def choose(current: str, latest: str | None, due_has_records: bool) -> Periods:
    """The due half year if it has records, else the latest that has, else the current one."""
    due = previous(current)
    opening = due if due_has_records else latest or current
    return Periods(opening, current, due, latest)


async def opening_period(runtime: Runtime, caller: Caller) -> Periods:
    """`choose` over the districts the caller reads (the province: the city's, all of them),
    each server asked once, all at once."""
    current = period_of(clock.today())
    due = previous(current)
    everyone = caller.sees_all_districts() or caller.district is None
    town = caller.town if caller.town_scoped() else None
    pools = runtime.reads

    async def ask(server: str | None, stores: list[str]) -> tuple[str | None, bool]:
        districts = [s for s in stores if s != CITY and (everyone or s == caller.district)]
        if not districts:
            return None, False
        if server is not None:
            CITY_SERVER.set(pools.home)
        async with scoped(await pools.of_server(server), ALL_DISTRICTS if everyone else caller.district) as conn:
            return await recorded(conn, districts, due, town)

    found = await asyncio.gather(*(ask(server, stores) for server, stores in runtime.tenants.servers().items()))
    latest = max((latest for latest, _ in found if latest is not None), default=None)
    return choose(current, latest, any(has for _, has in found))
