"""A station's or a project's state at a position of its district's log, replayed from its own
events in the event store (never from the report tables, which hold only the present), and the
events that changed it.

A station's compliance at that moment is judged by the report's own rules (`compliance.assess`),
on facts made from the replayed events of its station, of the projects covering its town and
their evaluations, and of its town's inspections. A voided record counts nowhere from the
position of its void on.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from domain.events import RecordEvent, RecordKeeping
from domain.inspection import Inspection
from domain.plan import Plan
from domain.project import Project
from domain.station import Station
from kernel.clock import CST
from projections import compliance
from projections.compliance import InspectionFact, StationFact
from projections.evaluation_rules import EvaluationFact, ProjectFact, contract_years, evaluation_gaps, midyear
from projections.event_log import jsonable
from projections.facts import as_inspection_facts
from projections.replayed import Change, SpentSum
from projections.gaps import Rules, described
from projections.projector import STATION_FACTS, station_fact_row
from tenants.stores import events_table, records_table


async def streams_naming(conn: asyncpg.Connection, district: str, record_type: str, town: str,
                         position: int) -> list[UUID]:
    """The streams founded by a record of `record_type` by `position` that name the town (a
    project the district bought for several towns names it among its `towns`), found by the
    district's record index."""
    records, events = records_table(district), events_table(district)
    return [row["stream_id"] for row in await conn.fetch(
        f"SELECT r.stream_id FROM {records} r JOIN {events} e"
        f" ON e.originator_id = r.stream_id AND e.originator_version = r.stream_version"
        f" WHERE r.record_type = $1 AND e.notification_id <= $3"
        f" AND (convert_from(e.state, 'UTF8')::jsonb ->> 'town' = $2"
        f"  OR convert_from(e.state, 'UTF8')::jsonb -> 'towns' @> jsonb_build_array(jsonb_build_object('town', $2::text)))",
        record_type, town, position)]


def standing(found: Iterable[Change]) -> list[Change]:
    """The changes whose records are not voided by the last of them, in log order."""
    active: dict[str, Change] = {}
    for change in found:
        if isinstance(change.event, RecordKeeping.RecordVoided):
            active.pop(change.event.record, None)
        else:
            active[change.event.record_id] = change
    return sorted(active.values(), key=lambda c: c.position)


# -- a project ----------------------------------------------------------------------------------

def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def project_fact(contract: Project.Contracted, exit_: Project.ProviderExited | None) -> ProjectFact:
    return ProjectFact(contract.project, contract.role, contract.contract_start, contract.contract_end,
                       exit_.exited_on if exit_ else None, contract.provider.get("credit_code"),
                       tuple(contract.key_recipients or ()), "key_recipients" not in vars(contract), contract.name)


def evaluation_fact(e: Project.SelfEvaluationSubmitted | Project.FinalEvaluationDone) -> EvaluationFact:
    if isinstance(e, Project.SelfEvaluationSubmitted):
        return EvaluationFact(e.project, "self", e.contract_year, e.submitted_on)
    return EvaluationFact(e.project, "final", e.contract_year, e.done_on,
                          tuple(f["area"] for f in e.focus or ()), "focus" not in vars(e))


def _of(kind: type | tuple[type, ...], found: list[Change]) -> list[Any]:
    return [c.event for c in found if isinstance(c.event, kind)]


def project_state(found: list[Change], cutoff: date, rules: Rules) -> dict[str, Any] | None:
    """The project as its standing records make it on `cutoff` (spending, evaluations and an exit
    dated by then); None while it has no contract."""
    active = standing(found)
    contract = next(iter(_of(Project.Contracted, active)), None)
    if contract is None:
        return None
    exits = _of(Project.ProviderExited, active)
    fact = project_fact(contract, exits[-1] if exits else None)
    exits = [e for e in exits if e.exited_on <= cutoff]
    spent: dict[tuple[str, str], Decimal] = {}
    for e in _of((Project.FundSpent, SpentSum), active):  # summed by a persisted snapshot, or one by one
        if e.occurred_on <= cutoff:
            spent[(e.source, e.level)] = spent.get((e.source, e.level), Decimal(0)) + e.amount
    lines = [{"source": line["source"], "level": line.get("level", "own"), "amount": _money(Decimal(line["amount"])),
              "spent": _money(used := spent.get((line["source"], line.get("level", "own")), Decimal(0))),
              "left": _money(Decimal(line["amount"]) - used)} for line in contract.funds]
    evaluations = [(e, f) for e in (*_of(Project.SelfEvaluationSubmitted, active), *_of(Project.FinalEvaluationDone, active))
                   if (f := evaluation_fact(e)).on_date <= cutoff]
    facts = [f for _, f in evaluations]
    return {
        "project": contract.project,
        "contract": {"record_id": contract.record_id, "town": contract.town,
                     "towns": jsonable(contract.towns), "role": contract.role, "name": contract.name,
                     "purchaser_kind": contract.purchaser_kind, "provider": contract.provider,
                     "method": contract.method, "amount": _money(contract.amount),
                     "contract_start": _day(contract.contract_start), "contract_end": _day(contract.contract_end),
                     "domains": contract.domains, "key_recipients": contract.key_recipients},
        "in_force": fact.in_force(cutoff),
        "fund_lines": lines,
        "spent": _money(sum(spent.values(), Decimal(0))),
        "left": _money(contract.amount - sum(spent.values(), Decimal(0))),
        "evaluations": {"done": [_evaluation(e, f) for e, f in evaluations],
                        "due": _due(fact, facts, cutoff)},
        "evaluation_compliance": described(evaluation_gaps([fact], facts, cutoff, rules)),
        "exit": None if not exits else {"record_id": exits[-1].record_id, "exited_on": _day(exits[-1].exited_on),
                                        "condition": exits[-1].condition, "reason": exits[-1].reason,
                                        "successor_project": exits[-1].successor_project},
    }


def _evaluation(e: RecordEvent, fact: EvaluationFact) -> dict[str, Any]:
    score = getattr(e, "score", None)
    return {"record_id": e.record_id, "kind": fact.kind, "contract_year": fact.contract_year,
            "on": _day(fact.on_date), "score": str(score) if score is not None else None,
            "grade": getattr(e, "grade", None)}


def _due(project: ProjectFact, done: list[EvaluationFact], cutoff: date) -> list[dict[str, Any]]:
    """The evaluations a core project owes for its contract years begun by `cutoff` and not done
    by then: the provider's at mid-year, the purchaser's at the year's end (its provider's exit)."""
    if project.role != "core":
        return []
    made = {(e.kind, e.contract_year) for e in done}
    owed = []
    for year, start, end in contract_years(project):
        if start > min(cutoff, project.end):
            break
        for kind, due in (("self", midyear(start, end)), ("final", min(end, project.end))):
            if (kind, year) not in made and not (kind == "self" and due > project.end):
                owed.append({"kind": kind, "contract_year": year, "due_on": due.isoformat(), "overdue": due < cutoff})
    return owed


# -- a station ---------------------------------------------------------------------------------

def station_facts(found: list[Change]) -> list[StationFact]:
    """The station's standing records as the compliance check's facts, in log order."""
    rows = [station_fact_row(c.event) for c in standing(found) if type(c.event) in STATION_FACTS]
    return [StationFact(r["kind"], r["key"], r["on_date"], r["detail"], r["attributes"], r["before_rules"])
            for r in rows]


def inspection_facts(found: list[Change]) -> list[InspectionFact]:
    """The town's standing inspections as the report's rows of them would hold them."""
    active = standing(found)
    rectified = {e.inspection: e.occurred_on for e in _of(Inspection.RectificationDone, active)}
    return as_inspection_facts([
        {"record_id": e.record_id, "occurred_on": e.occurred_on, "issues_found": e.issues_found,
         "rectification_due": e.rectification_due, "rectified_on": rectified.get(e.record_id)}
        for e in _of(Inspection.Done, active)])


def _latest(active: list[Change], kind: type, cutoff: date) -> dict[Any, Any]:
    """The standing records of a kind dated by `cutoff`, the latest of each key (as the compliance
    check reads them: by date, and on one day the one recorded last)."""
    dated = [(row, e) for e in _of(kind, active) if (row := station_fact_row(e))["on_date"] <= cutoff]
    return {row["key"]: e for row, e in sorted(dated, key=lambda pair: pair[0]["on_date"])}


def station_state(station: list[Change], projects: list[list[Change]], inspections: list[Change], *,
                  expected_sign: str, cutoff: date, rules: Rules) -> dict[str, Any]:
    """The station on `cutoff` as its standing records make it, and its compliance judged on that
    day by the report's rules."""
    facts = sorted((f for f in station_facts(station) if f.on_date <= cutoff), key=lambda f: f.on_date)
    contracts = [(c, active) for active in map(standing, projects) for c in _of(Project.Contracted, active)]
    project_facts = [project_fact(c, next(reversed(_of(Project.ProviderExited, active)), None))
                     for c, active in contracts]
    evaluations = [evaluation_fact(e) for _, active in contracts
                   for e in (*_of(Project.SelfEvaluationSubmitted, active), *_of(Project.FinalEvaluationDone, active))]
    assessed = compliance.assess(facts, project_facts, evaluations, inspection_facts(inspections),
                                 expected_sign=expected_sign, cutoff=cutoff, rules=rules)
    active = standing(station)
    founding = _latest(active, Station.Establishment, cutoff).get(None)
    sign = _latest(active, Station.SignboardHung, cutoff).get(None)
    on_duty = compliance.on_duty(facts)
    roles: dict[str, list[str]] = {}
    for person, role in on_duty.items():
        roles.setdefault(role, []).append(person)
    missing = {kind: [g.code.split(":", 1)[1] for g in assessed.gaps if g.kind == kind]
               for kind in ("equipment_missing", "rules_missing")}
    return {
        "established": founding is not None,
        "host_facility": founding.host_facility if founding else None,
        "address": founding.address if founding else None,
        "established_on": _day(founding.established_on) if founding else None,
        "signboard": None if sign is None else {
            "text": sign.text, "hung_on": _day(sign.hung_on),
            **{name: vars(sign).get(name) for name in ("emblem", "position", "uniform_style")}},
        "staff": {"on_duty": len(on_duty),
                  "by_role": {role: {"count": len(people), "person_refs": sorted(people)}
                              for role, people in sorted(roles.items())}},
        "equipment": {"present": {item: {"quantity": e.quantity, "recorded_on": _day(e.recorded_on)}
                                  for item, e in _latest(active, Station.EquipmentRecorded, cutoff).items()},
                      "missing": missing["equipment_missing"]},
        "rules": {"adopted": {category: {"adopted_on": _day(e.adopted_on), "posted_on_wall": e.posted_on_wall}
                              for category, e in _latest(active, Station.RulesAdopted, cutoff).items()},
                  "missing": missing["rules_missing"]},
        "contracts_in_force": [{"project": c.project, "name": c.name, "role": c.role, "provider": c.provider["name"],
                                "purchaser_kind": c.purchaser_kind, "contract_end": _day(c.contract_end)}
                               for (c, _), fact in zip(contracts, project_facts, strict=True) if fact.in_force(cutoff)],
        "compliance": described(assessed.gaps),
    }


# -- a plan and an inspection ------------------------------------------------------------------

def plan_rows(found: list[Change]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The plan's row and its steps as the duty tables hold them (`projections.duties`), folded
    from its events: each draft opens a version in draft, a filing keeps that version as filed."""
    row: dict[str, Any] | None = None
    steps = []
    for c in found:
        e = c.event
        if isinstance(e, Plan.Drafting):
            kept = {k: row[k] for k in ("filed_version", "filed_content", "filed_at")} if row else {}
            row = {"filed_version": None, "filed_content": None, "filed_at": None, **kept, "status": "draft",
                   "version": e.version, "content": e.content(), "submitted_at": None, "reason": None}
            step = "drafted"
        elif isinstance(e, Plan.Step) and row is not None:
            row.update(status=e.status, reason=getattr(e, "reason", None))
            if e.status == "submitted":
                row["submitted_at"] = e.timestamp
            if e.status == "filed":
                row.update(filed_version=row["version"], filed_content=row["content"], filed_at=e.timestamp)
            step = e.status
        else:
            continue
        steps.append({"position": c.position, "step": step, "version": e.version, "record_id": e.record_id,
                      "actor": e.actor, "actor_role": e.actor_role, "at": e.timestamp,
                      "reason": getattr(e, "reason", None)})
    return row, steps


def inspection_state(found: list[Change], cutoff: date) -> dict[str, Any] | None:
    """The inspection and its standing rectification (None while the stream holds no inspection);
    a voided inspection is shown with `voided` true."""
    inspection = next(iter(_of(Inspection.Done, found)), None)
    if inspection is None:
        return None
    active = standing(found)
    rectified = next(iter(_of(Inspection.RectificationDone, active)), None)
    due, voided = inspection.rectification_due, not any(c.event is inspection for c in active)
    return {"inspection": inspection.record_id, "town": inspection.town, "project": inspection.project,
            "occurred_on": _day(inspection.occurred_on), "kind": inspection.kind, "by": inspection.by,
            "scopes": inspection.scopes, "issues_found": inspection.issues_found, "findings": inspection.findings,
            "rectification_due": _day(due),
            "rectification": None if rectified is None else {
                "record_id": rectified.record_id, "done_on": _day(rectified.occurred_on), "note": rectified.note},
            "rectification_overdue": bool(due and rectified is None and not voided and due < cutoff),
            "voided": voided}


# -- the events that changed it -------------------------------------------------------------

def timeline(found: list[Change], recorded_at: dict[int, datetime]) -> list[dict[str, Any]]:
    """Every change in log order: where, what, when it happened and when it was recorded (by
    position), by whom."""
    return [{"position": c.position, "type": c.event.record_type, "record_id": c.event.record_id,
             "occurred_on": _day(_business_date(c.event)),
             "recorded_at": recorded_at[c.position].astimezone(CST).isoformat(),
             "recorded_by": {"sub": c.event.actor, "role": c.event.actor_role,
                             "on_behalf_of": c.event.on_behalf_of, "request_id": c.event.request_id},
             "payload": jsonable(c.event.payload())} for c in found]


_DATE_FIELDS = ("occurred_on", "established_on", "hung_on", "recorded_on", "assigned_on", "released_on",
                "adopted_on", "submitted_on", "done_on", "exited_on", "contract_start")


def _business_date(event: RecordEvent) -> date | None:
    """The day the record says it happened (a void's is the day it was recorded)."""
    fields = vars(event)
    found = next((fields[name] for name in _DATE_FIELDS if isinstance(fields.get(name), date)), None)
    return found or event.timestamp.astimezone(CST).date()
