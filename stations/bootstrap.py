"""The composition root: from settings and a database URL to a running service's parts.

Nothing connects, creates tables or seeds data before `bootstrap` is called.
"""

from functools import partial

import psycopg
from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore

from projections.gaps import Rules
from projections.reports import Deadlines
from service.runtime import AuditOptions, ReadOptions, Runtime
from stations.citus import prepare_coordinator
from stations.database import migrate, reader_login, wait_until_reachable
from stations.installation import pinned_installation
from stations.settings import READER_DATABASE_URL_MISSING, Settings
from tenants import registry
from tenants.event_store import open_datastore, server_label
from tenants.tenancy import HOME, Tenants


OTHER_SERVER_WAIT_SECONDS = 5.0  # a request must not hang on a server that is down


def migrates_at_start(settings: Settings) -> bool:
    """Outside production the start migrates (through a superuser's URL); in production the
    database's owner does, with `stations migrate` (docs/database-roles.md)."""
    return settings.environment != "production"


def open_server(settings: Settings, url: str) -> PostgresDatastore:
    """Another server districts are placed on: the same schema, its own pool. One that is
    down fails fast as the database being unavailable (a 503 for its districts only)."""
    try:
        wait_until_reachable(url, within=OTHER_SERVER_WAIT_SECONDS)
        if migrates_at_start(settings):
            migrate(url)
            reader_login(url)
    except psycopg.OperationalError as exc:
        raise OperationalError(f"{server_label(url)}: {exc}") from exc
    return open_datastore(url, pool_size=settings.write_pool_size, max_overflow=settings.write_pool_overflow,
                          statement_timeout=settings.statement_timeout)


def prepare(settings: Settings, owner_url: str) -> None:
    """The owner's part (`stations migrate`): the migrations, the registry's seed, and the event
    store of every district on this server and the city's, created by their owner."""
    wait_until_reachable(owner_url)
    migrate(owner_url)
    if settings.citus:
        prepare_coordinator(owner_url)
    datastore = open_datastore(owner_url, pool_size=1, max_overflow=0, statement_timeout=settings.statement_timeout,
                               citus=settings.citus)
    try:
        registry.seed(datastore)
    except BaseException:
        datastore.close()
        raise
    tenants = Tenants(datastore)
    try:
        for store in tenants.stores():
            if tenants.server_of(store) is HOME:
                tenants.ledger(store)
    finally:
        tenants.close()


def reader_url(settings: Settings, database_url: str) -> str:
    """The login of the API's scoped reads: the configured one; outside production, with no
    reader login configured, stations_reader on the start's own (superuser's) database URL."""
    if settings.reader_database_url:
        return settings.reader_database_url
    if not migrates_at_start(settings):
        raise ValueError(READER_DATABASE_URL_MISSING)  # production never derives a password-less login
    return reader_login(database_url)


def bootstrap(settings: Settings, database_url: str) -> Runtime:
    wait_until_reachable(database_url)
    if migrates_at_start(settings):
        migrate(database_url)
        if settings.citus:
            prepare_coordinator(database_url)
    readers = reader_url(settings, database_url)
    datastore = open_datastore(database_url, pool_size=settings.write_pool_size,
                               max_overflow=settings.write_pool_overflow, statement_timeout=settings.statement_timeout,
                               citus=settings.citus)
    registry.seed(datastore)

    tenants = Tenants(datastore, partial(open_server, settings))
    tenants.open_all()
    return Runtime(database_url, readers, datastore, tenants,
                   AuditOptions(settings.keyring_path, settings.witness_path, pinned_installation(settings, database_url),
                                settings.checkpoint_wait_seconds),
                   Deadlines(settings.town_report_deadline_days, settings.district_report_deadline_days),
                   Rules(settings.evaluation_tolerance_days, settings.final_evaluation_grace_days),
                   ReadOptions(settings.read_pool_size, settings.statement_timeout, settings.min_position_timeout))
