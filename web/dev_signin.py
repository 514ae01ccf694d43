"""Development sign-in: mint a token for any role from the dashboard's sign-in page.

Included only when `STATIONS_ENVIRONMENT=development` (`web.routes.router`): in any other
environment these routes do not exist at all, so they answer 404 like any unknown path. Even in
development they answer only a caller on this machine (loopback), and 404 to any other.
"""

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, Field

from service.callers import Role
from api.deps import RuntimeDep, TokensDep
from api.problems import ApiProblem, not_found
from web.divisions import District, listed


async def loopback_only(request: Request) -> None:
    """A development server reachable from the network mints no token for the network."""
    try:
        loopback = request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:  # not an address (a test client's name, a Unix socket's path)
        loopback = False
    if not loopback:
        raise not_found("开发登录", "the development sign-in")


router = APIRouter(prefix="/v1/dev", tags=["development 开发"], dependencies=[Depends(loopback_only)])


class SignInChoices(BaseModel):
    roles: list[str]
    districts: list[District]


class SignIn(BaseModel):
    role: Role
    district: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    town: str | None = Field(default=None, pattern=r"^[0-9]{9}$")


class Minted(BaseModel):
    token: str
    role: str
    district: str | None
    town: str | None
    expires_in_hours: int


def _invalid(zh: str, en: str) -> ApiProblem:
    return ApiProblem(422, "validation", "请求有误 / Invalid request", f"{zh} / {en}")


@router.get("/sign-in", response_model=SignInChoices,
            summary="开发登录的选项 / What the development sign-in can mint a token for")
def choices(runtime: RuntimeDep) -> SignInChoices:
    """Roles, and the districts with their towns as named today (a plain `def`: the registry may
    be read again, which blocks)."""
    runtime.tenants.refresh()
    divisions = runtime.tenants.divisions
    return SignInChoices(roles=[role.value for role in Role], districts=listed(divisions, divisions.district_codes))


@router.post("/sign-in", response_model=Minted, summary="开发登录：签发令牌 / Development sign-in: mint a token")
def sign_in(runtime: RuntimeDep, tokens: TokensDep, request: Annotated[SignIn, Body()]) -> Minted:
    """A token for the role (with its district, and a station's town), signed like `stations token`'s."""
    if request.district is not None and not runtime.tenants.knows(request.district):
        raise _invalid(f"区 {request.district} 不存在", f"no district {request.district}")
    if request.town is not None and not runtime.tenants.divisions.town_belongs(request.town, request.district or ""):
        raise _invalid(f"镇(街道) {request.town} 不属于区 {request.district}",
                       f"town {request.town} is not in district {request.district}")
    try:
        token = tokens.mint(sub=f"dev-{request.role.value}", role=request.role, district=request.district,
                            town=request.town)
    except ValueError as exc:  # the claims do not fit the role (auth.check_claims)
        raise _invalid("角色与所填的区、镇(街道)不相符", str(exc)) from exc
    return Minted(token=token, role=request.role.value, district=request.district, town=request.town,
                  expires_in_hours=tokens.hours)
