"""The record page in headless Chromium (issue 37, steps 4 and 5): a station's staff record a
service through the form and see the town's report count it; a record made with the network
down waits in the browser and is sent, once, when the network returns; a record the API refuses
shows the API's reasons and is kept nowhere. The form's screenshot, kept with
STATIONS_SCREENSHOTS, is the README's."""

import re
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Page

from tests.browser.conftest import SignIn, keep_screenshot
from kernel import clock
from tests.browser.test_opening import README
from tests.builders import inspection_done, station_established
from tests.conftest import SampleDistrict, bearer, make_district
from tests.support import caught_up

DAY = "2025-03-18"


@pytest.fixture(scope="module")
def district(app) -> SampleDistrict:
    return make_district(app.state.runtime)


async def record_page(page: Page, query: str = "") -> Page:
    await page.goto(page.url.split("/ui/")[0] + "/ui/record.html" + query)
    await page.locator("#record-form").wait_for()
    return page


async def fill_service(page: Page, recipient: str) -> None:
    await page.fill("#f-occurred_on", DAY)
    await page.select_option("#f-domain", "elderly_care")
    await page.select_option("#f-service_type", "visit")
    await page.select_option("#f-recipient_category", "living_alone_elderly")
    await page.fill("#f-recipient_ref", recipient)
    await page.fill("#f-hours", "1.5")


async def logged_with_id(served: str, district: str, record_id: str) -> list[dict]:
    """The district's logged events of that record id."""
    found, after = [], 0
    async with httpx.AsyncClient(base_url=served) as client:
        while True:
            page = await client.get(f"/v1/districts/{district}/events", headers=bearer("district", district),
                                    params={"after": after, "limit": 1000})
            assert page.status_code == 200, page.text
            events = page.json()["events"]
            found += [e for e in events if e["record_id"] == record_id]
            if not events:
                return found
            after = page.json()["next_after"]


async def test_a_station_records_a_service_and_sees_it_counted(signed_in: SignIn, district, served):
    page = await record_page(await signed_in("station", district.code, district.town))
    assert await page.locator("header nav a.current").inner_text() == "录入记录"
    # The pickers show the vocabulary's Chinese labels.
    assert "养老" in await page.locator("#f-domain").inner_text()

    await fill_service(page, "R-form-first")
    await page.set_viewport_size(README)
    await keep_screenshot(page, "readme-record", full_page=False)
    await page.click("#save")

    counted = page.locator("#counted")
    await counted.wait_for()
    assert f"{district.towns[district.town]}2025年上半年报表" in await counted.inner_text()
    assert "服务人次 1，" in await counted.inner_text()
    row = page.locator("#outbox tr.sent")
    assert await row.locator(".badge").inner_text() == "已发送"
    record_id = await row.get_attribute("data-id")
    assert record_id.startswith("svc-")
    [event] = await logged_with_id(served, district.code, record_id)
    assert event["type"] == "service_delivered" and event["payload"]["recipient_ref"] == "R-form-first"
    assert event["payload"]["town"] == district.town and event["payload"]["hours"] == "1.50"


async def test_a_record_made_offline_waits_and_is_sent_once_when_the_network_returns(signed_in: SignIn, district,
                                                                                      served):
    page = await record_page(await signed_in("station", district.code, district.other_town))
    await page.context.set_offline(True)
    await page.locator("#network", has_text="网络未连接").wait_for()

    await fill_service(page, "R-form-offline")
    await page.click("#save")
    waiting = page.locator("#outbox tr.waiting")
    await waiting.wait_for()
    assert await waiting.locator(".badge").inner_text() == "待发送"
    assert "待发送 1 条" in await page.locator("#outbox-summary").inner_text()
    record_id = await waiting.get_attribute("data-id")
    assert await logged_with_id(served, district.code, record_id) == []

    await page.context.set_offline(False)
    sent = page.locator(f"#outbox tr.sent[data-id='{record_id}']")
    await sent.wait_for()
    assert "待发送 0 条，已发送 1 条" in await page.locator("#outbox-summary").inner_text()
    await page.click("#send-now", force=True)  # disabled: nothing waits, nothing is sent again
    assert len(await logged_with_id(served, district.code, record_id)) == 1


async def test_a_refused_record_shows_the_apis_reasons_and_is_kept_nowhere(signed_in: SignIn, district, served):
    page = await record_page(await signed_in("station", district.code, district.town, expected=[422]))

    await fill_service(page, "R-13912345678")  # a mobile number where a pseudonym belongs
    await page.click("#save")

    error = page.locator("#messages .message.error")
    await error.wait_for()
    assert "手机号" in await error.inner_text()
    assert await page.locator("#outbox .empty").inner_text() == "本机尚无录入的记录"
    assert await page.locator("#f-recipient_ref").input_value() == "R-13912345678"  # the form keeps what was typed


async def test_a_town_records_its_station_and_an_inspection(signed_in: SignIn, district, served):
    page = await record_page(await signed_in("town", district.code, district.town), "?type=station_established")
    assert await page.locator("#types button").all_inner_texts() == ["服务提供", "进展报告", "整改完成", "站点设立", "督查检查"]
    await page.select_option("#f-host_facility", index=1)
    await page.fill("#f-address", "民族路1号")
    await page.fill("#f-established_on", DAY)
    await page.click("#save")
    await page.locator("#counted").wait_for()

    await page.click("#types button[value=inspection_done]")
    await page.fill("#f-occurred_on", DAY)
    await page.select_option("#f-kind", index=1)
    await page.check("#f-scopes input[value=funds]")
    await page.fill("#f-findings", "台账不全")
    await page.check("#f-issues_found")
    await page.fill("#f-rectification_due", "2025-05-10")
    await page.click("#save")
    await page.locator("#counted", has_text="检查 1 次").wait_for()

    ids = await page.locator("#outbox tr.sent").evaluate_all("rows => rows.map(r => r.dataset.id)")
    [inspection] = [i for i in ids if i.startswith("insp-")]
    [event] = await logged_with_id(served, district.code, inspection)
    assert event["payload"]["by"] == "town" and event["payload"]["scopes"] == ["funds"]
    assert event["payload"]["issues_found"] is True and event["actor"]["role"] == "town"
    # The town's inspection is offered to the rectification form (recorded in this browser).
    await page.click("#types button[value=rectification_done]")
    assert inspection in await page.locator("#inspections option").evaluate_all("os => os.map(o => o.value)")


@pytest.fixture(scope="module")
async def overdue_inspection(district, served) -> str:
    """An inspection of the district's third town (with a station) whose rectification is overdue today."""
    today = clock.today()
    town = list(district.towns)[2]
    record = inspection_done(town, occurred_on=str(today - timedelta(days=40)),
                             rectification_due=str(today - timedelta(days=10)))
    async with httpx.AsyncClient(base_url=served) as client:
        written = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("district", district.code),
                                    json={"records": [station_established(town), record]})
        assert written.status_code == 200, written.text
        read = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/reports/2025H1",
                                                  headers=bearer("district", district.code),
                                                  params={"min_position": written.json()["position"]}))
        assert read.status_code == 200, read.text
    return record["id"]


async def inspections_offered(page: Page) -> list[str]:
    await page.click("#types button[value=rectification_done]")
    return await page.locator("#inspections option").evaluate_all("os => os.map(o => o.value)")


async def test_a_station_rectifies_an_overdue_inspection_of_its_town(signed_in: SignIn, district, served,
                                                                     overdue_inspection):
    town = list(district.towns)[2]
    page = await record_page(await signed_in("station", district.code, town))
    assert overdue_inspection in await inspections_offered(page)  # the report names it overdue

    await page.fill("#f-inspection", overdue_inspection)
    await page.fill("#f-note", "已补齐台账")
    await page.click("#save")
    await page.locator("#counted").wait_for()
    record_id = await page.locator("#outbox tr.sent").get_attribute("data-id")
    [event] = await logged_with_id(served, district.code, record_id)
    assert event["type"] == "rectification_done" and event["payload"]["inspection"] == overdue_inspection


async def test_a_district_records_for_a_town_it_chooses(signed_in: SignIn, district, served, overdue_inspection):
    town = list(district.towns)[2]
    page = await record_page(await signed_in("district", district.code), f"?town={town}")
    assert await page.locator("#town").input_value() == town
    assert overdue_inspection in await inspections_offered(page)  # from the report's lineage

    await page.click("#types button[value=service_delivered]")
    await fill_service(page, "R-form-behalf")
    await page.click("#save")
    await page.locator("#counted").wait_for()
    record_id = await page.locator("#outbox tr.sent").get_attribute("data-id")
    [event] = await logged_with_id(served, district.code, record_id)
    assert event["payload"]["town"] == town and event["on_behalf_of"] == "station"


async def test_the_record_page_opens_again_without_a_network(signed_in: SignIn, district, served):
    """Its service worker (served by the service: /ui/sw.js) keeps the page's files, the vocabulary
    and the caller's towns; a record made on the page opened offline waits and is sent once."""
    page = await record_page(await signed_in("station", district.code, district.town))
    assert await page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)") == f"{served}/ui/sw.js"
    await page.wait_for_function("caches.match('/v1/districts').then(r => r !== undefined)")
    assert await page.evaluate("caches.match('record.html').then(r => r !== undefined)")

    await page.context.set_offline(True)
    opened = await page.reload()
    assert opened.from_service_worker
    await page.locator("#record-form").wait_for()
    assert "养老" in await page.locator("#f-domain").inner_text()  # the kept vocabulary
    await fill_service(page, "R-form-reopened")
    await page.click("#save")
    record_id = await page.locator("#outbox tr.waiting").get_attribute("data-id")

    await page.context.set_offline(False)
    await page.locator(f"#outbox tr.sent[data-id='{record_id}']").wait_for()
    assert len(await logged_with_id(served, district.code, record_id)) == 1


async def test_a_waiting_record_the_api_refuses_is_marked_refused_with_its_reason(signed_in: SignIn, district,
                                                                                  served):
    page = await record_page(await signed_in("station", district.code, district.town, expected=[422]))
    await page.context.set_offline(True)
    await page.locator("#network", has_text="网络未连接").wait_for()
    await fill_service(page, "R-13812345678")  # a mobile number: refused once it reaches the API
    await page.click("#save")
    record_id = await page.locator("#outbox tr.waiting").get_attribute("data-id")

    await page.context.set_offline(False)
    refused = page.locator(f"#outbox tr.refused[data-id='{record_id}']")
    await refused.wait_for()
    assert await refused.locator(".badge").inner_text() == "被拒绝"
    assert "手机号" in await refused.inner_text()
    assert await logged_with_id(served, district.code, record_id) == []
    await refused.locator("button", has_text="删除").click()
    await page.locator("#outbox .empty").wait_for()


async def test_record_ids_made_in_the_browser_never_read_as_a_number(signed_in: SignIn, district):
    page = await record_page(await signed_in("station", district.code, district.town))
    ids = await page.evaluate("""import('./js/outbox.js').then(
        (outbox) => Array.from({ length: 2000 }, () => outbox.newRecordId('svc')))""")
    assert len(set(ids)) == 2000
    assert all(re.fullmatch(r"svc-[a-z2-7]{20}", i) and not re.search(r"[0-9]{4}", i) for i in ids)


async def test_a_station_reports_its_progress(signed_in: SignIn, district, served):
    page = await record_page(await signed_in("station", district.code, district.town), "?type=progress_reported")
    await page.fill("#f-reported_on", DAY)
    await page.fill("#f-summary", "本月走访独居老人 30 人次")
    await page.click("#save")
    await page.locator("#counted").wait_for()
    record_id = await page.locator("#outbox tr.sent").get_attribute("data-id")
    [event] = await logged_with_id(served, district.code, record_id)
    assert record_id.startswith("prg-") and event["type"] == "progress_reported"
    assert event["payload"]["summary"] == "本月走访独居老人 30 人次" and event["payload"]["problems"] == []
