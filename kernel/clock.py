"""China Standard Time: business dates and displayed times. China keeps no daylight saving."""

from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    return datetime.now(CST)


def today() -> date:
    return now().date()
