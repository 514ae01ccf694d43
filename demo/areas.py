"""The districts and towns a demo year is made for: Xiamen's by default, any others on request.

Names matter: a signboard must read exactly ××区××镇(街道)民政服务站, so each town carries the
name its district and town had in the demo year.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.divisions import Divisions
from tenants.registry import bundled_divisions


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    kind: str = "街道"  # 镇 or 街道: a 镇 has villages (村) as well as communities (社区)
    valid_from: date | None = None  # no record may be dated before the town existed


@dataclass(frozen=True)
class District:
    code: str
    name: str
    towns: tuple[Town, ...]


def xiamen() -> tuple[District, ...]:
    """Xiamen's 6 districts and 45 towns, as the service ships them."""
    districts, towns = bundled_divisions()
    return tuple(District(d.code, d.name, tuple(Town(t.code, t.name, t.kind, t.valid_from)
                                                for t in towns if t.district == d.code))
                 for d in districts)


def from_divisions(divisions: Divisions, codes: Iterable[str], on: date) -> tuple[District, ...]:
    """The given districts as the registry names them on a day (the demo year's last, say)."""
    found = []
    for code in codes:
        district = divisions.district(code, on)
        if district is None:
            raise LookupError(f"no district {code} on {on}")
        towns = []
        for town_code, versions in sorted(divisions.towns_of(code).items()):
            version = next((v for v in versions if v.valid_on(on) and v.district == code), None)
            if version is not None:
                towns.append(Town(town_code, version.name, version.kind, version.valid_from))
        found.append(District(code, district.name, tuple(towns)))
    return tuple(found)
