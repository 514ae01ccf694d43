"""The folds of `projections.states` over an in-memory history (no database): what a station and a
project are at a day, a voided record counting nowhere from its void on."""

from datetime import date, datetime

from projections.gaps import Rules
from projections.replayed import Change
from projections.states import project_state, station_state, timeline
from tests.unit.support import (
    SIGN, History, contract, provider_exit, spend, staff_assigned, staff_released, station, void,
)


def replayed(history: History) -> list[Change]:
    return [Change(n, e.originator_id, e) for n, e in enumerate(history.events, 1)]


def test_a_project_after_its_providers_exit_owes_only_that_years_final_evaluation():
    history, deal = History(), contract()
    spent, kept = spend(deal.project, "100.00"), spend(deal.project, "250.50")
    history.write(deal, spent, kept)
    history.write(void(spent.id))
    history.write(provider_exit(deal.project))
    before = project_state(replayed(history), date(2025, 5, 30), Rules())
    after = project_state(replayed(history), date(2025, 6, 30), Rules())

    assert before["in_force"] and before["exit"] is None
    assert [(e["kind"], e["overdue"]) for e in before["evaluations"]["due"]] == [("final", False)]
    assert not after["in_force"] and after["exit"]["exited_on"] == "2025-05-31"
    # The self-evaluation was due after the provider left: only the final one is owed, and late.
    assert [(e["kind"], e["due_on"], e["overdue"]) for e in after["evaluations"]["due"]] == [("final", "2025-05-31", True)]
    assert {line["source"]: line["spent"] for line in after["fund_lines"]} == {"elderly_care": "250.50",
                                                                              "social_assistance": "0.00"}
    assert after["left"] == "2749.50"


def test_a_voided_assignment_puts_nobody_on_duty_and_the_timeline_keeps_both_events():
    history, founded = History(), station()
    wrong = staff_assigned("S-0001", role="station_head")
    history.write(founded, wrong)
    history.write(void(wrong.id))
    history.write(staff_assigned("S-0001", role="staff"), staff_assigned("S-0002", role="staff", assigned_on="2025-03-01"))
    history.write(staff_released("S-0002", released_on="2025-04-01"))
    found = replayed(history)

    def on(day: date) -> dict:
        return station_state(found, [], [], expected_sign=SIGN, cutoff=day, rules=Rules())

    assert on(date(2025, 1, 9))["established"] is False
    assert on(date(2025, 2, 1))["staff"]["by_role"] == {"staff": {"count": 1, "person_refs": ["S-0001"]}}
    assert on(date(2025, 3, 15))["staff"]["on_duty"] == 2
    assert on(date(2025, 4, 1))["staff"]["on_duty"] == 1
    assert "staff_head" in on(date(2025, 4, 1))["compliance"]["gap_codes"]
    assert [e["type"] for e in timeline(found, {c.position: datetime(2025, 7, 1, 9) for c in found})] == ["station_established", "staff_assigned", "record_voided",
                                                    "staff_assigned", "staff_assigned", "staff_released"]
