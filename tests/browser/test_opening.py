"""Where the dashboard opens, in headless Chromium, after a demo year's load into a district of
its own: on a half year with figures (`GET /v1/periods`), never an empty current one. Its pages'
screenshots, kept with STATIONS_SCREENSHOTS, are the README's (taken on a database holding
`stations demo`, the city's page shows Xiamen's districts beside this one)."""

import re

from tests.browser.conftest import SignIn, keep_screenshot

README = {"width": 1280, "height": 860}  # the README's pictures: small enough to commit


def number(text: str) -> float:
    """The figure a cell or a card shows, without its grouping and unit."""
    return float(re.sub(r"[^0-9.]", "", text) or 0)


async def test_the_district_page_opens_on_a_half_year_with_figures(signed_in: SignIn, demo_district):
    page = await signed_in("district", demo_district.code)

    total = page.locator("#towns table tr.total")
    await total.wait_for()
    assert "period=" in page.url
    assert await page.locator("#period").input_value() == "2025H2"  # due (2026H1) holds nothing: the latest
    assert "2025年下半年" in await page.locator("#status h2").first.inner_text()
    assert number(await total.locator("td.num").first.inner_text()) > 0
    assert number(await page.locator("#cards .card .value").first.inner_text()) > 0
    await page.set_viewport_size(README)
    await keep_screenshot(page, "readme-district", full_page=False)
    projects = page.locator("#sections-projects-panel")  # the guide's 项目实施情况, below the figures
    await projects.locator("table").first.wait_for()
    assert "项目情况" in await projects.inner_text()
    await keep_screenshot(projects, "readme-sections")


async def test_the_city_page_opens_on_a_half_year_with_figures(signed_in: SignIn, demo_district):
    page = await signed_in("city")

    row = page.locator("#districts table tr", has_text=demo_district.name)
    await row.wait_for()
    chosen = await page.locator("#period").input_value()
    assert chosen >= "2025H2" and f"period={chosen}" in page.url
    await page.set_viewport_size(README)
    await keep_screenshot(page, "readme-city", full_page=False)


async def test_the_audit_page_names_the_town_and_project_of_each_lineage_row(signed_in: SignIn, demo_district):
    # Every district is the auditor's scope, so the half year it opens on depends on the others': choose it.
    page = await signed_in("auditor")
    await page.goto(page.url.split("?")[0] + f"?district={demo_district.code}&period=2025H2&figure=funds_spent")

    rows = page.locator("#lineage table tbody tr")
    await rows.first.wait_for()
    assert "「" in await rows.first.locator("summary").inner_text()  # the project's name beside the record's id
    await page.locator("#event-count", has_text="已加载").wait_for()
    await page.click("#verify")
    assert await page.locator("#verification .verdict").inner_text() == "✓ 通过"
    await page.set_viewport_size(README)
    await page.evaluate("window.scrollTo(0, 0)")
    await keep_screenshot(page, "readme-audit", full_page=False)
