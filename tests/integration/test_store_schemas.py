"""Migration 0027 moves each event store into a schema of its own without changing a byte: a
scratch database is recorded and signed, its stores put back in the layout before 0027
(`eventstore.d<code>_events`, ...), then migrated; the audit verification passes before and after,
every stored row is the same, and the tables were not rewritten."""

import re
from pathlib import Path

import psycopg
import yoyo
from psycopg.sql import SQL, Identifier

from audit import checkpoints
from audit.checkpoints import Signer
from audit.signing import SigningKey, init_keys
from audit.verify import verify
from audit.witness import Witness, installation, witnesses
from projections import connections
from projections.connections import with_login
from service.audit_trail import witness_in_city
from stations.bootstrap import bootstrap, prepare
from stations.database import MIGRATIONS, _yoyo_url
from tenants.stores import CHAIN, CITY, EVENTS, RECORDS, STORE_SCHEMA_PATTERN, SHARED_SCHEMA, store_of_schema, store_schema
from tests.builders import service_delivered, station_established
from tests.support import make_district, write

MIGRATION = "0027_store_schemas"
# What 0027 replaces, as the migrations before it made them (an older database has these).
OLD_FUNCTIONS = {"0021_database_roles.sql": ("stations_guard.refuse_ddl", "stations_guard.guarded",
                                             "stations_guard.lock_store", "stations_guard.settle"),
                 "0012_heads_of_stores_here.sql": ("eventstore.heads",),
                 "0008_district_duties.sql": ("reports.training_attendance",)}
NEW_FUNCTIONS = ("stations_guard.holds_append_only(oid, oid)", "eventstore.store_schema(text)")


def old_definitions() -> list[str]:
    found = []
    for file, names in OLD_FUNCTIONS.items():
        text = (MIGRATIONS / file).read_text()
        for name in names:
            match = re.search(rf"CREATE (OR REPLACE )?FUNCTION {re.escape(name)}\(.*?\$\$;", text, re.S)
            assert match, f"{name} in {file}"
            found.append("CREATE OR REPLACE " + match.group(0).removeprefix("CREATE ").removeprefix("OR REPLACE "))
    return found


def back_before_0027(url: str) -> None:
    """Each store's tables, indexes and sequence renamed and moved back to where the service kept
    them before 0027, the functions 0027 replaces as they were, and 0027 marked as not applied:
    what an older database has."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT stations_guard.enter_maintenance('a test puts the stores back as before 0027')")
        schemas = [s for (s,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ %s",
                                               [STORE_SCHEMA_PATTERN]).fetchall()]
        for schema in schemas:
            prefix = f"d{store_of_schema(schema)}_"
            for name, kind in conn.execute(
                    "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = %s AND c.relkind IN ('i', 'S')", [schema]).fetchall():
                conn.execute(SQL("ALTER {} {} RENAME TO {}").format(
                    SQL("INDEX" if kind == "i" else "SEQUENCE"), Identifier(schema, name), Identifier(prefix + name)))
            for table in (EVENTS, RECORDS, CHAIN):
                conn.execute(SQL("ALTER TABLE {} RENAME TO {}").format(Identifier(schema, table), Identifier(prefix + table)))
                conn.execute(SQL("ALTER TABLE {} SET SCHEMA {}").format(Identifier(schema, prefix + table),
                                                                         Identifier(SHARED_SCHEMA)))
            conn.execute(SQL("DROP SCHEMA {}").format(Identifier(schema)))
        for definition in old_definitions():
            conn.execute(definition)
        for function in NEW_FUNCTIONS:
            conn.execute(f"DROP FUNCTION {function}")
        conn.execute(SQL("REVOKE CREATE ON DATABASE {} FROM stations_owner").format(
            Identifier(conn.info.dbname)))
        conn.execute("SELECT stations_guard.leave_maintenance()")
    backend = yoyo.get_backend(_yoyo_url(url))
    with backend.lock():
        backend.unmark_migrations(yoyo.read_migrations(str(MIGRATIONS)).filter(lambda m: m.id == MIGRATION))


def migrate(url: str) -> None:
    backend = yoyo.get_backend(_yoyo_url(url))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(yoyo.read_migrations(str(MIGRATIONS))))


def heads(url: str, codes: list[str]) -> list[tuple[str, int]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT * FROM eventstore.heads(%s) ORDER BY 1", [codes]).fetchall()


def stored(url: str, tables: dict[str, str]) -> dict[str, tuple]:
    """Every row of each table (named by the test), and the file each table's data is in."""
    with psycopg.connect(url) as conn:
        return {name: (conn.execute(SQL("SELECT * FROM {} ORDER BY 1, 2").format(SQL(table))).fetchall(),
                       conn.execute("SELECT pg_relation_filenode(%s::regclass)", [table]).fetchone()[0])
                for name, table in tables.items()}


def store_tables(code: str, old: bool = False) -> dict[str, str]:
    return {f"{code} {t}": f"{SHARED_SCHEMA}.d{code}_{t}" if old else f"{store_schema(code)}.{t}"
            for t in (EVENTS, RECORDS, CHAIN)}


async def verified(url: str, code: str, key: SigningKey, witness_dir: Path) -> dict:
    conn = await connections.connect(url)
    try:
        found = await witnesses(conn, witness_dir, await installation(conn), code)
        return (await verify(conn, code, {key.key_id: key.public}, found)).as_json()
    finally:
        await conn.close()


async def record_and_sign(runtime, district, records: list[dict], key: SigningKey, witness_dir: Path) -> None:
    write(runtime, district, records)
    conn = await connections.connect(runtime.database_url)
    try:
        signer = Signer(key, Witness(witness_dir, await installation(conn), witness_in_city(runtime.tenants)))
        await checkpoints.make(conn, signer, district.code, "test")
    finally:
        await conn.close()


async def test_0027_moves_each_store_into_its_schema_without_changing_a_byte(settings, scratch_url, tmp_path):
    data_dir = tmp_path / "data"  # the scratch database's own installation id, keys and witnesses
    data_dir.mkdir()
    scratch = settings.model_copy(update={"database_url": scratch_url, "data_dir": data_dir,
                                          "signing_key_file": data_dir / "signing-key.pem",
                                          "reader_database_url": with_login(scratch_url, "stations_reader")})
    init_keys(scratch.signing_key_path, scratch.keyring_path)
    key, witness_dir = SigningKey.load_or_create(scratch.signing_key_path), scratch.witness_path
    prepare(scratch, scratch_url)
    runtime = bootstrap(scratch, scratch_url)
    try:
        district = make_district(runtime)
        await record_and_sign(runtime, district, [station_established(district.town)]
                              + [service_delivered(district.town) for _ in range(4)], key, witness_dir)
    finally:
        runtime.close()
    verified_before = [await verified(scratch_url, code, key, witness_dir) for code in (district.code, CITY)]
    rows_before = {**stored(scratch_url, store_tables(district.code)), **stored(scratch_url, store_tables(CITY))}

    back_before_0027(scratch_url)
    old_heads = heads(scratch_url, [district.code, CITY])
    old = {**stored(scratch_url, store_tables(district.code, old=True)),
           **stored(scratch_url, store_tables(CITY, old=True))}
    migrate(scratch_url)
    rows_after = {**stored(scratch_url, store_tables(district.code)), **stored(scratch_url, store_tables(CITY))}
    verified_after = [await verified(scratch_url, code, key, witness_dir) for code in (district.code, CITY)]

    assert [(v["ok"], v["events"], v["checkpoints"]) for v in verified_before] == [(True, 5, 1), (True, 1, 0)]
    assert verified_after == [{**v, "seconds": a["seconds"]} for v, a in zip(verified_before, verified_after, strict=True)]
    assert old == rows_before == rows_after, "the same rows, in the same files: moved, not copied"
    assert old_heads == heads(scratch_url, [district.code, CITY]) == [(district.code, 5), (CITY, 1)]
    with psycopg.connect(scratch_url) as conn:
        events = f"{store_schema(district.code)}.{EVENTS}"
        settled = conn.execute(
            "SELECT (SELECT array_agg(tgname ORDER BY tgname) FROM pg_trigger WHERE tgrelid = %(t)s::regclass"
            "        AND NOT tgisinternal),"
            " (SELECT array_agg(policyname ORDER BY policyname) FROM pg_policies"
            "  WHERE schemaname = %(s)s AND tablename = 'events'),"
            " (SELECT relforcerowsecurity FROM pg_class WHERE oid = %(t)s::regclass),"
            " has_table_privilege('stations_writer', %(t)s, 'INSERT'), has_table_privilege('stations_writer', %(t)s, 'UPDATE'),"
            " has_schema_privilege('stations_reader', %(s)s, 'USAGE'), pg_get_userbyid(n.nspowner),"
            " (SELECT array_agg(relname ORDER BY relname) FROM pg_class WHERE relnamespace = n.oid AND relkind IN ('i', 'S'))"
            " FROM pg_namespace n WHERE n.nspname = %(s)s",
            {"t": events, "s": store_schema(district.code)}).fetchone()
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'eventstore'").fetchone()[0]
    assert settled[:-1] == (["append_only", "append_only_truncate"], ["district_scope", "service"], True, True, False,
                            True, "stations_owner")
    assert sorted(settled[-1]) == sorted(["chain_pkey", "chain_recorded_at", "events_notification_id_idx", "events_pkey",
                                          "events_notification_id_seq", "records_pkey"]), "named as a new store's are"
    assert left == 0

    runtime = bootstrap(scratch, scratch_url)  # and the store takes new records after the move
    try:
        await record_and_sign(runtime, district, [service_delivered(district.town) for _ in range(3)], key, witness_dir)
    finally:
        runtime.close()
    after_more = await verified(scratch_url, district.code, key, witness_dir)
    assert (after_more["ok"], after_more["events"], after_more["checkpoints"]) == (True, 8, 2)
