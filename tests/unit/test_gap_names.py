"""A gap names its project as people call it: the name a person reads, the id kept in the code."""

from datetime import date

from tests.unit.compliance_facts import CORE, EVALUATED, check, core

CARE = "关爱独居老人项目"


def named(project=CORE, name=CARE):
    return core(project.project, project.contract_start, project.contract_end, name=name)


def test_an_overdue_evaluation_names_the_project_by_its_name():
    gaps = check(projects=(named(),), evaluations=[EVALUATED[1]]).gaps
    assert [(g.code, g.zh) for g in gaps] == [("self_evaluation_overdue:P-1:1", f"项目「{CARE}」第1合同年度中期自评逾期")]
    assert gaps[0].en == f"project “{CARE}”: the self-evaluation of contract year 1 is overdue"
    assert "P-1" not in gaps[0].zh


def test_a_contract_s_gaps_name_the_project():
    bare = core("P-1", date(2024, 1, 1), date(2025, 12, 31), key_recipients=(), credit_code=None, name=CARE)
    gaps = {g.code: g.zh for g in check(projects=(bare,)).gaps}
    assert gaps == {"core_key_recipients_missing:P-1": f"核心项目「{CARE}」未记录选择的重点民政服务对象",
                    "provider_credit_code_missing:P-1": f"项目「{CARE}」未记录承接方统一社会信用代码"}


def test_two_core_projects_at_once_are_named_both():
    second = core("P-2", date(2025, 6, 30), date(2026, 6, 29), name="困境儿童关爱项目")
    gap, = check(projects=(named(), second)).gaps
    assert gap.zh == f"同时有2个核心项目：「{CARE}」、「困境儿童关爱项目」（应为1个）"


def test_a_provider_gone_is_named_by_its_project():
    gone = core("P-1", date(2024, 1, 1), date(2025, 12, 31), exited_on=date(2025, 5, 31), name=CARE)
    gap, = [g for g in check(projects=(gone,), evaluations=EVALUATED).gaps if g.kind == "core_provider_exited"]
    assert gap.zh == f"核心项目「{CARE}」承接方已于2025-05-31退出，接续项目尚未开始"


def test_a_project_without_a_recorded_name_is_named_by_its_id():
    gaps = check(evaluations=[EVALUATED[1]]).gaps
    assert gaps[0].zh == "项目P-1第1合同年度中期自评逾期"
