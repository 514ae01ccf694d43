"""The database's own users cannot rewrite what was recorded (migration 0021): the writer may only
add rows, the reader cannot widen its scope, and DDL on the event stores and the checkpoints is
refused outside a maintenance that is recorded."""

from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import psycopg
import pytest
from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict
from psycopg.errors import InsufficientPrivilege, RaiseException
from psycopg.sql import SQL, Identifier

from audit import checkpoints
from domain.records import parse_record
from projections import connections
from projections.worker import ProjectionWorker
from tenants.event_store import BoundedDatastore, DistrictRecorder
from tenants.stores import SHARED_SCHEMA, CHAIN, EVENTS, RECORDS, store_schema
from writes.ledger import DistrictLedger
from tests.builders import service_delivered
from tests.support import context

REFUSED = (InsufficientPrivilege, RaiseException)


@pytest.fixture
async def recorded(runtime, database_url, district, other_district, signer):
    """Two districts with an event each, and a signed checkpoint of the first's log."""
    for d in (district, other_district):
        runtime.tenants.ledger(d.code).record([parse_record(service_delivered(d.town))], context(runtime, d))
    conn = await asyncpg.connect(database_url)
    try:
        await checkpoints.make(conn, signer, district.code, "a test")
    finally:
        await conn.close()
    return district, other_district


def session_as(database_url: str, role: str) -> Iterator[psycopg.Connection]:
    """A session whose user is `role` (the superuser's own cannot be taken back by `RESET ROLE`)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SQL("SET SESSION AUTHORIZATION {}").format(Identifier(role)))
        yield conn


@pytest.fixture
def writer(database_url, recorded) -> Iterator[psycopg.Connection]:
    yield from session_as(database_url, "stations_writer")


@pytest.fixture
def owner(database_url, recorded) -> Iterator[psycopg.Connection]:
    yield from session_as(database_url, "stations_owner")


@pytest.fixture(params=["opened", "unopened"])
def reader(request, database_url, recorded) -> Iterator[psycopg.Connection]:
    """A reader's session, opened as the service's reader pool opens its connections (the guard's
    table of bound scopes made: migration 0023), or not (its scope read from the lock alone)."""
    for session in session_as(database_url, "stations_reader"):
        if request.param == "opened":
            session.execute("SELECT stations_guard.open_session()")
        yield session


@pytest.fixture
def superuser(database_url, recorded) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


def events_of(code: str) -> Identifier:
    return Identifier(store_schema(code), EVENTS)


@pytest.mark.parametrize("statement", [
    "ALTER TABLE {events} DISABLE TRIGGER append_only",
    "ALTER TABLE {events} DISABLE TRIGGER ALL",
    "DROP TABLE {events}",
    "DROP TABLE {chain}",
    "UPDATE {events} SET state = state",
    "DELETE FROM {events}",
    "DELETE FROM {records}",
    "UPDATE {chain} SET chain = leaf",
    "TRUNCATE {chain}",
    "DELETE FROM audit.checkpoints",
    "UPDATE audit.checkpoints SET signature = signature",
    "ALTER TABLE audit.checkpoints DISABLE TRIGGER append_only",
    "DELETE FROM audit.access_log",
    "SELECT stations_guard.enter_maintenance('the writer wants to rewrite')",
    "CREATE TABLE eventstore.d000000_events (id int)",
    "CREATE TABLE {schema}.extra (id int)",
    "CREATE SCHEMA district_000000",
])
def test_the_writer_may_not_change_or_remove_what_was_recorded(writer, recorded, statement):
    mine, _ = recorded
    tables = {"events": events_of(mine.code), "records": Identifier(store_schema(mine.code), RECORDS),
              "chain": Identifier(store_schema(mine.code), CHAIN), "schema": Identifier(store_schema(mine.code))}
    with pytest.raises(REFUSED):
        writer.execute(SQL(statement).format(**tables))


def test_the_writer_adds_and_reads_every_district_s_events(writer, recorded):
    for d in recorded:
        assert writer.execute(SQL("SELECT count(*) FROM {}").format(events_of(d.code))).fetchone()[0] == 1
    assert writer.execute("SELECT count(*) FROM audit.checkpoints WHERE district = %s",
                          [recorded[0].code]).fetchone()[0] == 1


@pytest.mark.parametrize("statement", [
    "DELETE FROM audit.checkpoints WHERE district = %(code)s",
    "UPDATE audit.checkpoints SET reason = 'rewritten' WHERE district = %(code)s",
])
def test_the_checkpoints_are_append_only_for_their_owner_too(owner, recorded, statement):
    with pytest.raises(REFUSED):
        owner.execute(statement, {"code": recorded[0].code})


@pytest.mark.parametrize("statement", [
    "ALTER TABLE {events} DISABLE TRIGGER append_only",
    "ALTER TABLE {events} NO FORCE ROW LEVEL SECURITY",
    "DROP TRIGGER append_only ON {events}",
    "DROP POLICY district_scope ON {events}",
    "DROP TABLE {events}",
    "ALTER TABLE audit.checkpoints DISABLE TRIGGER append_only",
    "DROP TRIGGER append_only ON audit.checkpoints",
    "ALTER TABLE audit.access_log DISABLE TRIGGER append_only_truncate",
    "DROP TABLE audit.checkpoints",
    "DROP TABLE stations_guard.maintenance",
    "CREATE TABLE {schema}.extra (id int)",
    "DROP SCHEMA {schema} CASCADE",
    "ALTER SCHEMA {schema} RENAME TO elsewhere",
    "ALTER TABLE {events} SET SCHEMA public",
    "ALTER TABLE {events} RENAME TO old_events",
])
def test_ddl_on_the_guarded_tables_is_refused_outside_a_maintenance_even_to_a_superuser(superuser, recorded,
                                                                                      statement):
    with pytest.raises(REFUSED, match="outside a maintenance"):
        superuser.execute(SQL(statement).format(events=events_of(recorded[0].code),
                                                schema=Identifier(store_schema(recorded[0].code))))


def test_a_maintenance_allows_ddl_and_is_recorded_with_who_and_why(superuser, recorded):
    why = f"a test disables a trigger of {recorded[0].code} and takes it back"
    with superuser.transaction(force_rollback=True):
        entered = superuser.execute("SELECT stations_guard.enter_maintenance(%s)", [why]).fetchone()[0]
        superuser.execute(SQL("ALTER TABLE {} DISABLE TRIGGER append_only").format(events_of(recorded[0].code)))
        superuser.execute("DELETE FROM audit.checkpoints WHERE district = %s", [recorded[0].code])
        logged = superuser.execute("SELECT who = session_user, why, at <= clock_timestamp() FROM"
                                   " stations_guard.maintenance WHERE id = %s", [entered]).fetchone()
        assert logged == (True, why, True)
        superuser.execute("SELECT stations_guard.leave_maintenance()")
        with pytest.raises(REFUSED):
            superuser.execute(SQL("ALTER TABLE {} ENABLE TRIGGER append_only").format(events_of(recorded[0].code)))


def test_the_maintenance_log_cannot_be_rewritten(superuser, recorded):
    with superuser.transaction(force_rollback=True):
        superuser.execute("SELECT stations_guard.enter_maintenance('a test tries to erase its own line')")
        with pytest.raises(REFUSED):
            superuser.execute("DELETE FROM stations_guard.maintenance")


# -- the reader: FORCEd row-level security, a scope bound for the transaction ---------------------

def visible(conn: psycopg.Connection, code: str) -> int:
    return conn.execute(SQL("SELECT count(*) FROM {}").format(events_of(code))).fetchone()[0]


def test_the_reader_sees_only_the_district_its_transaction_is_bound_to(reader, recorded):
    mine, theirs = recorded
    with reader.transaction(force_rollback=True):
        reader.execute("SELECT stations_guard.bind_scope(%s)", [mine.code])
        assert visible(reader, mine.code) == 1 and visible(reader, theirs.code) == 0
        assert reader.execute("SELECT count(*) FROM audit.checkpoints WHERE district = %s",
                              [mine.code]).fetchone()[0] == 1


def test_an_unbound_reader_sees_nothing(reader, recorded):
    with reader.transaction(force_rollback=True):
        reader.execute("SELECT set_config('stations.scope', '*', true)")
        assert [visible(reader, d.code) for d in recorded] == [0, 0]


@pytest.mark.parametrize("escape", [
    "RESET ROLE",
    "SELECT set_config('stations.scope', '*', true)",
    "SET LOCAL stations.scope = '*'",
    "DISCARD TEMP",
    "RESET ALL",
    # The guard's table gone, one of the reader's own in its place: not the guard's, so not read.
    "DISCARD TEMP; CREATE TEMPORARY TABLE stations_guard_bound (scope text); INSERT INTO stations_guard_bound VALUES ('*')",
])
def test_the_reader_cannot_widen_its_scope(reader, recorded, escape):
    mine, theirs = recorded
    with reader.transaction(force_rollback=True):
        reader.execute("SELECT stations_guard.bind_scope(%s)", [mine.code])
        reader.execute(escape)
        assert reader.execute("SELECT current_user").fetchone()[0] == "stations_reader"
        assert visible(reader, theirs.code) == 0 and visible(reader, mine.code) == 1


@pytest.mark.parametrize("escape", [
    "SELECT stations_guard.bind_scope('*')",
    "SET ROLE stations_writer",
    "SET ROLE stations_owner",
    "SET ROLE postgres",
    "SELECT pg_advisory_xact_lock_shared(727, 1000000000)",
    "SELECT pg_try_advisory_lock(727, 1000000000)",
    "SELECT stations_guard.enter_maintenance('the reader wants out')",
    "INSERT INTO pg_temp.stations_guard_bound VALUES ('*')",
    "UPDATE pg_temp.stations_guard_bound SET scope = '*'",
    "DELETE FROM pg_temp.stations_guard_bound",
    "TRUNCATE pg_temp.stations_guard_bound",
    "DROP TABLE pg_temp.stations_guard_bound",
    "ALTER TABLE pg_temp.stations_guard_bound RENAME TO mine",
    "DISCARD TEMP; SELECT stations_guard.bind_scope('*')",
    "DISCARD TEMP; SELECT stations_guard.open_session(); SELECT stations_guard.bind_scope('*')",
    "SELECT stations_guard.open_session(); SELECT stations_guard.bind_scope('*')",
])
def test_the_reader_cannot_rebind_its_scope_nor_take_another_role(reader, recorded, escape):
    mine, theirs = recorded
    with reader.transaction(force_rollback=True):
        reader.execute("SELECT stations_guard.bind_scope(%s)", [mine.code])
        with pytest.raises(psycopg.Error), reader.transaction():  # a savepoint: the transaction stays usable
            reader.execute(escape)
        assert visible(reader, theirs.code) == 0 and visible(reader, mine.code) == 1


def test_a_table_of_bound_scopes_made_by_the_reader_first_is_not_the_guards(database_url, recorded):
    """A session that makes the table's name its own before the guard opens it: never read."""
    mine, theirs = recorded
    for reader in session_as(database_url, "stations_reader"):
        reader.execute("CREATE TEMPORARY TABLE stations_guard_bound (scope text)")
        reader.execute("SELECT stations_guard.open_session()")
        with reader.transaction(force_rollback=True):
            reader.execute("INSERT INTO stations_guard_bound VALUES ('*')")
            assert [visible(reader, d.code) for d in recorded] == [0, 0]
            reader.execute("SELECT stations_guard.bind_scope(%s)", [mine.code])
            assert visible(reader, theirs.code) == 0 and visible(reader, mine.code) == 1


def test_a_bound_scope_is_kept_in_the_guards_table_for_its_transaction(database_url, recorded):
    """Where `scope()` reads it back (as the guard, seen here by the superuser who owns the table)."""
    mine, _ = recorded
    with psycopg.connect(database_url, autocommit=True) as guard:
        guard.execute("SELECT stations_guard.open_session()")
        with guard.transaction():
            guard.execute("SELECT stations_guard.bind_scope(%s)", [mine.code])
            assert guard.execute("SELECT scope FROM pg_temp.stations_guard_bound").fetchall() == [(mine.code,)]
            assert guard.execute("SELECT stations_guard.scope()").fetchone()[0] == mine.code
        assert guard.execute("SELECT count(*) FROM pg_temp.stations_guard_bound").fetchone()[0] == 0


def test_a_bound_scope_lasts_its_transaction_only(reader, recorded):
    """A session that once read every district: its next transaction, bound to one, sees that one
    only, and one that binds nothing sees nothing."""
    mine, theirs = recorded
    with reader.transaction():
        reader.execute("SELECT stations_guard.bind_scope('*')")
        assert visible(reader, theirs.code) == 1
    with reader.transaction(force_rollback=True):
        reader.execute("SELECT stations_guard.bind_scope(%s)", [mine.code])
        assert visible(reader, theirs.code) == 0 and visible(reader, mine.code) == 1
    with reader.transaction(force_rollback=True):
        assert [visible(reader, d.code) for d in recorded] == [0, 0]


# -- the service's own work, as the writer: record, project, sign ------------------------------

class WriterDatastore(BoundedDatastore):
    """The write path's sessions as the writer (the superuser's URL of the tests, `SET ROLE`)."""

    def after_connect_func(self) -> Callable[[Connection[Any]], None]:
        setup = super().after_connect_func()

        def after_connect(conn: Connection[Any]) -> None:
            setup(conn)
            conn.execute("SET ROLE stations_writer")

        return after_connect


async def test_the_writer_records_projects_and_signs_but_creates_no_store(runtime, database_url, district, signer):
    params = conninfo_to_dict(database_url)
    datastore = WriterDatastore(dbname=params.get("dbname", "postgres"), host=params.get("host", "localhost"),
                                port=params.get("port", 5432), user=params.get("user", "postgres"),
                                password=params.get("password", ""), schema=SHARED_SCHEMA, pool_size=2, max_overflow=0,
                                statement_timeout="30s")
    pool = await connections.create_pool(database_url, min_size=1, max_size=2,
                                         init=lambda conn: conn.execute("SET ROLE stations_writer"))
    try:
        ledger = DistrictLedger(district.code, DistrictRecorder(datastore, district.code))
        written = ledger.record([parse_record(service_delivered(district.town))], context(runtime, district))
        assert written.position >= 1
        assert await ProjectionWorker(pool).catch_up(district.code) >= 1
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_user") == "stations_writer"
            assert await conn.fetchval("SELECT position FROM reports.tracking WHERE district = $1",
                                       district.code) == written.position
            made = await checkpoints.make(conn, signer, district.code, "the writer signs")
        assert made.tree_size >= 1
        with pytest.raises(Exception, match="permission denied|outside a maintenance"):
            DistrictRecorder(datastore, "999998").create_table()
    finally:
        await pool.close()
        datastore.close()
