"""Lineage: the events behind one figure of a report, voided ones marked, adding up to it."""

from decimal import Decimal
from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent

from domain.events import RecordEvent, RecordKeeping
from domain.inspection import Inspection
from domain.project import Project
from domain.service import ServiceDelivery
from domain.station import Station
from projections.event_log import describe
from projections.figures import money
from projections.periods import month_of
from projections.reports import Scope
from tenants.event_store import SCHEMA, events_table

SERVICE_DIMENSIONS = {"by_domain": "domain", "by_recipient_category": "recipient_category",
                      "by_service_type": "service_type", "by_village": "village"}
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


async def lineage(conn: asyncpg.Connection, scope: Scope, figure: str, town: str | None,
                  mapper: Mapper) -> dict[str, Any]:
    selected, contribution, adds_up = _select(figure.split("."))
    rows = await conn.fetch(
        f'SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state'
        f' FROM reports.record_periods r JOIN {SCHEMA}."{events_table(scope.district)}" e'
        f' ON e.notification_id = r.position'
        f' WHERE r.district = $1 AND r.period = $2 AND ($3::text IS NULL OR r.town = $3) ORDER BY r.position',
        scope.district, scope.period, town)
    stored = [(row["notification_id"], StoredEvent(row["originator_id"], row["originator_version"], row["topic"],
                                                   bytes(row["state"]))) for row in rows]
    decoded = [(position, mapper.to_domain_event(s)) for position, s in stored]
    voided_by = {e.record: e.record_id for _, e in decoded if isinstance(e, RecordKeeping.RecordVoided)}
    listed, total, distinct = [], Decimal(0), set()
    for (position, event), (_, raw) in zip(decoded, stored, strict=True):
        if isinstance(event, RecordKeeping.RecordVoided) or not selected(event):
            continue
        part = contribution(event)
        voided = event.record_id in voided_by
        if not voided:
            if adds_up == "distinct":
                distinct.add(part)
            else:
                total += part
        listed.append({**describe(position, raw, mapper), "contribution": str(part), "voided": voided,
                       "voided_by": voided_by.get(event.record_id)})
    value: Any = {"distinct": len(distinct), "count": int(total), "money": money(total)}[adds_up]
    return {"period": scope.period, "district": scope.district, "town": town, "figure": figure,
            "value": value, "events": listed}
