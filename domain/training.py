"""A training session the city holds for station staff and projects (每年开展民政服务站人员和项目培训).

The city's own record, in the city's store: which towns' people attended and how many. Each
attending town is stored with the district it belonged to on the day, so that the district's
report finds its towns' training however the divisions change later."""

from datetime import date
from typing import Any

from domain import records as r
from domain.events import FoundingEvent, Provenance, RecordKeeping


class Training(RecordKeeping):
    class Held(FoundingEvent, RecordKeeping.Created):
        record_type = "training_held"
        held_on: date
        topic: str
        audiences: list
        attendance: list  # [{"town", "district", "attendees"}]

    def __init__(self) -> None:
        self.town = None  # the city's: no station may touch it
        self.active: dict = {}
        self.founded_by: str | None = None

    @classmethod
    def hold(cls, stream: Any, record: r.TrainingHeld, districts: dict[str, str],
             provenance: Provenance) -> "Training":
        """`districts`: the district of each attending town on the day."""
        attendance = [{"town": a.town, "district": districts[a.town], "attendees": a.attendees}
                      for a in record.attendance]
        return cls._create(cls.Held, id=stream, held_on=record.held_on, topic=record.topic,
                           audiences=list(record.audiences), attendance=attendance,
                           **provenance.event_kwargs(record.id))
