"""The dashboard as its users see it, in headless Chromium: a district officer's towns side by
side, the city's districts and total, an auditor's verification of a district's log. Each page
is read for what a person would look for, with the figures the API gave for the same records."""

import httpx
import pytest

from tests.browser.conftest import SignIn, keep_screenshot
from tests.builders import service_delivered
from tests.conftest import SampleDistrict, bearer, make_district

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
        read = await client.get(f"/v1/districts/{district.code}/reports/{PERIOD}",
                                headers=bearer("district", district.code), params={"min_position": position})
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
    assert district.name in await page.locator("#toolbar h1").inner_text()
    await keep_screenshot(page, "district")


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
    await page.click("#verify")
    verdict = page.locator("#verification .verdict")
    await verdict.wait_for()
    assert await verdict.inner_text() == "✓ 通过"
    assert f"{position} 个事件" in await page.locator("#verification").inner_text()
    await keep_screenshot(page, "audit")
