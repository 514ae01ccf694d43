"""Which half year a dashboard opens on, given what the caller's scope has records in."""

from projections.periods import previous
from service.periods import Periods, choose


def test_no_records_open_on_the_current_half_year():
    assert choose("2026H2", None, False) == Periods("2026H2", "2026H2", "2026H1", None)


def test_records_only_in_an_earlier_half_year_open_on_it():
    assert choose("2026H2", "2025H1", False).opening == "2025H1"


def test_the_half_year_due_is_chosen_when_it_has_records():
    assert choose("2026H2", "2026H2", True).opening == "2026H1"
    assert choose("2026H2", "2026H2", False).opening == "2026H2"


def test_the_half_year_before():
    assert [previous(p) for p in ("2026H2", "2026H1", "2000H1")] == ["2026H1", "2025H2", "1999H2"]
