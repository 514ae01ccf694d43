"""Funds the district secures for the year's station service purchases (资金保障), each allocation
its own record: the district's duty to coordinate them with the district's finance bureau."""

from datetime import date
from typing import Any

from domain import records as r
from domain.events import FoundingEvent, Provenance, RecordKeeping


class BudgetAllocation(RecordKeeping):
    class Allocated(FoundingEvent, RecordKeeping.Created):
        record_type = "budget_allocated"
        year: int
        lines: list  # [{"source", "level", "amount"}]
        document: str
        allocated_on: date

    def __init__(self) -> None:
        self.town = None  # the district's: no station may touch it
        self.active: dict = {}
        self.founded_by: str | None = None

    @classmethod
    def allocate(cls, stream: Any, record: r.BudgetAllocated, provenance: Provenance) -> "BudgetAllocation":
        return cls._create(cls.Allocated, id=stream, **record.model_dump(mode="python", exclude={"id", "type"}),
                           **provenance.event_kwargs(record.id))
