"""What an auditor reads: a district's event log, its signed checkpoints, the Merkle proofs that
an event is in a checkpoint and that a later checkpoint extends an earlier one, and the
verification of the whole chain."""

from typing import Any

from anyio import to_thread

from audit import checkpoints
from audit.checkpoints import Checkpoint
from audit.signing import MissingKey, key_id, public_b64, public_pem
from audit.verify import verify
from audit.witness import CityWitness, witnesses
from domain.events import Provenance
from kernel import clock
from kernel import merkle
from projections.connections import scoped
from projections.event_log import read_page
from service.callers import Caller, Role
from service.errors import Invalid, NotFound
from tenants.stores import CITY, chain_table
from service.queries import read_pool, read_scope
from service.runtime import Runtime
from tenants.tenancy import Tenants


async def events(runtime: Runtime, caller: Caller, district: str, *, after: int, limit: int) -> dict[str, Any]:
    """Events in the order they were recorded, `limit` at most after position `after`."""
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)  # opens its store once
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        found = await read_page(conn, district, ledger.mapper, after=after, limit=limit)
    return {"events": found, "next_after": found[-1]["position"] if found else after}


def public_key(runtime: Runtime) -> dict[str, Any]:
    """The key that signs checkpoints now, and every key that ever did (the keyring: old
    checkpoints verify with the key that signed them)."""
    try:
        keyring = runtime.keyring()
    except MissingKey:
        keyring = None
    if not keyring or keyring.current is None:
        raise NotFound("签名公钥（尚未运行 stations keys init）", "a signing key (stations keys init has not run)")
    key = keyring.current
    return {"algorithm": "Ed25519", "key_id": key_id(key), "public_key": public_b64(key), "pem": public_pem(key),
            "keyring": [{"key_id": name, "pem": public_pem(k)} for name, k in keyring.items()]}


async def listed(runtime: Runtime, caller: Caller, district: str, position: int | None = None) -> dict[str, Any]:
    """The district's checkpoints (the one of a report step's `position`, if given)."""
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        found = await checkpoints.listed(conn, district)
    return {"district": district,
            "checkpoints": [c.as_json() for c in found if position in (None, c.position)]}


def _of_size(found: list[Checkpoint], tree_size: int | None) -> Checkpoint:
    """The checkpoint of `tree_size` (default the latest)."""
    if not found:
        raise NotFound("检查点", "a checkpoint")
    checkpoint = found[-1] if tree_size is None else next((c for c in found if c.tree_size == tree_size), None)
    if checkpoint is None:
        raise NotFound(f"规模为 {tree_size} 的检查点", f"a checkpoint of size {tree_size}")
    return checkpoint


async def _roots(conn, district: str, checkpoint: Checkpoint, ranges: list[tuple[int, int]]) -> list[bytes]:
    """The roots of the ranges of the checkpoint's leaves: its log streams past once, a page at a time."""
    found, count = merkle.RangeRoots(ranges), 0
    async for leaf in checkpoints.streamed_leaves(conn, district, checkpoint.tree_size):
        found.add(leaf)
        count += 1
    if count < checkpoint.tree_size:
        raise NotFound(f"规模为 {checkpoint.tree_size} 的检查点的日志", f"the log of checkpoint {checkpoint.tree_size}")
    return found.roots()


async def inclusion(runtime: Runtime, caller: Caller, district: str, position: int,
                    tree_size: int | None = None) -> dict[str, Any]:
    """Proof that the event at `position` is in the checkpoint."""
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        checkpoint = _of_size(await checkpoints.listed(conn, district), tree_size)
        at = await conn.fetchrow(f'SELECT leaf, (SELECT count(*) FROM {chain_table(district)}'
                                 f' WHERE position < $1) AS index FROM {chain_table(district)}'
                                 f" WHERE position = $1", position)
        if at is None or at["index"] >= checkpoint.tree_size:
            raise NotFound(f"检查点 {checkpoint.tree_size} 中位置 {position} 的事件",
                           f"an event at position {position} in checkpoint {checkpoint.tree_size}")
        proof = await _roots(conn, district, checkpoint, merkle.inclusion_ranges(at["index"], checkpoint.tree_size))
    return {"position": position, "index": at["index"], "leaf": bytes(at["leaf"]).hex(),
            "proof": [h.hex() for h in proof], "checkpoint": checkpoint.as_json()}


async def consistency(runtime: Runtime, caller: Caller, district: str, first: int, second: int) -> dict[str, Any]:
    """Proof that the checkpoint of tree size `second` extends the one of size `first`."""
    if first > second:
        raise Invalid("first 须不大于 second", "first must not exceed second")
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        found = await checkpoints.listed(conn, district)
        later = _of_size(found, second)
        earlier = next((c for c in found if c.tree_size == first), None)
        if earlier is None:
            raise NotFound(f"规模为 {first} 的检查点", f"a checkpoint of size {first}")
        proof = await _roots(conn, district, later, merkle.consistency_ranges(first, second))
    return {"first": earlier.as_json(), "second": later.as_json(), "proof": [h.hex() for h in proof]}


async def verified(runtime: Runtime, caller: Caller, district: str) -> dict[str, Any]:
    """The chain recomputed, every checkpoint's root and signature checked, and every witness of them."""
    async with (await runtime.own_reads.of_store(CITY)).acquire() as conn:  # the city's store, as the service reads it
        witnessed = await witnesses(conn, runtime.audit.witness_dir, runtime.audit.installation, district)
    try:
        keyring = runtime.keyring()
    except MissingKey:
        keyring = {}
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        result = await verify(conn, district, keyring, witnessed)
    return result.as_json()


async def log_read(runtime: Runtime, caller: Caller, district: str, path: str, query: str) -> None:
    """Record an auditor's read of what shows records (pseudonyms included): who, where, what."""
    if caller.role is Role.auditor:
        async with (await runtime.own_reads.of_store(district)).acquire() as conn:
            await conn.execute("INSERT INTO audit.access_log (subject, role, district, path, query)"
                               " VALUES ($1, $2, $3, $4, $5)", caller.sub, caller.role, district, path, query)


def witness_in_city(tenants: Tenants) -> CityWitness:
    """How the signer keeps each checkpoint in the city's store: as an event the city's ledger records."""
    def in_city(district: str, checkpoint: dict) -> None:
        who = Provenance("signer", "system", f"checkpoint-{district}-{checkpoint['tree_size']}", clock.now())
        tenants.ledger(CITY).witness_checkpoint(district, checkpoint, who)
    return in_city
