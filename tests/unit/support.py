"""Shared by the decision tests: an in-memory history, a context, and valid records.

Not a test module. Every builder returns a parsed record with a fresh id, valid on its own,
for 思明区 (350203) / 厦港街道 (350203001) unless told otherwise; override any field.
"""

import copy
import itertools
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from demo.duties import Division
from domain.duties import Level
from domain.batch_checks import RecordRef
from domain.decisions import Context, decide
from domain.divisions import Divisions
from domain.errors import BatchRejected, Problem
from domain.events import Provenance, RecordEvent, RecordKeeping
from domain.records import parse_city_record, parse_record
from tenants.registry import bundled_divisions

CST = timezone(timedelta(hours=8))
TODAY = date(2025, 6, 30)
RECORDED_AT = datetime(2025, 6, 30, 9, 30, tzinfo=CST)
PROVENANCE = Provenance("tester", "district", "req-1", RECORDED_AT)
DIVISIONS = Divisions(*bundled_divisions())

SIMING = "350203"
XIAGANG = "350203001"      # 厦港街道, 思明区
ZHONGHUA = "350203003"     # 中华街道, 思明区
HULI_TOWN = "350206001"    # 湖里街道, 湖里区
XIANGAN = "350213"
MAXIANG = "350213002"      # 马巷街道, 翔安区, a 街道 only from 2021-01-06
SIGN = "思明区厦港街道民政服务站"

_ids = itertools.count(1)


def rid(prefix: str) -> str:
    return f"{prefix}-{next(_ids):05d}"


def context(district: str = SIMING, town_scope: str | None = None, today: date = TODAY,
            divisions: Divisions = DIVISIONS, level: Level | None = None) -> Context:
    """A district's context, or a station's (the provider's) when scoped to a town, unless `level` says."""
    level = level or (Level.station if town_scope else Level.district)
    return Context(district, divisions, today, PROVENANCE, town_scope=town_scope, level=level)


class History:
    """What is recorded: aggregates by stream, and where each record lives.

    `load` hands out a copy, as a repository rebuilding from stored events would, so a
    rejected batch never changes what is recorded.
    """

    def __init__(self) -> None:
        self.aggregates: dict[UUID, RecordKeeping] = {}
        self.records: dict[str, RecordRef] = {}
        self.events: list[RecordEvent] = []

    def load(self, stream: UUID) -> RecordKeeping | None:
        return copy.deepcopy(self.aggregates.get(stream))

    def find_record(self, record_id: str) -> RecordRef | None:
        return self.records.get(record_id)

    def commit(self, records, aggregates: list[RecordKeeping]) -> list[RecordEvent]:
        types = {r.id: r.type for r in records}
        new: list[RecordEvent] = []
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                self.records[event.record_id] = RecordRef(aggregate.id, types[event.record_id])
                new.append(event)
            self.aggregates[aggregate.id] = aggregate
        self.events.extend(new)
        return new

    def write(self, *records, ctx: Context | None = None) -> list[RecordEvent]:
        """Decide a batch and commit it; the batch's new events."""
        return self.commit(records, decide(records, ctx or context(), self))

    def reject(self, *records, ctx: Context | None = None) -> list[Problem]:
        """Decide a batch that must be rejected (not forbidden); its problems."""
        with pytest.raises(BatchRejected) as caught:
            decide(records, ctx or context(), self)
        assert type(caught.value) is BatchRejected
        return caught.value.problems

    def problem(self, *records, ctx: Context | None = None) -> Problem:
        """The one problem of a rejected batch."""
        problems = self.reject(*records, ctx=ctx)
        assert len(problems) == 1, problems
        return problems[0]


def _record(type_: str, prefix: str, fields: dict[str, Any], overrides: dict[str, Any]):
    return parse_record({"id": rid(prefix), "type": type_, **fields, **overrides})


def station(town: str = XIAGANG, **kw):
    return _record("station_established", "st", {"town": town, "host_facility": "party_mass_service_center",
                                                 "address": "民族路1号", "established_on": "2025-01-10"}, kw)


def signboard(text: str = SIGN, town: str = XIAGANG, **kw):
    return _record("signboard_hung", "sb", {"town": town, "text": text, "hung_on": "2025-01-15"}, kw)


def equipment(town: str = XIAGANG, **kw):
    return _record("equipment_recorded", "eq", {"town": town, "item": "computer", "quantity": 2,
                                                "recorded_on": "2025-01-16"}, kw)


def staff_assigned(person: str = "S-0001", town: str = XIAGANG, **kw):
    return _record("staff_assigned", "sa", {"town": town, "person_ref": person, "role": "staff",
                                            "assigned_on": "2025-01-20"}, kw)


def staff_released(person: str = "S-0001", town: str = XIAGANG, **kw):
    return _record("staff_released", "sr", {"town": town, "person_ref": person, "released_on": "2025-05-20"}, kw)


def rules(town: str = XIAGANG, **kw):
    return _record("rules_adopted", "ru", {"town": town, "category": "service", "posted_on_wall": True,
                                           "adopted_on": "2025-01-21"}, kw)


def contract(project: str | None = None, town: str = XIAGANG, **kw):
    return _record("project_contracted", "pc", {
        "project": project or rid("P"), "town": town, "role": "core", "name": "关爱独居老人项目",
        "purchaser_kind": "district_bureau",
        "provider": {"name": "厦门市某社工服务中心", "kind": "social_organization", "credit_code": "523502004JURQ283F9"},
        "method": "open_tender", "amount": "3000.00",
        "contract_start": "2025-01-01", "contract_end": "2025-12-31",
        "funds": [{"source": "elderly_care", "amount": "2000.00"},
                  {"source": "social_assistance", "amount": "1000.00"}],
        "domains": ["elderly_care", "social_assistance"]}, kw)


def spend(project: str, amount: str = "100.00", source: str = "elderly_care", **kw):
    return _record("fund_spent", "fs", {"project": project, "occurred_on": "2025-04-01", "source": source,
                                        "amount": amount, "purpose": "上门探访交通费"}, kw)


def service(town: str = XIAGANG, **kw):
    return _record("service_delivered", "svc", {
        "town": town, "occurred_on": "2025-03-18", "domain": "elderly_care", "service_type": "visit",
        "recipient_category": "living_alone_elderly", "recipient_ref": "R-7f3a9c21", "hours": "1.5"}, kw)


def inspection(town: str = XIAGANG, issues_found: bool = True, **kw):
    return _record("inspection_done", "in", {
        "town": town, "occurred_on": "2025-03-01", "kind": "inspection", "scopes": ["execution", "funds"],
        "by": "district", "findings": "台账不全", "issues_found": issues_found}, kw)


def rectification(inspection_id: str, **kw):
    return _record("rectification_done", "rc", {"inspection": inspection_id, "occurred_on": "2025-04-01",
                                                "note": "已补齐台账"}, kw)


def self_evaluation(project: str, year: int = 1, **kw):
    return _record("self_evaluation_submitted", "se", {"project": project, "contract_year": year,
                                                       "submitted_on": "2025-06-15", "summary": "按期推进"}, kw)


def final_evaluation(project: str, year: int = 1, **kw):
    return _record("final_evaluation_done", "fe", {
        "project": project, "contract_year": year, "evaluator": "third_party",
        "evaluator_name": "厦门市某评估机构", "score": "92.5", "grade": "优秀", "done_on": "2025-06-20"}, kw)


def void(record_id: str, **kw):
    return _record("record_voided", "void", {"record": record_id, "reason": "录入错误"}, kw)


def planned_project(project: str, town: str = XIAGANG, **kw) -> dict[str, Any]:
    return {"project": project, "town": town, "role": "core", "name": "关爱独居老人项目",
            "domains": ["elderly_care"], "amount": "3000.00",
            "funds": [{"source": "elderly_care", "amount": "2000.00"},
                      {"source": "social_assistance", "amount": "1000.00"}],
            "purchaser_kind": "district_bureau", "method": "open_tender", "self_evaluation_on": "2025-06-30",
            "final_evaluation_on": "2025-12-20", "evaluator": "third_party", **kw}


def plan(*projects: dict[str, Any], year: int = 2025, **kw):
    return _record("purchase_plan_drafted", "plan", {
        "year": year, "projects": list(projects) or [planned_project(rid("P"))],
        "exit_conditions": [{"condition": "evaluation_failed", "description": "期末评估不合格的，更换承接方"}],
        "emergency_plan": {"document": "思民〔2025〕12号", "dated_on": "2025-01-05"}}, kw)


def provider_exit(project: str, **kw):
    return _record("provider_exited", "px", {"project": project, "condition": "provider_withdrew",
                                             "reason": "承接方主动申请退出", "exited_on": "2025-05-31"}, kw)


def linked_figures(town: str = XIAGANG, **kw):
    return _record("linked_figures_collected", "lf", {
        "town": town, "period": "2025H1", "name": "困境儿童关爱项目", "purchaser": "区妇联",
        "domain": "child_welfare", "people_served": 40, "amount": "5000.00", "collected_on": "2025-06-25"}, kw)


def progress(town: str = XIAGANG, problems: list[dict[str, str]] | None = None, **kw):
    return _record("progress_reported", "pr", {
        "town": town, "reported_on": "2025-04-30", "summary": "四月服务按计划推进",
        "problems": problems if problems is not None else [{"key": "P1", "description": "部分村居配合不足"}]}, kw)


def problem_resolved(progress_id: str, problem: str = "P1", **kw):
    return _record("problem_resolved", "ps", {"progress": progress_id, "problem": problem,
                                              "resolved_on": "2025-05-15", "note": "镇里已协调"}, kw)


def training(town: str = XIAGANG, **kw):
    return parse_city_record({"id": rid("tr"), "type": "training_held", "held_on": "2025-03-12",
                              "topic": "民政服务站运营规范", "audiences": ["station_staff"],
                              "attendance": [{"town": town, "attendees": 3}], **kw})


def village(code: str = "350203001001", name: str = "沙坡尾社区", town: str = XIAGANG, **kw):
    return _record("village_registered", "vr", {"town": town, "village": code, "name": name, "kind": "community",
                                               "valid_from": "2025-01-01"}, kw)


def allocation(year: int = 2025, **kw):
    return _record("budget_allocated", "ba", {
        "year": year, "lines": [{"source": "elderly_care", "level": "own", "amount": "2000.00"},
                                {"source": "social_assistance", "level": "allocated", "amount": "1000.00"}],
        "document": "思财〔2025〕8号", "allocated_on": "2025-01-08"}, kw)


def seeded_history() -> tuple[History, dict[str, str]]:
    """A station with one person on its staff, a project, an inspection with issues, a service."""
    history = History()
    project, done, delivered = contract(), inspection(), service()
    noted = progress()
    history.write(station(), staff_assigned("S-0001"), project, done, delivered, noted)
    return history, {"project": project.project, "inspection": done.id, "service": delivered.id,
                     "progress": noted.id}


EACH_TYPE = {  # a valid new record of each type, given the seeded ids
    "station_established": lambda ids: station(ZHONGHUA),
    "signboard_hung": lambda ids: signboard(),
    "equipment_recorded": lambda ids: equipment(),
    "staff_assigned": lambda ids: staff_assigned("S-0002"),
    "staff_released": lambda ids: staff_released("S-0001"),
    "rules_adopted": lambda ids: rules(),
    "project_contracted": lambda ids: contract(),
    "service_delivered": lambda ids: service(project=ids["project"]),
    "fund_spent": lambda ids: spend(ids["project"]),
    "inspection_done": lambda ids: inspection(project=ids["project"]),
    "rectification_done": lambda ids: rectification(ids["inspection"]),
    "self_evaluation_submitted": lambda ids: self_evaluation(ids["project"]),
    "final_evaluation_done": lambda ids: final_evaluation(ids["project"]),
    "purchase_plan_drafted": lambda ids: plan(),
    "provider_exited": lambda ids: provider_exit(ids["project"]),
    "linked_figures_collected": lambda ids: linked_figures(),
    "progress_reported": lambda ids: progress(),
    "problem_resolved": lambda ids: problem_resolved(ids["progress"]),
    "training_held": lambda ids: training(),
    "village_registered": lambda ids: village(),
    "budget_allocated": lambda ids: allocation(),
    "record_voided": lambda ids: void(ids["service"]),
}


def by_their_writers(code: str, batch: list[dict], division: Division) -> list[tuple[list, Context]]:
    """A demo batch as its parties write it (`demo.duties`): each part's records, with its writer's context."""
    return [([parse_record(r) for r in part.records],
             context(code, town_scope=part.town, today=date(2025, 12, 31), level=part.level))
            for part in division.parts(batch)]
