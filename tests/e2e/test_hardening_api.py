"""The service as an attacker meets it: no body read before the token, security headers on every
answer, readiness details for the city and admins only, its own `/docs` assets, request ids it
can trust."""

import asyncio
import csv
import io
import random
import re
import time
import uuid

import httpx
import jwt
import openpyxl
import pytest
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI

from domain.divisions import DistrictVersion, TownVersion
from tests.builders import service_delivered
from tenants import registry
from tests.support import TEST_SECRET, SampleDistrict, bearer, make_district

FOUR_MIB = 4 * 1024 * 1024
# Spelled out here rather than imported, so that this module runs against code that lacks them.
SECURITY_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "referrer-policy": "no-referrer"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def writes(app: FastAPI) -> list[str]:
    """Every path template of the app that takes a POST, as its document lists them."""
    return sorted(path for path, operations in app.openapi()["paths"].items() if "post" in operations)


async def call_without_reading(app: FastAPI, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST a body of 4 MiB, the most the service takes, straight into the app; its status and how
    many times the app asked for the body (an app that parses the body must ask)."""
    asked, status = 0, 0
    body = b'{"records": [' + b" " * (FOUR_MIB - 15) + b"]}"

    async def receive():
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"test"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()), *headers],
             "client": ("127.0.0.1", 5000), "server": ("test", 80), "state": {}, "app": app}
    await app(scope, receive, send)
    return status, asked


def signed(**claims) -> str:
    """An admin token signed with the service's secret, with these claims instead of the right ones."""
    now = int(time.time())
    return jwt.encode({"sub": "x", "role": "admin", "iat": now, "exp": now + 3600, "iss": "stations",
                       "aud": "stations-api", "jti": uuid.uuid4().hex, **claims}, TEST_SECRET, algorithm="HS256")


OTHER_AUDIENCE, OTHER_ISSUER = signed(aud="another-service"), signed(iss="someone-else")


@pytest.mark.parametrize("authorization", [None, b"Bearer not-a-token", b"Basic dXNlcjpwYXNz",
                                           f"Bearer {OTHER_AUDIENCE}".encode(), f"Bearer {OTHER_ISSUER}".encode()],
                         ids=["no-token", "bad-token", "not-bearer", "another-audience", "another-issuer"])
async def test_an_anonymous_4_mib_body_is_answered_401_without_being_read(app, authorization):
    district = make_district(app.state.runtime)
    headers = [(b"authorization", authorization)] if authorization else []
    paths = [re.sub(r"\{district\}", district.code, p).replace("{period}", "2025H1").replace("{town}", district.town)
             .replace("{year}", "2025") for p in writes(app)]
    assert "/v1/districts/{district}/records" in writes(app) and len(paths) >= 10

    answers = [await call_without_reading(app, path, headers) for path in paths]

    assert answers == [(401, 0)] * len(paths), dict(zip(paths, answers, strict=True))


async def test_a_token_is_checked_before_the_write_routes_body_is_parsed(app):
    district = make_district(app.state.runtime)
    other = make_district(app.state.runtime)
    path = f"/v1/districts/{district.code}/records"
    someone_elses = [(b"authorization", bearer("district", other.code)["Authorization"].encode())]
    # The city writes its inspections into a district's store (duties); an auditor writes nothing.
    auditor = [(b"authorization", bearer("auditor")["Authorization"].encode())]

    assert await call_without_reading(app, path, someone_elses) == (404, 0)
    assert await call_without_reading(app, path, auditor) == (403, 0)


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/v1/vocabulary", "/v1/districts",
                                  "/v1/no-such-thing", "/v1/districts/{d}/reports/2025H1",
                                  "/v1/districts/{d}/reports/2025H1.xlsx", "/ui/", "/docs"])
async def test_every_answer_carries_the_security_headers(client, district, path):
    answer = await client.get(path.format(d=district.code), headers=bearer("district", district.code))

    assert answer.headers["x-content-type-options"] == "nosniff", answer.headers
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    if not path.startswith(("/ui/", "/docs")):  # the dashboard's files are revalidated, not refetched
        assert answer.headers["cache-control"] == "no-store"


async def test_a_refused_write_carries_them_too(client, district):
    answer = await client.post(f"/v1/districts/{district.code}/records", json={"records": []})
    assert answer.status_code == 401
    assert SECURITY_HEADERS.items() <= dict(answer.headers).items()


async def test_docs_load_nothing_from_another_origin(client):
    pages = [await client.get("/docs"), await client.get("/redoc")]

    for page in pages:
        assert page.status_code == 200
        assets = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
        assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
        for asset in assets:
            assert (await client.get(asset)).status_code == 200, asset
        assert "default-src 'self'" in page.headers["content-security-policy"]


# -- readiness ------------------------------------------------------------------------------

@pytest.fixture
async def unready_app(settings) -> FastAPI:
    """A service whose background work has stopped (a finished task named after a district)."""
    from stations.app import create_app

    app = create_app(settings.model_copy(update={"run_projections": False}))
    async with app.router.lifespan_context(app):
        stopped = asyncio.get_running_loop().create_task(asyncio.sleep(0), name="projections-of-350203")
        await stopped
        app.state.background.append(stopped)
        yield app


@pytest.mark.parametrize("headers", [{}, bearer("district", "350203"), bearer("auditor"),
                                     {"Authorization": "Bearer forged"}],
                         ids=["anonymous", "district", "auditor", "bad-token"])
async def test_readyz_tells_anyone_but_the_city_and_admins_only_not_ready(unready_app, headers):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=unready_app), base_url="http://test") as c:
        answer = await c.get("/readyz", headers=headers)

    assert answer.status_code == 503 and answer.headers["retry-after"]
    assert "350203" not in answer.text and "background" not in answer.text
    assert answer.json()["detail"] == "未就绪 / not ready"


@pytest.mark.parametrize("role", ["city", "admin"])
async def test_readyz_tells_the_city_and_admins_why(unready_app, role):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=unready_app), base_url="http://test") as c:
        answer = await c.get("/readyz", headers=bearer(role))

    assert answer.status_code == 503 and "projections-of-350203" in answer.json()["detail"]


# -- X-Request-ID ---------------------------------------------------------------------------

async def stored_request_id(client: httpx.AsyncClient, district: SampleDistrict, given: str) -> str:
    staff = bearer("district", district.code)
    written = await client.post(f"/v1/districts/{district.code}/records", json={"records": [
        service_delivered(district.town)]}, headers={**staff, "X-Request-ID": given})
    assert written.status_code == 200, written.text
    position = written.json()["position"]
    log = await client.get(f"/v1/districts/{district.code}/events", params={"after": position - 1, "limit": 1},
                           headers=staff)
    return log.json()["events"][0]["request_id"]


async def test_a_safe_request_id_is_kept_with_the_events(client, district):
    assert await stored_request_id(client, district, "batch-2025.03:17_a") == "batch-2025.03:17_a"


@pytest.mark.parametrize("given", ["13912345678", "R-139 1234 5678", "x" * 129, "<script>alert(1)</script>",
                                   "id with spaces", "35020319900101123X", "-leading-dash"])
async def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(client, district, given):
    stored = await stored_request_id(client, district, given)
    assert stored != given and uuid.UUID(stored)


# -- return reasons: free text stored in events, screened like every other ------------------

@pytest.mark.parametrize("reason", ["请联系 139 1234 5678", "身份证３５０２０３１９８５１２３１００２６", "+86-13912345678 退回"])
async def test_a_return_reason_holding_personal_data_is_refused_and_nothing_changes(client, district, reason):
    staff, city, base = bearer("district", district.code), bearer("city"), f"/v1/districts/{district.code}"
    written = await client.post(f"{base}/records", json={"records": [service_delivered(district.town)]}, headers=staff)
    assert (await client.post(f"{base}/reports/2025H1/towns/{district.town}/submit", headers=staff)).status_code == 200
    assert (await client.post(f"{base}/reports/2025H1/submit", headers=staff)).status_code == 200
    log = await client.get(f"{base}/events", params={"after": written.json()["position"]}, headers=staff)

    returns = [(f"{base}/reports/2025H1/towns/{district.town}/return", staff),
               (f"/v1/city/reports/2025H1/districts/{district.code}/return", city),
               (f"/v1/city/plans/2025/districts/{district.code}/return", city)]
    answers = [await client.post(path, json={"reason": reason}, headers=headers) for path, headers in returns]

    assert [a.status_code for a in answers] == [422] * 3, [a.text for a in answers]
    assert all(a.json()["errors"][0]["field"] == "reason" for a in answers)
    assert (await client.get(f"{base}/events", params={"after": written.json()["position"]},
                             headers=staff)).json() == log.json()


@pytest.mark.parametrize("reason", ["请联系 139 1234 5678", "身份证３５０２０３１９８５１２３１００２６"])
async def test_an_incomplete_reason_holding_personal_data_is_refused_and_nothing_changes(client, district, reason):
    staff, city, base = bearer("district", district.code), bearer("city"), f"/v1/districts/{district.code}"
    written = await client.post(f"{base}/records", json={"records": [service_delivered(district.town)]}, headers=staff)
    log = await client.get(f"{base}/events", params={"after": written.json()["position"]}, headers=staff)

    answers = [await client.post(f"{base}/reports/2025H1/submit", json={"incomplete_reason": reason}, headers=staff),
               await client.post("/v1/city/reports/2025H1/submit", json={"incomplete_reason": reason}, headers=city)]

    assert [a.status_code for a in answers] == [422] * 2, [a.text for a in answers]
    assert all(a.json()["errors"][0]["field"] == "incomplete_reason" for a in answers)
    assert (await client.get(f"{base}/events", params={"after": written.json()["position"]},
                             headers=staff)).json() == log.json()


# -- exports: a name that looks like a formula stays text ----------------------------------

FORMULAS = ['=HYPERLINK("http://203.0.113.9/x","点此查看")', "+SUM(1,2)", "-2+3", "@cmd", "\tTAB", "\r=1"]


def district_named_like_formulas(runtime) -> SampleDistrict:
    while True:
        code = f"{random.randrange(700_000, 1_000_000)}"
        towns = {f"{code}{n:03d}": name for n, name in enumerate(FORMULAS, start=1)}
        try:
            registry.register(runtime.datastore, [DistrictVersion(code, f"={code}+1区")],
                              [TownVersion(t, code, n, "街道") for t, n in towns.items()])
        except IntegrityError:
            continue
        runtime.tenants.refresh()
        return SampleDistrict(code, f"={code}+1区", towns)


async def test_exports_neutralise_cells_that_look_like_formulas(client, app):
    district = district_named_like_formulas(app.state.runtime)
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    written = await client.post(f"/v1/districts/{district.code}/records", headers=staff,
                                json={"records": [service_delivered(t) for t in district.towns]})
    position = written.json()["position"]

    book = await client.get(f"{base}.xlsx", params={"min_position": position}, headers=staff)
    sheet = await client.get(f"{base}.csv", params={"min_position": position}, headers=staff)

    assert book.status_code == sheet.status_code == 200, (book.text, sheet.text)
    cells = [c for ws in openpyxl.load_workbook(io.BytesIO(book.content)).worksheets for row in ws.iter_rows()
             for c in row if c.value is not None]
    assert not [c.value for c in cells if c.data_type == "f" or str(c.value).startswith(FORMULA_STARTS)]
    assert {f"'{name}" for name in FORMULAS[:-1]} <= {c.value for c in cells}  # XML keeps no bare CR
    fields = [f for line in csv.reader(io.StringIO(sheet.text.removeprefix("\ufeff"))) for f in line]
    assert not [f for f in fields if f.startswith(FORMULA_STARTS) and not re.fullmatch(r"-[0-9.]+", f)]
    assert any(f.startswith(f"'{FORMULAS[0]}") for f in fields)


# -- numeric query parameters are bounded -----------------------------------------------------

HUGE = "9" * 4300


@pytest.mark.parametrize("path, params", [
    ("/v1/districts/{d}/reports/2025H1", {"min_position": HUGE}),
    ("/v1/districts/{d}/reports/2025H1", {"min_position": "9" * 5000}),
    ("/v1/districts/{d}/reports/2025H1", {"min_position": str(2**63)}),
    ("/v1/districts/{d}/reports/2025H1/towns/{t}", {"min_position": HUGE}),
    ("/v1/districts/{d}/reports/2025H1.xlsx", {"min_position": HUGE}),
    ("/v1/districts/{d}/events", {"after": HUGE}),
    ("/v1/districts/{d}/events", {"limit": HUGE}),
    ("/v1/city/reports/2025H1", {"min_position": f"{{d}}:{HUGE}"}),
    ("/v1/city/reports/2025H1", {"min_position": f"{{d}}:{2**63}"}),
    ("/v1/city/reports/2025H1.csv", {"min_position": f"city:{HUGE}"}),
    ("/v1/districts/{d}/plans/2025", {"min_position": HUGE}),
])
async def test_a_numeric_query_parameter_out_of_bounds_is_a_422_problem(client, district, path, params):
    answer = await client.get(path.format(d=district.code, t=district.town),
                              params={k: v.format(d=district.code) for k, v in params.items()}, headers=bearer("city"))

    assert answer.status_code == 422, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json" and answer.json()["errors"]
