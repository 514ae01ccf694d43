"""The upload page in headless Chromium (issue 37, step 4): a station fills the service template
(downloaded from `GET /v1/templates/service_delivered.xlsx`) and uploads it through the page;
a file with a bad row is refused whole, each bad cell shown by sheet, row and column; the same
good file again stores nothing. Needs the `uploads` branch's routes (steps 1 and 2)."""

from io import BytesIO
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.async_api import Page

from tests.browser.conftest import SignIn, keep_screenshot
from tests.browser.test_opening import README
from tests.conftest import SampleDistrict, make_district

SHEET = "service_delivered"


@pytest.fixture(scope="module")
def district(app) -> SampleDistrict:
    return make_district(app.state.runtime)


async def services_file(served: str, folder: Path, name: str, town: str, recipients: list[str]) -> Path:
    """The template filled with one service a recipient, the wire names (its second line) placing each value."""
    async with httpx.AsyncClient(base_url=served) as client:
        template = await client.get(f"/v1/templates/{SHEET}.xlsx")
    assert template.status_code == 200, template.text
    book = load_workbook(BytesIO(template.content))
    sheet = book[SHEET]
    column = {cell.value: cell.column for cell in sheet[2] if cell.value}
    for line, recipient in enumerate(recipients, start=3):
        values = {"town": town, "occurred_on": "2025-03-18", "domain": "elderly_care", "service_type": "visit",
                  "recipient_category": "living_alone_elderly", "recipient_ref": recipient, "hours": "1.5"}
        for wire, value in values.items():
            sheet.cell(line, column[wire], value)
    path = folder / name
    book.save(path)
    return path


async def upload(page: Page, path: Path) -> None:
    await page.set_input_files("#file", str(path))
    await page.click("#upload")


async def test_a_station_uploads_its_services_and_again_stores_nothing(signed_in: SignIn, district, served, tmp_path):
    page = await signed_in("station", district.code, district.town)
    await page.goto(page.url.split("/ui/")[0] + "/ui/upload.html")
    await page.locator("#templates button").first.wait_for()
    good = await services_file(served, tmp_path, "服务台账.xlsx", district.town, ["R-upload-a", "R-upload-b"])

    await upload(page, good)
    answer = page.locator("#upload-answer .value")
    await page.locator("#upload-answer").wait_for()
    assert await answer.all_inner_texts() == ["2", "2", "0"]
    await page.set_viewport_size(README)
    await keep_screenshot(page, "readme-upload", full_page=False)

    await page.reload()
    await upload(page, good)
    await page.locator("#upload-answer .value", has_text="0").first.wait_for()
    assert await page.locator("#upload-answer .value").all_inner_texts() == ["2", "0", "2"]


async def test_a_file_with_a_bad_row_is_refused_row_by_row(signed_in: SignIn, district, served, tmp_path):
    page = await signed_in("station", district.code, district.town, expected=[422])
    await page.goto(page.url.split("/ui/")[0] + "/ui/upload.html")
    await page.locator("#templates button").first.wait_for()
    bad = await services_file(served, tmp_path, "服务台账.xlsx", district.town, ["R-upload-c", "R-13912345678"])

    await upload(page, bad)
    refused = page.locator("#refused tbody tr")
    await refused.first.wait_for()
    assert await refused.count() == 1
    cells = await refused.first.locator("td").all_inner_texts()
    assert cells[:2] == [SHEET, "4"] and "手机号" in cells[3]
    assert "整个文件未保存" in await page.locator("#result .message.error").inner_text()
