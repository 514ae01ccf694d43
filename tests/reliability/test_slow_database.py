"""A slow database: while another session holds locks on a district's event log and report
tables, writes (the lock timeout) and reads (the statement timeout) answer a prompt 503
problem+json with Retry-After, never a stuck request or a 500; once the locks go, the same
records are accepted, and stored once."""

import time

import httpx
import psycopg

from tests.reliability import harness
from tests.reliability.harness import AUDITOR, DISTRICT, PERIOD, WRITER, Stored, Tally
from tenants.stores import events_table

STATEMENT_TIMEOUT = "1s"
LOCK_TIMEOUT_S = 5  # the write datastore's (tenants/event_store.py)
PROMPT_S = LOCK_TIMEOUT_S + 3  # an answer later than this counts as stuck
ROUNDS = 3


async def test_slow_database(database_url, logs):
    tally, probes = Tally(), []
    held = [harness.new_batch("held", 3) for _ in range(ROUNDS)]
    service = harness.Service(database_url, logs, STATIONS_STATEMENT_TIMEOUT=STATEMENT_TIMEOUT)
    with harness.running(service):
        async with httpx.AsyncClient(base_url=service.base, timeout=60) as http:
            assert await harness.post_until_acknowledged(http, harness.new_batch("before", 5), tally,
                                                         give_up_at=time.monotonic() + 60)
            with psycopg.connect(database_url) as blocker:
                blocker.execute(f'LOCK TABLE {events_table(DISTRICT)}, reports.service_figures'
                                " IN ACCESS EXCLUSIVE MODE")
                for batch in held:
                    for what, method, path, headers, body in [
                            ("write", "POST", f"/v1/districts/{DISTRICT}/records", WRITER, {"records": batch}),
                            ("report", "GET", f"/v1/districts/{DISTRICT}/reports/{PERIOD}", AUDITOR, None),
                            ("events", "GET", f"/v1/districts/{DISTRICT}/events", AUDITOR, None)]:
                        started = time.monotonic()
                        answer = await http.request(method, path, headers=headers, json=body)
                        probes.append((what, answer.status_code, answer.headers.get("content-type"),
                                       answer.headers.get("retry-after"), round(time.monotonic() - started, 2)))
                blocker.rollback()
            during = Stored.of(await harness.read_log(service.base))
            for batch in held:  # sent again with the same ids, as a tablet would
                assert await harness.post_until_acknowledged(http, batch, tally, give_up_at=time.monotonic() + 60)
        stored = Stored.of(await harness.read_log(service.base))

    slowest = max(p[4] for p in probes)
    harness.report("slow database", probes=len(probes), statuses=sorted({p[1] for p in probes}),
                   slowest_probe_s=slowest, acknowledged=len(tally.acknowledged), stored=len(stored.ids),
                   errors=dict(tally.errors))
    assert {(p[1], p[2]) for p in probes} == {(503, "application/problem+json")}, probes
    assert all(p[3] for p in probes), "every 503 says when to retry"
    assert slowest <= PROMPT_S, probes
    assert not {r["id"] for batch in held for r in batch} & set(during.ids), "a refused write stored nothing"
    assert stored.doubled() == []
    assert set(stored.ids) == set(tally.acknowledged)
