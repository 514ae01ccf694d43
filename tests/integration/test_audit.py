"""The audit trail on a real PostgreSQL: append-only stores, and tampering of each kind found."""

import asyncpg
import pytest

from audit import checkpoints
from kernel import merkle
from audit.checkpoints import Signer
from audit.signing import SigningKey
from audit.verify import verify
from audit.witness import installation, witnesses
from domain.records import parse_record
from tests.builders import service_delivered
from tests.integration.tampering import change_event, recompute_chain, tamper
from tests.integration.tampering import table as events
from tests.support import context


def table(district) -> str:
    return events(district.code)


async def check(conn, district, key, witness_dir=None) -> dict:
    witnessed = await witnesses(conn, witness_dir, await installation(conn), district.code) if witness_dir else ()
    return (await verify(conn, district.code, {key.key_id: key.public}, witnessed)).as_json()


@pytest.mark.parametrize("statement", [
    "UPDATE {t} SET state = state || '\\x20'::bytea WHERE notification_id = 1",
    "DELETE FROM {t} WHERE notification_id = 1",
    "TRUNCATE {t}",
])
async def test_the_store_refuses_changes_even_from_the_service(conn, logged, statement):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute(statement.format(t=table(logged)))


async def test_an_intact_log_verifies(conn, logged, key, signer, tmp_path):
    await checkpoints.make(conn, signer, logged.code, "test")
    result = await check(conn, logged, key, tmp_path / "witness")
    assert result["ok"] and result["events"] == 5 and result["checkpoints"] == 1 and result["witnessed"] == 2


async def test_a_changed_payload_is_found_at_its_position(conn, logged, key):
    await change_event(conn, logged.code, 3)
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


async def test_a_rewritten_chain_is_caught_by_the_signed_checkpoint(conn, logged, key, signer):
    await checkpoints.make(conn, signer, logged.code, "test")
    # The tamperer changes an event and recomputes the whole chain, but cannot sign.
    await change_event(conn, logged.code, 2)
    await recompute_chain(conn, logged.code)

    result = await check(conn, logged, key)

    assert not result["ok"]
    assert "checkpoint" in result["problems"][0]["detail"]


async def test_a_checkpoint_signed_by_another_key_is_refused(conn, logged, key, signer, tmp_path):
    impostor = SigningKey.load_or_create(tmp_path / "impostor.pem")
    await checkpoints.make(conn, Signer(impostor, signer.witness), logged.code, "test")
    result = await verify(conn, logged.code, {impostor.key_id: key.public})
    assert not result.ok and "signature" in result.problems[0]["detail"]


async def test_proofs_verify_against_the_signed_roots(conn, runtime, logged, key, signer, monkeypatch):
    monkeypatch.setattr(checkpoints, "LEAVES_AT_ONCE", 2)  # the leaves stream through the root in several fetches
    first = await checkpoints.make(conn, signer, logged.code, "test")
    runtime.tenants.ledger(logged.code).record([parse_record(service_delivered(logged.town))],
                                               context(runtime, logged))
    second = await checkpoints.make(conn, signer, logged.code, "test")
    leaves = [leaf for _, leaf, _ in await checkpoints.leaves(conn, logged.code)]

    assert (first.tree_size, second.tree_size) == (5, 6)
    assert merkle.root(leaves) == second.root
    for index in range(6):
        assert merkle.verify_inclusion(leaves[index], index, 6, merkle.inclusion_proof(leaves, index), second.root)
    assert merkle.verify_consistency(5, 6, first.root, second.root, merkle.consistency_proof(leaves, 5))
    key.public.verify(second.signature, second.message())
