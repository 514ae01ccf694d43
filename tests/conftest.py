"""Fixtures shared by the integration and end-to-end tests.

Tests run against a real PostgreSQL: the server in DATABASE_URL when it is set, else an
embedded one the suite starts (and deletes) itself. Each test makes its own district with
random codes instead of cleaning up after itself.
"""

import asyncio
import os
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI

from api import auth
from stations.app import create_app
from domain.divisions import DistrictVersion, TownVersion
from service.runtime import Runtime
from stations.bootstrap import bootstrap
from stations.database import embedded_postgres
from stations.settings import Settings
from tenants import registry
from tests.builders import service_delivered

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with embedded_postgres(Path(tmp_path_factory.mktemp("embedded-postgres"))) as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(environment="test", database_url=database_url, jwt_secret=TEST_SECRET,
                    data_dir=tmp_path_factory.mktemp("data"), min_position_timeout=1.0)


@pytest.fixture(scope="session")
def runtime(settings: Settings, database_url: str) -> Iterator[Runtime]:
    runtime = bootstrap(settings, database_url)
    yield runtime
    runtime.close()


@dataclass(frozen=True)
class SampleDistrict:
    code: str
    name: str
    towns: dict[str, str]  # code -> name

    @property
    def town(self) -> str:
        return next(iter(self.towns))

    @property
    def other_town(self) -> str:
        return list(self.towns)[1]


def make_district(runtime: Runtime, server: str | None = None) -> SampleDistrict:
    """A new district with three towns, registered under random codes nobody else uses (placed
    on `server` when given, else on the service's own database)."""
    while True:
        code = f"{random.randrange(700_000, 1_000_000)}"  # real division codes start with 1 to 6
        name = f"试{code}区"
        towns = {f"{code}001": "甲街道", f"{code}002": "乙街道", f"{code}101": "丙镇"}
        try:
            registry.register(runtime.datastore, [DistrictVersion(code, name)],
                              [TownVersion(t, code, n, "街道" if n.endswith("街道") else "镇")
                               for t, n in towns.items()], server=server)
        except IntegrityError:
            continue  # drawn before, by this run or an earlier one on the same database
        runtime.tenants.refresh()
        return SampleDistrict(code, name, towns)


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


def bearer(role: str, district: str | None = None, town: str | None = None) -> dict[str, str]:
    token = auth.mint(TEST_SECRET, sub=f"test-{role}", role=auth.Role(role), district=district, town=town)
    return {"Authorization": f"Bearer {token}"}
