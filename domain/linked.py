"""The figures a station collects from one linked project (the "N" of "1+1+N") for a half year.

They are the other project's figures, not the station's: reports keep them in a section of
their own, never in the core figures, so nothing is counted twice. One project's figures are
collected once per town and half year; a correction voids them and collects them again.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from domain import records as r
from domain.errors import RuleViolation
from domain.events import FoundingEvent, Provenance, RecordKeeping


def linked_key(record: r.LinkedFiguresCollected) -> str:
    """What names one linked project's figures: the town, the half year and the project."""
    return f"{record.town}/{record.period}/{record.project or ''.join(record.name.split())}"


def period_start(period: str) -> date:
    """The first day of a half year, `YYYYH1` or `YYYYH2`."""
    return date(int(period[:4]), 1 if period.endswith("H1") else 7, 1)


class LinkedFigures(RecordKeeping):
    class Collection(FoundingEvent):
        record_type = "linked_figures_collected"
        town: str
        period: str
        name: str
        purchaser: str
        domain: str
        people_served: int
        person_times: int | None
        amount: Decimal
        project: str | None
        collected_on: date

    class Collected(Collection, RecordKeeping.Created):
        pass

    class Recollected(Collection):
        """Collected again after the earlier figures were voided."""

    def __init__(self, town: str):
        self.town = town
        self.active: dict = {}
        self.founded_by: str | None = None

    @classmethod
    def collect(cls, stream: Any, record: r.LinkedFiguresCollected, provenance: Provenance) -> "LinkedFigures":
        return cls._create(cls.Collected, id=stream, **record.fields(), **provenance.event_kwargs(record.id))

    def recollect(self, record: r.LinkedFiguresCollected, provenance: Provenance) -> None:
        if self.founded_by is not None:
            raise RuleViolation("name", f"{record.period}该对接项目的数据已采集，如需更正请先作废原记录",
                                f"this linked project's figures for {record.period} are collected already;"
                                " void them first to correct them")
        self._record(self.Recollected, record.id, provenance, **record.fields())
