"""Lineage: the events behind one figure of a report, voided ones marked, adding up to it."""

from decimal import Decimal
from collections.abc import Callable, Iterable
from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper

from audit.checkpoints import in_transaction
from domain.events import RecordEvent, RecordKeeping
from domain.inspection import Inspection
from domain.project import Project
from domain.service import ServiceDelivery
from domain.station import Station
from projections.event_log import EVENT_COLUMNS, describe, stored_event
from projections.figures import money
from projections.periods import bounds, month_of
from projections.reports import Scope
from tenants.stores import chain_table, events_table

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


PAGE = 2_000  # events a lineage's cursor fetches at a time
_PERIOD_EVENTS = (f"SELECT {EVENT_COLUMNS} FROM record_periods r"
                  ' JOIN {events} e ON e.notification_id = r.position JOIN {chained} c ON c.position = r.position'
                  " WHERE r.district = $1 AND r.period = $2 AND ($3::text IS NULL OR r.town = $3)"
                  " AND ($4::text IS NULL OR r.record_type = $4) ORDER BY r.position")


def _period_query(scope: Scope) -> str:
    return _PERIOD_EVENTS.format(events=events_table(scope.district),
                                 chained=chain_table(scope.district))


async def period_events(conn: asyncpg.Connection, scope: Scope, town: str | None,
                        mapper: Mapper) -> list[tuple[asyncpg.Record, RecordEvent]]:
    """Every event of the period (of one town, or the whole district), in log order."""
    rows = await conn.fetch(_period_query(scope), scope.district, scope.period, town, None)
    return [(row, mapper.to_domain_event(stored_event(row))) for row in rows]


class Tracer:
    """A figure's value and the events behind it, from the period's events given one at a time in
    log order, the voids among them known first (to explain a change between two positions: only
    those recorded, or voided, after `after` and not after `until`)."""

    def __init__(self, figure: str, mapper: Mapper, voids: dict[str, tuple[str, int]], after: int = 0,
                 until: int | None = None):
        self.figure, self.mapper, self.voids, self.after, self.until = figure, mapper, voids, after, until
        self.selected, self.contribution, self.adds_up = _select(figure.split("."))
        self.listed: list[dict[str, Any]] = []
        self.total, self.distinct = Decimal(0), set()

    def between(self, position: int) -> bool:
        return position > self.after and (self.until is None or position <= self.until)

    def add(self, row: asyncpg.Record, event: RecordEvent) -> None:
        if isinstance(event, RecordKeeping.RecordVoided) or not self.selected(event):
            return
        part = self.contribution(event)
        void = self.voids.get(event.record_id)
        if void is None:
            if self.adds_up == "distinct":
                self.distinct.add(part)
            else:
                self.total += part
        if self.between(row["notification_id"]) or (void is not None and self.between(void[1])):
            self.listed.append({**describe(row, self.mapper), "contribution": str(part),
                                "voided": void is not None, "voided_by": void[0] if void else None})

    def result(self) -> dict[str, Any]:
        value: Any = {"distinct": len(self.distinct), "count": int(self.total),
                      "money": money(self.total)}[self.adds_up]
        return {"figure": self.figure, "value": value, "events": self.listed}


def voids_of(events: Iterable[tuple[asyncpg.Record, RecordEvent]]) -> dict[str, tuple[str, int]]:
    """The voided records: (the void's record id, its position), by the voided record's id."""
    return {e.record: (e.record_id, row["notification_id"]) for row, e in events
            if isinstance(e, RecordKeeping.RecordVoided)}


def trace(events: list[tuple[asyncpg.Record, RecordEvent]], figure: str, mapper: Mapper,
          after: int = 0, until: int | None = None) -> dict[str, Any]:
    tracer = Tracer(figure, mapper, voids_of(events), after, until)
    for row, event in events:
        tracer.add(row, event)
    return tracer.result()


async def lineage(conn: asyncpg.Connection, scope: Scope, figure: str, town: str | None,
                  mapper: Mapper) -> dict[str, Any]:
    """The figure traced through the period's events, which stream past a page at a time: memory
    holds the answer (and the period's voids), never the period's whole log."""
    _select(figure.split("."))  # an unknown figure is refused before anything is read
    query, args = _period_query(scope), (scope.district, scope.period, town)
    voided = await conn.fetch(query, *args, "record_voided")
    tracer = Tracer(figure, mapper, voids_of((row, mapper.to_domain_event(stored_event(row))) for row in voided))
    async with in_transaction(conn):
        async for row in conn.cursor(query, *args, None, prefetch=PAGE):
            tracer.add(row, mapper.to_domain_event(stored_event(row)))
    traced = tracer.result()
    named = await _namer(conn, scope)
    return {"period": scope.period, "district": scope.district, "town": town,
            **traced, "events": [named(e) for e in traced["events"]]}


async def _namer(conn: asyncpg.Connection, scope: Scope) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Each lineage row with the names of its town and project beside their ids (the towns as
    named at the period's end), for the person reading it."""
    projects = dict(await conn.fetch("SELECT project, name FROM projects WHERE district = $1", scope.district))
    end = bounds(scope.period)[1]

    def named(event: dict[str, Any]) -> dict[str, Any]:
        town, project = event["payload"].get("town"), event["payload"].get("project")
        version = scope.divisions.town(town, end) if isinstance(town, str) else None
        return {**event, "town_name": version.name if version else None,
                "project_name": projects.get(project) if isinstance(project, str) else None}
    return named


def traceable(figure: str) -> bool:
    try:
        _select(figure.split("."))
    except UnknownFigure:
        return False
    return True
