"""`GET /v1/districts`: the districts and towns in the caller's scope, as named today, for the
dashboard's selectors (the city's report would name them too, at the cost of every district's
figures)."""

from fastapi import APIRouter
from pydantic import BaseModel

from service.callers import Caller
from api.deps import CallerDep, RuntimeDep
from domain.divisions import Divisions
from kernel import clock

router = APIRouter(tags=["divisions 区划"])


class Town(BaseModel):
    code: str
    name: str


class District(BaseModel):
    code: str
    name: str
    towns: list[Town]


class DistrictList(BaseModel):
    districts: list[District]


def listed(divisions: Divisions, codes: list[str], only_town: str | None = None) -> list[District]:
    """The districts with their towns, each under its name of today (or its last one)."""
    today = clock.today()
    found = []
    for code in codes:
        district = divisions.district(code, today)
        towns = [next((v for v in versions if v.valid_on(today)), versions[-1])
                 for versions in divisions.towns_of(code).values()]
        found.append(District(code=code, name=district.name if district else code, towns=[
            Town(code=t.code, name=t.name) for t in sorted(towns, key=lambda t: t.code)
            if t.district == code and only_town in (None, t.code)]))
    return found


def in_scope(caller: Caller, divisions: Divisions) -> list[District]:
    if caller.sees_all_districts():
        return listed(divisions, divisions.district_codes)
    if caller.district is None:  # the province: the city's report is its scope, no district
        return []
    return listed(divisions, [caller.district], caller.town if caller.town_scoped() else None)


@router.get("/v1/districts", response_model=DistrictList,
            summary="可见的区及其镇(街道) / The districts and towns in the caller's scope")
def districts(caller: CallerDep, runtime: RuntimeDep) -> DistrictList:
    """Every district the service knows (those of the city's report) for the city, auditors and
    admins; a district its own; a station or a town its own district with its own town only; the province none."""
    return DistrictList(districts=in_scope(caller, runtime.tenants.divisions))
