"""A service delivered to one recipient: the figure the half-year reports count most."""

from datetime import date
from decimal import Decimal
from typing import Any

from domain import records as r
from domain.events import FoundingEvent, PlainRecord, Provenance, RecordEvent, RecordKeeping


class ServiceDelivery(RecordKeeping):
    class Delivered(FoundingEvent, RecordKeeping.Created):
        record_type = "service_delivered"
        town: str
        project: str | None
        occurred_on: date
        domain: str
        service_type: str
        recipient_category: str
        recipient_ref: str
        village: str | None
        person_times: int
        hours: Decimal
        village_code: str | None = None  # the registered village the text names (domain/villages.py)

        @property
        def village_key(self) -> str | None:
            """What the service counts under by village: its registered village, else its text."""
            return self.village_code or self.village

    def __init__(self, town: str):
        self.town = town
        self.active: dict[str, RecordEvent] = {}
        self.founded_by: str | None = None

    @classmethod
    def deliver(cls, stream: Any, record: r.ServiceDelivered, village_code: str | None,
                provenance: Provenance) -> "ServiceDelivery":
        return cls._create(cls.Delivered, id=stream, **record.fields(), village_code=village_code,
                           **provenance.event_kwargs(record.id))

    @classmethod
    def delivered(cls, stream: Any, record: r.ServiceDelivered, village_code: str | None,
                  provenance: Provenance) -> "PlainRecord | ServiceDelivery":
        """What `deliver` stores, without the aggregate and its event (issue 35: most of a batch)."""
        kwargs = {**record.fields(), "village_code": village_code, **provenance.event_kwargs(record.id)}
        return PlainRecord.found(cls, cls.Delivered, stream, kwargs) or cls._create(cls.Delivered, id=stream, **kwargs)
