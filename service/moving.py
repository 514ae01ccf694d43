"""Moving a district to another PostgreSQL server, with nothing lost on the way.

The district's event store (events, record index, hash chain) and its signed checkpoints are
copied to the target under a lock that keeps writers out; the copy is accepted only when the
target's log has the same length and the same chain head as the source's; then the registry
places the district on the target and the source's copy is dropped, in a maintenance recorded on
the source (the database refuses to drop an event store outside one: migration 0021). The target's projection
worker rebuilds the district's report tables from its log, as after any restore.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from projections.tables import REPORT_TABLES
from tenants import registry
from tenants.event_store import DistrictRecorder, server_label
from tenants.stores import CHAIN, EVENTS, RECORDS, store_schema


class MoveRefused(Exception):
    """The move was not made, and nothing changed."""


@dataclass(frozen=True)
class Moved:
    district: str
    events: int
    chain_head: str
    checkpoints: int
    maintenance: int  # the line of the source's stations_guard.maintenance that records the drop


def move_district(home: PostgresDatastore, home_url: str, district: str, source: str | None, target: str | None, *,
                  open_server: Callable[[str], PostgresDatastore],
                  advance: Callable[[int], None] = lambda _: None) -> Moved:
    """Move `district` from the server `source` to the server `target` (URLs; None for the
    service's own database at `home_url`). `open_server` migrates and opens another server;
    `advance` hears how many rows each copy step took. Refused on a Citus coordinator, before
    anything is touched: Citus moves a district's schema itself."""
    if registry.placed_by_citus(home):
        raise MoveRefused(registry.CITUS_PLACES)
    if source == target:
        raise MoveRefused(f"district {district} is on that server already")
    datastore = home if target is None else open_server(target)
    try:
        recorder = DistrictRecorder(datastore, district)
        if recorder.exists() and recorder.max_notification_id():
            raise MoveRefused(f"the target already holds events of district {district}")
        recorder.create_table()
    finally:
        if datastore is not home:
            datastore.close()
    source, target = source or home_url, target or home_url
    schema = store_schema(district)
    tables = [Identifier(schema, EVENTS), Identifier(schema, RECORDS), Identifier(schema, CHAIN)]
    with psycopg.connect(source) as src, psycopg.connect(target) as dst:
        # Writers wait on this lock (as on every write's own) until the source is dropped.
        src.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(tables[0]))
        for table in tables:
            _copy(src, dst, SQL("COPY {} TO STDOUT (FORMAT binary)").format(table),
                  SQL("COPY {} FROM STDIN (FORMAT binary)").format(table), advance)
        dst.execute(SQL("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'),"
                        " greatest((SELECT max(notification_id) FROM {}), 1))").format(tables[0]),
                    [f"{schema}.{EVENTS}"])
        _copy(src, dst, SQL("COPY (SELECT * FROM audit.checkpoints WHERE district = {}) TO STDOUT (FORMAT binary)"
                            ).format(district), SQL("COPY audit.checkpoints FROM STDIN (FORMAT binary)"), advance)
        moved = _same_log(src, dst, district)
        dst.commit()
        registry.place(home, district, None if target == home_url else target)
        [maintenance] = src.execute("SELECT stations_guard.enter_maintenance(%s)",
                                    [f"move-district {district} to {server_label(target) or 'its own server'}:"
                                     f" {moved.events} events copied, the source's store dropped"]).fetchone()
        for table in tables:
            src.execute(SQL("DROP TABLE {}").format(table))
        src.execute(SQL("DROP SCHEMA {}").format(Identifier(schema)))  # refused were anything else left in it
        src.execute("SELECT stations_guard.leave_maintenance()")
        for table in (*REPORT_TABLES, "tracking"):
            src.execute(SQL("DELETE FROM {} WHERE district = %s").format(Identifier("reports", table)), [district])
        src.execute("DELETE FROM snapshots.taken WHERE district = %s", [district])
        for table in REPORT_TABLES:
            src.execute(SQL("DELETE FROM {} WHERE district = %s").format(Identifier("snapshots", table)), [district])
        src.commit()
    return replace(moved, maintenance=maintenance)


def _copy(src: psycopg.Connection, dst: psycopg.Connection, out: SQL, into: SQL,
          advance: Callable[[int], None]) -> None:
    with src.cursor().copy(out) as reading, dst.cursor() as curs:
        with curs.copy(into) as writing:
            for block in reading:
                writing.write(block)
        advance(curs.rowcount)


def _same_log(src: psycopg.Connection, dst: psycopg.Connection, district: str) -> Moved:
    """The copy's length, chain head and checkpoints, refused unless they equal the source's."""
    query = SQL("SELECT count(*), (SELECT chain FROM {chain} ORDER BY position DESC LIMIT 1),"
                " (SELECT count(*) FROM audit.checkpoints WHERE district = %s) FROM {chain}"
                ).format(chain=Identifier(store_schema(district), CHAIN))
    there, here = src.execute(query, [district]).fetchone(), dst.execute(query, [district]).fetchone()
    if there != here:
        dst.rollback()
        raise MoveRefused(f"the copy of district {district} differs from its source ({here} != {there})")
    events, head, checkpoints = here
    return Moved(district, events, bytes(head).hex() if head else "", checkpoints, maintenance=0)

