"""What every record of a batch is checked against before its handler runs: its business dates,
its town and the caller's scope, whose duty it records (and on whose behalf it is written), and
the stations, projects and earlier records it names, each read once a batch. Mixed into
`decisions._Batch`, whose handlers (one per record type) call these too; kept apart so that each
file holds one idea.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from domain import duties
from domain import records as r
from domain.duties import Level
from domain.errors import NotYourDuty, OutOfScope, RuleViolation
from domain.events import PlainEvent, PlainRecord, RecordEvent, RecordKeeping, stream_id
from domain.project import Project
from domain.station import Station


@dataclass(frozen=True)
class RecordRef:
    """Where an already recorded record lives."""

    stream: UUID
    record_type: str


class History(Protocol):
    def load(self, stream: UUID) -> RecordKeeping | None: ...

    def find_record(self, record_id: str) -> RecordRef | None: ...


class BatchChecks:
    def __init__(self, ctx: Any, history: History):
        self.ctx = ctx  # the batch's `decisions.Context`
        self.history = history
        self.loaded: dict[UUID, RecordKeeping | None] = {}
        self.refs: dict[str, RecordRef] = {}  # the batch's own records decided so far
        self.changed: dict[UUID, RecordKeeping | PlainRecord] = {}

    # -- checks every record passes ------------------------------------------------------

    def check_dates(self, record: r.Record) -> None:
        for field, day in record.business_dates.items():
            if day > self.ctx.today:
                raise RuleViolation(field, f"日期不得晚于今天（{self.ctx.today}）",
                                    f"the date may not be in the future (today is {self.ctx.today})")

    def check_town(self, record: r.Record) -> None:
        town = record.town_ref
        if not self.ctx.divisions.town_belongs(town, self.ctx.district):
            raise RuleViolation("town", f"{town} 不是本区的镇(街道)", f"{town} is not a town of district {self.ctx.district}")
        day = next(iter(record.business_dates.values()))
        version = self.ctx.divisions.town(town, day)
        if version is None:
            raise RuleViolation("town", f"{town} 在 {day} 不存在", f"town {town} did not exist on {day}")
        if version.district != self.ctx.district:
            raise RuleViolation("town", f"{town} 在 {day} 不属于本区",
                                f"town {town} was not a town of district {self.ctx.district} on {day}")
        self.check_scope(town)

    def check_scope(self, town: str) -> None:
        scope = self.ctx.town_scope
        if scope is not None and town != scope:
            raise OutOfScope("town", "服务站只能报送本镇(街道)的记录", "a station may only record for its own town")

    def check_duty(self, record: r.Record) -> Level | None:
        """The record's owner, when it is the caller's duty or a duty below it the caller may write
        on its behalf."""
        owner = self.owner_of(record)
        if owner is None or duties.may_write(self.ctx.level, owner):
            return owner
        raise NotYourDuty(owner.name, f"{record.type} 是{owner.zh}的职责，{self.ctx.level.zh}不能报送",
                          f"{record.type} is the {owner.name}'s duty: the {self.ctx.level.name} may not record it")

    def mark_on_behalf(self, aggregate: RecordKeeping | PlainRecord, record: r.Record, owner: Level | None) -> None:
        """The record's event (its aggregate's last) says whose duty it records, when not the caller's."""
        behalf = None if owner is None else duties.on_behalf_of(self.ctx.level, owner)
        if behalf is not None:
            event = aggregate.pending_events[-1]
            assert isinstance(event, (RecordEvent, PlainEvent)) and event.record_id == record.id
            event.written_on_behalf_of(behalf.name)

    def owner_of(self, record: r.Record) -> Level | None:
        """The record's owner (None when what it names is missing, which its handler refuses)."""
        if record.type in duties.PURCHASED and record.type != "project_contracted":
            return duties.owner(record.type, vars(record), purchaser_kind=self.project(record.project).purchaser_kind)
        if record.type == "staff_released":
            role = self.station_for(record).role_of(record.person_ref)
            return None if role is None else duties.owner(record.type, vars(record), staff_role=role)
        if record.type == "record_voided":
            ref = self.find_record(record.record)
            aggregate = None if ref is None else self.load(ref.stream)
            voided = None if aggregate is None else aggregate.active.get(record.record)
            return None if voided is None else self.event_owner(voided, aggregate)
        return duties.owner(record.type, vars(record))

    def event_owner(self, event: RecordEvent, aggregate: RecordKeeping) -> Level:
        """The owner of a recorded record; a report's or a plan's step is the district's (or the city's)."""
        kind = event.record_type
        if kind not in duties.FIXED and kind not in duties.BY_CONTENT:
            return Level.district
        if kind == "staff_released":
            assert isinstance(aggregate, Station)
            return duties.staff_owner(aggregate.role_of(event.person_ref) or "")
        if kind == "record_voided":
            return Level.district  # a void is never voided: its handler refuses
        return duties.owner(kind, vars(event), purchaser_kind=getattr(aggregate, "purchaser_kind", None))

    def names(self, town: str, day: date) -> tuple[str, str]:
        district = self.ctx.divisions.district(self.ctx.district, day)
        town_version = self.ctx.divisions.town(town, day)
        assert district is not None and town_version is not None  # check_town ran first
        return district.name, town_version.name

    # -- finding what a record refers to -------------------------------------------------

    def load(self, stream: UUID) -> RecordKeeping | None:
        if stream in self.changed:
            return self.changed[stream]
        if stream not in self.loaded:
            self.loaded[stream] = self.history.load(stream)
        return self.loaded[stream]

    def find_record(self, record_id: str) -> RecordRef | None:
        return self.refs.get(record_id) or self.history.find_record(record_id)

    def station_for(self, record: r.Record) -> Station:
        station = self.load(stream_id(self.ctx.district, "station", record.town))
        if station is None:
            raise RuleViolation("town", "该镇(街道)的民政服务站尚未建立", "the town's station has not been established")
        assert isinstance(station, Station)
        return station

    def project(self, project_id: str) -> Project:
        project = self.load(stream_id(self.ctx.district, "project", project_id))
        if project is None:
            raise RuleViolation("project", f"项目 {project_id} 不存在", f"no project {project_id} in this district")
        assert isinstance(project, Project)
        return project

    def linked_project(self, record: r.ServiceDelivered | r.InspectionDone) -> None:
        """A service or inspection that names a project must name one of its own town."""
        if record.project is None:
            return
        project = self.project(record.project)
        project.check_in_force()
        if isinstance(record, r.ServiceDelivered):
            project.check_served_on(record.occurred_on)
        self.check_covers(project, record.town)
        if isinstance(record, r.ServiceDelivered) and record.domain not in project.domains:
            raise RuleViolation("domain", "服务领域不在该项目的服务范围内", "the service domain is not one of the project's domains")
