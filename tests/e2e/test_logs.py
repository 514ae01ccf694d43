"""`STATIONS_LOG_FORMAT=json` (production's default): every line the real service prints, its
API's, uvicorn's and its projection worker's, is one JSON object; a request's names its id."""

import json
import uuid
from contextlib import ExitStack

import httpx

from api import auth
from bench.environment import bearer, fresh_database, running_service
from tests.reliability.harness import DISTRICT, new_batch

RECORDS_ROUTE = "/v1/districts/{district}/records"


def test_every_line_of_a_short_run_is_a_json_object():
    with ExitStack() as stack:
        service = stack.enter_context(running_service(stack.enter_context(fresh_database(stack)),
                                                      projection_metrics_port="0"))
        writer = bearer(auth.Role.district, DISTRICT)
        written = httpx.post(f"{service.base}/v1/districts/{DISTRICT}/records", timeout=30,
                             json={"records": new_batch("logs", 2)}, headers={**writer, "X-Request-ID": "ops-logs-1"})
        assert written.status_code == 200, written.text
        unnamed = httpx.get(f"{service.base}/v1/districts/{DISTRICT}/reports/2025H1", headers=writer, timeout=30,
                            params={"min_position": written.json()["position"]})
        assert unnamed.status_code == 200
        log = service.log
    text = log.read_text(encoding="utf-8")  # after the service stopped: its last lines are in

    lines = [json.loads(line) for line in text.splitlines()]  # fails on any line that is not JSON

    assert lines and all({"ts", "level", "logger", "message"} <= line.keys() for line in lines)
    assert not any("color_message" in line for line in lines)  # uvicorn's copy in terminal colours
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "stations.cli", "stations.requests"} <= loggers  # the API's, uvicorn's, the worker's
    [write] = [line for line in lines if line.get("route") == RECORDS_ROUTE]
    assert write | {"duration_ms": 0} == write | {
        "request_id": "ops-logs-1", "district": DISTRICT, "method": "POST", "status": 200, "duration_ms": 0,
        "level": "INFO", "logger": "stations.requests"}
    assert write["duration_ms"] > 0
    [read] = [line for line in lines if line.get("route") == "/v1/districts/{district}/reports/{period}"]
    assert uuid.UUID(read["request_id"]) and read["status"] == 200  # none given: a new one
