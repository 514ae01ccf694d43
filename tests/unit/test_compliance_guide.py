"""The station rules the guide adds to the compliance check: one head, the sign as 附件1 has it, one
core project at a time with its key recipients, the provider's credit code; and the gaps' codes."""

import re
from datetime import date, timedelta
from pathlib import Path

from domain.vocabulary import codes, label
from projections.gaps import BEFORE_RULES_ZH, Gap, described
from tests.unit.test_compliance import CODE, CORE, CUTOFF, EVALUATED, assigned, check, core, gap_codes, released, sign, station

DAY = timedelta(days=1)


# -- one station head ---------------------------------------------------------------------------

def test_a_second_head_is_a_gap_from_the_day_assigned():
    second = assigned("S-head2", "station_head", CUTOFF)
    gap, = check(station(second)).gaps
    assert (gap.code, gap.zh) == ("staff_head_multiple", "站长应为1名（现有2名）")
    assert gap_codes(station(assigned("S-head2", "station_head", CUTOFF + DAY))) == []


def test_a_head_replaced_is_one_head():
    assert gap_codes(station(released("S-head", date(2025, 3, 1)), assigned("S-head2", "station_head", date(2025, 3, 1)))) == []


# -- the sign (民政标识 + 站名, 统一样式, 站外显眼位置) ----------------------------------------------------

def test_a_sign_as_the_guide_has_it_has_no_gap():
    assert gap_codes(station()) == []


def test_a_sign_without_the_emblem_hung_inside_in_another_style_has_three_gaps():
    later = sign(on=date(2025, 3, 1), emblem=False, position="inside", uniform_style=False)
    assert [(g.code, g.zh) for g in check(station(later)).gaps] == [
        ("signboard_emblem", "标牌无民政标识"),
        ("signboard_position", "标牌未悬挂在站外显眼位置（现为站内）"),
        ("signboard_style", "标牌未按统一样式（附件1）制作")]


def test_a_sign_that_does_not_say_is_a_gap_each_time_and_says_when_it_was_recorded_before_the_rule():
    new = sign(on=date(2025, 3, 1), emblem=None, position=None, uniform_style=None)
    gaps = check(station(new)).gaps
    assert [g.zh for g in gaps] == ["标牌未记录是否含民政标识", "标牌未悬挂在站外显眼位置（未记录悬挂位置）",
                                    "标牌未记录是否按统一样式（附件1）制作"]
    assert not any(g.before_rules for g in gaps)
    old = sign(on=date(2025, 3, 1), emblem=None, position=None, uniform_style=None)
    old = type(old)(old.kind, old.key, old.on_date, old.detail, {}, before_rules=True)
    assert all(g.before_rules for g in check(station(old)).gaps)


def test_a_sign_hung_again_as_the_guide_has_it_closes_its_gaps_from_that_day():
    wrong = sign(on=date(2025, 3, 1), position="outside")
    right = sign(on=CUTOFF)
    assert gap_codes(station(wrong)) == ["signboard_position"]
    assert gap_codes(station(wrong, right)) == []
    assert gap_codes(station(wrong, sign(on=CUTOFF + DAY))) == ["signboard_position"]


# -- "1+1+N": one core project at a time, designed for key recipients ---------------------------

def test_two_core_projects_in_force_on_the_cutoff_are_a_gap():
    second = core("P-2", date(2025, 6, 30), date(2026, 6, 29))
    gap, = check(projects=(CORE, second)).gaps
    assert (gap.code, gap.zh) == ("core_projects_multiple", "同时有2个核心项目：P-1、P-2（应为1个）")
    assert gap_codes(projects=(CORE, core("P-2", CUTOFF + DAY, date(2026, 6, 30)))) == []


def test_a_successor_starting_the_day_after_its_predecessor_ends_is_one_core_project():
    ending = core("P-1", date(2024, 7, 1), CUTOFF, exited_on=None)
    successor = core("P-2", CUTOFF + DAY, date(2026, 6, 30))
    assert "core_projects_multiple" not in gap_codes(projects=(ending, successor), evaluations=(),
                                                     cutoff=CUTOFF + DAY)
    assert "core_projects_multiple" not in gap_codes(projects=(ending, successor), evaluations=(), cutoff=CUTOFF)


def test_a_provider_gone_leaves_one_core_project_in_force():
    gone = core("P-1", date(2024, 1, 1), date(2025, 12, 31), exited_on=date(2025, 5, 31))
    successor = core("P-2", date(2025, 6, 1), date(2026, 5, 31))
    assert "core_projects_multiple" not in gap_codes(projects=(gone, successor), evaluations=EVALUATED)


def test_a_core_project_in_force_names_its_key_recipients():
    bare = core("P-1", date(2024, 1, 1), date(2025, 12, 31), key_recipients=())
    gap, = check(projects=(bare,)).gaps
    assert (gap.code, gap.zh, gap.before_rules) == ("core_key_recipients_missing:P-1",
                                                   "核心项目P-1未记录选择的重点民政服务对象", False)
    old = core("P-1", date(2024, 1, 1), date(2025, 12, 31), key_recipients=(), before_rules=True)
    assert check(projects=(old,)).gaps[0].before_rules
    ended = core("P-1", date(2024, 1, 1), CUTOFF - DAY, key_recipients=())
    assert "core_key_recipients_missing:P-1" not in gap_codes(projects=(ended,))


def test_a_contract_in_force_names_its_provider_s_credit_code():
    unnamed = core("P-1", date(2024, 1, 1), date(2025, 12, 31), credit_code=None, before_rules=True)
    gap, = check(projects=(unnamed,)).gaps
    assert (gap.code, gap.before_rules) == ("provider_credit_code_missing:P-1", True)
    assert gap.zh == "项目P-1未记录承接方统一社会信用代码"
    assert gap_codes(projects=(core("P-1", date(2024, 1, 1), date(2025, 12, 31), credit_code=CODE),)) == []


# -- the gaps as reports show them --------------------------------------------------------------

def test_a_gap_from_a_record_stored_before_its_rule_says_so():
    shown = described([Gap("signboard_emblem", "标牌未记录是否含民政标识", "not recorded", before_rules=True),
                       Gap("staff_head", "站长未配备", "no station head")])
    assert shown["compliant"] is False
    assert shown["gaps"] == ["标牌未记录是否含民政标识" + BEFORE_RULES_ZH, "站长未配备"]
    assert shown["gap_codes"] == ["signboard_emblem", "staff_head"]
    assert [(d["kind"], d["before_rules"]) for d in shown["gap_details"]] == [("signboard_emblem", True),
                                                                              ("staff_head", False)]
    assert described([]) == {"compliant": True, "gaps": [], "gap_codes": [], "gap_details": []}


def test_every_kind_of_gap_is_a_term_of_the_vocabulary_with_a_chinese_label():
    sources = "".join((Path(__file__).resolve().parents[2] / "projections" / name).read_text(encoding="utf-8")
                      for name in ("compliance.py", "evaluation_rules.py", "duty_gaps.py"))
    kinds = set(re.findall(r'Gap\(\s*f?"([a-z_]+)', sources)) | {"self_evaluation_overdue", "final_evaluation_overdue"}
    assert kinds <= set(codes("compliance_gap"))
    assert set(codes("compliance_gap")) <= kinds
    assert all(re.search(r"[\u4e00-\u9fff]", label("compliance_gap", kind)) for kind in kinds)
