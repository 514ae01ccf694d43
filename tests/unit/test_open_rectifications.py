"""The reports' `open_rectifications` figure: every inspection with findings dated by the cutoff,
of any half year, not rectified by then (`compliance.open_rectifications`)."""

from datetime import date, timedelta

from projections.compliance import open_rectifications
from tests.unit.compliance_facts import CUTOFF, inspection

DAY_AFTER = CUTOFF + timedelta(days=1)


def test_findings_not_rectified_by_the_cutoff_are_open():
    assert open_rectifications([inspection(None, on=date(2025, 5, 1))], CUTOFF) == 1


def test_findings_rectified_on_the_cutoff_are_closed_and_the_day_after_still_open():
    assert open_rectifications([inspection(None, rectified=CUTOFF, on=date(2025, 5, 1))], CUTOFF) == 0
    assert open_rectifications([inspection(None, rectified=DAY_AFTER, on=date(2025, 5, 1))], CUTOFF) == 1


def test_an_inspection_counts_from_its_own_day():
    assert open_rectifications([inspection(None, on=CUTOFF)], CUTOFF) == 1
    assert open_rectifications([inspection(None, on=DAY_AFTER)], CUTOFF) == 0


def test_an_inspection_of_an_earlier_half_year_still_open_counts():
    earlier = inspection(date(2024, 12, 31), on=date(2024, 11, 5))
    assert open_rectifications([earlier, inspection(None, record_id="in-2", on=date(2025, 3, 1))], CUTOFF) == 2


def test_an_inspection_without_findings_owes_no_rectification():
    assert open_rectifications([inspection(None, issues=False, on=date(2025, 5, 1))], CUTOFF) == 0
