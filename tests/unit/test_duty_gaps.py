"""The district's duties as gaps (guide, 四), judged at a report's cutoff; the funds and the plan
measured against the contracts in force in the year, at their share of it."""

import json
from datetime import date, datetime
from decimal import Decimal

from projections.duties_report import DutyRows, funding_section, in_force_in, plan_section, year_share
from projections.duty_gaps import Judged, duty_gaps
from kernel.clock import CST

TOWN, OTHER = "350203001", "350203003"
STATIONS = [(TOWN, "厦港街道"), (OTHER, "中华街道")]
H1 = Judged(2025, date(2025, 1, 1), date(2025, 6, 30), date(2025, 6, 30), date(2025, 8, 1), date(2025, 7, 15))
H2 = Judged(2025, date(2025, 7, 1), date(2025, 12, 31), date(2025, 12, 31), date(2026, 2, 1), date(2026, 1, 15))


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=CST)


def contract(project="P-1", town=TOWN, role="core", start=date(2025, 1, 1), end=date(2025, 12, 31), towns=None,
             lines=(("elderly_care", "own", "300000.00"),), exited_on=None):
    return {"project": project, "town": town, "role": role, "name": "关爱项目", "contract_start": start,
            "contract_end": end, "exited_on": exited_on, "amount": sum(Decimal(a) for _, _, a in lines),
            "towns": json.dumps(towns) if towns else None,
            "lines": json.dumps([{"source": s, "level": lv, "amount": a} for s, lv, a in lines]),
            "budget": json.dumps({s: a for s, _, a in lines})}


def plan(status="filed", filed_on=date(2025, 2, 1), emergency_on="2025-01-05", exits=True, projects=()):
    content = json.dumps({"projects": list(projects), "exit_conditions": [{"condition": "other"}] if exits else [],
                          "emergency_plan": {"document": "应急预案", "dated_on": emergency_on}})
    return {"status": status, "version": 1, "filed_version": 1 if filed_on else None, "reason": None,
            "content": content, "filed_content": content if filed_on else None,
            "filed_at": at(filed_on) if filed_on else None, "drafted_at": at(date(2025, 1, 10))}


def planned(project="P-1", town=TOWN, funds=(("elderly_care", "own", "300000.00"),)):
    """A planned project as a filed plan holds it; a line of level None was planned before lines had levels."""
    return {"project": project, "town": town, "role": "core", "name": "关爱项目", "evaluator": "third_party",
            "amount": str(sum(Decimal(a) for _, _, a in funds)), "self_evaluation_on": "2025-06-30",
            "final_evaluation_on": "2025-12-20",
            "funds": [{"source": s, "amount": a, **({"level": lv} if lv else {})} for s, lv, a in funds]}


def allocation(on=date(2025, 1, 8), lines=(("elderly_care", "own", "300000.00"),)):
    return {"record_id": "ba-1", "document": "财〔2025〕8号", "allocated_on": on, "year": 2025,
            "lines": json.dumps([{"source": s, "level": lv, "amount": a} for s, lv, a in lines])}


def rows(plan_row=None, allocations=(), linked=(), notes=(), training=()):
    return DutyRows(plan_row, list(linked), list(notes), [], list(training), [], list(allocations))


def note(town=TOWN, on=date(2025, 4, 30)):
    return {"town": town, "reported_on": on}


def trained(town=TOWN, on=date(2025, 3, 12), attendees=2):
    return {"town": town, "held_on": on, "attendees": attendees, "record_id": "tr-1", "topic": "培训"}


def collected(project="P-2", town=TOWN, on=date(2025, 7, 5)):
    return {"project": project, "town": town, "collected_on": on}


def codes(judged, duty_rows, projects=(), town=None, stations=STATIONS):
    return [g.code for g in duty_gaps(judged, duty_rows, list(projects), stations, town)]


DONE = dict(plan_row=plan(), allocations=[allocation(lines=(("elderly_care", "own", "1000000.00"),))],
            notes=[note(), note(OTHER)])


# -- the plan, its emergency plan and exit mechanism ---------------------------------------------------

def test_a_district_that_did_its_duties_has_no_gap():
    assert codes(H1, rows(**DONE), [contract()]) == []


def test_no_plan_is_three_gaps():
    gaps = duty_gaps(H1, rows(allocations=[allocation()], notes=[note(), note(OTHER)]), [contract()], STATIONS, None)
    assert [(g.code, g.zh) for g in gaps] == [
        ("plan_not_filed:2025", "2025年度购买计划截至2025-06-30未经市民政局备案（现状：未编制）"),
        ("emergency_plan_missing:2025", "截至2025-06-30未制定2025年度应急预案"),
        ("exit_conditions_missing:2025", "截至2025-06-30未制定2025年度退出机制")]


def test_a_plan_counts_as_filed_from_the_day_the_city_files_it():
    assert codes(H1, rows(**{**DONE, "plan_row": plan(filed_on=date(2025, 6, 30))}), [contract()]) == []
    late = plan(filed_on=date(2025, 7, 1))
    assert codes(H1, rows(**{**DONE, "plan_row": late}), [contract()]) == ["plan_not_filed:2025"]
    draft = plan(status="submitted", filed_on=None)
    gap, = duty_gaps(H1, rows(**{**DONE, "plan_row": draft}), [contract()], STATIONS, None)
    assert gap.zh.endswith("（现状：已报市备案）")


def test_an_emergency_plan_counts_from_the_day_it_is_dated():
    assert codes(H1, rows(**{**DONE, "plan_row": plan(emergency_on="2025-06-30")}), [contract()]) == []
    assert codes(H1, rows(**{**DONE, "plan_row": plan(emergency_on="2025-07-01")}),
                 [contract()]) == ["emergency_plan_missing:2025"]


# -- the funds secured -------------------------------------------------------------------------------

def test_funds_not_secured_by_the_cutoff_are_a_gap():
    assert codes(H1, rows(**{**DONE, "allocations": []}), [contract()]) == ["funding_not_allocated:2025"]
    assert codes(H1, rows(**{**DONE, "allocations": [allocation(on=date(2025, 7, 1))]}),
                 [contract()]) == ["funding_not_allocated:2025"]
    assert codes(H1, rows(**{**DONE, "allocations": [allocation(on=date(2025, 6, 30))]}), [contract()]) == []
    assert codes(H1, rows(**{**DONE, "allocations": [allocation(on=date(2025, 6, 30),
                                                                lines=(("elderly_care", "own", "299999.99"),))]}),
                 [contract()]) == ["funding_short:2025:elderly_care:own"]


def test_contracts_beyond_the_funds_secured_for_a_line_are_a_gap():
    secured = {**DONE, "allocations": [allocation()]}  # elderly_care, own: 300000.00
    both = contract(lines=(("elderly_care", "own", "300000.00"), ("elderly_care", "allocated", "1.00")))
    gap, = duty_gaps(H1, rows(**secured), [both], STATIONS, None)
    assert gap.code == "funding_short:2025:elderly_care:allocated"
    assert gap.zh == "老龄和养老（上级下达）资金：2025年度在履行合同1.00元，已落实0元"
    more = contract(lines=(("elderly_care", "own", "300000.01"),))
    assert codes(H1, rows(**secured), [more]) == ["funding_short:2025:elderly_care:own"]


# -- the stations' duties: linked figures, progress, training ------------------------------------------

def test_a_linked_project_s_figures_are_due_with_the_town_s_report():
    linked = contract("P-2", role="linked")
    assert codes(H1, rows(**DONE), [contract(), linked]) == ["linked_figures_missing:P-2:350203001"]
    on_the_day = Judged(**{**vars(H1), "today": H1.linked_due})
    assert codes(on_the_day, rows(**DONE), [contract(), linked]) == []
    assert codes(H1, rows(**DONE, linked=[collected()]), [contract(), linked]) == []


def test_a_shared_linked_project_s_figures_are_due_from_each_town():
    shared = contract("P-2", town="", role="linked", towns={TOWN: "100.00", OTHER: "200.00"})
    assert codes(H1, rows(**DONE, linked=[collected()]), [contract(), shared]) == [
        "linked_figures_missing:P-2:350203003"]
    assert codes(H1, rows(**DONE, linked=[collected()]), [contract(), shared], town=TOWN) == []


def test_a_linked_project_not_running_in_the_half_year_owes_no_figures():
    ended = contract("P-2", role="linked", start=date(2024, 7, 1), end=date(2024, 12, 31))
    gone = contract("P-3", role="linked", exited_on=date(2024, 12, 31), start=date(2024, 1, 1))
    assert codes(H1, rows(**DONE), [contract(), ended, gone]) == []


def test_a_half_year_without_a_progress_note_is_a_gap_once_it_is_over():
    assert codes(H1, rows(**{**DONE, "notes": [note()]}), [contract()]) == ["progress_report_missing:350203003"]
    in_the_half_year = Judged(**{**vars(H1), "cutoff": date(2025, 6, 29)})
    assert codes(in_the_half_year, rows(**{**DONE, "notes": [note()]}), [contract()]) == []
    assert codes(H1, rows(**{**DONE, "notes": [note(), note(OTHER, date(2025, 6, 30))]}), [contract()]) == []


def test_a_station_nobody_of_which_was_trained_is_a_gap_once_the_year_is_over():
    notes = [note(on=date(2025, 9, 1)), note(OTHER, date(2025, 9, 1))]
    year_end = rows(**{**DONE, "notes": notes}, training=[trained()])
    assert codes(H2, year_end, [contract()]) == ["training_missing:350203003"]
    assert codes(H1, rows(**DONE), [contract()]) == []  # the year is not over
    on_the_last_day = rows(**{**DONE, "notes": notes}, training=[trained(), trained(OTHER, date(2025, 12, 31))])
    assert codes(H2, on_the_last_day, [contract()]) == []


def test_a_town_s_report_shows_its_own_duty_gaps_only():
    linked = [contract("P-2", role="linked"), contract("P-3", town=OTHER, role="linked")]
    assert codes(H1, rows(), [contract(), *linked], town=OTHER) == ["linked_figures_missing:P-3:350203003",
                                                                    "progress_report_missing:350203003"]


# -- the plan and the funds against the contracts in force in the year ------------------------------

def test_a_contract_s_share_of_a_year_follows_the_days_of_its_term():
    assert year_share(Decimal("365.00"), date(2025, 1, 1), date(2025, 12, 31), 2025) == Decimal("365.00")
    assert year_share(Decimal("365.00"), date(2024, 7, 1), date(2025, 6, 30), 2025) == Decimal("181.00")
    assert year_share(Decimal("100.00"), date(2024, 7, 1), date(2025, 6, 30), 2025) == Decimal("49.59")  # 49.589...
    assert year_share(Decimal("100.00"), date(2024, 1, 1), date(2024, 12, 31), 2025) == Decimal(0)


def test_the_contracts_in_force_in_a_year_include_those_continuing_into_it():
    continuing = contract("P-0", start=date(2024, 7, 1), end=date(2025, 6, 30))
    gone = contract("P-9", start=date(2024, 1, 1), end=date(2025, 12, 31), exited_on=date(2024, 12, 31))
    later = contract("P-2", start=date(2025, 7, 1))
    assert [p["project"] for p in in_force_in(2025, date(2025, 6, 30), [continuing, gone, contract(), later])] == [
        "P-0", "P-1"]


def test_the_plan_is_measured_against_the_contracts_in_force_at_their_share_of_the_year():
    continuing = contract("P-0", start=date(2024, 7, 1), end=date(2025, 6, 30),
                          lines=(("elderly_care", "own", "365.00"),))
    section = plan_section(2025, date(2025, 6, 30), None, [continuing, contract()], [], None)
    assert section["contracted_amount"] == "300181.00"
    assert [p["project"] for p in section["outside_plan"]] == ["P-0", "P-1"]


def test_the_funding_section_sets_the_secured_against_the_committed_and_the_spent_by_line():
    spent = [{"period": "2025H1", "source": "elderly_care", "level": "own", "amount": Decimal("1000.00")},
             {"period": "2024H2", "source": "elderly_care", "level": "own", "amount": Decimal("5.00")}]
    section = funding_section(2025, date(2025, 6, 30), [allocation(lines=(("elderly_care", "own", "200000.00"),
                                                                          ("child_welfare", "allocated", "50.00")))],
                              [contract()], spent)
    assert (section["allocated_amount"], section["contracted_amount"], section["spent_amount"]) == (
        "200050.00", "300000.00", "1000.00")
    assert [(line["source"], line["level"], line["allocated"], line["contracted"], line["spent"])
            for line in section["lines"]] == [("elderly_care", "own", "200000.00", "300000.00", "1000.00"),
                                              ("child_welfare", "allocated", "50.00", "0.00", "0.00")]


def test_the_plan_is_compared_with_the_contracts_by_fund_line_and_level():
    item = planned(funds=(("elderly_care", "own", "200.00"), ("elderly_care", "allocated", "100.00"),
                          ("social_assistance", None, "50.00")))
    drawn = contract(lines=(("elderly_care", "own", "250.00"), ("elderly_care", "allocated", "50.00")))
    section = plan_section(2025, date(2025, 6, 30), plan(projects=[item]), [drawn], [], None)
    assert (section["planned_by_source"]["elderly_care"], section["contracted_by_source"]["elderly_care"]) == (
        "300.00", "300.00")
    lines = [("elderly_care", "own", "200.00", "250.00"), ("elderly_care", "allocated", "100.00", "50.00"),
             ("social_assistance", "own", "50.00", "0.00")]
    for part in (section, section["by_town"][TOWN]):
        assert [(line["source"], line["level"], line["planned"], line["contracted"]) for line in part["lines"]] == lines
    assert section["lines"][1]["level_label"] == "上级下达"


def test_a_district_purchase_for_several_towns_counts_in_each_town_s_plan_at_its_share():
    shared = contract("P-2", town="", role="linked", towns={TOWN: "100.00", OTHER: "200.00"},
                      lines=(("elderly_care", "own", "200.00"), ("elderly_care", "allocated", "100.00")))
    whole = plan_section(2025, date(2025, 6, 30), None, [shared], [], None)
    assert whole["contracted_amount"] == "300.00"
    assert {t: part["contracted_amount"] for t, part in whole["by_town"].items()} == {TOWN: "100.00", OTHER: "200.00"}
    # Each line split by the towns' shares, half up; the last town by code takes what rounding leaves.
    assert [[(line["level"], line["contracted"]) for line in whole["by_town"][t]["lines"]] for t in (TOWN, OTHER)] == [
        [("own", "66.67"), ("allocated", "33.33")], [("own", "133.33"), ("allocated", "66.67")]]
    mine = plan_section(2025, date(2025, 6, 30), None, [shared], [], TOWN)
    assert (mine["contracted_amount"], mine["contracted_by_source"]["elderly_care"]) == ("100.00", "100.00")
    assert [p["project"] for p in mine["outside_plan"]] == ["P-2"]
    elsewhere = plan_section(2025, date(2025, 6, 30), None, [shared], [], "350203005")
    assert (elsewhere["contracted_amount"], elsewhere["outside_plan"]) == ("0.00", [])
