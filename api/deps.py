"""The dependencies every route shares, resolved once per request: the runtime, the caller,
the district in the caller's scope, and what the caller may do there.

They are `async def` although they await nothing (but a registry read for a district not yet
known): FastAPI runs a plain `def` dependency in a worker thread, a hop per dependency, each
costing more than the work itself.
"""

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import auth
from api.problems import ApiProblem, forbidden, not_found
from domain import personal_data
from domain.values import DISTRICT_PATTERN
from service import audit_trail, queries
from service.callers import Caller, Role
from service.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_tokens(request: Request) -> auth.Tokens:
    return request.app.state.tokens


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
TokensDep = Annotated[auth.Tokens, Depends(get_tokens)]

bearer = HTTPBearer(auto_error=False, description="`stations token --role ...` mints one")


# FastAPI solves every dependency of a route again for each request, so the ones
# every request solves take the `Request` itself rather than `RuntimeDep`, and a district's
# routes have one dependency for the caller, the district and the role (`acting_in`).
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
DistrictPath = Annotated[str, Path(pattern=DISTRICT_PATTERN, examples=["350203"])]


async def get_caller(request: Request, credentials: Credentials) -> Caller:
    return authenticate(request, credentials)


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """The caller the bearer token names; 401 without a valid one."""
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
    if not in_scope:
        raise not_found(f"区 {district} ", f"district {district}")
    await queries.known_district(request.app.state.runtime, district)


DistrictDep = Annotated[str, Depends(get_district)]


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
        caller = authenticate(request, credentials)
        await _check_district(request, caller, district)
        _check_role(caller, roles)
        return Acting(district, caller)

    return acting


async def get_known_district(district: Annotated[str, Path(pattern=DISTRICT_PATTERN)], runtime: RuntimeDep) -> str:
    """A district of the path the registry knows (for the city's routes, which see every one)."""
    return await queries.known_district(runtime, district)


# Resolved after the caller's role (declare it first), so a district caller is refused alike
# for every district and learns nothing of which exist.
KnownDistrict = Annotated[str, Depends(get_known_district)]


async def log_auditor_read(request: Request, caller: CallerDep, runtime: RuntimeDep) -> None:
    """Record an auditor's read of an endpoint that shows records (pseudonyms included)."""
    await audit_trail.log_read(runtime, caller, request.path_params.get("district", ""), request.url.path,
                               request.url.query)


AuditedRead = Depends(log_auditor_read)


# An id the caller's systems can find the request by, stored in its events: letters, digits and
# a few separators, and no personal data.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


async def request_id(x_request_id: Annotated[str | None, Header(
        description="stored with the events of the request when it is 1-128 letters, digits and `._:-`"
                    " holding no personal data; else a new UUID is")] = None) -> str:
    if x_request_id and REQUEST_ID.fullmatch(x_request_id) and not personal_data.found_in(x_request_id):
        return x_request_id
    return str(uuid.uuid4())


RequestIdDep = Annotated[str, Depends(request_id)]
