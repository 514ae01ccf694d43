"""A provider's exit and a station's compliance: the core project it leaves, and the evaluations owed."""

from datetime import date

from tests.unit.compliance_facts import CORE, EVALUATED, core, evaluated, gap_codes

EXITED = core("P-1", date(2024, 1, 1), date(2025, 12, 31), exited_on=date(2025, 3, 31))


def test_a_core_provider_gone_by_the_cutoff_is_a_gap():
    assert gap_codes(projects=(EXITED,)) == ["core_provider_exited:P-1", "final_evaluation_overdue:P-1:2"]


def test_an_exit_after_the_cutoff_changes_nothing_yet():
    assert gap_codes(projects=(EXITED,), cutoff=date(2025, 3, 30)) == gap_codes(projects=(CORE,),
                                                                                cutoff=date(2025, 3, 30)) == []


def test_a_successor_core_project_that_has_started_closes_the_gap():
    successor = core("P-2", date(2025, 4, 1), date(2026, 3, 31))
    assert gap_codes(projects=(EXITED, successor)) == ["final_evaluation_overdue:P-1:2"]
    later = core("P-2", date(2025, 7, 1), date(2026, 6, 30))
    assert gap_codes(projects=(EXITED, later))[0] == "core_provider_exited:P-1"


def test_no_self_evaluation_is_owed_for_a_year_left_before_its_middle():
    done = [*EVALUATED, evaluated(EXITED, "final", 2, on=date(2025, 3, 31))]
    assert gap_codes(projects=(EXITED,), evaluations=done) == ["core_provider_exited:P-1"]


def test_a_self_evaluation_is_still_owed_when_the_provider_left_after_the_middle():
    left_late = core("P-1", date(2024, 1, 1), date(2025, 12, 31), exited_on=date(2025, 8, 1))
    assert gap_codes(projects=(left_late,), evaluations=EVALUATED, cutoff=date(2025, 9, 30)) == [
        "core_provider_exited:P-1", "self_evaluation_overdue:P-1:2", "final_evaluation_overdue:P-1:2"]


def test_no_evaluation_is_owed_for_years_after_the_exit():
    left_in_year_one = core("P-1", date(2024, 1, 1), date(2025, 12, 31), exited_on=date(2024, 5, 1))
    done = [evaluated(left_in_year_one, "final", 1, on=date(2024, 5, 1))]
    assert gap_codes(projects=(left_in_year_one,), evaluations=done) == ["core_provider_exited:P-1"]
