"""The Citus suite's fixtures: the cluster `scripts/test-citus` starts (a coordinator, DATABASE_URL,
and two workers, STATIONS_CITUS_NODES), and a database of the coordinator's server without the
extension, STATIONS_CITUS_SINGLE_URL: the single-node run the cluster's answers are compared with."""

import os
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from audit.signing import init_keys
from projections.connections import with_login
from stations.app import create_app
from stations.bootstrap import prepare
from stations.database import reader_login
from stations.settings import Settings
from tests.support import TEST_SECRET


@pytest.fixture(scope="session")
def nodes() -> dict[str, int]:
    """The workers' ports, by name."""
    return {name: int(port) for name, _, port in
            (pair.partition("=") for pair in os.environ["STATIONS_CITUS_NODES"].split(","))}


@pytest.fixture(scope="session")
def single_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The same service on one plain PostgreSQL database, prepared as `settings` is."""
    url = os.environ["STATIONS_CITUS_SINGLE_URL"]
    data_dir = tmp_path_factory.mktemp("single")
    settings = Settings(environment="production", database_url=url, jwt_secret=TEST_SECRET, citus=False,
                        reader_database_url=with_login(url, "stations_reader"), data_dir=data_dir,
                        signing_key_file=data_dir / "signing-key.pem", min_position_timeout=10.0)
    prepare(settings, url)
    reader_login(url)
    init_keys(settings.signing_key_path, settings.keyring_path)
    return settings


@pytest.fixture(scope="module")
async def single_app(single_settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(single_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def single(single_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=single_app), base_url="http://test") as client:
        yield client
