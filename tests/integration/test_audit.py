"""The audit trail on a real PostgreSQL: append-only stores, and tampering of each kind found."""

import asyncpg
import pytest

from audit import checkpoints
from kernel import chain, merkle
from audit.signing import SigningKey
from audit.verify import verify
from domain.records import parse_record
from projections import connections
from tenants.event_store import SCHEMA, chain_table, events_table
from tests.builders import service_delivered, station_established
from tests.support import context


@pytest.fixture
async def conn(database_url):
    conn = await connections.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
def key(tmp_path) -> SigningKey:
    return SigningKey.load_or_create(tmp_path / "signing-key.pem")


@pytest.fixture
def logged(runtime, district):
    """A district with five events, returned with its events table's name."""
    records = [station_established(district.town)] + [service_delivered(district.town) for _ in range(4)]
    runtime.tenants.ledger(district.code).record([parse_record(r) for r in records], context(runtime, district))
    return district


def table(district) -> str:
    return f'{SCHEMA}."{events_table(district.code)}"'


async def tamper(conn: asyncpg.Connection, statement: str, *args) -> None:
    """Change the store as a superuser would, with the append-only triggers switched off."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(statement, *args)


async def check(conn, district, key) -> dict:
    return (await verify(conn, district.code, {key.key_id: key.public})).as_json()


@pytest.mark.parametrize("statement", [
    "UPDATE {t} SET state = state || '\\x20'::bytea WHERE notification_id = 1",
    "DELETE FROM {t} WHERE notification_id = 1",
    "TRUNCATE {t}",
])
async def test_the_store_refuses_changes_even_from_the_service(conn, logged, statement):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute(statement.format(t=table(logged)))


async def test_an_intact_log_verifies(conn, logged, key):
    await checkpoints.make(conn, key, logged.code, "test")
    result = await check(conn, logged, key)
    assert result["ok"] and result["events"] == 5 and result["checkpoints"] == 1


async def test_a_changed_payload_is_found_at_its_position(conn, logged, key):
    await tamper(conn, f"UPDATE {table(logged)} SET state = convert_to(replace(convert_from(state, 'UTF8'), '1.50', '9.50'), 'UTF8')"
                       f" WHERE notification_id = 3")
    result = await check(conn, logged, key)
    assert not result["ok"] and result["first_bad_position"] == 3


async def test_a_removed_event_is_found_at_its_position(conn, logged, key):
    await tamper(conn, f"DELETE FROM {table(logged)} WHERE notification_id = 4")
    result = await check(conn, logged, key)
    assert result["first_bad_position"] == 4 and "removed" in result["problems"][0]["detail"]


async def test_two_swapped_events_are_found(conn, logged, key):
    await tamper(conn, f"UPDATE {table(logged)} e SET state = o.state FROM {table(logged)} o"
                       f" WHERE (e.notification_id, o.notification_id) IN ((2, 3), (3, 2))")
    result = await check(conn, logged, key)
    assert result["first_bad_position"] == 2


async def test_a_rewritten_chain_is_caught_by_the_signed_checkpoint(conn, logged, key):
    await checkpoints.make(conn, key, logged.code, "test")
    # The tamperer changes an event and recomputes the whole chain, but cannot sign.
    await tamper(conn, f"UPDATE {table(logged)} SET state = convert_to(replace(convert_from(state, 'UTF8'), '1.50', '9.50'), 'UTF8')"
                       f" WHERE notification_id = 2")
    rows = await conn.fetch(f"SELECT * FROM {table(logged)} ORDER BY notification_id")
    value = chain.GENESIS
    for row in rows:
        leaf = chain.leaf(row["notification_id"], row["originator_id"], row["originator_version"], row["topic"],
                          bytes(row["state"]))
        value = chain.link(value, leaf)
        await tamper(conn, f'UPDATE {SCHEMA}."{chain_table(logged.code)}" SET leaf = $2, chain = $3'
                           f" WHERE position = $1", row["notification_id"], leaf, value)

    result = await check(conn, logged, key)

    assert not result["ok"]
    assert "checkpoint" in result["problems"][0]["detail"]


async def test_a_checkpoint_signed_by_another_key_is_refused(conn, logged, key, tmp_path):
    impostor = SigningKey.load_or_create(tmp_path / "impostor.pem")
    await checkpoints.make(conn, impostor, logged.code, "test")
    result = await verify(conn, logged.code, {impostor.key_id: key.public})
    assert not result.ok and "signature" in result.problems[0]["detail"]


async def test_proofs_verify_against_the_signed_roots(conn, runtime, logged, key, monkeypatch):
    monkeypatch.setattr(checkpoints, "LEAVES_AT_ONCE", 2)  # the leaves stream through the root in several fetches
    first = await checkpoints.make(conn, key, logged.code, "test")
    runtime.tenants.ledger(logged.code).record([parse_record(service_delivered(logged.town))],
                                               context(runtime, logged))
    second = await checkpoints.make(conn, key, logged.code, "test")
    leaves = [leaf for _, leaf, _ in await checkpoints.leaves(conn, logged.code)]

    assert (first.tree_size, second.tree_size) == (5, 6)
    assert merkle.root(leaves) == second.root
    for index in range(6):
        assert merkle.verify_inclusion(leaves[index], index, 6, merkle.inclusion_proof(leaves, index), second.root)
    assert merkle.verify_consistency(5, 6, first.root, second.root, merkle.consistency_proof(leaves, 5))
    key.public.verify(second.signature, second.message())
