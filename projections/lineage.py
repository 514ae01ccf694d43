"""Lineage: the events behind one figure of a report, voided ones marked, adding up to it."""

from decimal import Decimal
from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper

from domain.events import RecordEvent, RecordKeeping
from domain.inspection import Inspection
from domain.project import Project
from domain.service import ServiceDelivery
from domain.station import Station
from projections.event_log import EVENT_COLUMNS, describe, stored_event
from projections.figures import money
from projections.periods import month_of
from projections.reports import Scope
from tenants.event_store import SCHEMA, chain_table, events_table

SERVICE_DIMENSIONS = {"by_domain": "domain", "by_recipient_category": "recipient_category",
                      "by_service_type": "service_type", "by_village": "village_key"}
SERVICE_MEASURES = {"person_times", "hours", "service_hours", "recipients"}


class UnknownFigure(ValueError):
    pass


def _select(path: list[str]):
    """(which events count, what each contributes, how contributions add up: a count, a
    decimal sum or distinct values) for a figure path."""
    match path:
        case ["person_times" | "service_hours" | "recipients" as measure]:
            return _service(lambda e: True, measure)
        case [dim, key, measure] if dim in SERVICE_DIMENSIONS and measure in SERVICE_MEASURES:
            return _service(lambda e: getattr(e, SERVICE_DIMENSIONS[dim]) == key, measure)
        case ["by_month", month, measure] if measure in SERVICE_MEASURES:
            return _service(lambda e: month_of(e.occurred_on) == month, measure)
        case ["funds_spent"]:
            return lambda e: isinstance(e, Project.FundSpent), lambda e: e.amount, "money"
        case ["funds_by_source", source]:
            return lambda e: isinstance(e, Project.FundSpent) and e.source == source, lambda e: e.amount, "money"
        case ["inspections"]:
            return lambda e: isinstance(e, Inspection.Done), lambda e: 1, "count"
        case ["projects", "core" | "linked" as role]:
            return lambda e: isinstance(e, Project.Contracted) and e.role == role, lambda e: 1, "count"
        case ["stations"]:
            return lambda e: isinstance(e, (Station.Established, Station.Reestablished)), lambda e: 1, "count"
    raise UnknownFigure(".".join(path))


def _service(matches, measure: str):
    def selected(e: RecordEvent) -> bool:
        return isinstance(e, ServiceDelivery.Delivered) and matches(e)
    if measure == "recipients":
        return selected, lambda e: e.recipient_ref, "distinct"
    if measure == "person_times":
        return selected, lambda e: e.person_times, "count"
    return selected, lambda e: e.hours, "money"


async def period_events(conn: asyncpg.Connection, scope: Scope, town: str | None,
                        mapper: Mapper) -> list[tuple[asyncpg.Record, RecordEvent]]:
    """Every event of the period (of one town, or the whole district), in log order."""
    rows = await conn.fetch(
        f'SELECT {EVENT_COLUMNS}'
        f' FROM record_periods r JOIN {SCHEMA}."{events_table(scope.district)}" e ON e.notification_id = r.position'
        f' JOIN {SCHEMA}."{chain_table(scope.district)}" c ON c.position = r.position'
        f' WHERE r.district = $1 AND r.period = $2 AND ($3::text IS NULL OR r.town = $3) ORDER BY r.position',
        scope.district, scope.period, town)
    return [(row, mapper.to_domain_event(stored_event(row))) for row in rows]


def trace(events: list[tuple[asyncpg.Record, RecordEvent]], figure: str, mapper: Mapper,
          after: int = 0, until: int | None = None) -> dict[str, Any]:
    """The figure's value from the events, and the events behind it (to explain a change between
    two positions: only those recorded, or voided, after `after` and not after `until`)."""
    def between(position: int) -> bool:
        return position > after and (until is None or position <= until)

    selected, contribution, adds_up = _select(figure.split("."))
    voids = {e.record: (e.record_id, row["notification_id"]) for row, e in events
             if isinstance(e, RecordKeeping.RecordVoided)}
    listed, total, distinct = [], Decimal(0), set()
    for row, event in events:
        position = row["notification_id"]
        if isinstance(event, RecordKeeping.RecordVoided) or not selected(event):
            continue
        part = contribution(event)
        void = voids.get(event.record_id)
        if void is None:
            if adds_up == "distinct":
                distinct.add(part)
            else:
                total += part
        if between(position) or (void is not None and between(void[1])):
            listed.append({**describe(row, mapper),
                           "contribution": str(part),
                           "voided": void is not None, "voided_by": void[0] if void else None})
    value: Any = {"distinct": len(distinct), "count": int(total), "money": money(total)}[adds_up]
    return {"figure": figure, "value": value, "events": listed}


async def lineage(conn: asyncpg.Connection, scope: Scope, figure: str, town: str | None,
                  mapper: Mapper) -> dict[str, Any]:
    _select(figure.split("."))  # an unknown figure is refused before anything is read
    events = await period_events(conn, scope, town, mapper)
    return {"period": scope.period, "district": scope.district, "town": town, **trace(events, figure, mapper)}


def traceable(figure: str) -> bool:
    try:
        _select(figure.split("."))
    except UnknownFigure:
        return False
    return True
