"""PostgreSQL stops (`pg_ctl stop -m immediate`) under load and starts again: while it is down
the service answers 503 problem+json with Retry-After, promptly; afterwards it recovers by
itself, without a restart, and nothing acknowledged is lost.

Only on an embedded server of this test's own: a shared DATABASE_URL server is never stopped.
The scenario runs once (a module fixture); each test checks one promise of it."""

import asyncio
import os
import time
from dataclasses import dataclass, field

import httpx
import pytest

from tests.reliability import harness
from tests.reliability.harness import AUDITOR, DISTRICT, PERIOD, WRITER, Stored, Tally

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="stops the database server: only on an embedded one")

CLIENTS = 8
PROBE_TIMEOUT = 15.0  # seconds a probe may take before we call it a hang


@dataclass
class Outage:
    tally: Tally = field(default_factory=Tally)
    probes: list[tuple[str, object, str, str | None, float]] = field(default_factory=list)  # what, status, type, Retry-After, s
    pids: list[int] = field(default_factory=list)
    recovered_write_after: float | None = None
    recovered_report_after: float | None = None
    readyz_after: tuple[int, str] | None = None
    stored: Stored | None = None
    counted: int | None = None


async def probe(outage: Outage, until: float) -> None:
    """While the database is down, one request after another to a write, the report, the log, readyz."""
    requests = [("write", "POST", f"/v1/districts/{DISTRICT}/records", WRITER),
                ("report", "GET", f"/v1/districts/{DISTRICT}/reports/{PERIOD}", AUDITOR),
                ("events", "GET", f"/v1/districts/{DISTRICT}/events", AUDITOR),
                ("readyz", "GET", "/readyz", {})]
    async with httpx.AsyncClient(base_url=BASE, timeout=PROBE_TIMEOUT) as http:
        for n in range(1000):
            if time.monotonic() >= until:
                return
            what, method, path, headers = requests[n % len(requests)]
            body = {"records": harness.new_batch("probe", 1)} if method == "POST" else None
            started = time.monotonic()
            try:
                answer = await http.request(method, path, headers=headers, json=body)
                outage.probes.append((what, answer.status_code, answer.headers.get("content-type", ""),
                                      answer.headers.get("retry-after"), round(time.monotonic() - started, 2)))
            except httpx.HTTPError as exc:
                outage.probes.append((what, harness.outcome(exc), "", None, round(time.monotonic() - started, 2)))
            await asyncio.sleep(0.2)


async def until_ok(call, within: float) -> float | None:
    """Seconds until `call()` is true, or None if not within `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            if await call():
                return round(time.monotonic() - started, 1)
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    return None


BASE = ""


@pytest.fixture(scope="module")
async def outage(tmp_path_factory) -> Outage:
    global BASE
    result = Outage()
    root = tmp_path_factory.mktemp("stopped-postgres")
    with harness.embedded_server(root) as (server_url, server), harness.fresh_database(server_url) as url, \
            harness.running(harness.Service(url, root)) as service:
        BASE = service.base
        result.pids.append(service.pid)
        down_for = max(6.0, harness.SECONDS / 2)
        until = time.monotonic() + 4 + down_for + 8
        writers = asyncio.gather(*(harness.writer_loop(service.base, result.tally, f"db{n}", until=until,
                                                       give_up_at=until + 90) for n in range(CLIENTS)))
        await asyncio.sleep(4)
        await asyncio.to_thread(server.stop_immediately)
        await probe(result, time.monotonic() + down_for)
        await asyncio.to_thread(server.start)
        restarted = time.monotonic()
        await writers
        result.pids.append(service.pid)

        async with httpx.AsyncClient(base_url=service.base, timeout=PROBE_TIMEOUT) as http:
            async def writes() -> bool:
                answer = await http.post(f"/v1/districts/{DISTRICT}/records",
                                         json={"records": harness.new_batch("after", 1)}, headers=WRITER)
                if answer.status_code == 200:
                    result.tally.acknowledged.update({r["id"]: r["person_times"] for r in
                                                      [harness.service_record(answer.json()["results"][0]["id"])]})
                return answer.status_code == 200

            await until_ok(writes, 30)
            result.recovered_write_after = round(time.monotonic() - restarted, 1)
            result.stored = Stored.of(await harness.read_log(service.base))

            async def reported() -> bool:
                answer = await http.get(f"/v1/districts/{DISTRICT}/reports/{PERIOD}", headers=AUDITOR,
                                        params={"min_position": result.stored.last_position})
                if answer.status_code == 200:
                    result.counted = answer.json()["figures"]["person_times"]
                return answer.status_code == 200

            if await until_ok(reported, 45) is not None:
                result.recovered_report_after = round(time.monotonic() - restarted, 1)
            ready = await http.get("/readyz")
            result.readyz_after = (ready.status_code, ready.text[:200])
        result.pids.append(service.pid)
    down = [p for p in result.probes]
    harness.report("database_stopped", clients=CLIENTS, down_s=down_for, probes=len(down),
                   probe_statuses=dict(__import__("collections").Counter(str(p[1]) for p in down)),
                   slowest_probe_s=max((p[4] for p in down), default=None),
                   acknowledged=len(result.tally.acknowledged),
                   stored=len(result.stored.ids), doubled=len(result.stored.doubled()),
                   person_times_acknowledged=sum(result.tally.acknowledged.values()), counted=result.counted,
                   write_ok_after_restart_s=result.recovered_write_after,
                   report_ok_after_restart_s=result.recovered_report_after, readyz_after=result.readyz_after,
                   service_pids=sorted(set(result.pids)), errors=dict(result.tally.errors))
    return result


def check_503_problems(outage: Outage, kinds: set[str]) -> None:
    probes = [p for p in outage.probes if p[0] in kinds]
    assert probes, f"no {kinds} probe ran while the database was down"
    for what, status, content_type, retry_after, seconds in probes:
        assert seconds < PROBE_TIMEOUT, (what, status, seconds)  # it came back: no hang
        assert status == 503, (what, status, seconds)
        assert content_type.startswith("application/problem+json"), (what, content_type)
        assert retry_after is not None and int(retry_after) > 0, what


def test_while_down_writes_answer_a_prompt_503_problem_with_retry_after(outage):
    check_503_problems(outage, {"write"})


def test_while_down_reads_answer_a_prompt_503_problem_with_retry_after(outage):
    check_503_problems(outage, {"report", "events", "readyz"})


def test_writes_recover_without_a_restart_and_nothing_acknowledged_is_lost(outage):
    assert len(set(outage.pids)) == 1  # the same service process throughout
    assert outage.tally.unacknowledged_batches == 0
    assert outage.recovered_write_after is not None and outage.recovered_write_after < 30
    assert set(outage.tally.acknowledged) - set(outage.stored.ids) == set()
    assert outage.stored.doubled() == []
    assert outage.tally.status_5xx().keys() <= {"503"}


def test_reports_recover_without_a_restart(outage):
    assert outage.recovered_report_after is not None
    assert outage.readyz_after[0] == 200
    assert outage.counted == outage.stored.person_times
