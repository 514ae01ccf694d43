"""The API the dashboard added: the vocabulary, the districts in a caller's scope, the
development sign-in (absent outside development), and why a report was returned."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from stations.app import create_app
from domain.vocabulary import TERMS
from stations.settings import Settings
from tests.builders import service_delivered
from tests.support import TEST_SECRET, SampleDistrict, bearer, make_district

PERIOD = "2025H1"


async def test_the_vocabulary_is_public_and_is_the_projects_own(client):
    answer = await client.get("/v1/vocabulary")

    assert answer.status_code == 200, answer.text
    groups = answer.json()["groups"]
    assert groups["report_status"]["returned"] == {"zh": "已退回", "en": "Returned"}
    assert groups["service_domain"]["elderly_care"]["zh"] == "老龄和养老"
    assert sorted((g, c, label["zh"], label["en"]) for g, codes in groups.items() for c, label in codes.items()) \
        == sorted((t.group, t.code, t.zh, t.en) for t in TERMS)


async def test_the_vocabulary_is_in_the_openapi_document(client):
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/vocabulary"]["get"]
    assert not operation.get("security"), "a public operation"
    assert "Vocabulary" in document["components"]["schemas"]


async def test_each_caller_is_listed_the_districts_in_its_scope(client, app_runtime):
    mine, theirs = make_district(app_runtime), make_district(app_runtime)

    as_district = (await client.get("/v1/districts", headers=bearer("district", mine.code))).json()["districts"]
    as_station = (await client.get("/v1/districts", headers=bearer("station", mine.code, mine.other_town))).json()
    as_city = (await client.get("/v1/districts", headers=bearer("city"))).json()["districts"]

    assert as_district == [{"code": mine.code, "name": mine.name,
                            "towns": [{"code": code, "name": name} for code, name in sorted(mine.towns.items())]}]
    assert as_station["districts"][0]["towns"] == [{"code": mine.other_town, "name": mine.towns[mine.other_town]}]
    listed = {d["code"]: d for d in as_city}
    assert {mine.code, theirs.code} <= set(listed)
    assert listed[theirs.code]["name"] == theirs.name
    assert (await client.get("/v1/districts")).status_code == 401


# -- the development sign-in -----------------------------------------------------------------

async def test_the_development_sign_in_does_not_exist_outside_development(client, district):
    document = (await client.get("/openapi.json")).json()
    assert not [path for path in document["paths"] if path.startswith("/v1/dev")]

    listed = await client.get("/v1/dev/sign-in")
    minted = await client.post("/v1/dev/sign-in", json={"role": "city"})

    assert listed.status_code == minted.status_code == 404
    assert minted.headers["content-type"] == "application/problem+json"


def test_with_no_environment_set_the_service_routes_no_sign_in(monkeypatch):
    monkeypatch.delenv("STATIONS_ENVIRONMENT", raising=False)
    settings = Settings(database_url="postgresql://unused@localhost/unused",
                        reader_database_url="postgresql://stations_reader@localhost/unused", jwt_secret=TEST_SECRET,
                        signing_key_file="/unused/key.pem")
    document = create_app(settings).openapi()
    assert settings.environment == "production"
    assert not [path for path in document["paths"] if path.startswith("/v1/dev")]
    development = create_app(settings.model_copy(update={"environment": "development"})).openapi()
    assert "/v1/dev/sign-in" in development["paths"]


@pytest.fixture(scope="module")
async def development_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The service in development mode (no projection worker of its own: the module's `app` runs one)."""
    app = create_app(settings.model_copy(update={"environment": "development", "run_projections": False}))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def development(development_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=development_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.mark.parametrize("caller", ["203.0.113.7", "10.0.0.2", "::ffff:198.51.100.1", "testclient"])
async def test_the_development_sign_in_answers_only_this_machine(caller, development_app):
    transport = httpx.ASGITransport(app=development_app, client=(caller, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as remote:
        listed = await remote.get("/v1/dev/sign-in")
        minted = await remote.post("/v1/dev/sign-in", json={"role": "admin"})

    assert listed.status_code == minted.status_code == 404, minted.text
    assert "token" not in minted.text


async def test_the_development_sign_in_offers_every_role_and_district(development, development_app):
    district = make_district(development_app.state.runtime)

    choices = (await development.get("/v1/dev/sign-in")).json()

    assert choices["roles"] == ["station", "town", "district", "city", "auditor", "admin", "province"]
    offered = next(d for d in choices["districts"] if d["code"] == district.code)
    assert [t["code"] for t in offered["towns"]] == sorted(district.towns)


async def test_a_development_token_works_on_the_api(development, development_app, client, app):
    district = make_district(development_app.state.runtime)
    app.state.runtime.tenants.refresh()

    minted = await development.post("/v1/dev/sign-in", json={"role": "station", "district": district.code,
                                                              "town": district.town})
    assert minted.status_code == 200, minted.text
    station = {"Authorization": f"Bearer {minted.json()['token']}"}

    own = await client.get(f"/v1/districts/{district.code}/reports/{PERIOD}/towns/{district.town}", headers=station)
    other = await client.get(f"/v1/districts/{district.code}/reports/{PERIOD}/towns/{district.other_town}",
                             headers=station)
    assert own.status_code == 200, own.text
    assert other.status_code == 403
    assert minted.json() | {"token": None} == {"token": None, "role": "station", "district": district.code,
                                               "town": district.town, "expires_in_hours": 8}


@pytest.mark.parametrize("request_", [
    {"role": "station", "district": "{d}"},  # a station needs its town
    {"role": "district"},  # a district caller needs its district
    {"role": "district", "district": "999999"},  # no such district
    {"role": "station", "district": "{d}", "town": "{o}"},  # a town of another district
    {"role": "mayor"},
], ids=["station-without-town", "district-without-district", "unknown-district", "foreign-town", "unknown-role"])
async def test_the_development_sign_in_refuses_claims_that_do_not_fit(request_, development, development_app):
    district, other = make_district(development_app.state.runtime), make_district(development_app.state.runtime)
    body = {k: v.format(d=district.code, o=other.town) for k, v in request_.items()}

    answer = await development.post("/v1/dev/sign-in", json=body)

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"].startswith("请求有误")


# -- why a report was returned ----------------------------------------------------------------

async def _post(client: httpx.AsyncClient, path: str, headers: dict, body: dict | None = None) -> int:
    answer = await client.post(path, json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["position"]


async def _district_report(client: httpx.AsyncClient, district: SampleDistrict, position: int) -> dict:
    answer = await client.get(f"/v1/districts/{district.code}/reports/{PERIOD}", params={"min_position": position},
                              headers=bearer("district", district.code))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_returned_report_says_why_until_it_is_submitted_again(client, district):
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{PERIOD}"
    await _post(client, f"/v1/districts/{district.code}/records", staff, {"records": [service_delivered(district.town)]})
    await _post(client, f"{base}/towns/{district.town}/submit", staff)
    returned = await _post(client, f"{base}/towns/{district.town}/return", staff, {"reason": "服务台账缺页"})

    report = await _district_report(client, district, returned)
    towns = {t["town"]: t for t in report["towns"]}
    assert towns[district.town]["return_reason"] == "服务台账缺页"
    assert towns[district.other_town]["return_reason"] is None
    assert report["return_reason"] is None
    town = await client.get(f"{base}/towns/{district.town}", headers=staff)
    assert town.json()["return_reason"] == "服务台账缺页"

    resubmitted = await _post(client, f"{base}/towns/{district.town}/submit", staff)
    report = await _district_report(client, district, resubmitted)
    assert {t["town"]: t for t in report["towns"]}[district.town]["return_reason"] is None


async def test_the_city_sees_why_it_returned_a_district(client, district):
    staff, city = bearer("district", district.code), bearer("city")
    submitted = await _post(client, f"/v1/districts/{district.code}/reports/{PERIOD}/submit", staff)
    returned = await _post(client, f"/v1/city/reports/{PERIOD}/districts/{district.code}/return", city,
                           {"reason": "缺少核心项目说明"})
    assert returned > submitted

    answer = await client.get(f"/v1/city/reports/{PERIOD}", params={"min_position": f"{district.code}:{returned}"},
                              headers=city)

    assert answer.status_code == 200, answer.text
    part = next(d for d in answer.json()["districts"] if d["district"] == district.code)
    assert (part["status"], part["return_reason"]) == ("returned", "缺少核心项目说明")
    assert part["timeliness"]["state"] == "late", "submitted after the half year's deadline"
