"""Fuzzing every `/v1/` operation of the OpenAPI document with schemathesis.

Each operation gets schemathesis' explicit examples, its coverage cases (boundaries, missing
and malformed parameters, no token) and a few random ones, positive and negative. Every
request carries a valid token (the run's own district's, a city token for `/v1/city/`), and a
well-formed district or town in it is pointed at that district, so requests get past
authentication and reach validation and the domain. Every answer must be no 5xx (a 503 with
Retry-After excepted), as the document says (status, content type, headers, body schema), and
every 4xx an RFC 9457 problem with type, title, status and detail.

CI sends `STATIONS_FUZZ_EXAMPLES` (default 15) random examples per operation, the same ones
every run (derandomized). A long run:

    STATIONS_FUZZ_EXAMPLES=1000 python -m pytest tests/e2e/test_fuzz.py

The fuzz found seven bugs, all fixed; each has a regression test below.

How it reaches the app: the schema is the document `create_app()` makes (the first test checks
the running app serves exactly it), and each generated case is sent with httpx to the running
`app` fixture, on the session event loop its lifespan, pools and projection worker live on
(`Target.send`). Schemathesis' own ASGI transport (`from_asgi`, `case.call()`) is not used: it
starts the app's lifespan again, on an event loop of its own thread, which would bootstrap a
second runtime into `app.state` and use asyncpg pools from another loop.
"""

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from stations.app import create_app
from tests.builders import service_delivered
from tests.support import SampleDistrict, bearer, make_district, unstarted_settings

EXAMPLES = int(os.environ.get("STATIONS_FUZZ_EXAMPLES", "15"))

# The document the app makes (no database needed to make it); the first test checks it is the
# very document the running app serves at /openapi.json.
DOCUMENT = create_app(unstarted_settings()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT).include(path_regex=r"^/v1/")

PROBLEM_KEYS = ("type", "title", "status", "detail")


# -- checks ------------------------------------------------------------------------------------

def problem_details(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every 4xx answer is an RFC 9457 problem with type, title, status and detail."""
    if not 400 <= response.status_code < 500:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == "application/problem+json", (
        f"a {response.status_code} answered {content_type!r}, not application/problem+json")
    problem = response.json()
    missing = [key for key in PROBLEM_KEYS if not problem.get(key)]
    assert not missing, f"the problem lacks {missing}: {problem}"
    assert problem["status"] == response.status_code, f"status {problem['status']} in a {response.status_code}"


def no_server_error(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """No 5xx, except a 503 with Retry-After (the projections have not reached `min_position`)."""
    if response.status_code == 503 and response.headers.get("retry-after"):
        return
    assert response.status_code < 500, f"server error {response.status_code}: {response.text[:500]}"


INT64_MAX = 2**63 - 1

CHECKS = [no_server_error, problem_details, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


# -- the target --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """The running app, reached from schemathesis' synchronous tests on the loop it runs in."""
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    district: SampleDistrict

    def send(self, **request: Any) -> httpx.Response:
        response = self.loop.run_until_complete(self.client.request(**request))
        # A multipart body (an upload's) is streamed: read it, for schemathesis to show the request.
        self.loop.run_until_complete(response.request.aread())
        return response


@pytest.fixture(scope="module")
async def target(app: FastAPI) -> AsyncIterator[Target]:
    """The run's district, with a record, its third town's report and its own report submitted,
    so that reports, restatements and audit proofs (a checkpoint) have something to answer with."""
    district = make_district(app.state.runtime)
    # A crash must come back as the 500 a client would get, to be reported with its reproduction.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        staff, base, town = bearer("district", district.code), f"/v1/districts/{district.code}", list(district.towns)[2]
        written = await client.post(f"{base}/records", json={"records": [service_delivered(town)]}, headers=staff)
        assert written.status_code == 200, written.text
        for step in (f"towns/{town}/submit", "submit"):
            submitted = await client.post(f"{base}/reports/2025H1/{step}", headers=staff)
            assert submitted.status_code == 200, submitted.text
        yield Target(asyncio.get_running_loop(), client, district)


def _code(value: Any, digits: int) -> bool:
    return isinstance(value, str) and len(value) == digits and value.isdigit()


def aim(case: schemathesis.Case, district: SampleDistrict) -> None:
    """Point a well-formed district or town at the run's district, so requests reach the domain
    (a malformed one is left as generated, for validation to answer)."""
    towns = list(district.towns)
    path = case.path_parameters if case.path_parameters is not None else {}
    if _code(path.get("district"), 6):
        path["district"] = district.code
    if _code(path.get("town"), 9):
        path["town"] = towns[int(path["town"]) % len(towns)]
    if isinstance(case.body, dict) and isinstance(case.body.get("records"), list):
        for record in case.body["records"]:
            if isinstance(record, dict) and _code(record.get("town"), 9):
                record["town"] = towns[int(record["town"]) % len(towns)]


def token(path: str, district: SampleDistrict) -> dict[str, str]:
    return bearer("city") if path.startswith("/v1/city/") else bearer("district", district.code)


# -- the fuzz ----------------------------------------------------------------------------------

async def test_the_fuzzed_document_is_the_one_served(client):
    assert (await client.get("/openapi.json")).json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_documented(case: schemathesis.Case, target: Target):
    aim(case, target.district)
    request = case.as_transport_kwargs(base_url="http://test", headers=token(case.path, target.district))
    request.pop("cookies", None)
    if isinstance(request.get("data"), (bytes, str)):
        request["content"] = request.pop("data")

    response = target.send(**request)

    case.validate_response(response, checks=CHECKS, headers=request.get("headers"))


# -- what the fuzz found, kept fixed -------------------------------------------------------

SECURED = [(method.upper(), path) for path, operations in DOCUMENT["paths"].items() if path.startswith("/v1/")
           for method, operation in operations.items() if operation.get("security")]


def test_every_secured_operation_documents_401():
    undocumented = [f"{method} {path}" for method, path in SECURED
                    if "401" not in DOCUMENT["paths"][path][method.lower()]["responses"]]
    assert not undocumented, f"no 401 documented for {undocumented}"


async def test_a_422_is_documented_as_the_problem_it_is(client, district):
    answer = await client.get(f"/v1/districts/{district.code}/events", params={"limit": 0},
                              headers=bearer("district", district.code))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    documented = DOCUMENT["paths"]["/v1/districts/{district}/events"]["get"]["responses"]["422"]
    assert "application/problem+json" in documented.get("content", {}), documented


@pytest.mark.parametrize("request_", [
    ("GET", "/v1/districts/{d}/reports/0000H1"),
    ("GET", "/v1/districts/{d}/reports/0000H2/towns/{t}"),
    ("POST", "/v1/districts/{d}/reports/0000H1/towns/{t}/submit"),
    ("POST", "/v1/districts/{d}/reports/0000H1/submit"),
    ("GET", "/v1/city/reports/0000H1"),
    ("POST", "/v1/city/reports/0000H1/submit"),
], ids=lambda r: f"{r[0]} {r[1]}")
async def test_a_period_outside_2000_to_2099_is_refused_not_a_crash(request_, app, district):
    method, template = request_
    path = template.format(d=district.code, t=district.town)
    headers = bearer("city") if path.startswith("/v1/city/") else bearer("district", district.code)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.request(method, path, headers=headers)
    assert answer.status_code < 500, f"{method} {path}: {answer.status_code} {answer.text}"
    assert answer.headers["content-type"] == "application/problem+json"


async def test_the_city_reads_documented_answer_to_an_unknown_district(client):
    answer = await client.get("/v1/city/reports/2025H1", params={"min_position": "000000:0"}, headers=bearer("city"))
    documented = DOCUMENT["paths"]["/v1/city/reports/{period}"]["get"]["responses"]
    assert str(answer.status_code) in documented, f"{answer.status_code} not in {sorted(documented)}"


WITH_A_BODY = [(method.upper(), path) for path, operations in DOCUMENT["paths"].items() if path.startswith("/v1/")
               for method, operation in operations.items() if "requestBody" in operation]


@pytest.mark.parametrize("operation", WITH_A_BODY, ids=lambda o: f"{o[0]} {o[1]}")
async def test_a_body_that_is_not_utf8_gets_a_documented_answer(operation, client, district):
    method, template = operation
    path = template.format(district=district.code, town=district.town, period="2025H1", year=2025)
    headers = {**token(path, district), "content-type": "application/json"}
    answer = await client.request(method, path, content=b'{"reason": "\xff"}', headers=headers)
    assert answer.headers["content-type"] == "application/problem+json"
    documented = DOCUMENT["paths"][template][method.lower()]["responses"]
    assert str(answer.status_code) in documented, f"{answer.status_code} not in {sorted(documented)}"


async def test_an_after_beyond_a_bigint_is_refused_not_a_crash(app, district):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get(f"/v1/districts/{district.code}/events", params={"after": INT64_MAX + 1},
                                  headers=bearer("district", district.code))
    assert answer.status_code < 500, f"{answer.status_code} {answer.headers['content-type']}: {answer.text}"
