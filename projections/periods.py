"""Half years: `YYYYH1` is January to June, `YYYYH2` July to December."""

import re
from datetime import date

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
