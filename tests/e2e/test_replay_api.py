"""`GET .../reports/{p}/replay`: a frozen version recomputed from the live log at its cut, on real
PostgreSQL; a figure changed in the stored version is named, with its frozen and replayed values."""

import json

import asyncpg

from tests.integration.halfyear import generate
from tests.support import approve_towns, bearer, caught_up, record

PERIOD = "2025H1"


async def submitted(client, district) -> None:
    """A seeded year recorded, every town approved, the district's report submitted."""
    for batch in generate(district, seed=30, services=120):
        await record(client, district, batch)
    await approve_towns(client, district)
    answer = await caught_up(lambda: client.post(f"/v1/districts/{district.code}/reports/{PERIOD}/submit",
                                                 headers=bearer("district", district.code)))
    assert answer.status_code == 200, answer.text


async def replay(client, district, caller: dict[str, str], version: str = "submitted", town: str | None = None):
    where = f"/towns/{town}" if town else ""
    return await client.get(f"/v1/districts/{district.code}/reports/{PERIOD}{where}/replay",
                            params={"version": version}, headers=caller)


async def tampered(database_url: str, district: str, change) -> None:
    """The stored submitted version's report changed in place, as a superuser could."""
    conn = await asyncpg.connect(database_url)
    try:
        text = await conn.fetchval("SELECT figures FROM reports.report_versions WHERE district = $1 AND period = $2"
                                   " AND town = '' AND version = 'submitted'", district, PERIOD)
        report = json.loads(text)
        change(report)
        await conn.execute("UPDATE reports.report_versions SET figures = $3::jsonb WHERE district = $1"
                           " AND period = $2 AND town = '' AND version = 'submitted'",
                           district, PERIOD, json.dumps(report, ensure_ascii=False))
    finally:
        await conn.close()


async def test_a_frozen_version_replays_equal_until_a_stored_figure_is_changed(client, district, database_url):
    await submitted(client, district)
    staff = bearer("district", district.code)

    answer = await replay(client, district, staff)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["equal"] is True and found["differences"] == [], found["differences"]
    assert set(found["cut"]) == set(district.towns)
    for caller in (bearer("city"), bearer("auditor")):
        assert (await replay(client, district, caller)).json()["equal"] is True
    for town in district.towns:  # each town's approved version replays too
        town_answer = await replay(client, district, staff, "approved", town)
        assert town_answer.status_code == 200 and town_answer.json()["equal"] is True, town_answer.text

    def change(report):
        row = next(t for t in report["towns"] if t["town"] == district.town)
        month = row["figures"]["by_month"]["2025-03"]
        month["person_times"] += 7
        report["figures"]["by_domain"]["elderly_care"]["hours"] = "0.01"

    before = (await client.get(f"/v1/districts/{district.code}/reports/{PERIOD}", params={"version": "submitted"},
                               headers=staff)).json()
    await tampered(database_url, district.code, change)
    answer = await replay(client, district, staff)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    month = before["towns"][list(district.towns).index(district.town)]["figures"]["by_month"]["2025-03"]
    assert found["equal"] is False
    assert found["differences"] == sorted([
        {"figure": "figures.by_domain.elderly_care.hours", "frozen": "0.01",
         "replayed": before["figures"]["by_domain"]["elderly_care"]["hours"]},
        {"figure": f"towns[{district.town}].figures.by_month.2025-03.person_times",
         "frozen": month["person_times"] + 7, "replayed": month["person_times"]},
    ], key=lambda d: d["figure"])


async def test_no_version_is_a_404_and_callers_are_scoped_as_for_the_report(client, district, other_district):
    await submitted(client, district)
    answer = await replay(client, district, bearer("district", district.code), "approved")  # the city approved none
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("application/problem+json")
    assert "不存在" in answer.text and "not found" in answer.text
    assert (await replay(client, other_district, bearer("district", other_district.code))).status_code == 404

    assert (await replay(client, district, bearer("district", other_district.code))).status_code == 404
    assert (await replay(client, district, bearer("town", district.code, district.town))).status_code == 403
    assert (await replay(client, district, bearer("station", district.code, district.town),
                         town=district.town)).status_code == 403
    bad = await replay(client, district, bearer("district", district.code), "draft")
    assert bad.status_code == 422 and "version" in bad.text
    unknown = await replay(client, district, bearer("district", district.code), town=f"{other_district.code}001")
    assert unknown.status_code == 404


async def test_a_version_frozen_before_any_event_replays_equal(client, district):
    """A district submitted before it recorded anything (no town has a station, so none blocks it):
    frozen at position 0, made again there."""
    staff = bearer("district", district.code)
    answer = await caught_up(lambda: client.post(f"/v1/districts/{district.code}/reports/{PERIOD}/submit",
                                                 headers=staff))
    assert answer.status_code == 200, answer.text
    found = (await replay(client, district, staff)).json()
    assert (found["position"], found["cut"], found["equal"], found["differences"]) == (0, {}, True, [])
