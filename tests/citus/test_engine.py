"""What Citus does differently from one PostgreSQL, for the statements an event store makes and
runs, on a schema made as a district's is to be made in Citus mode (with schema-based sharding on,
so placed whole on a worker). Each test shows one difference the service's Citus mode must meet
(README, "Citus: what the engine does differently")."""

import random
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors
from psycopg.sql import SQL, Identifier

from stations.settings import Settings


@pytest.fixture
def coordinator(settings: Settings, database_url: str) -> Iterator[psycopg.Connection]:
    """A superuser's session on the coordinator, the service's migrations applied (`settings`)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def store(coordinator: psycopg.Connection) -> str:
    """A distributed schema holding an events table and a chain, as a district's store would."""
    schema = f"citus_probe_{random.randrange(10**9)}"
    with coordinator.transaction():
        coordinator.execute("SET LOCAL citus.enable_schema_based_sharding = on")
        coordinator.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
    coordinator.execute(SQL(
        "CREATE TABLE {}.events (notification_id bigserial PRIMARY KEY, originator_id uuid NOT NULL,"
        " originator_version bigint NOT NULL, topic text NOT NULL, state bytea NOT NULL)").format(Identifier(schema)))
    coordinator.execute(SQL(
        "CREATE TABLE {}.chain (position bigint PRIMARY KEY, chain bytea NOT NULL,"
        " recorded_at timestamptz NOT NULL DEFAULT clock_timestamp())").format(Identifier(schema)))
    return schema


def insert_events(conn: psycopg.Connection, schema: str, count: int) -> list[int]:
    """The write's transaction as the recorder makes it: the table's lock, the NOTIFY, positions
    from the table's sequence, then the rows at those positions."""
    events = f"{schema}.events"
    with conn.transaction():
        conn.execute(SQL("LOCK TABLE {}.events IN EXCLUSIVE MODE").format(Identifier(schema)))
        conn.execute(SQL("NOTIFY {}").format(Identifier(f"{schema}_events")))
        positions = conn.execute(
            "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'notification_id')::regclass))"
            " FROM generate_series(1, %s)", [events, count]).fetchone()[0]
        conn.execute(SQL("INSERT INTO {}.events SELECT p, gen_random_uuid(), 1, 't', '\\x00' FROM unnest(%s::bigint[]) p")
                     .format(Identifier(schema)), [positions])
    return positions


def test_a_schema_made_with_sharding_on_is_placed_whole_on_a_worker(coordinator, store, nodes):
    placed = coordinator.execute(
        "SELECT DISTINCT n.nodeport FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid)"
        " JOIN pg_dist_node n USING (groupid) WHERE s.logicalrelid::regclass::text LIKE %s", [f"{store}.%"]).fetchall()
    assert len(placed) == 1 and placed[0][0] in nodes.values()
    kinds = coordinator.execute("SELECT citus_table_type FROM citus_tables WHERE table_name::text LIKE %s",
                                [f"{store}.%"]).fetchall()
    assert kinds == [("schema",), ("schema",)]


def test_the_tables_lock_keeps_a_second_writer_out_and_positions_follow_the_sequence(coordinator, store, database_url):
    # A statement waiting on the worker's lock is bound by settings the worker was given: the
    # session's lock_timeout stays on the coordinator unless Citus passes SET LOCAL on; and a
    # timeout on the worker reaches the caller as a failed connection, not as LockNotAvailable
    # (which of the two nodes the second writer waits on first varies from run to run).
    with psycopg.connect(database_url, autocommit=True, options="-c statement_timeout=60s") as other:
        with coordinator.transaction():
            coordinator.execute(SQL("LOCK TABLE {}.events IN EXCLUSIVE MODE").format(Identifier(store)))
            with pytest.raises((errors.LockNotAvailable, errors.InternalError_), match="lock timeout|essential"), \
                    other.transaction():
                other.execute("SET LOCAL citus.propagate_set_commands = 'local'")
                other.execute("SET LOCAL lock_timeout = '200ms'")
                other.execute(SQL("LOCK TABLE {}.events IN EXCLUSIVE MODE").format(Identifier(store)))
        assert insert_events(coordinator, store, 3) == [1, 2, 3]
        assert insert_events(other, store, 2) == [4, 5]
    stored = coordinator.execute(SQL("SELECT array_agg(notification_id ORDER BY notification_id) FROM {}.events")
                                 .format(Identifier(store))).fetchone()[0]
    assert stored == [1, 2, 3, 4, 5]


def test_a_notify_of_the_writers_session_is_heard_but_one_in_a_query_run_on_the_worker_is_not(
        coordinator, store, database_url):
    channel, worker_channel = f"{store}_events", f"{store}_moved"
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute(SQL("LISTEN {}").format(Identifier(channel)))
        listener.execute(SQL("LISTEN {}").format(Identifier(worker_channel)))
        insert_events(coordinator, store, 1)
        # As the projection worker announces a batch: pg_notify in a query on a table that,
        # distributed, is read on the worker: the notice is raised there, for the worker's listeners.
        coordinator.execute(SQL("SELECT pg_notify(%s, notification_id::text) FROM {}.events").format(
            Identifier(store)), [worker_channel])
        coordinator.execute("SELECT pg_notify(%s, 'after')", [channel])  # a sentinel: all before it was delivered
        heard = []
        for notice in listener.notifies(timeout=30):
            heard.append(notice.channel)
            if notice.payload == "after":
                break
    assert heard == [channel, channel]


def test_a_trigger_on_a_distributed_table_needs_unsafe_triggers_on_and_then_refuses_changes_on_the_worker(
        coordinator, store):
    trigger = SQL("CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {}.events"
                  " FOR EACH ROW EXECUTE FUNCTION eventstore.refuse_change()").format(Identifier(store))
    with pytest.raises(errors.InternalError_, match="triggers are not supported on distributed tables"):
        coordinator.execute(trigger)
    with coordinator.transaction():
        coordinator.execute("SET LOCAL citus.enable_unsafe_triggers = on")
        coordinator.execute(trigger)
    insert_events(coordinator, store, 1)
    for change in ("UPDATE {}.events SET topic = 'forged'", "DELETE FROM {}.events"):
        with pytest.raises(errors.InsufficientPrivilege, match="append-only") as refused:
            coordinator.execute(SQL(change).format(Identifier(store)))
        assert "while executing command on 127.0.0.1" in str(refused.value)  # refused by the worker's shard


def test_the_read_scope_bound_on_the_coordinator_is_seen_by_the_policy_on_the_worker(coordinator, store):
    table = SQL("{}.events").format(Identifier(store))
    coordinator.execute(SQL("GRANT USAGE ON SCHEMA {} TO stations_reader").format(Identifier(store)))
    coordinator.execute(SQL("GRANT SELECT ON {} TO stations_reader").format(table))
    coordinator.execute(SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(table))
    with pytest.raises(psycopg.Error, match="unexpected non-SELECT command in SubLink"):  # a single node's policy
        coordinator.execute(SQL("CREATE POLICY district_scope ON {} TO stations_reader"
                                " USING ((SELECT stations_guard.scope()) IN ('350203', '*'))").format(table))
    coordinator.execute(SQL("CREATE POLICY district_scope ON {} TO stations_reader"
                            " USING (stations_guard.scope() IN ('350203', '*'))").format(table))
    insert_events(coordinator, store, 2)
    seen = {}
    for scope in ("350203", "350204", "*"):
        with coordinator.transaction():
            coordinator.execute("SET LOCAL ROLE stations_reader")
            coordinator.execute("SELECT stations_guard.bind_scope(%s)", [scope])
            # The binding is an advisory lock of the coordinator's backend, which the worker's backend
            # finds by the global process id it carries (migration 0028).
            seen[scope] = coordinator.execute(SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0]
    assert seen == {"350203": 2, "350204": 0, "*": 2}
    with coordinator.transaction():  # and no binding, no rows
        coordinator.execute("SET LOCAL ROLE stations_reader")
        assert coordinator.execute(SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0] == 0
