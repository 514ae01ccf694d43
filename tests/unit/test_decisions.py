"""The batch decision: the rules every record passes (town, dates, scope), the station's
rules, voiding, and how a batch is accepted or rejected as a whole.

Projects, funds, evaluations, services and inspections: test_decisions_project.py.
"""

from datetime import date

import pytest

from domain.decisions import decide
from domain.divisions import DistrictVersion, Divisions, TownVersion
from domain.errors import BatchForbidden
from domain.events import stream_id
from domain.station import Station
from tests.unit.support import (
    HULI_TOWN, MAXIANG, SIMING, XIAGANG, XIANGAN, ZHONGHUA, History, contract, context, equipment,
    inspection, rectification, rules, service, signboard, spend, staff_assigned, staff_released, station, void,
)


@pytest.fixture
def history() -> History:
    return History()


@pytest.fixture
def with_station(history: History) -> History:
    """A history where 厦港街道's station is established."""
    history.write(station())
    return history


# -- the town belongs to the district and exists on the record's date -------------------------

def test_town_of_the_district_is_accepted(history):
    assert history.write(service(town=XIAGANG))


def test_town_of_another_district_is_rejected(history):
    problem = history.problem(service(town=HULI_TOWN))
    assert (problem.index, problem.field) == (0, "town")


def test_unknown_town_is_rejected(history):
    assert history.problem(service(town="350203999")).field == "town"


def test_town_existing_on_the_record_date_is_accepted(history):
    assert history.write(service(town=MAXIANG, occurred_on="2021-01-06"), ctx=context(XIANGAN))


def test_town_not_yet_existing_on_the_record_date_is_rejected(history):
    problem = history.problem(service(town=MAXIANG, occurred_on="2020-06-01"), ctx=context(XIANGAN))
    assert problem.field == "town" and "did not exist" in problem.en


def test_town_existence_uses_the_contract_start_of_a_project(history):
    problem = history.problem(contract(town=MAXIANG, contract_start="2020-12-01", contract_end="2021-12-31"),
                              ctx=context(XIANGAN))
    assert problem.field == "town"


# A town moved from one district to another on 2023-01-01 (hypothetical registry data; the
# `Divisions` model allows a town's versions to name different districts).
MOVED = Divisions(
    [DistrictVersion("350203", "思明区"), DistrictVersion("350206", "湖里区")],
    [TownVersion("350203001", "350203", "厦港街道", "街道", valid_to=date(2022, 12, 31)),
     TownVersion("350203001", "350206", "厦港街道", "街道", valid_from=date(2023, 1, 1))],
)


def test_moved_town_belongs_to_its_district_of_the_day(history):
    assert history.write(service(occurred_on="2022-06-01"), ctx=context(SIMING, divisions=MOVED))
    assert history.write(service(occurred_on="2024-06-01"), ctx=context("350206", divisions=MOVED))


def test_moved_town_is_refused_by_the_district_it_left(history):
    assert history.problem(service(occurred_on="2024-06-01"), ctx=context(SIMING, divisions=MOVED)).field == "town"


# -- no business date after today ----------------------------------------------------------

def test_record_dated_today_is_accepted(history):
    assert history.write(service(occurred_on="2025-06-30"))


def test_record_dated_after_today_is_rejected(history):
    problem = history.problem(service(occurred_on="2025-07-01"))
    assert problem.field == "occurred_on" and "future" in problem.en


@pytest.mark.parametrize("make,field", [
    (lambda: station(established_on="2025-07-01"), "established_on"),
    (lambda: staff_assigned(assigned_on="2025-07-01"), "assigned_on"),
    (lambda: contract(contract_start="2025-07-01", contract_end="2026-06-30"), "contract_start"),
    (lambda: inspection(occurred_on="2025-07-01"), "occurred_on"),
    (lambda: rectification("in-x", occurred_on="2025-07-01"), "occurred_on"),
])
def test_every_business_date_is_checked_against_today(with_station, make, field):
    assert with_station.problem(make()).field == field


def test_contract_may_end_after_today(history):
    assert history.write(contract(contract_start="2025-01-01", contract_end="2027-12-31"))


def test_rectification_may_be_due_after_today(history):
    assert history.write(inspection(occurred_on="2025-06-01", rectification_due="2025-09-30"))


# -- one station per town ------------------------------------------------------------------

def test_first_station_of_a_town_is_established(history):
    events = history.write(station())
    assert [type(e) for e in events] == [Station.Established]
    assert events[0].originator_id == stream_id(SIMING, "station", XIAGANG)


def test_second_station_of_a_town_is_rejected(with_station):
    problem = with_station.problem(station())
    assert problem.field == "town" and "already has its station" in problem.en


def test_two_stations_of_one_town_in_one_batch_are_rejected(history):
    problem = history.problem(station(), station())
    assert problem.index == 1


def test_stations_of_two_towns_are_accepted(history):
    assert len(history.write(station(XIAGANG), station(ZHONGHUA))) == 2


def test_station_established_again_after_its_record_is_voided(history):
    first = station()
    history.write(first)
    history.write(void(first.id))
    second = station()
    events = history.write(second)
    assert [type(e) for e in events] == [Station.Reestablished]
    assert events[0].record_id == second.id


def test_station_established_again_can_be_used(history):
    first = station()
    history.write(first, void(first.id), station())
    assert history.write(equipment())


# -- records on a station need it established ----------------------------------------------

@pytest.mark.parametrize("make", [signboard, equipment, staff_assigned, staff_released, rules])
def test_station_record_before_the_station_is_rejected(history, make):
    problem = history.problem(make())
    assert problem.field == "town" and "not been established" in problem.en


@pytest.mark.parametrize("make", [signboard, equipment, staff_assigned, rules])
def test_station_record_after_the_station_is_accepted(with_station, make):
    assert with_station.write(make())


@pytest.mark.parametrize("make", [signboard, equipment, staff_assigned, rules])
def test_station_record_after_its_establishment_was_voided_is_rejected(history, make):
    first = station()
    history.write(first, void(first.id))
    assert history.problem(make()).field == "town"


def test_station_records_in_the_batch_that_establishes_it_are_accepted(history):
    assert len(history.write(station(), signboard(), equipment(), staff_assigned(), rules())) == 5


# -- the signboard -------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["思明区厦港街道民政服务站", "思明区 厦港街道 民政服务站", "思明区厦港街道\u3000民政服务站"])
def test_signboard_naming_district_and_town_is_accepted(with_station, text):
    assert with_station.write(signboard(text))


@pytest.mark.parametrize("text", [
    "湖里区厦港街道民政服务站",     # another district
    "思明区中华街道民政服务站",     # another town
    "厦港街道民政服务站",           # no district
    "思明区厦港街道民政服务中心",   # not a 民政服务站
    "思明区厦港镇民政服务站",       # 镇 instead of 街道
])
def test_signboard_with_another_text_is_rejected(with_station, text):
    problem = with_station.problem(signboard(text))
    assert problem.field == "text" and "思明区厦港街道民政服务站" in problem.zh


def test_signboard_of_another_town_names_that_town(history):
    history.write(station(ZHONGHUA))
    assert history.write(signboard("思明区中华街道民政服务站", town=ZHONGHUA))
    assert history.problem(signboard("思明区厦港街道民政服务站", town=ZHONGHUA)).field == "text"


# -- staff ---------------------------------------------------------------------------------

def test_staff_assigned_twice_is_rejected(with_station):
    with_station.write(staff_assigned("S-0001"))
    problem = with_station.problem(staff_assigned("S-0001", role="deputy_head_provider"))
    assert problem.field == "person_ref" and "already works" in problem.en


def test_two_people_assigned_are_accepted(with_station):
    assert len(with_station.write(staff_assigned("S-0001"), staff_assigned("S-0002"))) == 2


def test_staff_released_after_assignment_is_accepted(with_station):
    with_station.write(staff_assigned("S-0001"))
    assert with_station.write(staff_released("S-0001"))


def test_releasing_someone_not_assigned_is_rejected(with_station):
    problem = with_station.problem(staff_released("S-0009"))
    assert problem.field == "person_ref" and "does not work" in problem.en


def test_releasing_someone_twice_is_rejected(with_station):
    with_station.write(staff_assigned("S-0001"), staff_released("S-0001"))
    assert with_station.problem(staff_released("S-0001")).field == "person_ref"


def test_staff_released_may_be_assigned_again(with_station):
    with_station.write(staff_assigned("S-0001"), staff_released("S-0001"))
    assert with_station.write(staff_assigned("S-0001"))


def test_staff_whose_assignment_is_voided_may_be_assigned_again(with_station):
    first = staff_assigned("S-0001")
    with_station.write(first, void(first.id))
    assert with_station.write(staff_assigned("S-0001"))


# -- voiding -------------------------------------------------------------------------------

def test_record_is_voided(history):
    record = service()
    history.write(record)
    assert history.write(void(record.id))


def test_record_voided_twice_is_rejected(history):
    record = service()
    history.write(record, void(record.id))
    problem = history.problem(void(record.id))
    assert problem.field == "record" and "already been voided" in problem.en


def test_record_voided_twice_in_one_batch_is_rejected(history):
    record = service()
    history.write(record)
    assert history.problem(void(record.id), void(record.id)).index == 1


def test_void_cannot_itself_be_voided(history):
    record = service()
    cancel = void(record.id)
    history.write(record, cancel)
    problem = history.problem(void(cancel.id))
    assert problem.field == "record" and "cannot itself be voided" in problem.en


def test_voiding_an_unknown_record_is_rejected(history):
    problem = history.problem(void("svc-never-sent"))
    assert problem.field == "record" and "no record" in problem.en


def test_void_before_its_record_in_the_batch_is_rejected(history):
    record = service()
    assert history.problem(void(record.id), record).index == 0


@pytest.mark.parametrize("make", [equipment, staff_assigned, rules, signboard])
def test_station_records_can_be_voided(with_station, make):
    record = make()
    with_station.write(record)
    assert with_station.write(void(record.id))


# -- the caller's scope --------------------------------------------------------------------

STATION_SCOPE = context(town_scope=XIAGANG)


def forbidden(history: History, *records):
    with pytest.raises(BatchForbidden) as caught:
        decide(records, STATION_SCOPE, history)
    return caught.value.problems


def test_station_writes_for_its_own_town(history):
    history.write(station())
    assert history.write(service(), ctx=STATION_SCOPE)


def test_station_writing_for_another_town_is_forbidden(history):
    problems = forbidden(history, service(XIAGANG), service(ZHONGHUA))
    assert [(p.index, p.field) for p in problems] == [(1, "town")]


def test_station_voiding_a_record_of_another_town_is_forbidden(history):
    record = service(ZHONGHUA)
    history.write(record)
    assert [p.index for p in forbidden(history, void(record.id))] == [0]


def test_station_spending_on_a_project_of_another_town_is_forbidden(history):
    project = contract(town=ZHONGHUA)
    history.write(project)
    assert [p.index for p in forbidden(history, spend(project.project))] == [0]


def test_station_rectifying_an_inspection_of_another_town_is_forbidden(history):
    done = inspection(ZHONGHUA)
    history.write(done)
    assert [p.index for p in forbidden(history, rectification(done.id))] == [0]


def test_station_voids_and_rectifies_in_its_own_town(history):
    record, done = service(XIAGANG), inspection(XIAGANG)
    history.write(record, done)
    assert len(history.write(void(record.id), rectification(done.id), ctx=STATION_SCOPE)) == 2


def test_forbidden_wins_over_other_problems(history):
    problems = forbidden(history, service(occurred_on="2099-01-01"), service(ZHONGHUA))
    assert [p.index for p in problems] == [1]


def test_district_writes_for_any_of_its_towns(history):
    assert len(history.write(service(XIAGANG), service(ZHONGHUA))) == 2


# -- a batch is accepted or rejected as a whole --------------------------------------------

def test_one_bad_record_among_good_ones_is_named_by_index_and_field(history):
    batch = [service(), service(), service(domain="elderly_care", town=HULI_TOWN), service()]
    problems = history.reject(*batch)
    assert [(p.index, p.record_id, p.field) for p in problems] == [(2, batch[2].id, "town")]


def test_every_bad_record_of_a_batch_is_listed(history):
    batch = [service(town=HULI_TOWN), service(), service(occurred_on="2025-12-01"), equipment(), void("nope")]
    problems = history.reject(*batch)
    assert [(p.index, p.field) for p in problems] == [(0, "town"), (2, "occurred_on"), (3, "town"), (4, "record")]


def test_problem_carries_both_languages(history):
    problem = history.problem(service(town=HULI_TOWN))
    assert "不是本区" in problem.zh and "not a town" in problem.en


def test_rejected_batch_records_nothing(history):
    good = service()
    history.reject(good, service(town=HULI_TOWN))
    assert history.find_record(good.id) is None
    assert history.problem(void(good.id)).field == "record"


def test_record_id_repeated_in_a_batch_is_rejected(history):
    first = service()
    again = service(id=first.id, hours="2")
    problem = history.problem(first, again)
    assert (problem.index, problem.field) == (1, "id")


def test_later_records_refer_to_earlier_ones_of_the_batch(history):
    record = service()
    cancel = void(record.id)
    events = history.write(record, cancel)
    assert [e.record_id for e in events] == [record.id, cancel.id]


def test_each_record_is_decided_against_those_before_it(history):
    # staff assigned, released and assigned again, all in one batch
    assert len(history.write(station(), staff_assigned(), staff_released(), staff_assigned())) == 4


def test_decide_returns_each_changed_aggregate_once(history):
    aggregates = decide([station(), equipment(), rules(), service()], context(), history)
    assert len(aggregates) == 2
    assert len(aggregates[0].collect_events()) == 3
