"""Station compliance as of a cutoff: each rule of the guide, and the gap it names."""

from datetime import date

import pytest

from domain.vocabulary import codes
from projections.evaluation_rules import EvaluationFact, ProjectFact, contract_years, midyear
from projections.gaps import Rules
from tests.unit.compliance_facts import (
    CODE, CORE, CUTOFF, EVALUATED, assigned, check, core, evaluated, evaluation_gaps, fact, gap_codes, inspection, released, sign, station,
)


# -- the whole ----------------------------------------------------------------------------------

def test_a_compliant_station_has_no_gaps():
    result = check()
    assert result.compliant is True
    assert result.gaps == ()


def test_any_gap_makes_the_station_non_compliant():
    result = check(station(drop={("equipment", "computer")}))
    assert result.compliant is False
    assert [g.code for g in result.gaps] == ["equipment_missing:computer"]


def test_gaps_come_in_the_order_of_the_rules():
    bare = ProjectFact("P-2", "core", date(2024, 1, 1), date(2025, 12, 31))
    only_established = [fact("established")]
    assert gap_codes(only_established, projects=(bare,), evaluations=(),
                     inspections=[inspection(date(2025, 5, 1))]) == [
        "signboard_missing",
        *(f"equipment_missing:{item}" for item in codes("equipment")),
        "staff_head", "staff_deputies", "staff_members",
        *(f"rules_missing:{category}" for category in codes("rule_category")),
        "core_key_recipients_missing:P-2", "provider_credit_code_missing:P-2",
        "self_evaluation_overdue:P-2:1", "final_evaluation_overdue:P-2:1",
        "rectification_overdue:in-1",
    ]
    assert gap_codes([fact("established"), sign(emblem=None, position=None, uniform_style=None)], projects=(),
                     evaluations=())[:4] == ["signboard_emblem", "signboard_position", "signboard_style",
                                             *(f"equipment_missing:{item}" for item in codes("equipment"))][:4]


# -- 1. established -----------------------------------------------------------------------------

def test_no_station_is_the_only_gap():
    result = check([], projects=(), evaluations=(), inspections=[inspection(date(2025, 1, 1))])
    assert [(g.code, g.zh) for g in result.gaps] == [("no_station", "站点未建立")]
    assert result.compliant is False


def test_a_station_established_after_the_cutoff_does_not_exist_yet():
    facts = station(fact("established", on=date(2025, 7, 1)), drop={("established", None)})
    assert gap_codes(facts) == ["no_station"]


# -- 2. signboard -------------------------------------------------------------------------------

def test_no_signboard():
    gaps = check(station(drop={("signboard", None)})).gaps
    assert [g.code for g in gaps] == ["signboard_missing"]


def test_a_wrong_signboard_names_the_expected_text():
    gaps = check(station(sign(on=date(2025, 3, 1), detail="厦港街道民政服务站"))).gaps
    assert [(g.code, g.zh) for g in gaps] == [("signboard_text", "标牌文字不符：应为“思明区厦港街道民政服务站”")]


def test_whitespace_in_the_signboard_does_not_matter():
    assert gap_codes(station(drop={("signboard", None)}) + [sign(detail=" 思明区 厦港街道\u3000民政服务站 ")]) == []


def test_the_latest_signboard_counts():
    rehung = sign(on=date(2025, 3, 1), detail="厦港民政服务站")
    assert gap_codes(station(rehung)) == ["signboard_text"]
    fixed = sign(on=date(2025, 4, 1))
    assert gap_codes(station(rehung, fixed)) == []


def test_a_signboard_hung_after_the_cutoff_does_not_count():
    assert gap_codes(station(sign(on=date(2025, 7, 1), detail="错"))) == []
    late = station(sign(on=date(2025, 7, 1)), drop={("signboard", None)})
    assert gap_codes(late) == ["signboard_missing"]


# -- 3. equipment -------------------------------------------------------------------------------

@pytest.mark.parametrize("item", codes("equipment"))
def test_each_missing_equipment_item_is_a_gap(item):
    assert gap_codes(station(drop={("equipment", item)})) == [f"equipment_missing:{item}"]


def test_a_missing_item_is_named_in_chinese():
    gap, = check(station(drop={("equipment", "computer")})).gaps
    assert gap.zh == "缺少设备：电脑"
    assert gap.en == "missing equipment: Computer"


def test_equipment_recorded_after_the_cutoff_does_not_count():
    facts = station(fact("equipment", "printer_copier", on=date(2025, 7, 1)), drop={("equipment", "printer_copier")})
    assert gap_codes(facts) == ["equipment_missing:printer_copier"]


# -- 4. staffing --------------------------------------------------------------------------------

def test_no_station_head():
    gaps = check(station(drop={("staff_assigned", "S-head")})).gaps
    assert [(g.code, g.zh) for g in gaps] == [("staff_head", "站长未配备")]


def test_a_missing_deputy_is_named():
    gaps = check(station(drop={("staff_assigned", "S-prov")})).gaps
    assert [(g.code, g.zh) for g in gaps] == [("staff_deputies", "副站长不足2名（现有1名），缺少副站长(承接方)")]


def test_no_deputies_at_all():
    gap, = check(station(drop={("staff_assigned", "S-prov"), ("staff_assigned", "S-gov")})).gaps
    assert gap.zh == "副站长不足2名（现有0名），缺少副站长(政府业务科室)、副站长(承接方)"


def test_two_deputies_from_the_government_are_not_enough():
    facts = station(assigned("S-gov2", "deputy_head_government"), drop={("staff_assigned", "S-prov")})
    gap, = check(facts).gaps
    assert (gap.code, gap.zh) == ("staff_deputies", "副站长配备不全（现有2名），缺少副站长(承接方)")


def test_fewer_than_two_staff_members():
    gaps = check(station(drop={("staff_assigned", "S-2")})).gaps
    assert [(g.code, g.zh) for g in gaps] == [("staff_members", "工作人员不足2名（现有1名）")]


def test_more_people_than_required_is_fine():
    assert gap_codes(station(assigned("S-3", "staff"), assigned("S-gov2", "deputy_head_government"))) == []


def test_a_released_person_no_longer_counts():
    assert gap_codes(station(released("S-head", date(2025, 5, 1)))) == ["staff_head"]


def test_assigned_released_and_assigned_again_counts():
    facts = station(released("S-2", date(2025, 3, 1)), assigned("S-2", "staff", date(2025, 5, 1)))
    assert gap_codes(facts) == []
    assert gap_codes(facts + [released("S-2", date(2025, 6, 1))]) == ["staff_members"]


def test_a_person_counts_in_the_role_of_their_latest_assignment():
    # S-2 leaves the staff to become the provider's deputy, replacing S-prov.
    facts = station(released("S-prov", date(2025, 3, 1)), released("S-2", date(2025, 3, 1)),
                    assigned("S-2", "deputy_head_provider", date(2025, 3, 2)))
    assert gap_codes(facts) == ["staff_members"]


def test_a_role_changed_without_a_release_counts_once():
    # S-1 leaves the staff to head the station: the station now has one staff member, and two heads.
    assert gap_codes(station(assigned("S-1", "station_head", date(2025, 3, 1)))) == ["staff_head_multiple",
                                                                                   "staff_members"]


def test_release_and_reassignment_on_one_day_follow_the_order_given():
    assert gap_codes(station(released("S-2", date(2025, 3, 1)), assigned("S-2", "staff", date(2025, 3, 1)))) == []
    assert gap_codes(station(assigned("S-3", "staff", date(2025, 3, 1)), released("S-3", date(2025, 3, 1)),
                             drop={("staff_assigned", "S-2")})) == ["staff_members"]


def test_staff_changes_after_the_cutoff_do_not_count():
    assert gap_codes(station(released("S-head", date(2025, 7, 1)))) == []
    late = station(assigned("S-2", "staff", date(2025, 7, 1)), drop={("staff_assigned", "S-2")})
    assert gap_codes(late) == ["staff_members"]


def test_facts_given_out_of_date_order_are_replayed_in_date_order():
    facts = station(assigned("S-2", "staff", date(2025, 5, 1)), released("S-2", date(2025, 3, 1)))
    assert gap_codes(list(reversed(facts))) == []


# -- 5. rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize("category", codes("rule_category"))
def test_each_missing_rule_category_is_a_gap(category):
    assert gap_codes(station(drop={("rules", category)})) == [f"rules_missing:{category}"]


def test_a_missing_rule_category_is_named_in_chinese():
    gap, = check(station(drop={("rules", "archive")})).gaps
    assert gap.zh == "未建立制度：档案管理"


def test_rules_adopted_after_the_cutoff_do_not_count():
    facts = station(fact("rules", "volunteer", on=date(2025, 7, 1)), drop={("rules", "volunteer")})
    assert gap_codes(facts) == ["rules_missing:volunteer"]


# -- 6. "1+1+N" ---------------------------------------------------------------------------------

def test_no_projects_means_no_core_project():
    gap, = check(projects=(), evaluations=()).gaps
    assert (gap.code, gap.zh) == ("no_core_project", "无核心项目")


def test_linked_projects_alone_are_not_a_core_project():
    linked = ProjectFact("P-2", "linked", date(2025, 1, 1), date(2025, 12, 31), credit_code=CODE)
    assert gap_codes(projects=(linked,), evaluations=()) == ["no_core_project"]


def test_a_core_project_not_yet_started_does_not_count():
    future = core("P-3", date(2025, 7, 1), date(2026, 6, 30))
    assert gap_codes(projects=(future,), evaluations=()) == ["no_core_project"]


def test_a_core_project_in_force_counts():
    current = core("P-3", date(2025, 1, 1), date(2025, 12, 31))
    assert gap_codes(projects=(current,), evaluations=()) == []


def test_a_core_project_that_ended_before_the_cutoff_still_counts():
    assert gap_codes(projects=(CORE,), evaluations=[*EVALUATED, evaluated(CORE, "self", 2),
                                                    evaluated(CORE, "final", 2)], cutoff=date(2026, 3, 1)) == []


# -- 7. evaluations -----------------------------------------------------------------------------

def test_contract_years_run_from_the_start_date_and_the_last_ends_with_the_contract():
    project = core("P-2", date(2024, 4, 1), date(2025, 9, 30))
    assert list(contract_years(project)) == [(1, date(2024, 4, 1), date(2025, 3, 31)),
                                             (2, date(2025, 4, 1), date(2025, 9, 30))]


def test_the_self_evaluation_is_due_half_the_contract_year_in():
    assert midyear(date(2025, 1, 1), date(2025, 12, 31)) == date(2025, 7, 2)   # 365 days, 182 in
    assert midyear(date(2024, 1, 1), date(2024, 12, 31)) == date(2024, 7, 2)   # 366 days, 183 in
    assert midyear(date(2025, 1, 1), date(2025, 1, 1)) == date(2025, 1, 1)


def test_a_self_evaluation_is_overdue_only_after_its_due_day():
    project = core("P-2", date(2025, 1, 1), date(2025, 12, 31))  # due 2025-07-02
    assert evaluation_gaps(project, cutoff=date(2025, 7, 2)) == []
    assert evaluation_gaps(project, cutoff=date(2025, 7, 3)) == ["self_evaluation_overdue:P-2:1"]
    assert evaluation_gaps(project, [evaluated(project, "self", 1)], cutoff=date(2025, 7, 3)) == []


def test_a_final_evaluation_is_overdue_only_after_the_grace_period_that_follows_its_contract_year():
    project = core("P-2", date(2024, 4, 1), date(2026, 3, 31))  # year 1 ends 2025-03-31
    done = [evaluated(project, "self", 1)]
    assert evaluation_gaps(project, done, cutoff=date(2025, 4, 30)) == []  # 30 days of grace by default
    assert evaluation_gaps(project, done, cutoff=date(2025, 5, 1)) == ["final_evaluation_overdue:P-2:1"]
    assert evaluation_gaps(project, done, cutoff=date(2025, 4, 10), rules=Rules(final_evaluation_grace_days=10)) == []
    assert evaluation_gaps(project, done, cutoff=date(2025, 4, 11),
                           rules=Rules(final_evaluation_grace_days=10)) == ["final_evaluation_overdue:P-2:1"]
    late = evaluated(project, "final", 1, on=date(2025, 4, 20))
    assert evaluation_gaps(project, [*done, late], cutoff=date(2025, 5, 1)) == []


def test_an_evaluation_counts_only_once_it_is_dated_by_the_cutoff():
    project = core("P-2", date(2025, 1, 1), date(2025, 12, 31))
    filed_later = evaluated(project, "self", 1, on=date(2025, 7, 10))
    assert evaluation_gaps(project, [filed_later], cutoff=date(2025, 7, 9)) == ["self_evaluation_overdue:P-2:1"]
    assert evaluation_gaps(project, [filed_later], cutoff=date(2025, 7, 10)) == []


def test_an_evaluation_dated_outside_its_contract_year_does_not_count():
    project = core("P-2", date(2024, 1, 1), date(2025, 12, 31))
    # Year 2's self-evaluation filed in year 1, beyond the 30 days' tolerance: it does not count.
    early = evaluated(project, "self", 2, on=date(2024, 12, 1))
    assert evaluation_gaps(project, [*done_year_one(project), early], cutoff=date(2025, 9, 1)) == [
        "evaluation_misdated:P-2:self:2"]
    gap, = [g for g in check(projects=(CORE, project), evaluations=[*EVALUATED, *done_year_one(project), early],
                             cutoff=date(2025, 9, 1)).gaps if g.code.startswith("evaluation_misdated")]
    assert gap.zh == "项目P-2第2合同年度中期自评日期2024-12-01不在该合同年度（2025-01-01至2025-12-31）内，不予计入"


def test_the_tolerance_is_the_boundary_of_a_contract_year():
    project = core("P-2", date(2024, 1, 1), date(2025, 12, 31))
    for on, counts in ((date(2024, 12, 2), True), (date(2024, 12, 1), False)):  # year 2 begins 2025-01-01
        gaps = evaluation_gaps(project, [*done_year_one(project), evaluated(project, "self", 2, on=on)],
                               cutoff=date(2025, 9, 1))
        assert gaps == ([] if counts else ["evaluation_misdated:P-2:self:2"]), on
    assert evaluation_gaps(project, [*done_year_one(project), evaluated(project, "self", 2, on=date(2024, 12, 1))],
                           cutoff=date(2025, 9, 1), rules=Rules(evaluation_tolerance_days=31)) == []
    # A final evaluation may be done within the grace period after its year (or the tolerance, if longer).
    for on, counts in ((date(2025, 1, 30), True), (date(2025, 1, 31), False)):
        final = evaluated(project, "final", 1, on=on)
        gaps = evaluation_gaps(project, [evaluated(project, "self", 1), final], cutoff=date(2025, 6, 30))
        assert gaps == ([] if counts else ["evaluation_misdated:P-2:final:1"]), on


def done_year_one(project):
    return [evaluated(project, "self", 1), evaluated(project, "final", 1)]


def test_linked_projects_owe_the_station_no_evaluation():
    linked = ProjectFact("P-2", "linked", date(2022, 7, 1), date(2026, 6, 30), credit_code=CODE)
    assert evaluation_gaps(linked) == []


def test_a_final_evaluation_scores_both_focus_areas():
    project = core("P-2", date(2024, 1, 1), date(2024, 12, 31))
    partial = evaluated(project, "final", 1, focus=("service_effect",))
    gaps = [g for g in check(projects=(CORE, project), evaluations=[*EVALUATED, evaluated(project, "self", 1), partial]).gaps
            if g.code.startswith("final_evaluation_focus")]
    assert [(g.code, g.zh, g.before_rules) for g in gaps] == [
        ("final_evaluation_focus_missing:P-2:1", "项目P-2第1合同年度期末评估缺少重点评估内容评分：站点运营管理", False)]
    old = EvaluationFact("P-2", "final", 1, date(2024, 12, 31), (), before_rules=True)
    [gap] = [g for g in check(projects=(CORE, project), evaluations=[*EVALUATED, evaluated(project, "self", 1), old]).gaps
             if g.code.startswith("final_evaluation_focus")]
    assert gap.before_rules and gap.zh.endswith("服务成效、站点运营管理")
    assert evaluation_gaps(project, [evaluated(project, "self", 1), evaluated(project, "final", 1)]) == []


def test_an_overdue_evaluation_names_project_and_year():
    gaps = check(evaluations=[EVALUATED[1]]).gaps
    assert [(g.code, g.zh) for g in gaps] == [("self_evaluation_overdue:P-1:1", "项目P-1第1合同年度中期自评逾期")]
    gaps = check(evaluations=[EVALUATED[0]]).gaps
    assert [(g.code, g.zh) for g in gaps] == [("final_evaluation_overdue:P-1:1", "项目P-1第1合同年度期末评估逾期")]


def test_an_evaluation_of_another_year_or_project_does_not_count():
    project = core("P-2", date(2024, 1, 1), date(2024, 12, 31))
    others = [evaluated(project, "self", 1), EvaluationFact("P-2", "self", 2, date(2024, 12, 1)), EVALUATED[1]]
    assert evaluation_gaps(project, others) == ["final_evaluation_overdue:P-2:1"]


def test_every_past_contract_year_is_checked():
    project = core("P-2", date(2022, 7, 1), date(2026, 6, 30))
    assert evaluation_gaps(project) == [
        "self_evaluation_overdue:P-2:1", "final_evaluation_overdue:P-2:1",
        "self_evaluation_overdue:P-2:2", "final_evaluation_overdue:P-2:2",
        "self_evaluation_overdue:P-2:3",  # year 3 ends 2025-06-30, the cutoff itself
    ]


def test_a_29_february_start_rolls_to_1_march():
    project = core("P-2", date(2024, 2, 29), date(2027, 2, 28))
    assert list(contract_years(project)) == [(1, date(2024, 2, 29), date(2025, 2, 28)),
                                             (2, date(2025, 3, 1), date(2026, 2, 28)),
                                             (3, date(2026, 3, 1), date(2027, 2, 28))]
    # Year 1 is 366 days long, so its self-evaluation is due 183 days in.
    assert evaluation_gaps(project, cutoff=date(2024, 8, 30)) == []
    assert evaluation_gaps(project, cutoff=date(2024, 8, 31)) == ["self_evaluation_overdue:P-2:1"]
    assert evaluation_gaps(project, [evaluated(project, "self", 1)],
                           cutoff=date(2025, 3, 31)) == ["final_evaluation_overdue:P-2:1"]


def test_a_contract_shorter_than_a_year_has_one_short_contract_year():
    project = core("P-2", date(2025, 1, 1), date(2025, 3, 31))  # 90 days
    assert list(contract_years(project)) == [(1, date(2025, 1, 1), date(2025, 3, 31))]
    assert evaluation_gaps(project, cutoff=date(2025, 2, 15)) == []
    assert evaluation_gaps(project, cutoff=date(2025, 2, 16)) == ["self_evaluation_overdue:P-2:1"]
    assert evaluation_gaps(project, [evaluated(project, "self", 1)],
                           cutoff=date(2025, 5, 1)) == ["final_evaluation_overdue:P-2:1"]


def test_a_project_not_yet_started_owes_no_evaluation():
    assert evaluation_gaps(core("P-2", date(2025, 7, 1), date(2026, 6, 30))) == []


# -- 8. rectifications --------------------------------------------------------------------------

def test_an_open_rectification_past_its_due_date_is_a_gap():
    gaps = check(inspections=[inspection(date(2025, 5, 1))]).gaps
    assert [(g.code, g.zh) for g in gaps] == [("rectification_overdue:in-1", "检查整改逾期（应于2025-05-01前完成）")]


def test_a_rectification_due_on_the_cutoff_is_not_yet_overdue():
    assert gap_codes(inspections=[inspection(CUTOFF)]) == []


def test_a_rectification_done_after_the_cutoff_was_still_open_at_the_cutoff():
    assert gap_codes(inspections=[inspection(date(2025, 5, 1), rectified=date(2025, 7, 1))]) == [
        "rectification_overdue:in-1"]


def test_a_rectification_done_late_but_by_the_cutoff_is_closed():
    assert gap_codes(inspections=[inspection(date(2025, 5, 1), rectified=date(2025, 6, 1))]) == []
    assert gap_codes(inspections=[inspection(date(2025, 5, 1), rectified=CUTOFF)]) == []


def test_inspections_without_issues_or_due_date_owe_nothing():
    assert gap_codes(inspections=[inspection(date(2025, 5, 1), issues=False), inspection(None, record_id="in-2")]) == []


def test_one_gap_per_overdue_inspection():
    overdue = [inspection(date(2025, 5, 1)), inspection(date(2025, 6, 1), record_id="in-2")]
    assert gap_codes(inspections=overdue) == ["rectification_overdue:in-1", "rectification_overdue:in-2"]
