"""SIGTERM under load: the service stops taking connections, finishes the requests in flight
(their answers arrive after the signal), lets its projection worker finish the batch in hand,
and exits cleanly; started again, it has lost nothing acknowledged, stored nothing twice, and
its report counts every acknowledged record."""

import asyncio
import time
from signal import SIGTERM

import httpx

from tests.reliability import harness
from tests.reliability.harness import DISTRICT, WRITER, Stored, Tally

CLIENTS = 16
BATCH = 200
WARM_RECORDS = 2000  # acknowledged before the signal
# The signal goes once a request's body has been sent this long ago: by then the service has
# surely read it. (The clients of one group commit are answered together and send again at
# once: signalled right then, no request is in the service's hands yet, and uvicorn resets
# the connections it has not accepted.)
READ_BY_THEN_S = 0.1


class Signal:
    def __init__(self) -> None:
        self.sent_at: float | None = None
        self.warm = asyncio.Event()
        self.exited = asyncio.Event()
        self.answered_after = 0  # requests sent before the signal, answered 200 after it
        self.body_sent: dict[int, float] = {}  # client -> when the body of the request it waits on was sent

    def request_in_flight(self) -> bool:
        now = time.monotonic()
        return any(now - sent >= READ_BY_THEN_S for sent in self.body_sent.values())

    def tracer(self, n: int):
        async def trace(event: str, _info: dict) -> None:
            if event == "http11.send_request_body.complete":
                self.body_sent[n] = time.monotonic()
        return trace


async def client(base: str, tally: Tally, n: int, signal: Signal) -> None:
    # A connection per request: each request is either accepted whole or refused, never cut
    # off by the server closing an idle keep-alive connection under it.
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_keepalive_connections=0)) as http:
        for _ in range(100_000):
            if signal.exited.is_set():
                return
            batch = harness.new_batch(f"term{n}", BATCH)
            sent = time.monotonic()
            tally.requests += 1
            try:
                answer = await http.post(f"/v1/districts/{DISTRICT}/records", json={"records": batch}, headers=WRITER,
                                         extensions={"trace": signal.tracer(n)})
            except httpx.HTTPError as exc:
                tally.errors[harness.outcome(exc)] += 1
                await asyncio.sleep(0.05)
                continue
            finally:
                signal.body_sent.pop(n, None)
            if answer.status_code != 200:
                tally.errors[harness.outcome(answer.status_code)] += 1
                continue
            tally.acknowledged.update((r["id"], r["person_times"]) for r in batch)
            if signal.sent_at is not None and sent < signal.sent_at:
                signal.answered_after += 1
            if len(tally.acknowledged) >= WARM_RECORDS:
                signal.warm.set()


async def terminate_when_warm(service: harness.Service, signal: Signal) -> tuple[int, float]:
    await asyncio.wait_for(signal.warm.wait(), 120)
    while not signal.request_in_flight():
        await asyncio.sleep(0.01)
    signal.sent_at = time.monotonic()
    service.process.terminate()
    code = await asyncio.to_thread(service.process.wait, 60)
    signal.exited.set()
    return code, round(time.monotonic() - signal.sent_at, 2)


async def test_graceful_shutdown(database_url, logs):
    tally, signal = Tally(), Signal()
    service = harness.Service(database_url, logs)
    service.start()
    try:
        (code, took), *_ = await asyncio.gather(terminate_when_warm(service, signal),
                                                *(client(service.base, tally, n, signal) for n in range(CLIENTS)))
        first_log = (logs / "service-1.log").read_text(errors="replace")
        service.start()
        stored = Stored.of(await harness.read_log(service.base))
        report = await harness.read_report(service.base, stored.last_position)
    finally:
        service.stop()
    counted = report["figures"]["person_times"]
    harness.report("graceful shutdown", clients=CLIENTS, exit_code=code, exit_s=took,
                   answered_after_sigterm=signal.answered_after, acknowledged=len(tally.acknowledged),
                   stored=len(stored.ids), counted=counted, errors=dict(tally.errors))

    # uvicorn re-raises the signal once its graceful shutdown is done, so a parent sees why it stopped
    assert code in (0, -SIGTERM), first_log[-2000:]
    assert "Traceback" not in first_log, first_log[-2000:]
    assert signal.answered_after > 0, "requests in flight at the signal were finished, not dropped"
    assert tally.status_5xx() == {}
    assert stored.doubled() == []
    assert set(stored.ids) == set(tally.acknowledged)
    assert counted == sum(tally.acknowledged.values()) == stored.person_times
