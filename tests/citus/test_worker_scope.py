"""The read scope on a worker, asked of the coordinator once a transaction of the worker's backend
(migration 0029): a district's policy is checked per row there, and the answer is kept in a
temporary table of that backend that the guard owns, emptied at commit. The reads go through the
service's reader pool (`open_reader`, `scoped`), whose transactions are READ ONLY on the
coordinator but not on the workers, where the guard makes its table."""

import random
from collections.abc import AsyncIterator, Iterator

import asyncpg
import psycopg
import pytest
from psycopg import errors
from psycopg.sql import SQL, Identifier, Literal

from projections.connections import open_reader, scoped, with_login
from stations.settings import Settings

MINE, OTHER = "350203", "350204"


@pytest.fixture
def coordinator(settings: Settings, database_url: str) -> Iterator[psycopg.Connection]:
    """A superuser's session on the coordinator, the service's migrations applied (`settings`)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


def probe_store(coordinator: psycopg.Connection, district: str, count: int) -> str:
    """A distributed schema placed whole on a worker, its events table bound to `district` by the
    policy a store has in Citus mode (`tenants/event_store.py`), holding `count` events."""
    schema = f"scope_probe_{random.randrange(10**9)}"
    with coordinator.transaction():
        coordinator.execute("SET LOCAL citus.enable_schema_based_sharding = on")
        coordinator.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
    table = SQL("{}.events").format(Identifier(schema))
    coordinator.execute(SQL("CREATE TABLE {} (notification_id bigint PRIMARY KEY, topic text NOT NULL)").format(table))
    coordinator.execute(SQL("GRANT USAGE ON SCHEMA {} TO stations_reader").format(Identifier(schema)))
    coordinator.execute(SQL("GRANT SELECT ON {} TO stations_reader").format(table))
    coordinator.execute(SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(table))
    coordinator.execute(SQL("CREATE POLICY district_scope ON {} TO stations_reader"
                            " USING (stations_guard.scope() IN ({}, '*'))").format(table, Literal(district)))
    coordinator.execute(SQL("INSERT INTO {} SELECT g, 't' FROM generate_series(1, %s) g").format(table), [count])
    return schema


def worker_of(coordinator: psycopg.Connection, schema: str) -> int:
    return coordinator.execute(
        "SELECT DISTINCT n.nodeport FROM citus_shards s JOIN pg_dist_node n USING (nodename, nodeport)"
        " WHERE s.table_name::text = %s", [f"{schema}.events"]).fetchone()[0]


@pytest.fixture
async def reader_pool(settings: Settings, database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The service's reader pool, one connection: each transaction reuses the same coordinator's
    backend, so the same cached connection to a worker and the same worker's backend."""
    pool = await asyncpg.create_pool(with_login(database_url, "stations_reader"), min_size=1, max_size=1,
                                     init=open_reader)
    try:
        yield pool
    finally:
        await pool.close()


async def count(pool: asyncpg.Pool, scope: str, schema: str) -> int:
    async with scoped(pool, scope) as conn:
        return await conn.fetchval(f'SELECT count(*) FROM "{schema}".events')


async def test_a_scoped_reader_sees_its_districts_rows_on_a_worker_and_the_next_scope_on_the_same_connection(
        coordinator, reader_pool, nodes):
    mine, other = probe_store(coordinator, MINE, 300), probe_store(coordinator, OTHER, 200)
    seen = [(await count(reader_pool, MINE, mine), await count(reader_pool, MINE, other)),
            (await count(reader_pool, OTHER, mine), await count(reader_pool, OTHER, other)),
            (await count(reader_pool, "*", mine), await count(reader_pool, "*", other))]
    assert seen == [(300, 0), (0, 200), (300, 200)]
    async with scoped(reader_pool, MINE) as conn:  # two statements of one transaction, the answer kept between
        assert [await conn.fetchval(f'SELECT count(*) FROM "{mine}".events') for _ in range(2)] == [300, 300]
    # The answers were kept in the guard's table on the worker (its transactions were not READ ONLY there).
    with psycopg.connect(coordinator.info.dsn, port=worker_of(coordinator, mine), autocommit=True) as worker:
        kept = worker.execute(
            "SELECT count(*) FROM pg_class WHERE relname = 'stations_guard_asked' AND relpersistence = 't'"
            " AND relowner = (SELECT proowner FROM pg_proc WHERE oid = 'stations_guard.scope()'::regprocedure)").fetchone()[0]
    assert kept >= 1


def test_a_transaction_read_only_on_the_worker_too_still_sees_its_scope(coordinator, database_url):
    # A BEGIN's READ ONLY is passed on to the worker, where a new backend cannot make the guard's
    # table: each row asks the coordinator, as before 0029 (slower, the same rows).
    mine = probe_store(coordinator, MINE, 3)
    with psycopg.connect(with_login(database_url, "stations_reader"), autocommit=True) as reader:
        reader.execute("SELECT stations_guard.open_session()")
        for scope, rows in ((MINE, 3), (OTHER, 0)):
            reader.execute("BEGIN READ ONLY")
            reader.execute("SELECT stations_guard.bind_scope(%s)", [scope])
            assert reader.execute(SQL("SELECT count(*) FROM {}.events").format(Identifier(mine))).fetchone()[0] == rows
            reader.execute("COMMIT")


@pytest.fixture
def bound_on_coordinator(coordinator: psycopg.Connection) -> Iterator[int]:
    """A coordinator's backend holding MINE's binding for as long as the test runs: its global
    process id, which a worker's backend serving it carries (`citus_backend_gpid()`)."""
    gpid = coordinator.execute("SELECT citus_backend_gpid()").fetchone()[0]
    with coordinator.transaction():
        coordinator.execute("SET LOCAL ROLE stations_reader")
        coordinator.execute("SELECT stations_guard.bind_scope(%s)", [MINE])
        yield gpid


def serving(database_url: str, port: int, gpid: int) -> psycopg.Connection:
    """The reader's session on a worker, as a backend serving that coordinator's backend is."""
    return psycopg.connect(with_login(database_url, "stations_reader"), port=port, autocommit=True,
                           application_name=f"citus_internal gpid={gpid}")


@pytest.mark.parametrize("forgery", [
    "CREATE TEMPORARY TABLE stations_guard_asked (began timestamptz NOT NULL, scope text);"
    " INSERT INTO stations_guard_asked VALUES (transaction_timestamp(), '*')",
    "CREATE TEMPORARY TABLE stations_guard_asked (began timestamptz NOT NULL, scope text);"
    " INSERT INTO stations_guard_asked VALUES (transaction_timestamp(), '*');"
    " REVOKE ALL ON stations_guard_asked FROM stations_reader",  # its own, though it may no longer read it
    "SELECT stations_guard.bind_scope('*')",
])
def test_a_table_or_lock_of_the_readers_own_on_the_worker_binds_nothing(bound_on_coordinator, database_url, nodes,
                                                                       forgery):
    for port in nodes.values():
        with serving(database_url, port, bound_on_coordinator) as worker, worker.transaction():
            worker.execute(forgery)
            # Named as the coordinator's backend but in no transaction of its (migration 0031): no
            # scope at all, never the reader's wider one.
            assert worker.execute("SELECT stations_guard.scope(), stations_guard.scope()").fetchone() == (None, None)


def test_a_worker_s_backend_serving_the_coordinator_opens_no_session_table(bound_on_coordinator, database_url, nodes):
    with serving(database_url, next(iter(nodes.values())), bound_on_coordinator) as worker:
        with pytest.raises(errors.InsufficientPrivilege, match="opened on the coordinator"):
            worker.execute("SELECT stations_guard.open_session()")


async def test_a_reader_renaming_its_workers_backend_after_another_backend_gains_nothing(
        coordinator, reader_pool, settings, database_url, nodes):
    """A statement pushed down to a worker may set that backend's `application_name`, from which
    Citus reads the global process id again: named as a backend bound to every district, the
    reader's next transactions on that worker must still see its own district's rows only
    (migration 0031: the backend served is found by the distributed transaction)."""
    mine = probe_store(coordinator, MINE, 30)
    others = [probe_store(coordinator, OTHER, 20) for _ in range(len(nodes))]
    other = next(s for s in others if worker_of(coordinator, s) == worker_of(coordinator, mine))
    victim = await asyncpg.create_pool(with_login(database_url, "stations_reader"), min_size=1, max_size=1,
                                       init=open_reader)
    try:
        async with scoped(victim, "*") as everyone:
            assert await everyone.fetchval(f'SELECT count(*) FROM "{other}".events') == 20
            gpid = await everyone.fetchval("SELECT citus_backend_gpid()")
            async with scoped(reader_pool, MINE) as conn:
                renamed = await conn.fetchval(f"SELECT set_config('application_name', 'citus_internal gpid={gpid}',"
                                              f' false) FROM "{mine}".events LIMIT 1')
                assert renamed == f"citus_internal gpid={gpid}"
            assert [await count(reader_pool, MINE, other) for _ in range(2)] == [0, 0]
            assert await count(reader_pool, MINE, mine) == 30
    finally:
        await victim.close()
