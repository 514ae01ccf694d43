"""Who may call what: an access matrix generated from the app's own routes.

Every `/v1/` route the app serves is looked up in `POLICY`, the one table of who may call it
(the HTTP contract, API.md, "Conventions" → Auth, and the code for routes it does not name). A route nobody added to the table fails
`test_every_route_has_a_policy` (and each of its matrix cases), so a new endpoint cannot ship
without someone deciding who may call it.

For each route × role × scope the matrix expects:

- no token (or a bad one): 401 with `WWW-Authenticate: Bearer`;
- a district or station caller naming another district in a `/v1/districts/{district}/...`
  path: 404, the very answer an unknown district gets (no hint that the district exists);
- a role the table does not list, inside its scope: 403;
- the province naming any district in a `/v1/districts/{district}/...` path: 404 (it sees no
  district; its own is the city's report);
- a station or a town naming another town of its own district (in the path, or in a record it sends): 403;
- an allowed role in scope: "through": 2xx, or 409 when the report's state forbids the step
  (approving a draft), or 503 with `Retry-After` when the projections are behind;
- a route open to `anonymous` in the table (the audit public key) answers without a token.

Scopes: `own` (the caller's district, and for a station or a town its town), `foreign` (another district),
`other-town` (a station's or a town's own district, another town), `any` (city, auditor and admin see every
district; the province none; also any caller on a route naming no district). City-level routes
(`/v1/city/...`) lie in no district's scope: a district or station caller is refused them with
403 whichever district the path names, and that 403 is the same for its own, another and an
unknown district (`test_city_routes_refuse_district_callers_alike`).

Every error is RFC 9457 `application/problem+json` with type, title, status and detail.
"""

import string
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from api import deps, problems
from projections.connections import scoped
from service.queries import read_pool
from stations.app import create_app
from tenants.stores import events_table, records_table, store_schema
from tests.builders import inspection_done, project_contracted, service_delivered, training_held
from tests.support import SampleDistrict, bearer, caught_up, make_district, signed, unstarted_settings

PERIOD = "2025H1"
UNKNOWN_DISTRICT = "999999"
ROLES = ("station", "town", "district", "city", "auditor", "admin", "province")
ANONYMOUS = "anonymous"

STATION, TOWN, DISTRICT, CITY, AUDITOR, ADMIN, PROVINCE = ROLES
TOWN_SCOPED = frozenset({STATION, TOWN})  # the provider's station and the town government: one town each
READERS = frozenset({DISTRICT, CITY, AUDITOR, ADMIN})
PUBLIC = frozenset({*ROLES, ANONYMOUS})  # no token needed

# (method, path template) -> the roles allowed to call it (ANONYMOUS among them: no token
# needed). A station is always limited to its own town (the town in the path, or the town of
# every record it sends).
POLICY: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/v1/districts/{district}/records"): frozenset({STATION, TOWN, DISTRICT, CITY}),  # each its duties
    ("GET", "/v1/districts/{district}/events"): READERS,
    ("GET", "/v1/districts/{district}/reports/{period}"): READERS,
    ("GET", "/v1/districts/{district}/reports/{period}/towns/{town}"): READERS | TOWN_SCOPED,
    ("GET", "/v1/districts/{district}/reports/{period}/lineage"): READERS,
    ("GET", "/v1/districts/{district}/reports/{period}/restatement"): READERS,
    ("GET", "/v1/districts/{district}/reports/{period}/replay"): READERS,
    ("GET", "/v1/districts/{district}/reports/{period}/towns/{town}/replay"): READERS,
    ("GET", "/v1/districts/{district}/reports/{period}/preview"): READERS,
    ("GET", "/v1/city/reports/{period}/preview"): frozenset({CITY, PROVINCE, AUDITOR, ADMIN}),
    ("POST", "/v1/districts/{district}/reports/{period}/towns/{town}/submit"): frozenset({TOWN, DISTRICT}),
    ("POST", "/v1/districts/{district}/reports/{period}/towns/{town}/approve"): frozenset({DISTRICT}),
    ("POST", "/v1/districts/{district}/reports/{period}/towns/{town}/return"): frozenset({DISTRICT}),
    ("POST", "/v1/districts/{district}/reports/{period}/submit"): frozenset({DISTRICT}),
    ("GET", "/v1/city/reports/{period}"): frozenset({CITY, PROVINCE, AUDITOR, ADMIN}),
    # The downloads answer whoever may read the JSON report they render.
    ("GET", "/v1/districts/{district}/reports/{period}.xlsx"): READERS,
    ("GET", "/v1/districts/{district}/reports/{period}.csv"): READERS,
    ("GET", "/v1/districts/{district}/reports/{period}/towns/{town}.xlsx"): READERS | TOWN_SCOPED,
    ("GET", "/v1/districts/{district}/reports/{period}/towns/{town}.csv"): READERS | TOWN_SCOPED,
    ("GET", "/v1/city/reports/{period}.xlsx"): frozenset({CITY, PROVINCE, AUDITOR, ADMIN}),
    ("GET", "/v1/city/reports/{period}.csv"): frozenset({CITY, PROVINCE, AUDITOR, ADMIN}),
    ("POST", "/v1/city/reports/{period}/districts/{district}/approve"): frozenset({CITY}),
    ("POST", "/v1/city/reports/{period}/districts/{district}/return"): frozenset({CITY}),
    ("POST", "/v1/city/reports/{period}/submit"): frozenset({CITY}),
    # API.md, "The chain composes": the province reads, approves or returns the city's report, nothing else.
    ("POST", "/v1/city/reports/{period}/approve"): frozenset({PROVINCE}),
    ("POST", "/v1/city/reports/{period}/return"): frozenset({PROVINCE}),
    # docs/audit.md: the key is published, for anyone to check a bundle's checkpoints with.
    ("GET", "/v1/audit/public-key"): PUBLIC,
    # The dashboard's (web/): codes and labels are no secret; each caller is listed its own scope.
    ("GET", "/v1/vocabulary"): PUBLIC,
    ("GET", "/v1/districts"): frozenset(ROLES),
    ("GET", "/v1/periods"): frozenset(ROLES),
    ("GET", "/v1/districts/{district}/audit/checkpoints"): READERS,
    ("GET", "/v1/districts/{district}/audit/proofs/inclusion"): READERS,
    ("GET", "/v1/districts/{district}/audit/proofs/consistency"): READERS,
    ("GET", "/v1/districts/{district}/audit/verify"): READERS,
    # The guide, section 四: a district writes its plans, the city files or returns them and
    # records its own training sessions.
    ("GET", "/v1/districts/{district}/plans/{year}"): READERS,
    ("POST", "/v1/districts/{district}/plans/{year}/submit"): frozenset({DISTRICT}),
    ("GET", "/v1/city/plans/{year}"): frozenset({CITY, AUDITOR, ADMIN}),
    ("POST", "/v1/city/plans/{year}/districts/{district}/file"): frozenset({CITY}),
    ("POST", "/v1/city/plans/{year}/districts/{district}/return"): frozenset({CITY}),
    ("POST", "/v1/city/records"): frozenset({CITY}),
    # Issue 38: an aggregate's state as of a moment and its timeline; a station's as its town's report.
    ("GET", "/v1/districts/{district}/towns/{town}/station"): READERS | TOWN_SCOPED,
    ("GET", "/v1/districts/{district}/towns/{town}/station/history"): READERS | TOWN_SCOPED,
    ("GET", "/v1/districts/{district}/projects/{project}"): READERS,
    ("GET", "/v1/districts/{district}/projects/{project}/history"): READERS,
    ("GET", "/v1/districts/{district}/plans/{year}/history"): READERS,
    ("GET", "/v1/districts/{district}/inspections/{inspection}"): READERS,
    # A spreadsheet of records: whoever may send them as JSON, each its duties; its template is public.
    ("POST", "/v1/districts/{district}/imports"): frozenset({STATION, TOWN, DISTRICT, CITY}),
    ("GET", "/v1/templates/{record_type}.xlsx"): PUBLIC,
    ("GET", "/v1/templates/{record_type}.csv"): PUBLIC,
}
MATRIX_PROJECT = "P-matrix-0001"  # contracted in each district of the module (`tenants`)
MATRIX_INSPECTION = "insp-matrix-0001"  # recorded in the module's district `mine`

# Every route the HTTP contract (API.md) names. Those not served yet are strict xfails below:
# the day one is added, its xfail fails; then remove it from PROMISED_BUT_MISSING and give it a POLICY.
CONTRACT_ROUTES = sorted({
    ("POST", "/v1/districts/{district}/records"),
    ("GET", "/v1/districts/{district}/reports/{period}"),
    ("GET", "/v1/districts/{district}/reports/{period}/towns/{town}"),
    ("GET", "/v1/city/reports/{period}"),
    ("POST", "/v1/districts/{district}/reports/{period}/towns/{town}/submit"),
    ("POST", "/v1/districts/{district}/reports/{period}/towns/{town}/approve"),
    ("POST", "/v1/districts/{district}/reports/{period}/towns/{town}/return"),
    ("POST", "/v1/districts/{district}/reports/{period}/submit"),
    ("POST", "/v1/city/reports/{period}/districts/{district}/approve"),
    ("POST", "/v1/city/reports/{period}/districts/{district}/return"),
    ("POST", "/v1/city/reports/{period}/submit"),
    ("POST", "/v1/city/reports/{period}/approve"),
    ("POST", "/v1/city/reports/{period}/return"),
    ("GET", "/v1/districts/{district}/events"),
    ("GET", "/v1/districts/{district}/reports/{period}/lineage"),
    ("GET", "/v1/districts/{district}/audit/verify"),
})
PROMISED_BUT_MISSING: set[tuple[str, str]] = set()


def api_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, path template, route) of every API route the app serves, wherever it was included.

    FastAPI 0.16x keeps an included router as one entry of `app.routes`; its routes, with
    their prefixes, come from `fastapi.routing.iter_route_contexts`.
    """
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:
        found = ((route.path, route.methods, route) for route in app.routes)
    else:
        found = ((context.path, context.methods, context.original_route) for context in contexts(app.routes))
    for path, methods, route in found:
        if isinstance(route, APIRoute):
            for method in methods or ():
                yield method, path, route


def served_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) under /v1/ the app serves."""
    return sorted({(method, path) for method, path, _ in api_routes(app) if path.startswith("/v1/")})


def _collection_app() -> FastAPI:
    # Routes are added when the app is made; its lifespan (and so the database) is never started.
    return create_app(unstarted_settings())


_COLLECTED = _collection_app()
ROUTES = served_routes(_COLLECTED)
TAKES_A_BODY = {(method.upper(), path) for path, operations in _COLLECTED.openapi()["paths"].items()
                for method, operation in operations.items() if "requestBody" in operation}  # as documented
REQUIRED_QUERY = {(method.upper(), path): sorted(p["name"] for p in operation.get("parameters", [])
                                                 if p["in"] == "query" and p.get("required"))
                  for path, operations in _COLLECTED.openapi()["paths"].items()
                  for method, operation in operations.items()}


def params_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def district_scoped(template: str) -> bool:
    return template.startswith("/v1/districts/{district}")


def town_scoped(template: str) -> bool:
    """Whether a station is limited to its own town here: a town in the path, or records it sends."""
    return "{town}" in template or (district_scoped(template) and template.endswith(("/records", "/imports")))


@dataclass(frozen=True)
class Case:
    method: str
    template: str
    role: str
    scope: str

    @property
    def id(self) -> str:
        return f"{self.method} {self.template} as {self.role} {self.scope}"

    @property
    def expected(self) -> str:
        """"401", "403", "404" or "through"."""
        if self.role == ANONYMOUS:
            return "through" if ANONYMOUS in POLICY[(self.method, self.template)] else "401"
        if self.scope == "foreign" and district_scoped(self.template):
            return "404"
        if self.role == PROVINCE and district_scoped(self.template):
            return "404"  # the province sees no district: every one is outside its scope
        if self.role not in POLICY[(self.method, self.template)]:
            return "403"
        if self.scope == "other-town":
            return "403"
        return "through"


def scopes(template: str, role: str) -> list[str]:
    if role == ANONYMOUS or role in (CITY, AUDITOR, ADMIN, PROVINCE) or "{district}" not in template:
        return ["any"]
    found = ["own", "foreign"]
    if role in TOWN_SCOPED and town_scoped(template):
        found.append("other-town")
    return found


def matrix() -> Iterator[pytest.param]:
    for method, template in ROUTES:
        if (method, template) not in POLICY:
            yield pytest.param(Case(method, template, "?", "?"), id=f"{method} {template} MISSING FROM POLICY")
            continue
        for role in (*ROLES, ANONYMOUS):
            for scope in scopes(template, role):
                case = Case(method, template, role, scope)
                yield pytest.param(case, id=case.id)


MATRIX = list(matrix())


# -- the districts and the requests ---------------------------------------------------------

@dataclass(frozen=True)
class Tenants:
    mine: SampleDistrict
    theirs: SampleDistrict
    query: dict[str, str]  # values for the required query parameters, valid in `mine`


@pytest.fixture(scope="module")
async def tenants(app: FastAPI) -> Tenants:
    """Two districts for the whole module, registered in the running app's registry, each with a
    record. `mine` also has its first and third
    towns' reports and its own report submitted, so that its audit routes have a signed checkpoint
    and its restatement and replays a submitted version to answer with (a 404 there would read as a refusal)."""
    runtime = app.state.runtime
    mine, theirs = make_district(runtime), make_district(runtime)
    assert not runtime.tenants.knows(UNKNOWN_DISTRICT), f"{UNKNOWN_DISTRICT} was drawn as a test district"
    staff, base = bearer(DISTRICT, mine.code), f"/v1/districts/{mine.code}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        written = await client.post(f"/v1/districts/{theirs.code}/records",
                                    json={"records": [service_delivered(theirs.town)]},
                                    headers=bearer(DISTRICT, theirs.code))
        assert written.status_code == 200, written.text
        third_town = list(mine.towns)[2]
        written = await client.post(f"{base}/records", json={"records": [
            service_delivered(third_town), project_contracted(mine.town, MATRIX_PROJECT),
            inspection_done(mine.town, id=MATRIX_INSPECTION)]}, headers=staff)
        assert written.status_code == 200, written.text
        for step in (f"towns/{mine.town}/submit", f"towns/{third_town}/submit", "submit"):  # each waits for the projections to reach the log's head
            submitted = await caught_up(lambda step=step: client.post(f"{base}/reports/{PERIOD}/{step}", headers=staff))
            assert submitted.status_code == 200, submitted.text
            await signed(client, submitted.json())
        listed = await client.get(f"{base}/audit/checkpoints", headers=staff)
        assert listed.status_code == 200, listed.text
    tree_size = str(listed.json()["checkpoints"][-1]["tree_size"])
    return Tenants(mine, theirs, {"position": "1", "first": tree_size, "second": tree_size,
                                  "figure": "by_domain.elderly_care.person_times"})


def token(role: str, mine: SampleDistrict) -> dict[str, str]:
    if role == ANONYMOUS:
        return {}
    if role in TOWN_SCOPED:
        return bearer(role, mine.code, mine.town)
    if role == DISTRICT:
        return bearer(DISTRICT, mine.code)
    return bearer(role)


def target(case: Case, tenants: Tenants) -> tuple[str, str]:
    """The district and town the request names."""
    if case.scope == "foreign":
        return tenants.theirs.code, tenants.theirs.town
    if case.scope == "other-town":
        return tenants.mine.code, tenants.mine.other_town
    return tenants.mine.code, tenants.mine.town


def fill(template: str, district: str, town: str) -> str:
    values = {"district": district, "town": town, "period": PERIOD, "year": PERIOD[:4], "project": MATRIX_PROJECT,
              "inspection": MATRIX_INSPECTION, "record_type": "service_delivered"}
    unknown = params_of(template) - set(values)
    if unknown:
        pytest.fail(f"the access matrix does not know how to fill {sorted(unknown)} in {template}:"
                    " teach fill() in tests/e2e/test_access_matrix.py")
    return template.format(**values)


def body(method: str, template: str, town: str, role: str | None = None) -> dict | None:
    """A valid body; for a batch of records, records of the caller's duty (the city's: its inspection)."""
    if (method, template) not in TAKES_A_BODY:
        return None
    if template == "/v1/city/records":
        return {"records": [training_held(town)]}
    if template.endswith("/records"):
        return {"records": [inspection_done(town, by="city") if role == CITY else service_delivered(town)]}
    if template.endswith("/return"):
        return {"reason": "数据有误"}
    if template.endswith("/submit"):  # its body is optional
        return None
    pytest.fail(f"{method} {template} takes a body the access matrix does not know:"
                " teach body() in tests/e2e/test_access_matrix.py")


def query(method: str, template: str, tenants: Tenants) -> dict[str, str]:
    required = REQUIRED_QUERY.get((method, template), [])
    unknown = set(required) - set(tenants.query)
    if unknown:
        pytest.fail(f"{method} {template} requires query parameters {sorted(unknown)} the access matrix does not"
                    " know: add values to Tenants.query in tests/e2e/test_access_matrix.py")
    return {name: tenants.query[name] for name in required}


def upload(town: str, role: str | None) -> dict[str, tuple[str, bytes, str]]:
    """A CSV of one record of the caller's duty, as `POST .../imports` takes it."""
    if role == CITY:
        name, lines = "inspection_done.csv", ["镇(街道)代码,发生日期,类型,检查范围,检查层级,检查发现,是否发现问题",
                                              f"{town},2025-04-10,spot_check,execution,city,台账不全,否"]
    else:
        name, lines = "service_delivered.csv", ["镇(街道)代码,发生日期,服务领域,服务类型,服务对象类别,服务对象编号,服务时长（小时）",
                                                f"{town},2025-03-18,elderly_care,visit,living_alone_elderly,R-0001,1.5"]
    return {"file": (name, "\r\n".join(lines).encode(), "text/csv")}


async def send(client: httpx.AsyncClient, tenants: Tenants, method: str, template: str, district: str, town: str,
               headers: dict[str, str], role: str | None = None) -> httpx.Response:
    if template.endswith("/imports"):
        return await client.request(method, fill(template, district, town), files=upload(town, role), headers=headers)
    return await client.request(method, fill(template, district, town), json=body(method, template, town, role),
                                params=query(method, template, tenants), headers=headers)


def assert_problem(answer: httpx.Response, status: int, context: str) -> dict:
    assert answer.status_code == status, f"{context}: expected {status}, got {answer.status_code}: {answer.text}"
    assert answer.headers["content-type"] == problems.PROBLEM_JSON, f"{context}: {answer.headers['content-type']}"
    problem = answer.json()
    for key in ("type", "title", "status", "detail"):
        assert problem.get(key), f"{context}: the problem has no {key}: {problem}"
    assert problem["status"] == status, context
    return problem


# -- the policy table is complete ------------------------------------------------------------

def test_every_route_has_a_policy():
    missing = [f"{method} {path}" for method, path in ROUTES if (method, path) not in POLICY]
    assert not missing, (
        "these routes are in no access policy; add each to POLICY in tests/e2e/test_access_matrix.py"
        f" with the roles allowed to call it: {missing}")


def test_every_policy_names_a_served_route():
    stale = [f"{method} {path}" for method, path in POLICY if (method, path) not in ROUTES]
    assert not stale, f"POLICY in tests/e2e/test_access_matrix.py names routes the app no longer serves: {stale}"


async def test_the_matrix_covers_the_openapi_document(app, client):
    """The routes found in the app are those its OpenAPI document lists (none hidden from the fuzzer)."""
    assert served_routes(app) == ROUTES
    document = (await client.get("/openapi.json")).json()
    listed = sorted((method.upper(), path) for path, operations in document["paths"].items()
                    if path.startswith("/v1/") for method in operations)
    assert listed == ROUTES


@pytest.mark.parametrize("route", [
    pytest.param(route, id=f"{route[0]} {route[1]}", marks=pytest.mark.xfail(
        strict=True, reason="API.md promises this route; the service does not serve it"))
    if route in PROMISED_BUT_MISSING else pytest.param(route, id=f"{route[0]} {route[1]}")
    for route in CONTRACT_ROUTES])
def test_every_route_of_the_contract_is_served(route):
    assert route in ROUTES, f"{route[0]} {route[1]} is in API.md but not served"


# -- the matrix --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", MATRIX)
async def test_access(case: Case, client: httpx.AsyncClient, tenants: Tenants):
    if (case.method, case.template) not in POLICY:
        pytest.fail(f"{case.method} {case.template} is in no access policy: add it to POLICY in"
                    " tests/e2e/test_access_matrix.py with the roles allowed to call it")
    district, town = target(case, tenants)

    answer = await send(client, tenants, case.method, case.template, district, town, token(case.role, tenants.mine),
                        case.role)

    context = case.id
    match case.expected:
        case "401":
            assert_problem(answer, 401, context)
            assert answer.headers.get("www-authenticate") == "Bearer", context
        case "404":
            problem = assert_problem(answer, 404, context)
            assert district in problem["detail"], context
        case "403":
            assert_problem(answer, 403, context)
        case "through":
            ok = (200 <= answer.status_code < 300 or answer.status_code == 409
                  or (answer.status_code == 503 and answer.headers.get("retry-after")))
            assert ok, f"{context}: expected to get through (2xx, 409 or 503), got {answer.status_code}: {answer.text}"
            if answer.status_code >= 400:
                assert_problem(answer, answer.status_code, context)


@pytest.mark.parametrize("route", [pytest.param(r, id=f"{r[0]} {r[1]}") for r in ROUTES
                                   if ANONYMOUS not in POLICY.get(r, frozenset())])
async def test_a_bad_token_is_401(route, client: httpx.AsyncClient, tenants: Tenants):
    method, template = route
    answer = await send(client, tenants, method, template, tenants.mine.code, tenants.mine.town,
                        {"Authorization": "Bearer not-a-token"})
    assert_problem(answer, 401, f"{method} {template} with a bad token")
    assert answer.headers.get("www-authenticate") == "Bearer"


# -- a foreign district cannot be told from one that does not exist -------------------------

def _without(answer: httpx.Response, code: str) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted((k.lower(), v.replace(code, "<district>")) for k, v in answer.headers.items())
    return answer.status_code, headers, answer.content.replace(code.encode(), b"<district>")


@pytest.mark.parametrize("route", [pytest.param(r, id=f"{r[0]} {r[1]}") for r in ROUTES if district_scoped(r[1])])
@pytest.mark.parametrize("role", [STATION, DISTRICT])
async def test_a_foreign_district_looks_exactly_like_an_unknown_one(route, role, client, tenants: Tenants):
    method, template = route
    headers = token(role, tenants.mine)
    theirs = tenants.theirs

    foreign = await send(client, tenants, method, template, theirs.code, theirs.town, headers)
    unknown = await send(client, tenants, method, template, UNKNOWN_DISTRICT, f"{UNKNOWN_DISTRICT}001", headers)

    assert_problem(foreign, 404, "foreign")
    assert_problem(unknown, 404, "unknown")
    assert theirs.code.encode() in foreign.content and UNKNOWN_DISTRICT.encode() in unknown.content
    assert _without(foreign, theirs.code) == _without(unknown, UNKNOWN_DISTRICT)


@pytest.mark.parametrize("route", [pytest.param(r, id=f"{r[0]} {r[1]}") for r in ROUTES
                                   if r[1].startswith("/v1/city/") and "{district}" in r[1]])
@pytest.mark.parametrize("role", [STATION, DISTRICT])
async def test_city_routes_refuse_district_callers_alike(route, role, client, tenants: Tenants):
    """A district caller learns nothing from a city-level route about which districts exist."""
    method, template = route
    headers = token(role, tenants.mine)
    answers = {code: await send(client, tenants, method, template, code, f"{code}001", headers)
               for code in (tenants.mine.code, tenants.theirs.code, UNKNOWN_DISTRICT)}

    for code, answer in answers.items():
        assert_problem(answer, 403, code)
    assert len({a.content for a in answers.values()}) == 1


# -- a route that forgets its filter still sees one district only ---------------------------

# Reference data every tenant may read: the registry of division codes.
SHARED_SCHEMAS = ("tenants", "pg_catalog", "information_schema")


async def test_a_deliberately_broken_route_sees_only_the_callers_district(app: FastAPI, client, tenants: Tenants):
    """A route that reads every tenant table and another district's event store with no WHERE
    clause, inside the district-scoped transaction the service gives its reads
    (`projections.connections.scoped`), gets its own district's rows and nothing of another's."""
    mine, theirs = tenants.mine, tenants.theirs
    for d in (mine, theirs):
        staff = bearer(DISTRICT, d.code)
        written = await client.post(f"/v1/districts/{d.code}/records", json={"records": [service_delivered(d.town)]},
                                    headers=staff)
        assert written.status_code == 200, written.text
        caught_up = await client.get(f"/v1/districts/{d.code}/reports/{PERIOD}",
                                     params={"min_position": written.json()["position"]}, headers=staff)
        assert caught_up.status_code == 200, caught_up.text

    pool = app.state.runtime.own_reads.home
    async with pool.acquire() as conn:  # the service's own role, which row-level security does not bind
        tables = [f'{r["table_schema"]}.{r["table_name"]}' for r in await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.columns WHERE column_name = 'district'"
            " AND table_schema <> ALL($1::text[]) ORDER BY 1", list(SHARED_SCHEMAS))]
        stores = [f'{r["table_schema"]}.{r["table_name"]}' for r in await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 2",
            store_schema(theirs.code))]
        unscoped = {r["district"] for r in await conn.fetch("SELECT DISTINCT district FROM reports.service_figures")}
        their_events = await conn.fetchval(f'SELECT count(*) FROM {events_table(theirs.code)}')
    assert {mine.code, theirs.code} <= unscoped and their_events > 0, "nothing to hide: the test would prove nothing"
    assert "reports.service_figures" in tables
    assert events_table(theirs.code) in stores and records_table(theirs.code) in stores

    broken = FastAPI()
    problems.install(broken)
    broken.state.runtime, broken.state.tokens = app.state.runtime, app.state.tokens

    @broken.get("/v1/districts/{district}/leak")
    async def leak(district: deps.DistrictDep, runtime: deps.RuntimeDep) -> dict:
        seen: dict[str, list[str]] = {}

        async def rows(conn: asyncpg.Connection, query: str) -> list[asyncpg.Record]:
            # A savepoint (by hand: the scoped transaction is begun by hand), so that a refused
            # read does not end the scope.
            await conn.execute("SAVEPOINT read")
            try:
                return await conn.fetch(query)
            except asyncpg.InsufficientPrivilegeError:
                await conn.execute("ROLLBACK TO SAVEPOINT read")
                return []  # not granted to the reader role at all: nothing to leak

        async with scoped(await read_pool(runtime, district), district) as conn:
            for table in tables:  # deliberately no WHERE clause
                seen[table] = sorted({r["district"] for r in await rows(conn, f"SELECT district FROM {table}")})
            for store in stores:  # another district's store, named outright
                seen[store] = [str(len(await rows(conn, f"SELECT * FROM {store}")))]
            seen["own events"] = [str(len(await rows(conn, f'SELECT * FROM {events_table(district)}')))]
        return seen

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=broken), base_url="http://test") as leaky:
        answer = await leaky.get(f"/v1/districts/{mine.code}/leak", headers=bearer(DISTRICT, mine.code))
        refused = await leaky.get(f"/v1/districts/{theirs.code}/leak", headers=bearer(DISTRICT, mine.code))

    assert answer.status_code == 200, answer.text
    seen = answer.json()
    leaked = {table: sorted(set(districts) - {mine.code}) for table, districts in seen.items()
              if table in tables and set(districts) - {mine.code}}
    assert not leaked, f"rows of other districts read without a filter: {leaked}"
    assert seen["reports.service_figures"] == [mine.code]
    assert {store: seen[store] for store in stores} == {store: ["0"] for store in stores}
    assert seen["own events"] != ["0"]
    assert refused.status_code == 404


# -- what the matrix ran into, kept fixed ------------------------------------------------------------------

async def test_a_district_registered_while_running_can_be_reported_on_before_its_first_record(app):
    runtime = app.state.runtime
    new = make_district(runtime)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            own = await client.get(f"/v1/districts/{new.code}/reports/{PERIOD}", headers=bearer(DISTRICT, new.code))
            city = await client.get(f"/v1/city/reports/{PERIOD}", headers=bearer(CITY))
    finally:
        runtime.tenants.ledger(new.code)  # opens the district's store, so later tests do not trip on it
    assert (own.status_code, city.status_code) == (200, 200), f"district: {own.text}; city: {city.text}"
