"""`RecordKeeping._create` makes what the library's `Aggregate._create` makes, for every record
type and the reports: the same event and the same aggregate, attribute by attribute."""

from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from domain.decisions import decide
from domain.events import RecordKeeping
from domain.report import Report
from tests.unit.support import PROVENANCE, context
from tests.unit.test_decisions_events import EACH_TYPE, seeded  # noqa: F401  (a fixture)


def _the_librarys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RecordKeeping, "_create", classmethod(Aggregate._create.__func__))  # type: ignore[attr-defined]


def _state(aggregate: RecordKeeping) -> dict[str, Any]:
    """Everything the aggregate holds, its pending events as their fields in order (the order
    they are stored in)."""
    return {name: [list(vars(e).items()) for e in value] if name == "_pending_events" else value
            for name, value in vars(aggregate).items()}


@pytest.mark.parametrize("type_", sorted(EACH_TYPE))
def test_each_record_type_makes_what_the_library_makes(seeded, type_, monkeypatch):  # noqa: F811
    history, ids = seeded
    record = EACH_TYPE[type_](ids)
    ours = [_state(a) for a in decide([record], context(), history)]
    _the_librarys(monkeypatch)
    theirs = [_state(a) for a in decide([record], context(), history)]
    assert ours == theirs


def test_a_report_is_opened_as_the_library_would(monkeypatch):
    def opened() -> dict[str, Any]:
        return _state(Report.open(UUID(int=7), "2025H1", "350203001", 12, {"services": 3}, "report-1", PROVENANCE))
    ours = opened()
    _the_librarys(monkeypatch)
    assert ours == opened()
