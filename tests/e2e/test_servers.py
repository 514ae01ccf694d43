"""Districts on two PostgreSQL servers: the registry places each district on a server; its
writes, projections and reads go there, the city's report combines both servers, and a
district can be moved from one to the other with nothing lost."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from stations.app import create_app
from service.runtime import Runtime
from stations.bootstrap import open_server
from stations.database import embedded_postgres, migrate, reader_login
from stations.settings import Settings
from tenants import registry
from tenants.stores import events_table
from service.moving import MoveRefused, move_district
from audit.signing import public_pem
from service import audit_bundle as bundle
from tests.builders import compliant_station, plan_record, planned, service_delivered, training_held
from tests.bundles import PERIOD, city_submitted, verify
from tests.support import SampleDistrict, approve_towns, bearer, caught_up, make_district, sign, signed

UNREACHABLE = "postgresql://postgres@127.0.0.1:9/nowhere"  # the discard port: nothing listens


def patient(settings: Settings) -> Settings:
    """Two servers' workers share two busy cores here: reads wait longer for their projections."""
    return settings.model_copy(update={"min_position_timeout": 10.0})


@pytest.fixture(scope="module")
def second_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second PostgreSQL, migrated by its owner's part (a production start does not migrate), its
    reader given a login as a deployment gives it one."""
    with embedded_postgres(Path(tmp_path_factory.mktemp("second-server"))) as url:
        migrate(url)
        reader_login(url)
        yield url


@pytest.fixture(scope="module")
def placed(runtime: Runtime, second_server: str) -> Iterator[dict[str, list[SampleDistrict]]]:
    """Three districts on the service's own server and three on the second, registered before
    the service starts; put back on the first when the module is done (the second server stops)."""
    districts = {"home": [make_district(runtime) for _ in range(3)],
                 "second": [make_district(runtime, server=second_server) for _ in range(3)]}
    yield districts
    for district in districts["second"]:
        registry.place(runtime.datastore, district.code, None)
    runtime.tenants.refresh()


@pytest.fixture(scope="module")
async def service(settings: Settings, placed: dict) -> AsyncIterator[FastAPI]:
    app = create_app(patient(settings))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(service: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service), base_url="http://test") as client:
        yield client


async def record(client: httpx.AsyncClient, district: SampleDistrict, person_times: int) -> int:
    answer = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("district", district.code),
                               json={"records": [service_delivered(district.town, person_times=person_times)]})
    assert answer.status_code == 200, answer.text
    return answer.json()["position"]


async def tables_on(url: str, district: SampleDistrict) -> int | None:
    """How many events the server's table of the district holds (None: it has no such table)."""
    conn = await asyncpg.connect(url)
    try:
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", events_table(district.code)):
            return None
        return await conn.fetchval(f'SELECT count(*) FROM {events_table(district.code)}')
    finally:
        await conn.close()


async def test_the_city_report_equals_the_sum_over_both_servers(client, placed, database_url, second_server):
    districts = placed["home"] + placed["second"]
    written = {d.code: await record(client, d, person_times=i + 1) for i, d in enumerate(districts)}
    waits = ",".join(f"{code}:{position}" for code, position in written.items())
    answer = await client.get("/v1/city/reports/2025H1", params={"min_position": waits}, headers=bearer("city"))
    assert answer.status_code == 200, answer.text
    city = answer.json()

    parts = {d["district"]: d["figures"] for d in city["districts"]}
    assert [parts[d.code]["person_times"] for d in districts] == [1, 2, 3, 4, 5, 6]
    assert city["figures"]["person_times"] == sum(f["person_times"] for f in parts.values())
    assert city["figures"]["recipients"] == sum(f["recipients"] for f in parts.values())
    for district in districts:
        own = await client.get(f"/v1/districts/{district.code}/reports/2025H1",
                               headers=bearer("district", district.code))
        assert own.status_code == 200, own.text
        assert own.json()["figures"] == parts[district.code]


async def test_a_districts_events_are_stored_on_its_own_server_only(client, placed, database_url, second_server):
    away, home = placed["second"][0], placed["home"][0]
    await record(client, away, person_times=2)
    await record(client, home, person_times=2)
    assert await tables_on(second_server, away) >= 1
    assert await tables_on(database_url, away) is None
    assert await tables_on(second_server, home) is None


async def test_reads_of_a_district_on_the_second_server_wait_for_its_own_projection(client, placed):
    away = placed["second"][1]
    position = await record(client, away, person_times=7)
    answer = await client.get(f"/v1/districts/{away.code}/reports/2025H1", params={"min_position": position},
                              headers=bearer("district", away.code))
    assert answer.status_code == 200, answer.text
    assert answer.json()["towns"][0]["figures"]["person_times"] >= 7
    events = await client.get(f"/v1/districts/{away.code}/events", headers=bearer("auditor"))
    assert events.status_code == 200 and events.json()["events"][-1]["position"] == position
    verified = await client.get(f"/v1/districts/{away.code}/audit/verify", headers=bearer("auditor"))
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text


async def test_a_district_whose_server_is_down_answers_503_and_the_others_are_served(client, placed, runtime):
    lost = make_district(runtime, server=UNREACHABLE)
    try:
        for answer in (
            await client.post(f"/v1/districts/{lost.code}/records", headers=bearer("district", lost.code),
                              json={"records": [service_delivered(lost.town)]}),
            await client.get(f"/v1/districts/{lost.code}/reports/2025H1", headers=bearer("district", lost.code)),
        ):
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["retry-after"]
        assert (await record(client, placed["home"][2], person_times=1)) > 0
        assert (await record(client, placed["second"][2], person_times=1)) > 0
    finally:
        registry.place(runtime.datastore, lost.code, None)
        runtime.tenants.refresh()


async def test_a_district_moved_to_the_second_server_keeps_its_log_reports_and_checkpoints(
        client, service, placed, runtime, settings, database_url, second_server):
    district = make_district(runtime)
    staff = bearer("district", district.code)
    base = f"/v1/districts/{district.code}/reports/2025H1"
    await record(client, district, person_times=4)
    await record(client, district, person_times=5)
    await approve_towns(client, district, [district.town])  # each step signs a checkpoint too
    submitted = await client.post(f"{base}/submit", headers=staff)  # freezes the figures, signs a checkpoint
    assert submitted.status_code == 200, submitted.text
    await signed(client, submitted.json())
    head = submitted.json()["position"]
    before = (await client.get(base, params={"min_position": head}, headers=staff)).json()
    checkpoints_before = (await client.get(f"/v1/districts/{district.code}/audit/checkpoints", headers=bearer("auditor"))).json()

    moved = await asyncio.to_thread(move_district, runtime.datastore, database_url, district.code, None,
                                    second_server, open_server=partial(open_server, settings))
    placed["second"].append(district)  # put back on the first server when the module is done
    assert (moved.events, moved.checkpoints) == (head, 3)  # the town's submission and approval, the district's
    assert await tables_on(database_url, district) is None
    assert await tables_on(second_server, district) == head
    source = await asyncpg.connect(database_url)
    try:  # the source's store was dropped in a maintenance it recorded (migration 0021)
        recorded = await source.fetchrow("SELECT who, why FROM stations_guard.maintenance WHERE id = $1",
                                         moved.maintenance)
    finally:
        await source.close()
    assert recorded is not None and f"move-district {district.code}" in recorded["why"], recorded
    with pytest.raises(MoveRefused):
        move_district(runtime.datastore, database_url, district.code, second_server, second_server,
                      open_server=partial(open_server, settings))

    app = create_app(patient(settings))  # a service started after the move serves the district from its new server
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as after:
        rebuilt = await after.get(base, params={"min_position": head}, headers=staff)
        assert rebuilt.status_code == 200, rebuilt.text
        assert rebuilt.json()["figures"] == before["figures"]
        assert rebuilt.json()["status"] == "submitted"
        frozen = await after.get(base, params={"version": "submitted"}, headers=staff)
        assert frozen.json()["figures"] == before["figures"]
        listed = await after.get(f"/v1/districts/{district.code}/audit/checkpoints", headers=bearer("auditor"))
        assert listed.json()["checkpoints"] == checkpoints_before["checkpoints"]
        assert listed.json()["checkpoints"][-1]["position"] == head
        verified = await after.get(f"/v1/districts/{district.code}/audit/verify", headers=bearer("auditor"))
        assert verified.json()["ok"] is True, verified.text
        assert await record(after, district, person_times=1) == head + 1
    service.state.runtime.tenants.refresh()  # as a restart would: the module's service learns of the move


async def test_the_citys_training_shows_in_the_reports_of_a_district_on_the_second_server(client, placed):
    away = placed["second"][2]
    a, b = away.town, away.other_town
    staff = bearer("district", away.code)
    stations = await client.post(f"/v1/districts/{away.code}/records", headers=staff, json={"records": [
        *compliant_station(a, f"{away.name}{away.towns[a]}民政服务站"),
        *compliant_station(b, f"{away.name}{away.towns[b]}民政服务站")]})
    assert stations.status_code == 200, stations.text
    held = await client.post("/v1/city/records", json={"records": [training_held(a)]}, headers=bearer("city"))
    assert held.status_code == 200, held.text
    waits = f"city:{held.json()['position']},{away.code}:{stations.json()['position']}"
    city = await client.get("/v1/city/reports/2025H1", params={"min_position": waits}, headers=bearer("city"))
    assert city.status_code == 200, city.text
    mine = next(d for d in city.json()["districts"] if d["district"] == away.code)
    assert mine["training"]["untrained_stations"] == [{"town": b, "name": away.towns[b]}]
    own = await client.get(f"/v1/districts/{away.code}/reports/2025H1", headers=staff)
    assert own.json()["training"]["untrained_stations"] == [{"town": b, "name": away.towns[b]}]
    then = await client.get(f"/v1/districts/{away.code}/reports/2025H1", headers=staff,
                            params={"as_of": "2099-01-01T00:00:00+08:00"})
    assert then.status_code == 200, then.text
    assert then.json()["training"]["untrained_stations"] == [{"town": b, "name": away.towns[b]}]


async def test_the_city_sees_the_plan_and_filing_of_a_district_on_the_second_server(client, placed):
    """The city's plan list read only the service's own database: a district placed elsewhere
    showed no plan, its filing status wrong."""
    away, home = placed["second"][1], placed["home"][1]
    for district in (away, home):
        staff = bearer("district", district.code)
        drafted = await client.post(f"/v1/districts/{district.code}/records", headers=staff,
                                    json={"records": [plan_record(planned(f"P-{district.code}", district.town))]})
        assert drafted.status_code == 200, drafted.text
        submitted = await client.post(f"/v1/districts/{district.code}/plans/2025/submit", headers=staff)
        assert submitted.status_code == 200, submitted.text
    filed = await client.post(f"/v1/city/plans/2025/districts/{away.code}/file", headers=bearer("city"))
    assert filed.status_code == 200, filed.text
    own = await client.get(f"/v1/districts/{away.code}/plans/2025", params={"min_position": filed.json()["position"]},
                           headers=bearer("district", away.code))
    assert own.status_code == 200 and own.json()["status"] == "filed", own.text
    await client.get(f"/v1/districts/{home.code}/plans/2025", params={"min_position": submitted.json()["position"]},
                     headers=bearer("district", home.code))

    city = await client.get("/v1/city/plans/2025", headers=bearer("city"))

    assert city.status_code == 200, city.text
    statuses = {d["district"]: d["status"] for d in city.json()["districts"]}
    assert (statuses[away.code], statuses[home.code]) == ("filed", "submitted")


async def test_report_show_reads_a_district_on_the_second_server_there(client, placed, cli):
    """`stations report show` reads a district where it is placed: it read the service's own
    database instead, where the district's tables are not (an error, or zeros where a copy of them
    lingered)."""
    away = placed["second"][0]
    position = await record(client, away, person_times=9)
    staff = bearer("district", away.code)
    read = await client.get(f"/v1/districts/{away.code}/reports/2025H1", params={"min_position": position},
                            headers=staff)
    assert read.status_code == 200, read.text
    expected = read.json()["figures"]["person_times"]
    assert expected >= 9

    shown = await cli("report", "show", "--district", away.code, "--period", "2025H1")

    assert shown.exit_code == 0, shown.output
    person_times = next(line for line in shown.output.splitlines() if line.strip().startswith("服务人次"))
    assert person_times.split()[-1] == f"{expected:,}"


async def test_a_city_bundle_reads_each_district_on_its_own_server(client, service, placed, runtime, second_server,
                                                                   tmp_path):
    """A new district on each server approved by the city, the city's report submitted: the city
    bundle holds each district's log as its own server keeps it, and verifies."""
    home, away = make_district(runtime), make_district(runtime, server=second_server)
    placed["second"].append(away)  # put back on the first server when the module is done
    service.state.runtime.tenants.refresh()
    city = bearer("city")
    for district in (home, away):
        answer = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("district", district.code),
                                   json={"records": compliant_station(district.town, sign(district, district.town))
                                         + [service_delivered(district.town, person_times=4)]})
        assert answer.status_code == 200, answer.text
        await approve_towns(client, district, [district.town], period=PERIOD)
        for step, who in ((f"/v1/districts/{district.code}/reports/{PERIOD}/submit", bearer("district", district.code)),
                          (f"/v1/city/reports/{PERIOD}/districts/{district.code}/approve", city)):
            answer = await caught_up(lambda step=step, who=who: client.post(step, headers=who))
            assert answer.status_code == 200, answer.text
        await signed(client, answer.json())
    await city_submitted(client)

    serving: Runtime = service.state.runtime
    written = await bundle.export_city(serving, PERIOD, "submitted")
    parts = {part["district"]: part for part in written["districts"]}
    assert {home.code, away.code} <= set(parts)
    assert await tables_on(second_server, away) == len(parts[away.code]["events"])  # its whole log, read there
    keyring = tmp_path / "keyring.pem"
    keyring.write_text(public_pem(serving.keyring()[written["checkpoint"]["key_id"]]))
    code, output = verify(tmp_path, written, keyring)
    assert code == 0, output
