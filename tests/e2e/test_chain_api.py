"""The chain composes (`../shared/API.md`, "The chain composes"): a level submits once the half
year has ended and the reports of the level below are approved, or says why it goes without them."""

import httpx

from kernel import clock
from projections.periods import period_of
from tests.builders import service_delivered, station_established
from tests.support import SampleDistrict, bearer, caught_up, record, report


async def _post(client: httpx.AsyncClient, path: str, headers: dict[str, str], **body) -> httpx.Response:
    """A step of the chain, asked again while the projections are behind the log's head."""
    return await caught_up(lambda: client.post(path, headers=headers, json=body or None))


async def _problem(answer: httpx.Response, status: int, slug: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == f"/problems/{slug}", problem
    return problem


async def test_nothing_is_submitted_before_the_half_year_ends(client, district: SampleDistrict):
    now = period_of(clock.today())
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{now}"
    position = await record(client, district, [service_delivered(district.town, occurred_on=clock.today().isoformat())])

    for path, headers in ((f"{base}/towns/{district.town}/submit", staff), (f"{base}/submit", staff),
                          (f"/v1/city/reports/{now}/submit", bearer("city"))):
        problem = await _problem(await _post(client, path, headers), 409, "period-open")
        assert now in problem["detail"]

    current = await report(client, district, position, period=now)
    assert current["status"] == "draft"
    assert {t["status"] for t in current["towns"]} == {"draft"}


async def test_a_district_submits_once_its_towns_with_a_station_are_approved(client, district: SampleDistrict):
    first, second, without_station = district.towns
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    await record(client, district, [station_established(first), station_established(second),
                                    service_delivered(first), service_delivered(second),
                                    service_delivered(without_station)])

    refused = await _problem(await _post(client, f"{base}/submit", staff), 409, "children-not-approved")
    assert refused["towns"] == [{"town": first, "name": district.towns[first], "status": "draft"},
                                {"town": second, "name": district.towns[second], "status": "draft"}]

    assert (await _post(client, f"{base}/towns/{first}/submit", staff)).status_code == 200
    assert (await _post(client, f"{base}/towns/{first}/approve", staff)).status_code == 200
    assert (await _post(client, f"{base}/towns/{second}/submit", staff)).status_code == 200
    refused = await _problem(await _post(client, f"{base}/submit", staff), 409, "children-not-approved")
    assert [(t["town"], t["status"]) for t in refused["towns"]] == [(second, "submitted")]
    assert second in refused["detail"] and "incomplete_reason" in refused["detail"]
    assert (await report(client, district, 0))["status"] == "draft"  # nothing stored

    incomplete = await _post(client, f"{base}/submit", staff, incomplete_reason="乙街道复核中，先行报送")
    assert incomplete.status_code == 200, incomplete.text
    frozen = await report(client, district, incomplete.json()["position"], version="submitted")
    assert frozen["incomplete_reason"] == "乙街道复核中，先行报送"
    assert frozen["missing"] == [{"town": second, "name": district.towns[second], "status": "submitted"}]

    again = await _post(client, f"{base}/submit", staff, incomplete_reason="再次报送")
    assert (await _problem(again, 409, "report-state"))["detail"]


async def test_a_district_whose_towns_are_all_approved_lists_nothing_missing(client, district: SampleDistrict):
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    await record(client, district, [station_established(district.town), service_delivered(district.town)])
    for step in ("submit", "approve"):
        assert (await _post(client, f"{base}/towns/{district.town}/{step}", staff)).status_code == 200

    submitted = await _post(client, f"{base}/submit", staff)
    assert submitted.status_code == 200, submitted.text
    frozen = await report(client, district, submitted.json()["position"], version="submitted")
    assert "missing" not in frozen and "incomplete_reason" not in frozen
