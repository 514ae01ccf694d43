"""Fixtures of the end-to-end tests beside the service itself (`tests/conftest.py`)."""

import asyncio

import pytest
from typer.testing import CliRunner

from stations.cli import app
from stations.settings import get_settings
from tests.support import TEST_SECRET


@pytest.fixture
def cli(database_url, settings, tmp_path):
    """Runs `stations ...` on the test database, in a thread: the command runs its own event
    loop, and the test's (with the service on it) must go on turning meanwhile. It shares the
    service's keys and witness directory, as commands on the service's host do."""
    env = {"DATABASE_URL": database_url, "STATIONS_DATA_DIR": str(tmp_path), "STATIONS_JWT_SECRET": TEST_SECRET,
           "STATIONS_READER_DATABASE_URL": settings.reader_database_url, "STATIONS_ENVIRONMENT": "production", "STATIONS_SIGNING_KEY_FILE": str(settings.signing_key_path),
           "STATIONS_WITNESS_DIR": str(settings.witness_path), "COLUMNS": "200"}

    async def run(*args: str):
        get_settings.cache_clear()
        try:
            return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
        finally:
            get_settings.cache_clear()

    return run
