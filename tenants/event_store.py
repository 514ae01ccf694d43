"""Each district's own event store, all on one PostgreSQL connection pool.

A district's events live in its own schema (`tenants.stores`: `district_<code>.events`), written
by the eventsourcing library's PostgreSQL recorder, with its own position sequence and its own
NOTIFY channel. Beside it, `records` indexes the district's record ids, written in the same
transaction as the events, and `chain` links them. Every district's recorder shares the one
`PostgresDatastore`, so the number of connections is the pool's size, not the number of
districts.
"""

import time
from contextlib import suppress
from collections.abc import Callable, Sequence
from itertools import count
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
import psycopg
from psycopg import Connection
from psycopg.errors import LockNotAvailable, QueryCanceled
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.sql import SQL, Composed, Identifier, Literal

from kernel import chain
from kernel.overrides import TableCreatedAlone
from tenants.report_shards import place_beside_store
from tenants.stores import CHAIN, EVENTS, RECORDS, SHARED_SCHEMA, channel_of, store_schema
from writes.ledger import IndexedRecord

ATTEMPTS = 10  # of a read or write of the write path while reconnecting
RETRY_SECONDS = 3.0
LOCK_TIMEOUT_SECONDS = 5
TIMED_OUT = (LockNotAvailable, QueryCanceled)  # the database is slow, not gone
STATEMENT_TIMEOUT = "30s"  # the longest a statement may run, unless set otherwise
# A Citus coordinator's write sessions: a store's schema they create is distributed (placed whole
# on a worker), and its append-only triggers may be made (Citus refuses triggers on distributed
# tables unless told). Not citus.propagate_set_commands: it forwards a SET LOCAL's whole query
# text, and the write's first round trip holds several statements, which the worker then ran too.
CITUS_SESSION = (SQL("SET citus.enable_schema_based_sharding = on"), SQL("SET citus.enable_unsafe_triggers = on"))

Result = TypeVar("Result")


def server_label(server: str | None) -> str:
    """How a server is named in logs, errors and task names: host, port and database, never a password."""
    if server is None:
        return ""
    params = conninfo_to_dict(server)
    return f"@{params.get('host', 'localhost')}:{params.get('port', 5432)}/{params.get('dbname', '')}"


class BoundedDatastore(PostgresDatastore):
    """The library's datastore, whose sessions also bound every statement and lock wait: the
    library sets a lock timeout only around its own table lock, so a read of the write path
    (a record lookup, an aggregate's events) could otherwise wait on a slow database forever."""

    def __init__(self, *args: Any, statement_timeout: str, citus: bool = False, **kwargs: Any):
        self.statement_timeout = statement_timeout  # before the library's constructor configures the pool
        self.citus = citus
        super().__init__(*args, **kwargs)

    def after_connect_func(self) -> Callable[[Connection[Any]], None]:
        library_setup = super().after_connect_func()
        bound = SQL("SET statement_timeout = {}; SET lock_timeout = {}").format(
            Literal(self.statement_timeout), Literal(f"{LOCK_TIMEOUT_SECONDS}s"))
        if self.citus:  # README, "Citus": what the engine does differently
            bound += SQL("; ").join([SQL(""), *CITUS_SESSION])

        def after_connect(conn: Connection[Any]) -> None:
            library_setup(conn)
            conn.execute(bound)

        return after_connect


def open_datastore(database_url: str, *, pool_size: int, max_overflow: int, statement_timeout: str = STATEMENT_TIMEOUT,
                   schema: str = SHARED_SCHEMA, citus: bool = False) -> PostgresDatastore:
    """The datastore (and connection pool) every district's event store on one server is written
    through (a scratch schema's for the bench's measure of the store alone)."""
    params = conninfo_to_dict(database_url)
    return BoundedDatastore(
        dbname=params.get("dbname", "postgres"),
        host=params.get("host", "localhost"),
        port=params.get("port", 5432),
        user=params.get("user", "postgres"),
        password=params.get("password", ""),
        schema=schema,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # No ping before each use (a round trip per connection taken): a connection the server
        # dropped fails its statement, the pool discards it, and every read and write of the
        # store tries again on another (`retry`, `DistrictRecorder.insert_events`).
        pre_ping=False,
        lock_timeout=LOCK_TIMEOUT_SECONDS,
        idle_in_transaction_session_timeout=10,
        statement_timeout=statement_timeout,
        citus=citus,
    )


def _while_reconnecting(action: Callable[[], Result]) -> Result:
    """The action, tried again while the connection is being lost (a server restarting, a
    connection the server dropped). A lock or statement timeout is not tried again: the database
    is slow, and the caller hears so (a 503) at once instead of after ten timeouts; nor is a
    server that stays away for longer than a restart takes (each try may wait for a connection
    for the pool's timeout)."""
    give_up_at = time.monotonic() + RETRY_SECONDS
    for attempt in count(1):
        try:
            return action()
        except (InterfaceError, OperationalError) as exc:
            if attempt == ATTEMPTS or isinstance(exc.__cause__, TIMED_OUT) or time.monotonic() >= give_up_at:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


class StoreDatastore:
    """One store's view of its server's datastore: the same connection pool, the store's schema.
    The library qualifies each table of a recorder by its datastore's `schema` (and quotes the
    table's name as one identifier, so a dotted name would not do): given this, a store's
    recorder writes `<the store's schema>.events` on the pool every store of the server shares."""

    def __init__(self, shared: PostgresDatastore, schema: str):
        self.shared = shared
        self.schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self.shared, name)


class DistrictRecorder(TableCreatedAlone, PostgresApplicationRecorder):
    """The library's recorder for one district's events table, plus the district's record index
    and chain, in the district's own schema (`schema` names another, for the bench's scratch
    stores, which are then made with the library's own lock and left to their maker)."""

    def __init__(self, datastore: BoundedDatastore, district: str, *, schema: str | None = None):
        self.is_store = schema is None
        self.citus = datastore.citus
        super().__init__(StoreDatastore(datastore, schema or store_schema(district)), events_table_name=EVENTS)
        self.district = district
        self.channel_name = channel_of(self.datastore.schema)  # the library's "events": one for every store
        # The library's composite type and insert function serve its own insert, which this
        # recorder's replaces (`insert_events`): not made in each store's schema (the type its
        # adapters look up stays in `eventstore`, migration 0021).
        self.sql_create_statements = [
            statement for statement in self.sql_create_statements
            if statement is not self.sql_create_pg_function_insert_events and "CREATE TYPE" not in statement.as_string()]
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.insert(0, SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        records = Identifier(RECORDS)
        events = Identifier(self.events_table_name)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{records} ("
            " record_id text PRIMARY KEY,"
            " record_type text NOT NULL,"
            " content_hash text NOT NULL,"
            " stream_id uuid NOT NULL,"
            " stream_version bigint NOT NULL)"
        ).format(schema=schema, records=records))
        self.chain_table_name = CHAIN
        links = Identifier(self.chain_table_name)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
            " position bigint PRIMARY KEY,"
            " leaf bytea NOT NULL,"
            " chain bytea NOT NULL,"
            " recorded_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        ).format(schema=schema, chain=links))
        # What the log held at a moment (as_of reads): the last position recorded by then.
        self.sql_create_statements.append(SQL(
            "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{chain} (recorded_at)"
        ).format(index=Identifier(f"{CHAIN}_recorded_at"), schema=schema, chain=links))
        # Reads of the API see this district's tables only when scoped to it (migrations 0003,
        # 0021), the writer may only add rows, and nobody may change or remove one (migration 0004).
        # (Citus refuses a policy with a subquery on a distributed table: there, the call is made per row.)
        scope = SQL("stations_guard.scope()" if self.citus else "(SELECT stations_guard.scope())")
        scope_check = SQL("{scope} IN ({district}, '*')").format(scope=scope, district=Literal(district))
        self.sql_create_statements.append(SQL(
            "GRANT USAGE ON SCHEMA {schema} TO stations_writer, stations_reader").format(schema=schema))
        for table in (events, records, links):
            self.sql_create_statements.append(SQL(
                "DO $$ BEGIN"
                " GRANT SELECT ON {schema}.{table} TO stations_reader;"
                " GRANT SELECT, INSERT ON {schema}.{table} TO stations_writer;"
                " ALTER TABLE {schema}.{table} ENABLE ROW LEVEL SECURITY;"
                " ALTER TABLE {schema}.{table} FORCE ROW LEVEL SECURITY;"
                " CREATE POLICY service ON {schema}.{table} TO stations_owner, stations_writer"
                "  USING (true) WITH CHECK (true);"
                " CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {schema}.{table}"
                "  FOR EACH ROW EXECUTE FUNCTION eventstore.refuse_change();"
                " CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON {schema}.{table}"
                "  FOR EACH STATEMENT EXECUTE FUNCTION eventstore.refuse_change();"
                " CREATE POLICY district_scope ON {schema}.{table} TO stations_reader USING ({check});"
                " EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            ).format(schema=schema, table=table, check=scope_check))
        # The transaction begins with the table's lock (the library's statements: one writer at a
        # time, so positions are given in commit order), the NOTIFY, and, under the lock, the
        # positions the events will take and the chain's head they are linked onto: one round
        # trip (statements without parameters may go several at once, prepared ones may not;
        # `begin_reserving` puts the count in). The sequence is named once, in a subquery: named
        # in each `nextval` call, it was looked up in the catalog once a position. The head is read
        # by a statement of its own: on a Citus coordinator a query naming the chain is sent whole
        # to the worker holding it, where `nextval` would draw from the worker's range of the sequence.
        self.begin_reserving_parts = (SQL("; ").join([
            SQL("BEGIN"), *self._lock_statements(), SQL("NOTIFY {0}").format(Identifier(self.channel_name)),
            SQL("SELECT (SELECT array_agg(nextval((SELECT pg_get_serial_sequence({events}, 'notification_id')::regclass)))"
                " FROM generate_series(1, ").format(events=Literal(f"{self.datastore.schema}.{self.events_table_name}"))]),
            SQL(")) AS positions; SELECT (SELECT chain FROM {schema}.{chain} ORDER BY position DESC LIMIT 1) AS head").format(
                schema=schema, chain=links))
        # Then the events at those positions, their record index rows and their chain links in
        # one statement. The library's own insert sends a composite-type array that psycopg dumps
        # in Python, row by row; plain arrays are dumped by its C dumpers. Same tables and columns.
        self.insert_rows_statement = SQL(
            "WITH indexed AS (INSERT INTO {schema}.{records}"
            " (record_id, record_type, content_hash, stream_id, stream_version)"
            " SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::uuid[], %b::bigint[])),"
            " inserted AS (INSERT INTO {schema}.{events} (notification_id, originator_id, originator_version, topic,"
            " state) SELECT * FROM unnest(%b::bigint[], %b::uuid[], %b::bigint[], %b::text[], %b::bytea[]))"
            " INSERT INTO {schema}.{chain} (position, leaf, chain)"
            " SELECT * FROM unnest(%b::bigint[], %b::bytea[], %b::bytea[])"
        ).format(schema=schema, records=records, events=events, chain=links)
        self.lookup_statement = SQL(
            "SELECT r.record_id, r.record_type, r.content_hash, r.stream_id, r.stream_version,"
            " e.notification_id FROM {schema}.{records} r"
            " JOIN {schema}.{events} e ON e.originator_id = r.stream_id AND e.originator_version = r.stream_version"
            " WHERE r.record_id = ANY(%s)"
        ).format(schema=schema, records=records, events=events)
        self.events_after_statement = SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state"
            " FROM unnest(%b::uuid[], %b::bigint[]) AS known (stream, version)"
            " JOIN {schema}.{events} e ON e.originator_id = known.stream AND e.originator_version > known.version"
            " ORDER BY e.originator_id, e.originator_version"
        ).format(schema=schema, events=events)

    def _lock_statements(self) -> list[Any]:
        """The library's lock of the events table; in a store's schema, taken through
        `stations_guard.lock_store`, as the writer may not LOCK a table it may not change."""
        if not self.is_store:
            return self.lock_table_statements
        events = Literal(f"{self.datastore.schema}.{self.events_table_name}")
        # On a Citus coordinator a LOCK TABLE is taken on every node, so that one worker down stopped
        # every district's writes: every write goes through the coordinator, and its lock there
        # alone keeps one writer at a time (Citus passes no lock on while DDL propagation is off).
        local = [SQL("SET LOCAL citus.enable_ddl_propagation = off")] if self.citus else []
        return [*self.lock_table_statements[:-1], *local, SQL("SELECT stations_guard.lock_store({})").format(events)]

    def create_table(self) -> None:
        super().create_table()
        if self.citus and self.is_store:  # Citus isolates a tenant only in a transaction of its own
            with self.datastore.transaction(commit=True) as curs:
                curs.execute("SELECT pg_advisory_xact_lock(hashtext('stations: create an event store'))")
                place_beside_store(curs, self.district)

    def _create_table(self, curs: Any) -> None:
        """The store's DDL by its owner (`stations migrate`, or a superuser's start), in a
        maintenance that records it: outside one, the database's event trigger refuses any DDL on
        the event stores (migration 0021). Every store is owned by stations_owner."""
        curs.execute("SELECT stations_guard.enter_maintenance(%s)", [f"create the event store {self.datastore.schema}"])
        super()._create_table(curs)
        curs.execute(SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO stations_writer").format(
            Identifier(self.datastore.schema, f"{self.events_table_name}_notification_id_seq")))
        if self.is_store:
            curs.execute(SQL("ALTER SCHEMA {} OWNER TO stations_owner").format(Identifier(self.datastore.schema)))
            for table in (EVENTS, RECORDS, CHAIN):
                curs.execute(SQL("ALTER TABLE {} OWNER TO stations_owner").format(Identifier(self.datastore.schema, table)))
        curs.execute("SELECT stations_guard.leave_maintenance()")

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Insert, trying again while the connection is being lost (`_while_reconnecting`): a
        retry after a commit whose answer was lost fails on the record index, and the ledger then
        reports those records as duplicates, so nothing is stored twice."""
        return _while_reconnecting(lambda: self._insert_in_one_transaction(stored_events, **kwargs))

    def _insert_in_one_transaction(self, stored_events: Sequence[StoredEvent], *,
                                   index: Sequence[IndexedRecord] = ()) -> Sequence[int]:
        # The library sends its statements in pipeline mode, which deadlocks in psycopg over a
        # Unix socket (the embedded server's) once a batch nears 1000 events. These go in one
        # transaction, begun and ended by hand on the pool's autocommit connection so that
        # BEGIN shares a round trip: three in all.
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                curs.execute(self.begin_reserving(len(stored_events)))
                while curs.nextset():  # to the last two statements' rows
                    if curs.description is not None and "positions" in (c.name for c in curs.description):
                        positions = curs.fetchone()["positions"]
                leaves, links = self._links(stored_events, positions, curs.fetchone()["head"])
                curs.execute(self.insert_rows_statement, [
                    [row.record_id for row in index],
                    [row.record_type for row in index],
                    [row.content_hash for row in index],
                    [row.stream for row in index],
                    [row.stream_version for row in index],
                    positions,
                    [e.originator_id for e in stored_events],
                    [e.originator_version for e in stored_events],
                    [e.topic for e in stored_events],
                    [e.state for e in stored_events],
                    positions, leaves, links,
                ])
                curs.execute("COMMIT")
            except BaseException:
                if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
                    with suppress(psycopg.Error):
                        conn.execute("ROLLBACK")
                raise
            return positions

    def begin_reserving(self, count: int) -> Composed:
        before, after = self.begin_reserving_parts
        return Composed([before, Literal(count), after])

    @staticmethod
    def _links(stored_events: Sequence[StoredEvent], positions: Sequence[int],
               head: bytes | None) -> tuple[list[bytes], list[bytes]]:
        """The new events' leaves and chain values, hashed onto the district's chain (under the
        events table's lock, so chain order is log order)."""
        value = bytes(head) if head is not None else chain.GENESIS
        leaves, values = [], []
        for position, event in zip(positions, stored_events, strict=True):
            leaf = chain.leaf(position, event.originator_id, event.originator_version, event.topic, event.state)
            value = chain.link(value, leaf)
            leaves.append(leaf)
            values.append(value)
        return leaves, values

    def exists(self) -> bool:
        """Whether the district's store was created already (its chain table is made last)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute("SELECT to_regclass(%s) IS NOT NULL AS found",
                         [f"{self.datastore.schema}.{self.chain_table_name}"])
            return curs.fetchone()["found"]

    def lookup_records(self, record_ids: Sequence[str]) -> dict[str, IndexedRecord]:
        return _while_reconnecting(lambda: self._lookup_records(record_ids)) if record_ids else {}

    def _lookup_records(self, record_ids: Sequence[str]) -> dict[str, IndexedRecord]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.lookup_statement, [list(record_ids)])
            return {
                row["record_id"]: IndexedRecord(row["record_id"], row["record_type"], row["content_hash"],
                                                row["stream_id"], row["stream_version"], row["notification_id"])
                for row in curs.fetchall()
            }

    def events_after(self, versions: dict[UUID, int]) -> list[StoredEvent]:
        """Every event of the streams after the versions given (0 for a whole stream), in
        stream and version order: one query for all."""
        return _while_reconnecting(lambda: self._events_after(versions)) if versions else []

    def _events_after(self, versions: dict[UUID, int]) -> list[StoredEvent]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.events_after_statement, [list(versions), list(versions.values())])
            return [StoredEvent(row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"]))
                    for row in curs.fetchall()]
