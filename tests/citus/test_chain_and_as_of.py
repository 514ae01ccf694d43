"""Citus mode: a district's report chain (towns submitted and approved, the district submitted and
approved by the city) and a report as of a moment, for a district whose store is on a worker."""

import httpx

from tests.builders import record_voided, service_delivered
from tests.bundles import exported, verify
from tests.support import approve_towns, bearer, caught_up, make_district

PERIOD = "2025H1"


async def record(client: httpx.AsyncClient, code: str, records: list[dict]) -> int:
    answer = await client.post(f"/v1/districts/{code}/records", json={"records": records},
                               headers=bearer("district", code))
    assert answer.status_code == 200, answer.text
    return answer.json()["position"]


async def test_as_of_a_moment_reads_the_log_as_it_was_then(app, client):
    district = make_district(app.state.runtime)
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{PERIOD}"
    first = service_delivered(district.town, person_times=2)
    await record(client, district.code, [first])
    events = (await client.get(f"/v1/districts/{district.code}/events", headers=staff)).json()["events"]
    moment = events[-1]["recorded_at"]
    position = await record(client, district.code, [service_delivered(district.town), record_voided(first["id"])])
    now = await caught_up(lambda: client.get(base, params={"min_position": position}, headers=staff))
    then = await client.get(base, params={"as_of": moment}, headers=staff)
    assert then.status_code == 200, then.text
    assert then.json()["figures"]["person_times"] == 2 and now.json()["figures"]["person_times"] == 1
    assert then.json()["as_of"]["position"] == events[-1]["position"]


async def test_a_district_submitted_and_approved_with_its_checkpoints_verifying(app, client):
    district = make_district(app.state.runtime)
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{PERIOD}"
    await record(client, district.code, [service_delivered(t) for t in district.towns])
    await approve_towns(client, district)
    submitted = await caught_up(lambda: client.post(f"{base}/submit", headers=staff))
    assert submitted.status_code == 200, submitted.text
    approved = await caught_up(lambda: client.post(f"/v1/city/reports/{PERIOD}/districts/{district.code}/approve",
                                                   headers=bearer("city")))
    assert approved.status_code == 200, approved.text
    frozen = await client.get(base, params={"version": "approved"}, headers=staff)
    assert frozen.status_code == 200, frozen.text
    assert frozen.json()["figures"]["person_times"] == len(district.towns)
    verified = await client.get(f"/v1/districts/{district.code}/audit/verify", headers=bearer("auditor"))
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text


async def test_an_exported_bundle_of_a_district_on_a_worker_verifies_offline(app, client, tmp_path):
    district = make_district(app.state.runtime)
    written, keyring = await exported(client, district, app.state.runtime, tmp_path, version="approved")
    code, output = verify(tmp_path, written, keyring)
    assert code == 0, output
