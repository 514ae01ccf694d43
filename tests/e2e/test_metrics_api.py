"""`GET /metrics`: Prometheus's text format, and its counters move with the service's work."""

from prometheus_client.parser import text_string_to_metric_families

from tests.builders import service_delivered, station_established
from tests.support import bearer

RECORDS_ROUTE = "/v1/districts/{district}/records"


async def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample, by name and labels."""
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


async def test_the_counters_move_with_writes_and_projection(client, district):
    staff = bearer("district", district.code)
    appended = ("stations_events_appended_total", (("district", district.code),))
    answered = ("stations_http_requests_total", (("method", "POST"), ("route", RECORDS_ROUTE), ("status", "200")))
    timed = ("stations_http_request_duration_seconds_count", (("route", RECORDS_ROUTE),))
    projected = ("stations_projection_batch_duration_seconds_count", (("district", district.code),))
    before = await scrape(client)

    written = await client.post(f"/v1/districts/{district.code}/records", headers=staff, json={
        "records": [station_established(district.town), service_delivered(district.town)]})
    assert written.status_code == 200, written.text
    read = await client.get(f"/v1/districts/{district.code}/reports/2025H1", headers=staff,
                            params={"min_position": written.json()["position"]})
    assert read.status_code == 200, read.text
    after = await scrape(client)

    assert after[appended] == before.get(appended, 0) + 2
    assert after[answered] == before.get(answered, 0) + 1
    assert after[timed] == before.get(timed, 0) + 1
    assert after[projected] > before.get(projected, 0)
    assert after[("stations_projection_lag_events", (("district", district.code),))] == 0
    assert after[("stations_projection_lag_seconds", (("district", district.code),))] == 0
    assert after[("stations_write_queue_depth", ())] == 0  # every batch answered


async def test_a_path_no_route_takes_is_counted_under_one_label(client):
    await client.get("/no/such/path/42")
    samples = await scrape(client)
    assert samples[("stations_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))] >= 1
    assert not any("/no/such/path" in str(labels) for _, labels in samples)

