"""A town's one station (民政服务站): its site, sign, equipment, staff and rules."""

from datetime import date
from typing import Any

from domain import records as r
from domain.errors import RuleViolation
from domain.events import FoundingEvent, Provenance, RecordEvent, RecordKeeping


def expected_signboard(district_name: str, town_name: str) -> str:
    """The sign the guide prescribes: ××区××镇(街道)民政服务站."""
    return f"{district_name}{town_name}民政服务站"


def check_signboard(text: str, district_name: str, town_name: str) -> None:
    expected = expected_signboard(district_name, town_name)
    if "".join(text.split()) != expected:
        raise RuleViolation("text", f"标牌须为“{expected}”", f"the signboard must read {expected!r}")


class Station(RecordKeeping):
    DEPENDENTS_FIRST = ("须先作废该服务站的其他记录", "void the station's other records first")

    class Establishment(FoundingEvent):
        record_type = "station_established"
        town: str
        host_facility: str
        address: str
        established_on: date

    class Established(Establishment, RecordKeeping.Created):
        pass

    class Reestablished(Establishment):
        """The town's station established again, after its earlier record was voided."""

    class SignboardHung(RecordEvent):
        record_type = "signboard_hung"
        town: str
        text: str
        hung_on: date
        # Absent from the events stored before the guide's sign was recorded in full.
        emblem: bool | None = None
        position: str | None = None
        uniform_style: bool | None = None

    class EquipmentRecorded(RecordEvent):
        record_type = "equipment_recorded"
        town: str
        item: str
        quantity: int
        recorded_on: date

    class StaffAssigned(RecordEvent):
        record_type = "staff_assigned"
        town: str
        person_ref: str
        role: str
        assigned_on: date

    class StaffReleased(RecordEvent):
        record_type = "staff_released"
        town: str
        person_ref: str
        released_on: date

    class RulesAdopted(RecordEvent):
        record_type = "rules_adopted"
        town: str
        category: str
        posted_on_wall: bool
        adopted_on: date

    def __init__(self, town: str):
        self.town = town
        self.active: dict[str, RecordEvent] = {}
        self.founded_by: str | None = None

    @classmethod
    def establish(cls, stream: Any, record: r.StationEstablished, provenance: Provenance) -> "Station":
        return cls._create(cls.Established, id=stream, **record.fields(),
                           **provenance.event_kwargs(record.id))

    def reestablish(self, record: r.StationEstablished, provenance: Provenance) -> None:
        if self.founded_by is not None:
            raise RuleViolation("town", "该镇(街道)已有民政服务站，每个镇(街道)只设一个",
                                "the town already has its station; a town has exactly one")
        self._record(self.Reestablished, record.id, provenance, **record.fields())

    @property
    def staff(self) -> dict[str, str]:
        """Who works at the station now: person reference → role."""
        on_duty: dict[str, str] = {}
        for event in self.active.values():
            if isinstance(event, Station.StaffAssigned):
                on_duty[event.person_ref] = event.role
            elif isinstance(event, Station.StaffReleased):
                on_duty.pop(event.person_ref, None)
        return on_duty

    def role_of(self, person_ref: str) -> str | None:
        """The role the person was last assigned at the station (released since, or not)."""
        roles = [e.role for e in self.active.values() if isinstance(e, Station.StaffAssigned) and e.person_ref == person_ref]
        return roles[-1] if roles else None

    def check_established(self) -> None:
        if self.founded_by is None:
            raise RuleViolation("town", "该镇(街道)的民政服务站尚未建立",
                                "the town's station has not been established")

    def hang_signboard(self, record: r.SignboardHung, district_name: str, town_name: str,
                       provenance: Provenance) -> None:
        self.check_established()
        check_signboard(record.text, district_name, town_name)
        self._record(self.SignboardHung, record.id, provenance, **record.fields())

    def record_equipment(self, record: r.EquipmentRecorded, provenance: Provenance) -> None:
        self.check_established()
        self._record(self.EquipmentRecorded, record.id, provenance, **record.fields())

    def assign_staff(self, record: r.StaffAssigned, provenance: Provenance) -> None:
        self.check_established()
        if record.person_ref in self.staff:
            raise RuleViolation("person_ref", "该人员已在站内任职", "the person already works at the station")
        self._record(self.StaffAssigned, record.id, provenance, **record.fields())

    def release_staff(self, record: r.StaffReleased, provenance: Provenance) -> None:
        self.check_established()
        if record.person_ref not in self.staff:
            raise RuleViolation("person_ref", "该人员未在站内任职", "the person does not work at the station")
        self._record(self.StaffReleased, record.id, provenance, **record.fields())

    def adopt_rules(self, record: r.RulesAdopted, provenance: Provenance) -> None:
        self.check_established()
        self._record(self.RulesAdopted, record.id, provenance, **record.fields())

