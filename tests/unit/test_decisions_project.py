"""The batch decision for projects (contracts, fund lines, evaluations), the services and
inspections that name them, and rectifications."""

import pytest

from domain.events import stream_id
from domain.project import Project
from tests.unit.support import (
    SIMING, ZHONGHUA, History, contract, final_evaluation, inspection, rectification,
    self_evaluation, service, spend, void,
)


@pytest.fixture
def history() -> History:
    return History()


@pytest.fixture
def project(history: History) -> str:
    """厦港街道's project: 2025-01-01..2025-12-31, elderly_care 2000.00 + social_assistance 1000.00."""
    record = contract()
    history.write(record)
    return record.project


# -- contracts -----------------------------------------------------------------------------

def test_project_is_contracted(history):
    record = contract("P-unique-1")
    events = history.write(record)
    assert [type(e) for e in events] == [Project.Contracted]
    assert events[0].originator_id == stream_id(SIMING, "project", "P-unique-1")


def test_project_id_reused_is_rejected(history, project):
    problem = history.problem(contract(project, town=ZHONGHUA))
    assert problem.field == "project" and "already used" in problem.en


def test_project_id_reused_in_one_batch_is_rejected(history):
    assert history.problem(contract("P-twice"), contract("P-twice")).index == 1


def test_two_projects_of_one_town_are_accepted(history):
    assert len(history.write(contract(), contract(role="linked"))) == 2


# -- spending ------------------------------------------------------------------------------

def test_spending_on_a_fund_line_is_accepted(history, project):
    assert history.write(spend(project, "100.00", "elderly_care"))


def test_spending_a_source_without_a_fund_line_is_rejected(history, project):
    problem = history.problem(spend(project, "1.00", source="child_welfare"))
    assert problem.field == "source" and "no fund line" in problem.en


def test_spending_exactly_the_balance_is_accepted(history, project):
    assert history.write(spend(project, "1500.00"), spend(project, "500.00"))


def test_spending_beyond_the_balance_is_rejected(history, project):
    history.write(spend(project, "1500.00"))
    problem = history.problem(spend(project, "500.01"))
    assert problem.field == "amount" and "500.00" in problem.en


def test_spending_beyond_the_whole_fund_line_is_rejected(history, project):
    assert history.problem(spend(project, "2000.01")).field == "amount"


def test_each_fund_line_has_its_own_balance(history, project):
    history.write(spend(project, "2000.00", "elderly_care"))
    assert history.write(spend(project, "1000.00", "social_assistance"))
    assert history.problem(spend(project, "0.01", "elderly_care")).field == "amount"


def test_spending_in_one_batch_adds_up(history, project):
    problem = history.problem(spend(project, "1500.00"), spend(project, "500.00"), spend(project, "0.01"))
    assert problem.index == 2


def test_voiding_a_spend_restores_the_balance(history, project):
    first = spend(project, "2000.00")
    history.write(first)
    assert history.problem(spend(project, "1.00")).field == "amount"
    history.write(void(first.id))
    assert history.write(spend(project, "2000.00"))


def test_spending_on_an_unknown_project_is_rejected(history):
    problem = history.problem(spend("P-nowhere"))
    assert problem.field == "project" and "no project" in problem.en


def test_spending_on_a_voided_contract_is_rejected(history):
    record = contract()
    history.write(record, void(record.id))
    problem = history.problem(spend(record.project))
    assert problem.field == "project" and "voided" in problem.en


def test_contract_then_spend_in_one_batch(history):
    record = contract()
    assert len(history.write(record, spend(record.project, "2000.00"))) == 2


def test_spend_before_its_contract_in_the_batch_is_rejected(history):
    record = contract()
    assert history.problem(spend(record.project), record).index == 0


# -- voiding a contract --------------------------------------------------------------------

def test_contract_without_other_records_can_be_voided(history):
    record = contract()
    history.write(record)
    assert history.write(void(record.id))


def test_voiding_a_contract_with_active_spending_is_rejected(history):
    record = contract()
    outlay = spend(record.project)
    history.write(record, outlay)
    problem = history.problem(void(record.id))
    assert problem.field == "record" and "first" in problem.en


def test_voiding_a_contract_with_an_evaluation_is_rejected(history):
    record = contract()
    history.write(record, self_evaluation(record.project))
    assert history.problem(void(record.id)).field == "record"


def test_contract_can_be_voided_once_its_spending_is_voided(history):
    record = contract()
    outlay = spend(record.project)
    history.write(record, outlay, void(outlay.id))
    assert history.write(void(record.id))


# -- evaluations: at most once per contract year, within the term ---------------------------

EVALUATIONS = [self_evaluation, final_evaluation]


@pytest.mark.parametrize("evaluate", EVALUATIONS)
def test_evaluation_of_a_contract_year_is_accepted(history, project, evaluate):
    assert history.write(evaluate(project, 1))


@pytest.mark.parametrize("evaluate", EVALUATIONS)
def test_second_evaluation_of_a_contract_year_is_rejected(history, project, evaluate):
    history.write(evaluate(project, 1))
    problem = history.problem(evaluate(project, 1))
    assert problem.field == "contract_year" and "already" in problem.en


@pytest.mark.parametrize("evaluate", EVALUATIONS)
def test_second_evaluation_in_one_batch_is_rejected(history, project, evaluate):
    assert history.problem(evaluate(project, 1), evaluate(project, 1)).index == 1


def test_self_and_final_evaluation_of_one_year_are_both_accepted(history, project):
    assert len(history.write(self_evaluation(project, 1), final_evaluation(project, 1))) == 2


@pytest.mark.parametrize("evaluate", EVALUATIONS)
def test_evaluation_again_after_the_first_is_voided(history, project, evaluate):
    first = evaluate(project, 1)
    history.write(first, void(first.id))
    assert history.write(evaluate(project, 1))


@pytest.mark.parametrize("evaluate", EVALUATIONS)
def test_contract_year_beyond_the_term_is_rejected(history, project, evaluate):
    problem = history.problem(evaluate(project, 2))
    assert problem.field == "contract_year" and "beyond the contract term" in problem.en


@pytest.mark.parametrize("evaluate", EVALUATIONS)
def test_each_year_of_a_multi_year_contract_is_evaluated_once(history, evaluate):
    record = contract(contract_start="2024-07-01", contract_end="2026-06-30")
    history.write(record, evaluate(record.project, 1), evaluate(record.project, 2))
    assert history.problem(evaluate(record.project, 2)).field == "contract_year"
    assert history.problem(evaluate(record.project, 3)).field == "contract_year"


@pytest.mark.parametrize("evaluate", EVALUATIONS)
def test_evaluation_of_a_voided_contract_is_rejected(history, evaluate):
    record = contract()
    history.write(record, void(record.id))
    assert history.problem(evaluate(record.project, 1)).field == "project"


@pytest.mark.parametrize("evaluate", EVALUATIONS)
def test_evaluation_of_an_unknown_project_is_rejected(history, evaluate):
    assert history.problem(evaluate("P-nowhere", 1)).field == "project"


def test_one_year_contract_from_29_february_has_one_contract_year(history):
    record = contract(contract_start="2024-02-29", contract_end="2025-02-28")
    history.write(record)
    assert history.problem(self_evaluation(record.project, 2, submitted_on="2025-02-28")).field == "contract_year"


# -- services that name a project ----------------------------------------------------------

def test_service_without_a_project_is_accepted(history):
    assert history.write(service())


def test_service_of_the_project_town_and_domain_is_accepted(history, project):
    assert history.write(service(project=project, domain="social_assistance"))


def test_service_naming_a_project_of_another_town_is_rejected(history, project):
    problem = history.problem(service(ZHONGHUA, project=project))
    assert problem.field == "project" and "another town" in problem.en


def test_service_outside_the_project_domains_is_rejected(history, project):
    problem = history.problem(service(project=project, domain="child_welfare"))
    assert problem.field == "domain" and "not one of the project's domains" in problem.en


def test_service_naming_an_unknown_project_is_rejected(history):
    assert history.problem(service(project="P-nowhere")).field == "project"


def test_service_naming_a_voided_project_is_rejected(history):
    record = contract()
    history.write(record, void(record.id))
    assert history.problem(service(project=record.project)).field == "project"


def test_contract_then_service_in_one_batch(history):
    record = contract()
    assert len(history.write(record, service(project=record.project))) == 2


# -- inspections and rectifications --------------------------------------------------------

def test_inspection_naming_a_project_of_its_town_is_accepted(history, project):
    assert history.write(inspection(project=project))


def test_inspection_naming_a_project_of_another_town_is_rejected(history, project):
    assert history.problem(inspection(ZHONGHUA, project=project)).field == "project"


def test_rectification_of_an_inspection_with_issues_is_accepted(history):
    done = inspection(issues_found=True)
    history.write(done)
    assert history.write(rectification(done.id))


def test_rectification_on_the_inspection_day_is_accepted(history):
    done = inspection(occurred_on="2025-03-01")
    history.write(done)
    assert history.write(rectification(done.id, occurred_on="2025-03-01"))


def test_rectification_of_an_unknown_inspection_is_rejected(history):
    problem = history.problem(rectification("in-nowhere"))
    assert problem.field == "inspection" and "no inspection" in problem.en


def test_rectification_naming_a_record_that_is_no_inspection_is_rejected(history):
    other = service()
    history.write(other)
    assert history.problem(rectification(other.id)).field == "inspection"


def test_rectification_of_an_inspection_without_issues_is_rejected(history):
    done = inspection(issues_found=False)
    history.write(done)
    problem = history.problem(rectification(done.id))
    assert problem.field == "inspection" and "no issues" in problem.en


def test_rectification_recorded_twice_is_rejected(history):
    done = inspection()
    history.write(done, rectification(done.id))
    problem = history.problem(rectification(done.id))
    assert problem.field == "inspection" and "already recorded" in problem.en


def test_rectification_dated_before_the_inspection_is_rejected(history):
    done = inspection(occurred_on="2025-03-01")
    history.write(done)
    assert history.problem(rectification(done.id, occurred_on="2025-02-28")).field == "occurred_on"


def test_rectification_of_a_voided_inspection_is_rejected(history):
    done = inspection()
    history.write(done, void(done.id))
    assert history.problem(rectification(done.id)).field == "inspection"


def test_rectification_again_after_the_first_is_voided(history):
    done = inspection()
    first = rectification(done.id)
    history.write(done, first, void(first.id))
    assert history.write(rectification(done.id))


def test_voiding_an_inspection_with_its_rectification_is_rejected(history):
    done = inspection()
    history.write(done, rectification(done.id))
    assert history.problem(void(done.id)).field == "record"


def test_inspection_then_rectification_in_one_batch(history):
    done = inspection()
    assert len(history.write(done, rectification(done.id))) == 2


def test_rectification_is_recorded_on_its_inspection(history):
    done = inspection()
    fix = rectification(done.id)
    events = history.write(done, fix)
    assert events[1].record_id == fix.id and events[1].originator_id == events[0].originator_id
    assert events[0].originator_id == stream_id(SIMING, "record", done.id)
