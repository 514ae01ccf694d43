"""`POST /v1/districts/{district}/records`: each answer the contract promises."""

import re

import httpx
import pytest

from api import records as records_route
from tests.builders import fund_spent, project_contracted, record_voided, service_delivered, station_established
from tests.support import SampleDistrict, bearer


async def post(client: httpx.AsyncClient, district: str, records: list[dict], headers: dict) -> httpx.Response:
    return await client.post(f"/v1/districts/{district}/records", json={"records": records}, headers=headers)


async def log_of(client: httpx.AsyncClient, district: str) -> list[dict]:
    answer = await client.get(f"/v1/districts/{district}/events", params={"limit": 1000},
                              headers=bearer("auditor"))
    assert answer.status_code == 200
    return answer.json()["events"]


async def test_a_batch_is_stored_and_read_back_from_the_event_log(client, district: SampleDistrict):
    staff = bearer("district", district.code)
    records = [station_established(district.town), service_delivered(district.town)]

    answer = await post(client, district.code, records, staff)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert body["position"] == max(r["position"] for r in body["results"])
    logged = await log_of(client, district.code)
    assert [e["record_id"] for e in logged] == [r["id"] for r in records]
    service = logged[1]
    assert service["type"] == "service_delivered"
    assert service["payload"]["hours"] == "1.50"
    assert service["actor"] == {"sub": "test-district", "role": "district"}
    assert service["recorded_at"].endswith("+08:00")


async def test_a_retried_batch_reports_duplicates_and_stores_nothing_more(client, district):
    staff = bearer("district", district.code)
    records = [station_established(district.town), service_delivered(district.town)]
    first = await post(client, district.code, records, staff)

    retry = await post(client, district.code, records + [service_delivered(district.town)], staff)

    assert retry.status_code == 200
    results = retry.json()["results"]
    assert [r["status"] for r in results] == ["duplicate", "duplicate", "accepted"]
    assert [r["position"] for r in results[:2]] == [r["position"] for r in first.json()["results"]]
    assert len(await log_of(client, district.code)) == 3


async def test_a_batch_of_only_duplicates_answers_the_current_position(client, district):
    staff = bearer("district", district.code)
    records = [station_established(district.town)]
    first = await post(client, district.code, records, staff)
    await post(client, district.code, [service_delivered(district.town)], staff)

    retry = await post(client, district.code, records, staff)

    assert retry.json()["position"] == first.json()["position"] + 1


async def test_an_id_reused_with_other_content_is_a_conflict(client, district):
    staff = bearer("district", district.code)
    service = service_delivered(district.town)
    await post(client, district.code, [service], staff)

    answer = await post(client, district.code, [{**service, "hours": "3"}, service_delivered(district.town)], staff)

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["id"] == service["id"]
    assert len(await log_of(client, district.code)) == 1


async def test_one_bad_record_among_good_ones_stores_nothing(client, district):
    staff = bearer("district", district.code)
    good = [station_established(district.town), service_delivered(district.town)]
    bad = service_delivered(district.town, occurred_on="2099-01-01")

    answer = await post(client, district.code, [*good, bad, service_delivered(district.town)], staff)

    assert answer.status_code == 422
    problem = answer.json()
    assert problem["status"] == 422 and problem["type"] and problem["title"] and problem["detail"]
    assert [(e["record"], e["field"]) for e in problem["errors"]] == [(2, "occurred_on")]
    assert await log_of(client, district.code) == []


async def test_malformed_records_are_listed_by_index_and_field(client, district):
    staff = bearer("district", district.code)
    records = [service_delivered(district.town),
               fund_spent("P-1", amount=12.5),
               {**service_delivered(district.town), "domain": "astrology"},
               {**service_delivered(district.town), "surprise": 1}]

    answer = await post(client, district.code, records, staff)

    assert answer.status_code == 422
    errors = {(e["record"], e["field"]) for e in answer.json()["errors"]}
    assert errors == {(1, "amount"), (2, "domain"), (3, "surprise")}
    assert await log_of(client, district.code) == []


async def test_batches_hold_one_to_a_thousand_records(client, district):
    staff = bearer("district", district.code)
    assert (await post(client, district.code, [], staff)).status_code == 422
    too_many = [service_delivered(district.town) for _ in range(1001)]
    assert (await post(client, district.code, too_many, staff)).status_code == 422


async def test_a_thousand_records_are_one_atomic_batch(client, district):
    staff = bearer("district", district.code)
    records = [service_delivered(district.town) for _ in range(1000)]

    answer = await post(client, district.code, records, staff)

    assert answer.status_code == 200
    positions = [r["position"] for r in answer.json()["results"]]
    assert len(set(positions)) == 1000 and positions == sorted(positions)


async def test_projects_funds_and_voids_through_the_api(client, district):
    staff = bearer("district", district.code)
    contract = project_contracted(district.town)
    spend = fund_spent(contract["project"], amount="200000.00")
    assert (await post(client, district.code, [contract, spend], staff)).status_code == 200

    overspend = await post(client, district.code, [fund_spent(contract["project"], amount="0.01")], staff)
    assert overspend.status_code == 422
    assert overspend.json()["errors"][0]["field"] == "amount"

    void = record_voided(spend["id"])
    assert (await post(client, district.code, [void, fund_spent(contract["project"], amount="0.01")],
                       staff)).status_code == 200
    again = await post(client, district.code, [record_voided(spend["id"])], staff)
    assert again.status_code == 422


async def test_another_districts_resources_are_not_found(client, district, other_district):
    staff = bearer("district", district.code)

    write = await post(client, other_district.code, [service_delivered(other_district.town)], staff)
    read = await client.get(f"/v1/districts/{other_district.code}/events", headers=staff)
    unknown = await client.get("/v1/districts/999999/events", headers=bearer("auditor"))

    assert write.status_code == read.status_code == unknown.status_code == 404
    assert write.json() == read.json() | {"detail": write.json()["detail"]}
    assert await log_of(client, other_district.code) == []


async def test_a_station_writes_for_its_own_town_only(client, district):
    station = bearer("station", district.code, district.town)
    own = [service_delivered(district.town)]
    assert (await post(client, district.code, own, station)).status_code == 200

    answer = await post(client, district.code, [service_delivered(district.other_town)], station)

    assert answer.status_code == 403
    assert answer.json()["errors"][0]["field"] == "town"


async def test_roles_that_do_not_record_are_forbidden(client, district):
    for role in ("city", "auditor", "admin"):
        answer = await post(client, district.code, [service_delivered(district.town)], bearer(role))
        assert answer.status_code == 403, role
        assert answer.headers["content-type"] == "application/problem+json"


async def test_a_station_may_not_read_the_district_log(client, district):
    answer = await client.get(f"/v1/districts/{district.code}/events",
                              headers=bearer("station", district.code, district.town))
    assert answer.status_code == 403


async def test_requests_without_a_valid_token_are_unauthorized(client, district):
    path = f"/v1/districts/{district.code}/events"
    assert (await client.get(path)).status_code == 401
    forged = {"Authorization": "Bearer " + "x" * 40}
    answer = await client.get(path, headers=forged)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


async def test_the_event_log_pages_in_order(client, district):
    staff = bearer("district", district.code)
    await post(client, district.code, [station_established(district.town)]
               + [service_delivered(district.town) for _ in range(4)], staff)

    first = (await client.get(f"/v1/districts/{district.code}/events", params={"limit": 2}, headers=staff)).json()
    rest = (await client.get(f"/v1/districts/{district.code}/events",
                             params={"after": first["next_after"], "limit": 10}, headers=staff)).json()

    positions = [e["position"] for e in first["events"] + rest["events"]]
    assert len(positions) == 5 and positions == sorted(positions)


async def test_the_request_id_is_kept_with_the_event(client, district):
    headers = bearer("district", district.code) | {"X-Request-ID": "req-abc-123"}
    await post(client, district.code, [station_established(district.town)], headers)
    assert (await log_of(client, district.code))[0]["request_id"] == "req-abc-123"


async def test_a_body_that_is_not_json_or_not_a_batch_is_a_problem_and_stores_nothing(client, district):
    staff = bearer("district", district.code) | {"Content-Type": "application/json"}
    for body in (b'{"records": [', b"[]", b'"records"', rb'{"records": [{"id": "\ud800"}]}', b'{"records": "\xff"}'):
        answer = await client.post(f"/v1/districts/{district.code}/records", content=body, headers=staff)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "/problems/validation" and answer.json()["errors"]
    assert await log_of(client, district.code) == []


async def test_every_answer_is_the_one_fastapi_gives_when_it_solves_the_dependencies(
        client, district, other_district, monkeypatch: pytest.MonkeyPatch):
    """A well-formed request skips FastAPI's dependency solving: its checks must come in the
    same order and answer the same (a missing token before a bad body, for one)."""
    staff, path = bearer("district", district.code), f"/v1/districts/{district.code}/records"
    good, bad = {"records": [station_established(district.town)]}, {"records": [{"type": "service_delivered"}]}
    requests = [
        (path, {}, good), (path, {}, bad), (path, {"Authorization": "Basic eDp5"}, good),
        (path, {"Authorization": "Bearer " + "x" * 40}, good), (path, staff, bad),
        (f"/v1/districts/{other_district.code}/records", staff, good), ("/v1/districts/999999/records", staff, good),
        (path, bearer("auditor"), good), (path, bearer("station", district.code, district.town),
                                          {"records": [service_delivered(district.other_town)]}),
        ("/v1/districts/35020x/records", staff, good),
    ]

    async def answers() -> list[tuple[int, dict]]:
        sent = [await client.post(url, json=body, headers=headers) for url, headers, body in requests]
        return [(answer.status_code, answer.json()) for answer in sent]

    direct = await answers()
    monkeypatch.setattr(records_route, "_DISTRICT", re.compile("(?!)"))  # every request the standard way
    assert await answers() == direct
    assert [status for status, _ in direct] == [401, 401, 401, 401, 422, 404, 404, 403, 403, 422]
    assert await log_of(client, district.code) == []


async def test_health_and_openapi(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    document = (await client.get("/openapi.json")).json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    assert "/v1/districts/{district}/events" in paths
    # The batch is validated from its bytes by the route, and documented as FastAPI would.
    body = paths["/v1/districts/{district}/records"]["post"]["requestBody"]
    assert body == {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordBatch"}}}}
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in schemas["RecordBatch"]["properties"]["records"]["items"]["oneOf"]} \
        == {"StationEstablished", "ServiceDelivered", "FundSpent", "RecordVoided", "PurchasePlanDrafted",
            "InspectionDone", "RectificationDone", "SignboardHung", "EquipmentRecorded", "StaffAssigned",
            "StaffReleased", "RulesAdopted", "ProjectContracted", "SelfEvaluationSubmitted", "FinalEvaluationDone",
            "ProviderExited", "LinkedFiguresCollected", "ProgressReported", "ProblemResolved", "VillageRegistered",
            "BudgetAllocated"}
    assert schemas["FundLine"]["properties"]["level"]["default"] == "own"  # a stated default
    assert "default" not in schemas["ServiceDelivered"]["properties"]["village"]  # nulls left out, as FastAPI does


async def test_a_body_over_the_cap_is_refused_before_it_is_read(client, district):
    staff = bearer("district", district.code) | {"Content-Type": "application/json"}
    huge = b'{"records": [' + b" " * (5 * 1024 * 1024) + b"]}"

    answer = await client.post(f"/v1/districts/{district.code}/records", content=huge, headers=staff)

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert await log_of(client, district.code) == []


async def test_personal_data_in_free_text_is_refused_and_nothing_stored(client, district):
    staff = bearer("district", district.code)
    records = [station_established(district.town, address="民族路1号，联系电话13912345678")]

    answer = await post(client, district.code, records, staff)

    assert answer.status_code == 422
    assert "手机号" in answer.json()["errors"][0]["detail"]
    assert await log_of(client, district.code) == []
