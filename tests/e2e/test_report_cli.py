"""`stations report show`: the report in the terminal, read from the database as the API reads it;
and the long commands show their progress."""

import pytest

from tests.builders import service_delivered
from tests.support import bearer, record, report


@pytest.fixture
def show(cli):
    return lambda *args: cli("report", "show", *args)


async def test_report_show_prints_the_report_as_tables_in_chinese(client, district, show):
    position = await record(client, district, [service_delivered(district.town, person_times=7, hours="2.5"),
                                               service_delivered(district.other_town, domain="charity")])
    json_report = await report(client, district, position)

    result = await show("--district", district.code, "--period", "2025H1")

    assert result.exit_code == 0, result.output
    output = result.output
    assert f"{district.name}镇(街道)民政服务站2025年上半年工作情况" in output
    assert "状态：草稿" in output
    for heading in ("一、总体情况", "二、按服务领域", "五、资金使用", "六、各镇(街道)情况", "七、达标情况"):
        assert heading in output
    elderly = next(line for line in output.splitlines() if line.strip().startswith("老龄和养老") and "2.5" in line)
    assert elderly.split()[1:] == ["7", "1", "2.5"]
    assert "站点未建立" in output
    assert f"检查点位置：{json_report['checkpoint']['position']}" in output
    assert f"链头：{json_report['checkpoint']['chain_head']}" in output


async def test_report_show_a_town_and_a_submitted_version(client, district, show):
    town, staff = district.town, bearer("district", district.code)
    await report(client, district, await record(client, district, [service_delivered(town, person_times=4)]))
    submitted = await client.post(f"/v1/districts/{district.code}/reports/2025H1/towns/{town}/submit", headers=staff)
    assert submitted.status_code == 200, submitted.text
    position = await record(client, district, [service_delivered(town, person_times=5)])
    await report(client, district, position)

    now = await show("--district", district.code, "--period", "2025H1", "--town", town)
    frozen = await show("--district", district.code, "--period", "2025H1", "--town", town, "--version", "submitted")

    assert now.exit_code == 0 and frozen.exit_code == 0, now.output + frozen.output
    title = f"{district.name}{district.towns[town]}民政服务站2025年上半年工作情况"
    assert title in now.output and title in frozen.output
    people = [next(line for line in out.splitlines() if line.strip().startswith("服务人次")).split()[-1]
              for out in (now.output, frozen.output)]
    assert people == ["9", "4"]
    assert "已报送版本" in frozen.output and "冻结后新增记录（条）：1" in frozen.output


@pytest.mark.parametrize(("args", "said"), [
    (["--district", "999999", "--period", "2025H1"], "不存在"),
    (["--district", "{d}", "--period", "2025H3"], "不是半年期"),
    (["--district", "{d}", "--period", "2025H1", "--town", "999999001"], "不在区"),
    (["--district", "{d}", "--period", "2025H1", "--version", "approved"], "无此报表"),
])
async def test_report_show_refuses_what_is_not_there(district, show, args, said):
    result = await show(*(a.format(d=district.code) for a in args))
    assert result.exit_code != 0
    assert said in result.output


async def test_rebuild_and_audit_verify_show_their_progress(client, district, cli):
    await record(client, district, [service_delivered(district.town) for _ in range(3)])

    rebuilt = await cli("rebuild", "--district", district.code)
    verified = await cli("audit", "verify", "--district", district.code)

    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"rebuilding {district.code}" in rebuilt.output and "3/3" in rebuilt.output
    assert verified.exit_code == 0, verified.output
    assert f"verifying {district.code}" in verified.output and "1/1" in verified.output
