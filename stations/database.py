"""The PostgreSQL the service runs on: the configured one, or an embedded one, and its schema."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import yoyo

from projections.connections import with_login

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Run a real PostgreSQL from the `pgserver` wheel, its data kept in `data_dir`, until exit."""
    import pgserver  # imported here: only needed when no server is configured

    pgdata = data_dir / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    log.info("starting embedded PostgreSQL in %s", pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def database(database_url: str | None, data_dir: Path) -> Iterator[str]:
    """The URL of the database to use: the configured one, else an embedded server's."""
    if database_url:
        yield database_url
    else:
        with embedded_postgres(data_dir) as url:
            yield url


def wait_until_reachable(database_url: str, *, within: float = 60.0) -> None:
    """Wait, backing off, for the database to accept connections (it may be starting with us)."""
    deadline, delay = time.monotonic() + within, 0.2
    while True:
        try:
            psycopg.connect(database_url, connect_timeout=2).close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.info("database not reachable yet (%s); retrying in %.1f s", str(exc).strip(), delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def migrate(database_url: str) -> None:
    """Bring the service's own tables up to date (the event tables are the library's)."""
    backend = yoyo.get_backend(_yoyo_url(database_url))
    migrations = yoyo.read_migrations(str(MIGRATIONS))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(migrations))


def reader_login(superuser_url: str) -> str:
    """Development and tests only: stations_reader may log in (with no password of its own, so on a
    server that trusts its local callers), and its URL is the superuser's with the user switched.
    Production names its own login with a password (STATIONS_READER_DATABASE_URL)."""
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("ALTER ROLE stations_reader LOGIN")
    return with_login(superuser_url, "stations_reader")


def _yoyo_url(database_url: str) -> str:
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {scheme}://...")
    return f"postgresql+psycopg://{rest}"
