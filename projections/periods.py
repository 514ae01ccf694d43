"""Half years: `YYYYH1` is January to June, `YYYYH2` July to December; and which of them hold records."""

import re
from datetime import date

import asyncpg

from domain.values import PERIOD_PATTERN


def period_of(day: date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def bounds(period: str) -> tuple[date, date]:
    """The first and last day of a half year."""
    if not re.fullmatch(PERIOD_PATTERN, period):
        raise ValueError(f"not a half year: {period!r} (expected 20YYH1 or 20YYH2)")
    year, half = int(period[:4]), period[5]
    return (date(year, 1, 1), date(year, 6, 30)) if half == "1" else (date(year, 7, 1), date(year, 12, 31))


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous(period: str) -> str:
    """The half year before `period`."""
    year, half = int(period[:4]), period[5]
    return f"{year}H1" if half == "2" else f"{year - 1}H2"


# A district's latest period with records and whether `due` has any: two walks of the
# (district, period, position) index that stop at their first row. A statement a district: Citus
# plans no subquery correlated with a list of districts, where one district's is sent whole to its node.
_RECORDED = """
SELECT (SELECT r.period FROM record_periods r WHERE r.district = $1 AND ($3::text IS NULL OR r.town = $3)
        ORDER BY r.period DESC LIMIT 1) AS latest,
       EXISTS (SELECT FROM record_periods r WHERE r.district = $1 AND r.period = $2
               AND ($3::text IS NULL OR r.town = $3)) AS due
"""


async def recorded(conn: asyncpg.Connection, districts: list[str], due: str,
                   town: str | None = None) -> tuple[str | None, bool]:
    """The latest half year the districts (or their one town) have records in, and whether `due` has any."""
    rows = [await conn.fetchrow(_RECORDED, district, due, town) for district in districts]
    return max((row["latest"] for row in rows if row["latest"]), default=None), any(row["due"] for row in rows)
