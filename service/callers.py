"""Who asks: the caller a token names (role, district, town), and what each role may see."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    station = "station"
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


OPERATOR = Caller("operator", Role.admin)  # the command line's, run by whoever runs the service
