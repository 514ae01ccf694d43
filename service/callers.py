"""Who asks: the caller a token names (role, district, town), and what each role may see."""

from dataclasses import dataclass
from enum import StrEnum

from domain.duties import Level


class Role(StrEnum):
    station = "station"  # the provider's staff at one station
    town = "town"  # the town government (镇(街道)), scoped to its town as a station is
    district = "district"
    city = "city"
    auditor = "auditor"
    admin = "admin"
    province = "province"  # the provincial department: reads, approves or returns the city's report


@dataclass(frozen=True)
class Caller:
    sub: str
    role: Role
    district: str | None = None
    town: str | None = None

    def sees_all_districts(self) -> bool:
        return self.role in (Role.city, Role.auditor, Role.admin)

    def town_scoped(self) -> bool:
        return self.role in TOWN_SCOPED

    @property
    def level(self) -> Level | None:
        """The level of the chain whose duties the caller records (none for a reader or the province)."""
        return LEVELS.get(self.role)


TOWN_SCOPED = (Role.station, Role.town)
LEVELS = {Role.station: Level.station, Role.town: Level.town, Role.district: Level.district, Role.city: Level.city}


OPERATOR = Caller("operator", Role.admin)  # the command line's, run by whoever runs the service
