"""The annual purchase plan's lifecycle, decided with no database: draft, submit, file or
return, amend; and the records of the district's other duties."""

import dataclasses

import pytest

from domain.decisions import decide
from domain.duties import Level
from domain.errors import BatchForbidden
from domain.events import Provenance, stream_id
from domain.plan import Plan, PlanForbidden, PlanStateViolation
from tests.unit.support import (
    HULI_TOWN, PROVENANCE, RECORDED_AT, SIMING, XIAGANG, ZHONGHUA, History, context, contract, linked_figures, plan,
    planned_project, problem_resolved, progress, provider_exit, service, station, training, void,
)

CITY = Provenance("city-officer", "city", "req-9", RECORDED_AT)


def drafted(history: History, *records) -> Plan:
    history.write(*records)
    found = history.load(stream_id(SIMING, "plan", "2025"))
    assert isinstance(found, Plan)
    return found


def step(history: History, plan_: Plan, action: str, provenance: Provenance = PROVENANCE, **kw) -> Plan:
    record_id = f"plan-step-{len(history.events)}"
    getattr(plan_, action)(record_id=record_id, provenance=provenance, **kw)
    history.aggregates[plan_.id] = plan_
    history.events.extend(plan_.collect_events())
    return plan_


def test_a_plan_goes_draft_submitted_filed():
    history = History()
    plan_ = drafted(history, plan())
    assert (plan_.status, plan_.plan_version) == ("draft", 1)
    step(history, plan_, "submit")
    step(history, plan_, "file", CITY)
    assert (plan_.status, plan_.filed_version) == ("filed", 1)


def test_filing_a_plan_that_was_not_submitted_is_refused():
    plan_ = drafted(History(), plan())
    with pytest.raises(PlanStateViolation):
        plan_.file("plan-x", CITY)


def test_a_district_cannot_file_its_own_plan():
    history = History()
    plan_ = step(history, drafted(history, plan()), "submit")
    with pytest.raises(PlanForbidden):
        plan_.file("plan-x", PROVENANCE)
    with pytest.raises(PlanForbidden):
        plan_.send_back("不行", "plan-x", PROVENANCE)


def test_a_returned_plan_is_redrafted_and_submitted_again():
    history = History()
    plan_ = step(history, drafted(history, plan()), "submit")
    step(history, plan_, "send_back", CITY, reason="缺少评估安排")
    assert plan_.status == "returned"
    plan_ = drafted(history, plan())
    assert (plan_.status, plan_.plan_version) == ("draft", 1)
    step(history, plan_, "submit")
    assert plan_.status == "submitted"


def test_a_submitted_plan_cannot_be_redrafted_until_the_city_answers():
    history = History()
    step(history, drafted(history, plan()), "submit")
    assert history.problem(plan()).field == "year"


def test_a_filed_plan_is_amended_by_a_new_version_and_stays_filed_meanwhile():
    history = History()
    plan_ = step(history, drafted(history, plan()), "submit")
    step(history, plan_, "file", CITY)
    amended = drafted(history, plan(planned_project("P-NEW")))
    assert (amended.status, amended.plan_version, amended.filed_version) == ("draft", 2, 1)
    assert [p["project"] for p in amended.filed_content["projects"]] != ["P-NEW"]
    with pytest.raises(PlanStateViolation):
        amended.file("plan-x", CITY)


def test_a_plan_names_towns_of_its_district_only():
    assert History().problem(plan(planned_project("P-1", town=HULI_TOWN))).field == "projects.0.town"


def test_a_plan_may_draw_a_source_at_both_levels_and_keeps_each_line_s_level():
    both = [{"source": "elderly_care", "amount": "2000.00"},
            {"source": "elderly_care", "level": "allocated", "amount": "1000.00"}]
    plan_ = drafted(History(), plan(planned_project("P-1", funds=both)))
    assert [(line["source"], line["level"], line["amount"]) for line in plan_.content["projects"][0]["funds"]] == [
        ("elderly_care", "own", "2000.00"), ("elderly_care", "allocated", "1000.00")]


def test_a_plan_is_made_for_this_year_or_the_next():
    assert History().problem(plan(year=2027)).field == "year"
    History().write(plan(year=2026))


def test_a_station_may_not_draft_a_plan_nor_record_an_exit():
    history = History()
    project = contract()
    history.write(station(), project)
    for record in (plan(), provider_exit(project.project)):
        with pytest.raises(BatchForbidden):
            decide([record], context(town_scope=XIAGANG), history)


def test_a_plan_is_never_voided():
    history = History()
    [event] = history.write(plan())
    assert history.problem(void(event.record_id)).field == "record"


# -- provider exits -------------------------------------------------------------------------

def test_an_exit_names_a_successor_of_the_same_town():
    history = History()
    project, elsewhere = contract(), contract(town=ZHONGHUA)
    history.write(station(), station(ZHONGHUA), project, elsewhere)
    assert history.problem(provider_exit(project.project, successor_project="P-NONE")).field == "successor_project"
    assert history.problem(provider_exit(project.project, successor_project=elsewhere.project)).field == \
        "successor_project"
    successor = contract()
    history.write(successor, provider_exit(project.project, successor_project=successor.project))


def test_an_exit_lies_within_the_contract_and_happens_once():
    history = History()
    project = contract()
    history.write(station(), project)
    assert history.problem(provider_exit(project.project, exited_on="2024-12-31")).field == "exited_on"
    history.write(provider_exit(project.project))
    assert history.problem(provider_exit(project.project)).field == "project"


def test_no_service_on_a_project_after_its_provider_left():
    history = History()
    project = contract()
    history.write(station(), project, provider_exit(project.project, exited_on="2025-03-01"))
    assert history.problem(service(project=project.project, occurred_on="2025-03-18")).field == "project"
    history.write(service(project=project.project, occurred_on="2025-02-28"))


def test_a_voided_exit_gives_the_project_back():
    history = History()
    project = contract()
    exit_ = provider_exit(project.project, exited_on="2025-03-01")
    history.write(station(), project, exit_, void(exit_.id))
    history.write(service(project=project.project, occurred_on="2025-03-18"))


# -- linked figures, progress notes, training ------------------------------------------------

def test_linked_figures_are_collected_once_per_project_and_half_year():
    history = History()
    first = linked_figures()
    history.write(station(), first)
    assert history.problem(linked_figures(name="困境儿童 关爱项目")).field == "name"
    history.write(linked_figures(name="社区助残项目"), linked_figures(period="2024H2"))
    history.write(void(first.id), linked_figures())


def test_linked_figures_never_take_the_core_projects():
    history = History()
    core = contract()
    history.write(station(), core)
    assert history.problem(linked_figures(project=core.project)).field == "project"
    linked = contract(role="linked")
    history.write(linked, linked_figures(project=linked.project))


def test_linked_figures_are_collected_after_their_half_year_began():
    history = History()
    history.write(station())
    assert history.problem(linked_figures(period="2025H2")).field == "period"


def test_a_problem_is_resolved_once_and_only_if_raised():
    history = History()
    note = progress()
    history.write(station(), note)
    assert history.problem(problem_resolved(note.id, problem="P9")).field == "problem"
    assert history.problem(problem_resolved(note.id, resolved_on="2025-04-01")).field == "resolved_on"
    history.write(problem_resolved(note.id))
    assert history.problem(problem_resolved(note.id)).field == "problem"


def test_training_names_towns_that_exist():
    history = History()
    city = dataclasses.replace(context(level=Level.city), district="city")
    [event] = history.write(training(), ctx=city)
    assert event.attendance == [{"town": XIAGANG, "district": SIMING, "attendees": 3}]
    assert history.problem(training(town="350299999"), ctx=city).field == "attendance.0.town"
