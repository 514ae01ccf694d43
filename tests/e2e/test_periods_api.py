"""`GET /v1/periods`: the half year a dashboard opens on, decided from the caller's scope's records."""

from projections.periods import bounds, period_of, previous
from kernel.clock import today
from tests.builders import service_delivered
from tests.support import SampleDistrict, bearer, make_district, record, report


async def periods(client, role: str, district: SampleDistrict | None = None, town: str | None = None) -> dict:
    answer = await client.get("/v1/periods", headers=bearer(role, district and district.code, town))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def recorded(client, district: SampleDistrict, *days: str, town: str | None = None) -> None:
    """Services on those days, waited for until the report tables hold them."""
    position = await record(client, district, [service_delivered(town or district.town, occurred_on=d) for d in days])
    await report(client, district, position)


async def test_with_no_records_the_dashboard_opens_on_the_current_half_year(client, app_runtime):
    empty = make_district(app_runtime)
    app_runtime.tenants.refresh()

    chosen = await periods(client, "district", empty)

    current = period_of(today())
    assert chosen == {"opening": current, "current": current, "due": previous(current), "latest_recorded": None}


async def test_records_only_in_2025h1_open_on_2025h1_and_only_in_their_scope(client, app_runtime):
    mine, theirs = make_district(app_runtime), make_district(app_runtime)
    app_runtime.tenants.refresh()

    await recorded(client, mine, "2025-03-18", "2025-05-02")

    assert (await periods(client, "district", mine))["opening"] == "2025H1"
    assert (await periods(client, "district", mine))["latest_recorded"] == "2025H1"
    assert (await periods(client, "district", theirs))["opening"] == period_of(today())
    # A station reads its own town only: the other town's records leave it on the current half year.
    assert (await periods(client, "station", mine, mine.town))["opening"] == "2025H1"
    assert (await periods(client, "station", mine, mine.other_town))["opening"] == period_of(today())
    # The city, auditors and the province read every district: they open on 2025H1 or later.
    for role in ("city", "auditor", "province"):
        assert (await periods(client, role))["opening"] >= "2025H1"


async def test_the_period_due_for_reporting_is_preferred_once_it_has_records(client, app_runtime):
    district = make_district(app_runtime)
    app_runtime.tenants.refresh()
    current = period_of(today())
    due = previous(current)

    await recorded(client, district, "2025-03-18", today().isoformat())
    assert (await periods(client, "district", district))["opening"] == current  # the latest: nothing due yet

    await recorded(client, district, bounds(due)[0].isoformat())
    assert (await periods(client, "district", district)) == {"opening": due, "current": current, "due": due,
                                                             "latest_recorded": current}


async def test_periods_need_a_token(client):
    answer = await client.get("/v1/periods")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
