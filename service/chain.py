"""The rules of the reporting chain that a submission is checked against (`../shared/API.md`,
"The chain composes"): the half year has ended, and the reports of the level below are approved
(or the submission says why it goes without them, and lists them as `missing`)."""

from datetime import datetime
from typing import Any

from projections.periods import bounds
from service.errors import ChildrenNotApproved, PeriodOpen


def check_period_ended(period: str, moment: datetime) -> None:
    """A half year is reported once it has ended: `moment` (China Standard Time) is past its last day."""
    end = bounds(period)[1]
    if moment.date() <= end:
        raise PeriodOpen(period, end.isoformat())


def unapproved_towns(district_report: dict[str, Any]) -> list[dict[str, str]]:
    """Each town with a station in the period whose report is not approved, with its status."""
    return [{"town": t["town"], "name": t["name"], "status": t["status"]} for t in district_report["towns"]
            if "no_station" not in t["compliance"]["gap_codes"] and t["status"] != "approved"]


def unapproved_districts(districts: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each district with a station in the period now (`stations_now`) whose report is not
    approved, with its status."""
    return [{"district": d["district"], "name": d["name"] or "", "status": d["status"]}
            for d in districts if d["stations_now"] > 0 and d["status"] != "approved"]


def children_first(kind: str, blocking: list[dict[str, str]], incomplete_reason: str | None) -> dict[str, Any]:
    """What the submission freezes beside its figures: nothing when every child is approved; the
    children it goes without (`missing`) and why, when the caller says why; else a refusal."""
    if not blocking:
        return {}
    if incomplete_reason is None:
        raise ChildrenNotApproved(kind, blocking)
    return {"missing": blocking, "incomplete_reason": incomplete_reason}
