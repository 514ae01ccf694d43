"""`/metrics` as `stations serve` runs it: the API's processes counted together, and the
projection worker's batches on its own port."""

import socket
from contextlib import ExitStack

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api import auth
from bench.environment import bearer, fresh_database, running_service
from tests.reliability.harness import DISTRICT, new_batch

REPORT_ROUTE = "/v1/districts/{district}/reports/{period}"


def samples(url: str) -> dict[tuple[str, tuple], float]:
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_several_api_processes_answer_for_all_and_the_worker_serves_its_own():
    worker_port = free_port()
    with ExitStack() as stack:
        service = stack.enter_context(running_service(stack.enter_context(fresh_database(stack)), workers=2,
                                                      projection_metrics_port=str(worker_port)))
        writer = bearer(auth.Role.district, DISTRICT)
        written = httpx.post(f"{service.base}/v1/districts/{DISTRICT}/records",
                             json={"records": new_batch("metrics", 3)}, headers=writer, timeout=30)
        assert written.status_code == 200, written.text
        reads = 8  # on new connections: the kernel spreads them over both processes
        for _ in range(reads):
            report = httpx.get(f"{service.base}/v1/districts/{DISTRICT}/reports/2025H1", headers=writer,
                               params={"min_position": written.json()["position"]}, timeout=30)
            assert report.status_code == 200, report.text

        api = samples(f"{service.base}/metrics")
        worker = samples(f"http://127.0.0.1:{worker_port}/metrics")

    assert api[("stations_http_requests_total", (("method", "GET"), ("route", REPORT_ROUTE), ("status", "200")))] \
        == reads
    assert api[("stations_events_appended_total", (("district", DISTRICT),))] == 3
    assert worker[("stations_projection_batch_duration_seconds_count", (("district", DISTRICT),))] >= 1
