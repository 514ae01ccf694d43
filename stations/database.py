"""The PostgreSQL the service runs on: the configured one, or an embedded one, and its schema."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yoyo

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


def migrate(database_url: str) -> None:
    """Bring the service's own tables up to date (the event tables are the library's)."""
    backend = yoyo.get_backend(_yoyo_url(database_url))
    migrations = yoyo.read_migrations(str(MIGRATIONS))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(migrations))


def _yoyo_url(database_url: str) -> str:
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {scheme}://...")
    return f"postgresql+psycopg://{rest}"
