"""The batch decision: given what is recorded and a batch of new records, the events to record.

Pure: it reads history only through the `History` it is given (an in-memory one in unit
tests) and returns aggregates holding their new events, or raises with every problem of
the batch at once. Here: the batch's loop and one handler per record type; the checks every
record passes first, and the reads of what it names, are `batch_checks`'s.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from uuid import UUID

from domain import records as r
from domain.batch_checks import BatchChecks, History, RecordRef
from domain.divisions import Divisions
from domain.duties import Level
from domain.errors import BatchForbidden, BatchNotYourDuty, BatchRejected, NotYourDuty, OutOfScope, Problem, RuleViolation
from domain.events import PlainRecord, Provenance, RecordKeeping, record_stream, stream_id
from domain.inspection import Inspection
from domain.linked import LinkedFigures, linked_key, period_start
from domain.plan import Plan
from domain.progress import ProgressNote
from domain.project import Project
from domain.register_decisions import DistrictRegisters, villages_stream
from domain.service import ServiceDelivery
from domain.station import Station
from domain.training import Training

Kept = TypeVar("Kept", bound=RecordKeeping)


@dataclass(frozen=True)
class Context:
    district: str
    divisions: Divisions
    today: date
    provenance: Provenance
    town_scope: str | None = None  # a station or a town writes for its own town only
    level: Level = Level.district  # the caller's level, which writes its own duties and those below


def decide(records: Sequence[r.Record], ctx: Context, history: History, *,
           plain: bool = False) -> list[RecordKeeping | PlainRecord]:
    """The aggregates changed by the batch, each holding its new events, in a stable order. With
    `plain`, a service no record of the batch refers to is decided against the aggregates it reads
    and held as its stored state (`PlainRecord`), its own aggregate never made; a spending, decided
    against its project's sums, is held on its project as its stored state (`PlainEvent`), its
    event made without its constructor: the same events."""
    batch = _Batch(ctx, history, plain)
    try:
        return batch.decide(records)
    finally:
        # Its handlers are its own bound methods: a reference cycle that would keep the batch, and
        # every aggregate it read or made, alive until a full garbage collection.
        batch.handlers.clear()


_STREAM_FIELDS = {"project": "project", "successor_project": "project"}
_RECORD_FIELDS = ("record", "inspection", "progress")  # a void's, a rectification's, a resolution's
_REFERRING = frozenset({"record_voided", "rectification_done", "problem_resolved"})
_READ_THEIR_STATION = {"station_established", "signboard_hung", "equipment_recorded", "staff_assigned",
                       "staff_released", "rules_adopted", "linked_figures_collected"}


def reads_of(records: Sequence[r.Record], district: str) -> tuple[set[UUID], set[str]]:
    """What deciding the batch will read, as far as its records tell: the streams of the
    stations and projects it reads, and the earlier records they refer to. A hint, so that
    a caller can read them all at once; whatever it misses is read when the decision asks."""
    streams: set[UUID] = set()
    record_ids: set[str] = set()
    for record in records:
        if record.type in _READ_THEIR_STATION:
            streams.add(stream_id(district, "station", record.town))
        if record.type == "village_registered" or (record.type == "service_delivered" and record.village is not None):
            streams.add(villages_stream(district, record.town))
        fields = type(record).model_fields
        for field, kind in _STREAM_FIELDS.items():
            if field in fields and (key := getattr(record, field)) is not None:
                streams.add(stream_id(district, kind, key))
        record_ids.update(getattr(record, field) for field in _RECORD_FIELDS if field in fields)
    return streams, record_ids


class _Batch(BatchChecks, DistrictRegisters):
    def __init__(self, ctx: Context, history: History, plain: bool = False):
        super().__init__(ctx, history)
        self.plain = plain
        self.referred: set[str] = set()  # ids the batch's voids, rectifications and resolutions name
        self.handlers: dict[str, Callable[[r.Record], RecordKeeping | PlainRecord]] = {
            "station_established": self.establish_station,
            "signboard_hung": self.hang_signboard,
            "equipment_recorded": self.on_station(Station.record_equipment),
            "staff_assigned": self.on_station(Station.assign_staff),
            "staff_released": self.on_station(Station.release_staff),
            "rules_adopted": self.on_station(Station.adopt_rules),
            "project_contracted": self.contract_project,
            "service_delivered": self.deliver_service,
            "fund_spent": self.on_project(Project.spend_plain if plain else Project.spend),
            "inspection_done": self.record_inspection,
            "rectification_done": self.rectify,
            "self_evaluation_submitted": self.on_project(Project.submit_self_evaluation),
            "final_evaluation_done": self.on_project(Project.record_final_evaluation),
            "purchase_plan_drafted": self.draft_plan,
            "provider_exited": self.exit_provider,
            "linked_figures_collected": self.collect_linked_figures,
            "progress_reported": self.report_progress,
            "problem_resolved": self.resolve_problem,
            "training_held": self.hold_training,
            "village_registered": self.register_village,
            "budget_allocated": self.allocate_budget,
            "record_voided": self.void,
        }

    def decide(self, records: Sequence[r.Record]) -> list[RecordKeeping | PlainRecord]:
        problems: list[Problem] = []
        forbidden: list[Problem] = []
        seen: set[str] = set()
        if self.plain:  # a record the batch refers to is loaded as an aggregate: it is made as one
            self.referred = {getattr(record, field) for record in records if record.type in _REFERRING
                             for field in _RECORD_FIELDS if field in type(record).model_fields}
        for index, record in enumerate(records):
            try:
                if record.id in seen:
                    raise RuleViolation("id", "同一批次中记录编号重复", "the record id appears twice in the batch")
                seen.add(record.id)
                self.check_dates(record)
                if record.town_ref is not None:
                    self.check_town(record)
                owner = self.check_duty(record)
                aggregate = self.handlers[record.type](record)
                self.mark_on_behalf(aggregate, record, owner)
            except NotYourDuty as v:
                forbidden.append(Problem(index, record.id, v.field, v.zh, v.en, owner=v.owner))
            except OutOfScope as v:
                forbidden.append(Problem(index, record.id, v.field, v.zh, v.en))
            except RuleViolation as v:
                problems.append(Problem(index, record.id, v.field, v.zh, v.en))
            else:
                self.refs[record.id] = RecordRef(aggregate.id, record.type)
                self.changed[aggregate.id] = aggregate
        if any(p.owner for p in forbidden):
            raise BatchNotYourDuty(forbidden)
        if forbidden:
            raise BatchForbidden(forbidden)
        if problems:
            raise BatchRejected(problems)
        return list(self.changed.values())

    # -- one handler per record type -----------------------------------------------------

    def on_station(self, command: Callable[[Station, r.Record, Provenance], None]) -> Callable[[r.Record], Station]:
        def handle(record: r.Record) -> Station:
            station = self.station_for(record)
            command(station, record, self.ctx.provenance)
            return station
        return handle

    def on_project(self, command: Callable[[Project, r.Record, Provenance], None]) -> Callable[[r.Record], Project]:
        def handle(record: r.Record) -> Project:
            project = self.project(record.project)
            self.check_project_scope(project)
            command(project, record, self.ctx.provenance)
            return project
        return handle

    def hang_signboard(self, record: r.SignboardHung) -> Station:
        station = self.station_for(record)
        station.hang_signboard(record, *self.names(record.town, record.hung_on), self.ctx.provenance)
        return station

    def establish_station(self, record: r.StationEstablished) -> Station:
        stream = stream_id(self.ctx.district, "station", record.town)
        station = self.load(stream)
        if station is None:
            station = Station.establish(stream, record, self.ctx.provenance)
        else:
            assert isinstance(station, Station)
            station.reestablish(record, self.ctx.provenance)
        return station

    def contract_project(self, record: r.ProjectContracted) -> Project:
        stream = stream_id(self.ctx.district, "project", record.project)
        if self.load(stream) is not None:
            raise RuleViolation("project", f"项目编号 {record.project} 已被使用", f"project id {record.project} is already used")
        self.check_shared_towns(record)
        return Project.contract(stream, record, self.ctx.provenance)

    def deliver_service(self, record: r.ServiceDelivered) -> ServiceDelivery | PlainRecord:
        self.linked_project(record)
        stream = record_stream(self.ctx.district, record.id)
        make = ServiceDelivery.delivered if self.plain and record.id not in self.referred else ServiceDelivery.deliver
        return make(stream, record, self.village_code(record), self.ctx.provenance)

    def record_inspection(self, record: r.InspectionDone) -> Inspection:
        self.linked_project(record)
        stream = record_stream(self.ctx.district, record.id)
        return Inspection.record(stream, record, self.ctx.provenance)

    def rectify(self, record: r.RectificationDone) -> Inspection:
        inspection = self.referenced(record.inspection, "inspection_done", Inspection, "inspection",
                                     f"检查记录 {record.inspection} 不存在", f"no inspection record {record.inspection}")
        inspection.rectify(record, self.ctx.provenance)
        return inspection

    def referenced(self, record_id: str, record_type: str, kind: type[Kept], field: str, zh: str, en: str) -> Kept:
        """The aggregate of an earlier record of this type, in the caller's scope (else `field` is wrong)."""
        ref = self.find_record(record_id)
        if ref is None or ref.record_type != record_type:
            raise RuleViolation(field, zh, en)
        aggregate = self.load(ref.stream)
        assert isinstance(aggregate, kind)
        self.check_scope(aggregate.town)
        return aggregate

    def void(self, record: r.RecordVoided) -> RecordKeeping:
        ref = self.find_record(record.record)
        if ref is None:
            raise RuleViolation("record", f"记录 {record.record} 不存在", f"no record {record.record} in this district")
        if ref.record_type == "record_voided":
            raise RuleViolation("record", "作废记录本身不能被作废", "a voiding record cannot itself be voided")
        aggregate = self.load(ref.stream)
        assert aggregate is not None
        self.check_scope(aggregate.town)
        aggregate.void(record.record, record.reason, record.id, self.ctx.provenance)
        return aggregate

    # -- the district's and the city's duties (guide, section 四) ------------------------

    def draft_plan(self, record: r.PurchasePlanDrafted) -> Plan:
        if record.year > self.ctx.today.year + 1:
            raise RuleViolation("year", "只能编制本年度或下一年度的购买计划", "a plan is made for this year or the next")
        for index, item in enumerate(record.projects):
            if not self.ctx.divisions.town_belongs(item.town, self.ctx.district):
                raise RuleViolation(f"projects.{index}.town", f"{item.town} 不是本区的镇(街道)",
                                    f"{item.town} is not a town of district {self.ctx.district}")
        stream = stream_id(self.ctx.district, "plan", str(record.year))
        plan = self.load(stream)
        if plan is None:
            return Plan.draft_new(stream, record, self.ctx.provenance)
        assert isinstance(plan, Plan)
        plan.redraft(record, self.ctx.provenance)
        return plan

    def exit_provider(self, record: r.ProviderExited) -> Project:
        project = self.project(record.project)
        successor = None
        if record.successor_project is not None:
            successor = self.load(stream_id(self.ctx.district, "project", record.successor_project))
            if successor is None:
                raise RuleViolation("successor_project", f"接续项目 {record.successor_project} 不存在",
                                    f"no project {record.successor_project} in this district")
            assert isinstance(successor, Project)
        project.exit_provider(record, successor, self.ctx.provenance)
        return project

    def collect_linked_figures(self, record: r.LinkedFiguresCollected) -> LinkedFigures:
        self.station_for(record).check_established()
        if period_start(record.period) > record.collected_on:
            raise RuleViolation("period", "采集日期早于该半年度开始", "the figures are collected before their half year began")
        if record.project is not None:
            project = self.project(record.project)
            self.check_covers(project, record.town)
            if project.role == "core":
                raise RuleViolation("project", "核心项目的数据已计入本站数据，不作为对接项目采集",
                                    "the core project's figures are the station's own; they are not collected as linked")
        stream = stream_id(self.ctx.district, "linked", linked_key(record))
        figures = self.load(stream)
        if figures is None:
            return LinkedFigures.collect(stream, record, self.ctx.provenance)
        assert isinstance(figures, LinkedFigures)
        figures.recollect(record, self.ctx.provenance)
        return figures

    def report_progress(self, record: r.ProgressReported) -> ProgressNote:
        self.linked_project(record)
        return ProgressNote.report(record_stream(self.ctx.district, record.id), record, self.ctx.provenance)

    def resolve_problem(self, record: r.ProblemResolved) -> ProgressNote:
        note = self.referenced(record.progress, "progress_reported", ProgressNote, "progress",
                               f"进展报告 {record.progress} 不存在", f"no progress note {record.progress}")
        note.resolve(record, self.ctx.provenance)
        return note

    def hold_training(self, record: r.TrainingHeld) -> Training:
        districts = {}
        for index, attended in enumerate(record.attendance):
            version = self.ctx.divisions.town(attended.town, record.held_on)
            if version is None:
                raise RuleViolation(f"attendance.{index}.town", f"{attended.town} 在 {record.held_on} 不存在",
                                    f"town {attended.town} did not exist on {record.held_on}")
            districts[attended.town] = version.district
        stream = record_stream(self.ctx.district, record.id)
        return Training.hold(stream, record, districts, self.ctx.provenance)
