"""The audit page's state as of a moment (issue 38), in headless Chromium: an auditor picks a
town and a day and reads the station as the records made it, its contract's money and the events
that changed it."""

import httpx

from tests.browser.conftest import SignIn, keep_screenshot
from tests.builders import fund_spent, project_contracted, rid, station_established
from tests.conftest import bearer, make_district


async def test_an_auditor_reads_a_station_on_a_day_with_its_contract_and_timeline(signed_in: SignIn, app, served):
    district = make_district(app.state.runtime)
    contract = project_contracted(district.town, rid("P"))
    head = {"id": rid("sa"), "type": "staff_assigned", "town": district.town, "person_ref": "S-0001",
            "role": "station_head", "assigned_on": "2025-02-01"}
    later = {**head, "id": rid("sa"), "person_ref": "S-0002", "role": "staff", "assigned_on": "2025-05-01"}
    async with httpx.AsyncClient(base_url=served) as client:
        written = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("district", district.code),
                                    json={"records": [station_established(district.town), head, later, contract,
                                                      fund_spent(contract["project"], occurred_on="2025-03-01")]})
        assert written.status_code == 200, written.text
    page = await signed_in("auditor")
    await page.goto(page.url.split("?")[0] + f"?district={district.code}")
    await page.locator("#event-count", has_text="已加载").wait_for()  # the page's script has set up its forms

    await page.select_option("#state-town", district.town)
    await page.fill("#state-on", "2025-03-15")
    await page.click("#state-form button[type=submit]")
    state = page.locator("#station-state")
    await state.locator("h3", has_text="2025-03-15").wait_for()
    text = await state.inner_text()
    assert "党群服务中心" in text and "站长 1 人 S-0001" in text and "S-0002" not in text  # S-0002 came in May
    assert f"日志位置 {written.json()['position']}" in text
    assert await page.locator("#station-history tbody tr").count() == 3  # the station's own three records

    await page.click("#station-state button.project")
    money = page.locator("#project-state table")
    await money.wait_for()
    assert "1,250.50" in await money.locator("tr", has_text="养老").inner_text()
    await keep_screenshot(page, "audit-state")
