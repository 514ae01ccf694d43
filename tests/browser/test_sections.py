"""The report's sections on the district page, in headless Chromium (issue 32): the projects, their
evaluations, the supervision and the stations as the half year written here made them, and the
narrative a town's submission carries, written in the submission's dialog and shown first."""

import httpx
import pytest

from tests.browser.conftest import SignIn, keep_screenshot
from tests.builders import plan_record, planned
from tests.conftest import SampleDistrict, bearer, make_district
from tests.e2e.test_report_sections import PERIOD, half_year
from tests.support import caught_up


@pytest.fixture(scope="module")
async def seeded(app, served) -> tuple[SampleDistrict, dict]:
    district = make_district(app.state.runtime)
    seed = half_year(district)
    async with httpx.AsyncClient(base_url=served) as client:
        for batch in seed["batches"]:
            written = await client.post(f"/v1/districts/{district.code}/records", json={"records": batch},
                                        headers=bearer("district", district.code))
            assert written.status_code == 200, written.text
        read = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/reports/{PERIOD}",
                                                  headers=bearer("district", district.code),
                                                  params={"min_position": written.json()["position"]}))
        assert read.status_code == 200, read.text
    return district, seed


async def test_a_district_officer_sees_each_section_of_the_report(signed_in: SignIn, seeded):
    district, seed = seeded
    page = await signed_in("district", district.code)
    await page.goto(page.url.split("?")[0] + f"?period={PERIOD}")

    first = seed["projects"][0]
    project = page.locator(f"#sections-projects tr[data-project='{first['project']}']")
    await project.wait_for()
    cells = await project.locator("td").all_inner_texts()
    assert first["name"] in cells[0] and "300,000.00" in cells and "1,350.00" in cells and "0.45%" in cells
    assert "公开招标" in cells[1] and "社会组织" in cells[2]

    evaluations = await page.locator("#sections-evaluations").inner_text()
    assert "按时完成" in evaluations and "逾期完成" in evaluations and "逾期未完成" in evaluations

    supervision = page.locator("#sections-supervision")
    assert (await supervision.locator(".supervision-counts strong").inner_text()) == "3"
    assert "应于 2025-06-01 前整改" in await supervision.locator(".overdue-list").inner_text()

    other = page.locator(f"#sections-roster tr[data-town='{district.other_town}']")
    assert "缺 打印机(复印机)" in await other.inner_text()
    assert "报送时由报送单位填写" in await page.locator("#narrative").inner_text()
    duties = page.locator("#duties")
    assert "未编制" in await duties.locator(".plan").inner_text()
    assert "0 / 2" in await duties.locator(".training").inner_text()
    await keep_screenshot(page, "district-sections")


async def test_a_town_s_submission_carries_its_narrative_shown_first_on_its_report(signed_in: SignIn, seeded):
    district, _ = seeded
    page = await signed_in("district", district.code)
    await page.goto(page.url.split("?")[0] + f"?period={PERIOD}")

    row = page.locator("#towns tr", has_text=district.towns[district.town])
    await row.locator("button", has_text="报送").click()
    dialog = page.locator("dialog.narrative-dialog")
    await dialog.locator("textarea[name=work_done]").fill("完成独居老人探访全覆盖。")
    await dialog.locator("textarea[name=next_steps]").fill("下半年加强培训。")
    await dialog.locator("button", has_text="确认报送").click()
    await row.locator("text=已报送").wait_for()

    await row.locator("a", has_text=district.towns[district.town]).click()
    narrative = page.locator("#narrative")
    await narrative.locator("text=完成独居老人探访全覆盖。").wait_for()
    assert "下半年加强培训。" in await narrative.inner_text()
    assert "（未填写）" in await narrative.locator(".narrative-problems").inner_text()


async def test_the_city_files_a_district_s_plan_and_sees_each_district_s_duties(signed_in: SignIn, seeded, served):
    district, seed = seeded
    first = seed["projects"][0]
    async with httpx.AsyncClient(base_url=served) as client:
        staff = bearer("district", district.code)
        written = await client.post(f"/v1/districts/{district.code}/records", headers=staff,
                                    json={"records": [plan_record(planned(first["project"], first["town"]))]})
        assert written.status_code == 200, written.text
        submitted = await caught_up(lambda: client.post(f"/v1/districts/{district.code}/plans/2025/submit",
                                                        headers=staff))
        assert submitted.status_code == 200, submitted.text
        read = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/plans/2025", headers=staff,
                                                  params={"min_position": submitted.json()["position"]}))
        assert read.json()["status"] == "submitted", read.text
    page = await signed_in("city")
    await page.goto(page.url.split("?")[0] + f"?period={PERIOD}")

    plan = page.locator(f"#plans tr[data-district='{district.code}']")
    await plan.locator("text=已报市备案").wait_for()
    await plan.locator("button", has_text="备案").click()
    await plan.locator(".plan-status", has_text="已备案第 1 版").wait_for()

    duties = page.locator(f"#duties tr[data-district='{district.code}']")
    await duties.locator("td").nth(4).wait_for()  # the duties table is read after the plans
    cells = await duties.locator("td").all_inner_texts()
    assert cells[2] == "0 / 2"  # two stations, nobody trained yet
    assert district.towns[district.town] in cells[3] and cells[4] == "0"
    await keep_screenshot(page, "city-plans")
