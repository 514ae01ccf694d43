"""A frozen version of a district's (or a town's) report recomputed from the live log at the
positions it froze, and compared with what was frozen (`../shared/API.md`, "Provable reports").

A district's version taken at its towns' approved versions (`cut`) is made again as its
submission made it: each town's report at the position of the cut, the district's own report at
the position it froze, put together by the same code (`projections.cut.at_the_cut`).
"""

from typing import Any

import asyncpg
from anyio import to_thread
from typing_extensions import TypedDict  # pydantic documents typing's only from Python 3.12

from kernel.digest import figures_digest
from projections import cut
from projections import replay as replaying
from projections.connections import scoped
from projections.replay import Difference
from projections.reports import Scope
from service.callers import Caller
from service.errors import NotFound
from service.queries import known_town, read_pool, read_scope
from service.runtime import Runtime


class Replay(TypedDict):
    district: str
    period: str
    town: str | None  # None: the district's own version
    version: str
    position: int  # the position the version froze
    cut: dict[str, int] | None  # a district version's towns and their approved versions' positions
    equal: bool
    differences: list[Difference]


async def replayed(runtime: Runtime, caller: Caller, district: str, period: str, version: str,
                   town: str = "") -> Replay:
    """`{"equal", "differences": [{"figure", "frozen", "replayed"}]}` for the district's version
    (town '') or the town's; 404 when there is no such version."""
    if town:
        known_town(runtime, district, town)
    pool, seen, scope = await read_pool(runtime, district), read_scope(caller), runtime.scope(district, period)
    async with scoped(pool, seen) as conn:
        found = await replaying.frozen(conn, scope, town, version)
    if found is None:
        raise NotFound(f"{period} 的{'已报送' if version == 'submitted' else '已审核'}报表 ",
                       f"a {version} {period} report", kind="report")
    position, frozen = found
    if town or "cut" not in frozen:
        made = await _at(pool, seen, scope, town, position)
    else:
        made = await _at_the_cut(runtime, pool, seen, scope, position, frozen["cut"])
    made["digest"] = figures_digest(made["figures"])
    differences = replaying.differences(frozen, made)
    return Replay(district=district, period=period, town=town or None, version=version, position=position,
                  cut=frozen.get("cut"), equal=not differences, differences=differences)


async def _at(pool: asyncpg.Pool, seen: str, scope: Scope, town: str, position: int) -> dict[str, Any]:
    """The report made from the log up to `position`, in a transaction of its own."""
    async with scoped(pool, seen, readonly=False) as conn:
        report = await replaying.report_at(conn, scope, town, position)
    if report is None:
        raise NotFound(f"镇(街道) {town} ", f"town {town}", kind="town")
    return report


async def _at_the_cut(runtime: Runtime, pool: asyncpg.Pool, seen: str, scope: Scope, position: int,
                      taken: dict[str, int]) -> dict[str, Any]:
    """The district's version made again: its towns' reports at the cut's positions, its own at
    `position`, and the cut's services read from the log."""
    towns = {town: await _at(pool, seen, scope, town, at) for town, at in sorted(taken.items())}
    own = await _at(pool, seen, scope, "", position)
    ledger = await to_thread.run_sync(runtime.tenants.ledger, scope.district)
    async with scoped(pool, seen) as conn:
        services = await cut.cut_services(conn, scope.district, scope.period, taken, ledger.mapper)
    approved = {town: {"position": taken[town], "report": report, "checkpoint": None} for town, report in towns.items()}
    return cut.at_the_cut(own, approved, services)
