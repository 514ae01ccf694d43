"""Districts and towns as the domain sees them: dated, so a rename is a new version.

A town is renamed, merged or turned from 镇 into 街道 over time; each change is a new
`TownVersion` valid from a date, never an edit of the old one. The registry that stores
them lives in `tenants/`; the domain only asks it questions.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar


@dataclass(frozen=True)
class DistrictVersion:
    code: str
    name: str
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return _within(day, self.valid_from, self.valid_to)


@dataclass(frozen=True)
class TownVersion:
    code: str
    district: str
    name: str
    kind: str  # 镇 or 街道
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return _within(day, self.valid_from, self.valid_to)


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


class Divisions:
    """An immutable snapshot of the registry, answering by date."""

    def __init__(self, districts: Iterable[DistrictVersion], towns: Iterable[TownVersion]):
        self._districts: dict[str, list[DistrictVersion]] = {}
        self._towns: dict[str, list[TownVersion]] = {}
        for d in districts:
            self._districts.setdefault(d.code, []).append(d)
        for t in towns:
            self._towns.setdefault(t.code, []).append(t)
        self._belongs = {(t.code, t.district) for versions in self._towns.values() for t in versions}

    def has_district(self, code: str) -> bool:
        return code in self._districts

    @property
    def district_codes(self) -> list[str]:
        return sorted(self._districts)

    def district(self, code: str, on: date) -> DistrictVersion | None:
        return _version_on(self._districts.get(code, ()), on)

    def town(self, code: str, on: date) -> TownVersion | None:
        return _version_on(self._towns.get(code, ()), on)

    def town_belongs(self, town: str, district: str) -> bool:
        """Whether the town has ever been part of the district."""
        return (town, district) in self._belongs

    def towns_of(self, district: str) -> Mapping[str, list[TownVersion]]:
        return {
            code: versions
            for code, versions in self._towns.items()
            if any(v.district == district for v in versions)
        }


V = TypeVar("V", DistrictVersion, TownVersion)


def _version_on(versions: Iterable[V], on: date) -> V | None:
    for version in versions:  # a loop, not next() over a generator: asked twice for every record written
        if version.valid_on(on):
            return version
    return None
