"""Checkpoints that cannot vanish quietly (issue 27): a superuser's rewrite caught through the
witnesses, report steps without their checkpoint, a later checkpoint inconsistent with an
earlier one, a keyring across a rotation, and the log streamed in pages. Real PostgreSQL."""

import asyncio
import dataclasses
import json

import pytest

from audit import checkpoints, signer as signing
from audit.checkpoints import Signer, signed_message
from audit.signing import Keyring, MissingKey, SigningKey, init_keys, rotate_keys
from audit.verify import verify
from audit.witness import Witness, installation, witness_file, witnesses
from domain.records import parse_record
from kernel import clock, merkle
from stations.keys import require_keys, signing_key
from stations.settings import Settings
from tenants.stores import CITY, events_table
from tests.builders import service_delivered
from tests.integration.tampering import change_event, recompute_chain, tamper
from tests.support import TEST_SECRET, context


def trusted(*keys: SigningKey) -> dict:
    return {k.key_id: k.public for k in keys}


async def checked(conn, code: str, keys: dict, witness_dir=None, **options) -> dict:
    witnessed = await witnesses(conn, witness_dir, await installation(conn), code) if witness_dir else ()
    return (await verify(conn, code, keys, witnessed, **options)).as_json()


def details(result: dict) -> str:
    return "\n".join(p["detail"] for p in result["problems"])


async def rewrite_as_superuser(conn, code: str, attacker: Signer) -> None:
    """Triggers off, one event changed, the chain recomputed, the district's checkpoints deleted and
    signed again with the attacker's key: the district's own tables then agree with themselves."""
    await change_event(conn, code, 3)
    await recompute_chain(conn, code)
    await tamper(conn, "DELETE FROM audit.checkpoints WHERE district = $1", code)
    await checkpoints.make(conn, attacker, code, "report_submitted")


@pytest.fixture
async def attacker(conn, tmp_path) -> Signer:
    """Another key, whose checkpoints are witnessed nowhere the service looks."""
    return Signer(SigningKey.load_or_create(tmp_path / "attacker.pem"),
                  Witness(tmp_path / "attacker-witness", await installation(conn), lambda *_: None))


async def test_a_superusers_rewrite_is_caught_through_both_witnesses(conn, logged, key, signer, attacker, tmp_path):
    await checkpoints.make(conn, signer, logged.code, "report_submitted")
    assert (await checked(conn, logged.code, trusted(key), tmp_path / "witness"))["ok"]

    await rewrite_as_superuser(conn, logged.code, attacker)

    # Even with the attacker's key trusted, the witnesses show the rewrite.
    result = await checked(conn, logged.code, trusted(key, attacker.key), tmp_path / "witness")
    assert not result["ok"]
    assert "checkpoint 5 differs from its witness in the city's store" in details(result)
    assert "checkpoint 5 differs from its witness in the witness directory" in details(result)
    assert "the log no longer matches checkpoint 5 witnessed in" in details(result)
    # With the keyring as it is, the impostor's signature is refused too.
    result = await checked(conn, logged.code, trusted(key), tmp_path / "witness")
    assert "which the keyring does not trust" in details(result)


async def test_each_witness_alone_catches_the_rewrite(conn, logged, key, signer, attacker, tmp_path):
    await checkpoints.make(conn, signer, logged.code, "report_submitted")
    await rewrite_as_superuser(conn, logged.code, attacker)
    keys = trusted(key, attacker.key)

    # The city's witness alone (no witness directory shipped).
    city_only = await checked(conn, logged.code, keys, tmp_path / "elsewhere")
    assert not city_only["ok"] and "differs from its witness in the city's store" in details(city_only)

    # The witness directory alone: the attacker removes the city's witness events as well.
    await tamper(conn, f'DELETE FROM {events_table(CITY)} WHERE topic = $1'
                       " AND convert_from(state, 'UTF8')::jsonb ->> 'district' = $2",
                 "domain.witness:CheckpointWitness.Witnessed", logged.code)
    file_only = await checked(conn, logged.code, keys, tmp_path / "witness")
    assert not file_only["ok"]
    assert "differs from its witness in the witness directory" in details(file_only)
    assert "city's store" not in details(file_only)

    # Deleting the checkpoints outright leaves the witnessed ones missing.
    await tamper(conn, "DELETE FROM audit.checkpoints WHERE district = $1", logged.code)
    deleted = await checked(conn, logged.code, keys, tmp_path / "witness")
    assert "checkpoint 5, witnessed in the witness directory, is missing" in details(deleted)


async def test_a_witness_line_is_the_checkpoint_as_published(conn, logged, signer, tmp_path):
    made = await checkpoints.make(conn, signer, logged.code, "report_submitted")
    path = witness_file(tmp_path / "witness", await installation(conn), logged.code)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and made.as_json() == json.loads(lines[0])


async def test_a_changed_checkpoint_differs_from_its_witness(conn, logged, key, signer, tmp_path):
    made = await checkpoints.make(conn, signer, logged.code, "report_submitted")
    later = dataclasses.replace(made, made_at=made.made_at.replace(year=made.made_at.year + 1))
    await tamper(conn, "UPDATE audit.checkpoints SET made_at = $3, signature = $4 WHERE district = $1 AND"
                       " tree_size = $2", logged.code, made.tree_size, later.made_at, key.sign(later.message()))
    result = await checked(conn, logged.code, trusted(key), tmp_path / "witness")
    assert "checkpoint 5 differs from its witness in the city's store" in details(result)


async def test_a_report_step_without_its_checkpoint_is_caught(conn, runtime, logged, key, signer, tmp_path):
    ledger = runtime.tenants.ledger(logged.code)
    step = ledger.submit_report("2025H1", "", 5, {}, context(runtime, logged).provenance)

    result = await checked(conn, logged.code, trusted(key))
    assert not result["ok"] and result["first_bad_position"] == step
    assert f"the report step at position {step} has no checkpoint" in details(result)

    await signing.ask(conn, logged.code, step, "report_submitted")  # asked: the signer has yet to sign it
    result = await checked(conn, logged.code, trusted(key))
    assert result["ok"] and result["pending"] == [step]

    await conn.execute("UPDATE audit.checkpoint_requests SET asked_at = now() - interval '3 hours'"
                       " WHERE district = $1 AND position = $2", logged.code, step)  # a request never honoured
    result = await checked(conn, logged.code, trusted(key))
    assert not result["ok"] and result["first_bad_position"] == step and result["pending"] == []
    assert f"the report step at position {step} was asked to be signed at" in details(result)

    pool = _OnePool(conn)
    assert await signing.sign_asked(pool, signer) >= 1
    result = await checked(conn, logged.code, trusted(key), tmp_path / "witness")
    assert result["ok"] and result["pending"] == [] and (await signing.signed(conn, logged.code, step)) is not None


async def test_an_inconsistent_later_checkpoint_is_caught(conn, runtime, logged, key, signer):
    await checkpoints.make(conn, signer, logged.code, "daily")
    runtime.tenants.ledger(logged.code).record([parse_record(service_delivered(logged.town))],
                                               context(runtime, logged))
    # A checkpoint of six events whose root is not the first five extended (signed with the real key).
    forged = dataclasses.replace(await _made(conn, key, logged.code), root=bytes(32))
    await _insert(conn, forged, key)
    result = await checked(conn, logged.code, trusted(key))
    assert "checkpoint 6 is not consistent with the earlier checkpoint 5" in details(result)


@pytest.mark.parametrize("field, value, said", [
    ("chain_head", bytes(range(32)), "chain_head disagrees with the recomputed chain"),
    ("position", 999_999, "position disagrees with the recomputed log"),
])
async def test_a_checkpoint_whose_head_or_position_is_not_the_logs_is_caught(conn, logged, key, field, value, said):
    forged = dataclasses.replace(await _made(conn, key, logged.code), **{field: value})
    await _insert(conn, forged, key)
    result = await checked(conn, logged.code, trusted(key))
    assert not result["ok"] and f"checkpoint 5's {said}" in details(result)


async def test_after_a_rotation_old_checkpoints_verify_and_an_unknown_keys_do_not(conn, runtime, logged, signer,
                                                                                   tmp_path):
    path, keyring = tmp_path / "keys" / "signing-key.pem", tmp_path / "keys" / "keyring.pem"
    old = init_keys(path, keyring)
    await checkpoints.make(conn, dataclasses.replace(signer, key=old), logged.code, "daily")
    new = rotate_keys(path, keyring)
    runtime.tenants.ledger(logged.code).record([parse_record(service_delivered(logged.town))],
                                               context(runtime, logged))
    await checkpoints.make(conn, dataclasses.replace(signer, key=SigningKey.load(path)), logged.code, "daily")

    trusted_now = Keyring.load(keyring)
    assert new.key_id != old.key_id and list(trusted_now) == [old.key_id, new.key_id]
    assert trusted_now.current is not None and SigningKey.load(path).key_id == new.key_id
    result = await checked(conn, logged.code, trusted_now, tmp_path / "witness")
    assert result["ok"] and result["checkpoints"] == 2, result

    stranger = SigningKey.load_or_create(tmp_path / "stranger.pem")
    runtime.tenants.ledger(logged.code).record([parse_record(service_delivered(logged.town))],
                                               context(runtime, logged))
    await checkpoints.make(conn, dataclasses.replace(signer, key=stranger), logged.code, "daily")
    result = await checked(conn, logged.code, trusted_now)
    assert not result["ok"] and f"signed by key {stranger.key_id}, which the keyring does not trust" in details(result)


async def test_verify_streams_the_log_in_pages_with_the_same_answer(conn, runtime, logged, key, signer, tmp_path):
    await checkpoints.make(conn, signer, logged.code, "daily")
    runtime.tenants.ledger(logged.code).record([parse_record(service_delivered(logged.town)) for _ in range(4)],
                                               context(runtime, logged))
    await checkpoints.make(conn, signer, logged.code, "daily")
    await change_event(conn, logged.code, 7)

    def answer(result: dict) -> dict:
        return {k: v for k, v in result.items() if k != "seconds"}

    whole = await checked(conn, logged.code, trusted(key), tmp_path / "witness")
    for page in (1, 2, 3):
        assert answer(await checked(conn, logged.code, trusted(key), tmp_path / "witness", page=page)) == answer(whole)
    assert whole["events"] == 9 and whole["first_bad_position"] == 7


def test_keys_made_by_processes_starting_together_are_one_key(tmp_path):
    path, keyring = tmp_path / "signing-key.pem", tmp_path / "keyring.pem"

    async def together() -> list[SigningKey]:
        return await asyncio.gather(*(asyncio.to_thread(init_keys, path, keyring) for _ in range(8)))

    made = asyncio.run(together())
    assert {k.key_id for k in made} == {SigningKey.load(path).key_id}
    assert list(Keyring.load(keyring)) == [made[0].key_id]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.pem", "signing-key.pem"]


def test_production_never_makes_the_signing_key(tmp_path, database_url):
    settings = Settings(environment="production", database_url=database_url, jwt_secret=TEST_SECRET,
                        reader_database_url="postgresql://stations_reader@unused/unused", data_dir=tmp_path, signing_key_file=tmp_path / "signing-key.pem")
    with pytest.raises(MissingKey, match="stations keys init"):
        require_keys(settings)
    with pytest.raises(MissingKey, match="stations keys init"):
        signing_key(settings)
    assert list(tmp_path.iterdir()) == []

    made = init_keys(settings.signing_key_path, settings.keyring_path)  # `stations keys init`
    require_keys(settings)
    assert signing_key(settings).key_id == made.key_id


class _OnePool:
    """A pool of the test's one connection, for the signer's functions."""

    def __init__(self, conn):
        self.conn = conn

    def acquire(self):
        conn = self.conn

        class Held:
            async def __aenter__(self):
                return conn

            async def __aexit__(self, *_):
                return False

        return Held()


async def _made(conn, key: SigningKey, code: str) -> checkpoints.Checkpoint:
    """The checkpoint the district's log stands for now, signed with `key`, not stored."""
    leaves = await checkpoints.leaves(conn, code)
    position, _, head = leaves[-1]
    root, made_at = merkle.root([leaf for _, leaf, _ in leaves]), clock.now()
    return checkpoints.Checkpoint(code, len(leaves), position, root, head, made_at, "daily", key.key_id, b"")


async def _insert(conn, c: checkpoints.Checkpoint, key: SigningKey) -> None:
    """Store the checkpoint signed with `key` (as a superuser would, the table's protections off)."""
    signature = key.sign(signed_message(c.district, c.tree_size, c.position, c.root, c.chain_head, c.made_at))
    await tamper(conn, "DELETE FROM audit.checkpoints WHERE district = $1 AND tree_size = $2", c.district, c.tree_size)
    await tamper(conn, "INSERT INTO audit.checkpoints (district, tree_size, position, root, chain_head, made_at,"
                       " reason, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                 c.district, c.tree_size, c.position, c.root, c.chain_head, c.made_at, c.reason, key.key_id, signature)
