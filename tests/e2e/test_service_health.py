"""Liveness, readiness, and a database that is down or slow answering a clear 503."""

import eventsourcing.persistence
import httpx
import pytest
from fastapi import FastAPI

from api import problems
from projections import connections


async def test_alive_and_ready(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


def app_raising(error: Exception) -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/v1/broken")
    async def broken() -> None:
        raise error

    return app


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "Connection refused"),
    eventsourcing.persistence.OperationalError("couldn't get a connection after 30.00 sec"),
    eventsourcing.persistence.InterfaceError("the connection is closed"),
], ids=lambda e: type(e).__name__)
async def test_a_database_that_cannot_be_reached_is_a_503_to_retry(error):
    transport = httpx.ASGITransport(app=app_raising(error))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/v1/broken")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == str(problems.RETRY_AFTER_SECONDS)
    assert answer.json()["type"] == "/problems/unavailable"


async def test_a_slow_database_is_a_503_not_a_stuck_request(database_url):
    pool = await connections.create_pool(database_url, min_size=1, max_size=1, statement_timeout="100ms")
    app = FastAPI()
    problems.install(app)

    @app.get("/v1/slow")
    async def slow() -> None:
        await pool.fetchval("SELECT pg_sleep(5)")

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            answer = await client.get("/v1/slow")
    finally:
        await pool.close()
    assert answer.status_code == 503
    assert answer.headers["retry-after"]
