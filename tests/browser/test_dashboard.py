"""The dashboard as its users see it, in headless Chromium: a district officer's towns side by
side, the city's districts and total, an auditor's verification of a district's log. Each page
is read for what a person would look for, with the figures the API gave for the same records."""

import httpx
import pytest

from tests.browser.conftest import SignIn, keep_screenshot
from tests.builders import service_delivered, station_established
from tests.conftest import SampleDistrict, bearer, make_district
from tests.support import caught_up, unreported_city_period

PERIOD = "2025H1"


@pytest.fixture(scope="module")
async def seeded(app, served) -> tuple[SampleDistrict, int]:
    """A district whose first town served three people, and whose second served one, twice."""
    district = make_district(app.state.runtime)
    records = [service_delivered(district.town) for _ in range(3)]
    twice = service_delivered(district.other_town, person_times=2)
    async with httpx.AsyncClient(base_url=served) as client:
        written = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("district", district.code),
                                    json={"records": [*records, twice]})
        assert written.status_code == 200, written.text
        position = written.json()["position"]
        read = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/reports/{PERIOD}",
                                                  headers=bearer("district", district.code),
                                                  params={"min_position": position}))
        assert read.status_code == 200, read.text
    return district, position


async def test_a_district_officer_sees_each_town_with_its_figures(signed_in: SignIn, seeded):
    district, _ = seeded
    page = await signed_in("district", district.code)
    await page.goto(page.url.split("?")[0] + f"?period={PERIOD}")

    towns = page.locator("#towns table")
    await towns.wait_for()
    first = towns.locator("tr", has_text=district.towns[district.town])
    second = towns.locator("tr", has_text=district.towns[district.other_town])
    total = towns.locator("tr.total")
    assert (await first.locator("td.num").first.inner_text()) == "3"
    assert (await second.locator("td.num").first.inner_text()) == "2"
    assert (await total.locator("td.num").first.inner_text()) == "5"
    # The district wrote its towns' services for their stations: each town's row says how many.
    assert (await first.locator(".on-behalf").inner_text()) == "代录：服务站(承接方) 3 条"
    assert (await second.locator(".on-behalf").inner_text()) == "代录：服务站(承接方) 1 条"
    assert district.name in await page.locator("#toolbar h1").inner_text()
    assert "实时数据" in await page.locator("h2.basis").inner_text()
    await keep_screenshot(page, "district")


async def test_a_district_officer_sees_which_towns_block_a_submission(signed_in: SignIn, app, served):
    """The submission basis (报送口径) beside the live figures: nothing approved counts nothing, and
    each town with a station and no approved report is named with its status."""
    district = make_district(app.state.runtime)
    async with httpx.AsyncClient(base_url=served) as client:
        written = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("district", district.code),
                                    json={"records": [station_established(district.town), service_delivered(district.town)]})
        assert written.status_code == 200, written.text
        read = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/reports/{PERIOD}",
                                                  headers=bearer("district", district.code),
                                                  params={"min_position": written.json()["position"]}))
        assert read.status_code == 200, read.text
    page = await signed_in("district", district.code)
    await page.goto(page.url.split("?")[0] + f"?period={PERIOD}")

    blocking = page.locator("#submission .blocking li")
    await blocking.wait_for()
    assert district.towns[district.town] in await blocking.inner_text()
    assert "草稿" in await blocking.inner_text()
    assert (await page.locator("#submission .card .value").first.inner_text()).startswith("0")
    assert (await page.locator("#status .actions button").inner_text()) == "说明原因后报送"
    await keep_screenshot(page, "district-blocking")


async def test_the_province_approves_the_citys_report(signed_in: SignIn, served):
    # The city's submission reads every district of the database: give it time on a loaded machine.
    async with httpx.AsyncClient(base_url=served, timeout=120) as client:
        period = await unreported_city_period(client)
        submitted = await client.post(f"/v1/city/reports/{period}/submit", headers=bearer("city"),
                                      json={"incomplete_reason": "浏览器测试"})
        assert submitted.status_code == 200, submitted.text
        frozen = await caught_up(lambda: client.get(
            f"/v1/city/reports/{period}", headers=bearer("province"),
            params={"version": "submitted", "min_position": f"city:{submitted.json()['position']}"}))
        assert frozen.status_code == 200, frozen.text
    page = await signed_in("province")
    assert page.url.split("?")[0].endswith("province.html")
    await page.goto(page.url.split("?")[0] + f"?period={period}")

    status = page.locator("#status .status-line .item").first
    await status.locator("text=已报送").wait_for()
    await page.click("#status button.approve")
    await status.locator("text=已审核").wait_for()
    assert "省厅审核" in await page.locator("#toolbar h1").inner_text()
    await keep_screenshot(page, "province")


async def test_the_city_sees_the_district_beside_the_others(signed_in: SignIn, seeded):
    district, _ = seeded
    page = await signed_in("city")
    await page.goto(page.url.split("?")[0] + f"?period={PERIOD}")

    row = page.locator("#districts table tr", has_text=district.name)
    await row.wait_for()
    assert "5" in await row.inner_text()
    await keep_screenshot(page, "city")


async def test_an_auditor_verifies_a_districts_log(signed_in: SignIn, seeded):
    district, position = seeded
    page = await signed_in("auditor")
    await page.goto(page.url.split("?")[0] + f"?period={PERIOD}&district={district.code}")

    await page.locator("#event-count", has_text="已加载").wait_for()  # the page's script has set up its buttons
    # Every service was written by the district for its town's station: the log says so under the actor.
    written_for = page.locator("#events .on-behalf")
    await written_for.first.wait_for()
    assert set(await written_for.all_inner_texts()) == {"代录：服务站(承接方)"}
    assert await written_for.count() == 4
    await page.click("#verify")
    verdict = page.locator("#verification .verdict")
    await verdict.wait_for()
    assert await verdict.inner_text() == "✓ 通过"
    assert f"{position} 个事件" in await page.locator("#verification").inner_text()
    await keep_screenshot(page, "audit")


async def test_an_auditor_replays_the_demos_frozen_report_and_reads_a_contract(signed_in: SignIn, demo_district):
    page = await signed_in("auditor")
    await page.goto(page.url.split("?")[0] + f"?period={PERIOD}&district={demo_district.code}")
    await page.locator("#event-count", has_text="已加载").wait_for()  # the page's script has set up its forms

    await page.select_option("#replay-version", "approved")
    await page.click("#replay-form button[type=submit]")
    verdict = page.locator("#replay .verdict")
    await verdict.wait_for()
    assert await verdict.inner_text() == "✓ 复算一致"
    assert "已审核版本的全部数字" in await page.locator("#replay").inner_text()

    await page.select_option("#figure-kind", "funds_spent")
    await page.click("#lineage-form button[type=submit]")
    contract = page.locator("#lineage .contract", has_text="合同：「")
    await contract.first.wait_for()
    assert "元" in await contract.first.inner_text()
    await keep_screenshot(page, "audit-replay")
