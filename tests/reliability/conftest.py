"""Fault-injection suite: the real service (and worker) as subprocesses on a real PostgreSQL,
killed, starved of their database, slowed, stopped and loaded, while clients keep retrying like
tablets do.

Part of the default run (`scripts/test`, CI): each scenario runs for STATIONS_RELIABILITY_SECONDS
(15 by default, a few minutes in all). A long run:

    STATIONS_RELIABILITY_SECONDS=120 python -m pytest tests/reliability -q

STATIONS_RELIABILITY=0 leaves the suite out (a quick run of the rest). Each test gets a fresh
database on DATABASE_URL's server when it is set, else on an embedded PostgreSQL (pgserver)
started in a temp dir. `test_database_stopped.py` stops and starts a server, so it only runs on
an embedded one of its own.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability import harness



def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The collect_ignore of this folder: every test module when STATIONS_RELIABILITY=0."""
    if collection_path.name.startswith("test_") and os.environ.get("STATIONS_RELIABILITY") == "0":
        return True
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if harness.SUMMARY:
        terminalreporter.section("reliability counts")
        for line in harness.SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server to make databases on: DATABASE_URL's, else an embedded one."""
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with harness.embedded_server(tmp_path_factory.mktemp("reliability-postgres")) as (url, _):
        yield url


@pytest.fixture
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database for this test alone."""
    with harness.fresh_database(server_url) as url:
        yield url


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """Where the subprocesses write their output (and the service its signing key)."""
    return tmp_path
