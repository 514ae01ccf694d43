"""Fault-injection suite: the real service (and worker) as subprocesses on a real PostgreSQL,
killed, starved of their database and loaded, while clients keep retrying like tablets do.

NOT part of a plain `python -m pytest` run (the main suite's CI budget is fixed): its test
modules are ignored unless the environment has STATIONS_RELIABILITY=1 or this folder (or a
file in it) is named on the command line:

    python -m pytest tests/reliability -q                    # about 3 minutes
    STATIONS_RELIABILITY_SECONDS=120 python -m pytest tests/reliability -q   # a long run

Each test gets a fresh database on DATABASE_URL's server when it is set, else on an embedded
PostgreSQL (pgserver) started in a temp dir. `test_database_stopped.py` stops and starts a server,
so it only runs on an embedded one of its own.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability import harness

HERE = Path(__file__).resolve().parent


def _named_on_command_line(config: pytest.Config) -> bool:
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def _enabled(config: pytest.Config) -> bool:
    return os.environ.get("STATIONS_RELIABILITY") == "1" or _named_on_command_line(config)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The collect_ignore of this folder: every test module, unless enabled (see the docstring)."""
    if collection_path.name.startswith("test_") and not _enabled(config):
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
