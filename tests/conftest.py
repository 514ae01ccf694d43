"""Fixtures shared by the tests (helpers they share: `tests/support.py`, `tests/unit/support.py`).

Tests run against a real PostgreSQL: the server in DATABASE_URL when it is set, else an
embedded one the suite starts (and deletes) itself. Each test makes its own district with
random codes instead of cleaning up after itself.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg.conninfo import make_conninfo

from audit.signing import init_keys
from projections import connections
from service.runtime import Runtime
from stations.app import create_app
from stations.bootstrap import bootstrap, prepare
from projections.connections import with_login
from stations.database import embedded_postgres, reader_login
from stations.settings import Settings
from tests.builders import service_delivered
from tests.support import TEST_SECRET, SampleDistrict, bearer, make_district
from tests.unit.support import History, seeded_history


# The Citus suite runs only on the cluster `scripts/test-citus` starts (and names in
# STATIONS_CITUS_NODES): the ordinary run leaves the folder out.
collect_ignore = [] if os.environ.get("STATIONS_CITUS_NODES") else ["citus"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with embedded_postgres(Path(tmp_path_factory.mktemp("embedded-postgres"))) as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Production's settings, on a database migrated first by its owner's part and with the keys
    made, as `stations migrate` and `stations keys init` do before a production start (which
    does neither); its reader logs in as stations_reader, given LOGIN here as a deployment gives it."""
    data_dir = tmp_path_factory.mktemp("data")
    settings = Settings(environment="production", database_url=database_url, jwt_secret=TEST_SECRET,
                        reader_database_url=with_login(database_url, "stations_reader"), data_dir=data_dir,
                        signing_key_file=data_dir / "signing-key.pem", min_position_timeout=1.0)
    prepare(settings, database_url)
    reader_login(database_url)  # once the migrations made the role
    init_keys(settings.signing_key_path, settings.keyring_path)
    return settings


@pytest.fixture(scope="session")
def forger_login(database_url: str) -> str:
    """Another login of the cluster, with no grant on anything of the service's (roles are shared
    by the cluster's databases: made when missing, never dropped)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DO $$ BEGIN CREATE ROLE stations_test_forger LOGIN;"
                     " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
    return make_conninfo(database_url, user="stations_test_forger")


@pytest.fixture(scope="session")
def runtime(settings: Settings, database_url: str) -> Iterator[Runtime]:
    runtime = bootstrap(settings, database_url)
    yield runtime
    runtime.close()


@pytest.fixture
def district(runtime: Runtime) -> SampleDistrict:
    return make_district(runtime)


@pytest.fixture
def other_district(runtime: Runtime) -> SampleDistrict:
    return make_district(runtime)


@pytest.fixture(scope="module")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The service, its projection worker included, for one test module at a time (the
    integration tests drive their own workers and want no other)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await worker_following(app)
        yield app


async def worker_following(app: FastAPI, within: float = 60) -> None:
    """Wait until the app's worker projects a new district's write. Just started, it first
    listens to every store, and on a database earlier runs left their districts in (1,476
    stores) that took a second or more: longer than a read waits here (`settings`)."""
    district = make_district(app.state.runtime)
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}"
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        written = await client.post(f"{base}/records", headers=staff,
                                    json={"records": [service_delivered(district.town)]})
        assert written.status_code == 200, written.text
        deadline = loop.time() + within
        while loop.time() < deadline:
            read = await client.get(f"{base}/reports/2025H1", headers=staff,
                                    params={"min_position": written.json()["position"]})
            if read.status_code != 503:
                assert read.status_code == 200, read.text
                return
    raise TimeoutError(f"the projection worker did not follow a new district within {within} s")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
def app_runtime(app: FastAPI) -> Runtime:
    """The runtime inside the running app (its registry is the one requests see)."""
    return app.state.runtime


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A read-side pool on the test database, as the service's own role (no row-level security)."""
    pool = await connections.create_pool(database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
def seeded() -> tuple[History, dict[str, str]]:
    """An in-memory history: a station with one person on its staff, a project, an inspection
    with issues, a service (`tests.unit.support.seeded_history`)."""
    return seeded_history()
