"""The dependencies every route shares, resolved once per request: the runtime, the caller,
the district in the caller's scope, and what the caller may do there.

They are `async def` although they await nothing (but a registry read for a district not yet
known): FastAPI runs a plain `def` dependency in a worker thread, a hop per dependency and six
of them per report read, each costing more than the work itself.
"""

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import auth
from api.auth import Caller, Role
from api.problems import ApiProblem, forbidden, not_found
from projections.connections import ServerPools
from projections.report_rows import CITY_SERVER
from projections.progress import Progress
from service.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_read_pool(request: Request) -> asyncpg.Pool:
    """The read pool of the server holding the path's district (the service's own database for
    routes without one: the city's reads combine servers themselves)."""
    pools: ServerPools = request.app.state.read_pools
    district = request.path_params.get("district")
    if not district or pools.server_of(district) is None:
        return pools.home
    CITY_SERVER.set(pools.home)
    return await pools.of_store(district)


async def get_read_pools(request: Request) -> ServerPools:
    return request.app.state.read_pools


async def get_progress(request: Request) -> Progress:
    return request.app.state.progress


async def get_tokens(request: Request) -> auth.Tokens:
    return request.app.state.tokens


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
TokensDep = Annotated[auth.Tokens, Depends(get_tokens)]
ReadPoolDep = Annotated[asyncpg.Pool, Depends(get_read_pool)]
ReadPoolsDep = Annotated[ServerPools, Depends(get_read_pools)]
ProgressDep = Annotated[Progress, Depends(get_progress)]

bearer = HTTPBearer(auto_error=False, description="`stations token --role ...` mints one")


# FastAPI solves every dependency of a route again for each request (~40 µs each here, a
# tenth of a one-record write's time for the five under a district's route), so the ones
# every request solves take the `Request` itself rather than `RuntimeDep`, and a district's
# routes have one dependency for the caller, the district and the role (`acting_in`).
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
DISTRICT_PATTERN = r"^[0-9]{6}$"
DistrictPath = Annotated[str, Path(pattern=DISTRICT_PATTERN, examples=["350203"])]


async def get_caller(request: Request, credentials: Credentials) -> Caller:
    return _caller(request, credentials)


def _caller(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiProblem(401, "unauthorized", "未认证 / Unauthorized",
                         "缺少 Bearer 令牌 / a Bearer token is required", headers=challenge)
    try:
        return request.app.state.tokens.decode(credentials.credentials)
    except auth.InvalidToken as exc:
        raise ApiProblem(401, "unauthorized", "未认证 / Unauthorized",
                         f"令牌无效或已过期 / the token is invalid or expired ({exc})", headers=challenge) from exc


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_district(district: DistrictPath, caller: CallerDep, request: Request) -> str:
    """The district of the path, if it is in the caller's scope; another tenant's is 404."""
    await _check_district(request, caller, district)
    return district


async def _check_district(request: Request, caller: Caller, district: str) -> None:
    in_scope = caller.sees_all_districts() or caller.district == district
    if not in_scope or not await knows(request.app.state.runtime, district):
        raise not_found(f"区 {district} ", f"district {district}")


DistrictDep = Annotated[str, Depends(get_district)]


async def knows(runtime: Runtime, district: str) -> bool:
    """Whether the registry knows the district: from memory, or (for one not known yet, which
    reads the registry and may open the district's store) in a worker thread."""
    if runtime.tenants.divisions.has_district(district):
        return True
    return await run_in_threadpool(runtime.tenants.knows, district)


def allow(*roles: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency letting only these roles act (403 for the others, who are in scope)."""
    async def check(caller: CallerDep) -> Caller:
        _check_role(caller, roles)
        return caller

    return check


def _check_role(caller: Caller, roles: tuple[Role, ...]) -> None:
    if caller.role not in roles:
        raise forbidden(f"角色 {caller.role} 无权执行此操作",
                        f"role {caller.role} may not do this (allowed: {', '.join(roles)})")


@dataclass(frozen=True)
class Acting:
    district: str
    caller: Caller


def acting_in(*roles: Role) -> Callable[..., Awaitable[Acting]]:
    """`DistrictDep` and `allow(*roles)` as one dependency: the same checks in the same order
    (401 without a valid token, 404 for a district out of scope, 403 for another role)."""
    async def acting(district: DistrictPath, request: Request, credentials: Credentials) -> Acting:
        caller = _caller(request, credentials)
        await _check_district(request, caller, district)
        _check_role(caller, roles)
        return Acting(district, caller)

    return acting


ALL_DISTRICTS = "*"
_PLAIN_SCOPE = re.compile(r"[0-9A-Za-z_]+|\*")
POSITION_MAX = 2**63 - 1  # a log position is a PostgreSQL bigint


@asynccontextmanager
async def scoped_connection(pool: asyncpg.Pool, scope: str, *,
                            readonly: bool = True) -> AsyncIterator[asyncpg.Connection]:
    """A snapshot in which the database itself shows only `scope`'s rows (`readonly=False` only
    to fill temporary tables: the role may write nothing else).

    The role and the scope are set for this transaction only (never for the pooled session),
    so row-level security hides every other district's report rows and events even from a
    query that forgets its own filter. The transaction begins and both are set in one round
    trip: a statement with parameters holds one command only, so a scope of plain letters,
    digits or '*' (every scope the service makes) stands in the text as a literal; any other is
    passed as a parameter, in a statement of its own. Begun by hand, the transaction takes no
    `conn.transaction()` inside it: a savepoint is `SAVEPOINT` SQL.
    """
    begin = f"BEGIN ISOLATION LEVEL REPEATABLE READ{' READ ONLY' if readonly else ''}; SET LOCAL ROLE stations_reader"
    plain = _PLAIN_SCOPE.fullmatch(scope)
    async with pool.acquire() as conn:
        await conn.execute(f"{begin}; SET LOCAL stations.scope = '{scope}'" if plain else begin)
        try:
            if not plain:
                await conn.execute("SELECT set_config('stations.scope', $1, true)", scope)
            yield conn
        except BaseException:
            with contextlib.suppress(Exception):  # a connection lost meanwhile: the pool closes it
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")


async def get_read_scope(caller: CallerDep) -> str:
    """What the caller's reads may see in the database: their district, or every district."""
    return ALL_DISTRICTS if caller.sees_all_districts() else caller.district


ReadScopeDep = Annotated[str, Depends(get_read_scope)]


async def log_auditor_read(request: Request, caller: CallerDep, pool: ReadPoolDep) -> None:
    """Record an auditor's read of an endpoint that shows records (pseudonyms included)."""
    if caller.role is Role.auditor:
        async with pool.acquire() as conn:
            await conn.execute("INSERT INTO audit.access_log (subject, role, district, path, query)"
                               " VALUES ($1, $2, $3, $4, $5)", caller.sub, caller.role,
                               request.path_params.get("district", ""), request.url.path, request.url.query)


AuditedRead = Depends(log_auditor_read)


REQUEST_ID_MAX = 128


async def request_id(x_request_id: Annotated[str | None, Header(max_length=REQUEST_ID_MAX)] = None) -> str:
    return x_request_id or str(uuid.uuid4())


RequestIdDep = Annotated[str, Depends(request_id)]
