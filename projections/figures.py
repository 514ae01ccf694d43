"""The figures of a report, in the shape of `../shared/API.md`, built from the report tables.

Every code of a dimension is listed, with zeros where nothing was recorded, so that a
district's report and the city's line up row for row. Hours and money are decimal strings.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from domain.vocabulary import codes
from projections.periods import bounds, month_of

CENTS = Decimal("0.01")
DIMENSIONS = {  # report key -> (service_figures.dim, the vocabulary group listing its keys)
    "by_domain": ("domain", "service_domain"),
    "by_recipient_category": ("recipient_category", "recipient_category"),
    "by_service_type": ("service_type", "service_type"),
}


def money(value: Decimal | int) -> str:
    if type(value) is int:  # a count of yuan, or a sum of nothing: no Decimal to build (reports make many)
        return f"{value}.00"
    return str(Decimal(value).quantize(CENTS))


def _cell(person_times: int = 0, recipients: int = 0, hours: Decimal | int = 0) -> dict[str, Any]:
    return {"person_times": person_times, "recipients": recipients, "hours": money(hours)}


_EMPTY = _cell()


@cache
def vocabulary_codes(group: str) -> tuple[str, ...]:
    """`domain.vocabulary.codes`, looked up once per group (the vocabulary is fixed at start-up)."""
    return codes(group)


def _months(period: str) -> list[str]:
    start, _ = bounds(period)
    return [month_of(start.replace(month=start.month + n)) for n in range(6)]


def service_figures(period: str, rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The service part of one scope's figures, from its `reports.service_figures` rows."""
    by_dim: dict[str, dict[str, dict[str, Any]]] = {
        dim: {code: _EMPTY.copy() for code in vocabulary_codes(vocabulary)} for dim, vocabulary in DIMENSIONS.values()}
    by_dim |= {"month": {m: _EMPTY.copy() for m in _months(period)}, "village": {}, "total": {"": _EMPTY.copy()}}
    for row in rows:
        if row["dim"] in by_dim:  # a project's figures are the `projects` section's (`sections.py`)
            by_dim[row["dim"]][row["key"]] = _cell(row["person_times"], row["recipients"], row["hours"])
    total = by_dim["total"][""]
    return {
        "person_times": total["person_times"],
        "recipients": total["recipients"],
        "service_hours": total["hours"],
        **{group: by_dim[dim] for group, (dim, _) in DIMENSIONS.items()},
        "by_month": by_dim["month"],
        "by_village": dict(sorted(by_dim["village"].items())),
    }


def fund_figures(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    by_source = {code: Decimal(0) for code in vocabulary_codes("fund_source")}
    for row in rows:
        by_source[row["source"]] += row["amount"]
    return {"funds_spent": money(sum(by_source.values())),
            "funds_by_source": {source: money(amount) for source, amount in by_source.items()}}


def add(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """The sum of two figure dicts (counts, decimal strings and nested dicts alike)."""
    result = dict(total)
    for key, b in more.items():
        a = result.get(key)
        if a is None:
            result[key] = b
        elif isinstance(a, dict):
            result[key] = add(a, b)
        elif isinstance(a, str):
            result[key] = money(Decimal(a) + Decimal(b))
        else:
            result[key] = a + b
    return result
