"""What an auditor reads: a district's event log, its signed checkpoints, the Merkle proofs that
an event is in a checkpoint and that a later checkpoint extends an earlier one, and the
verification of the whole chain."""

from typing import Any

from anyio import to_thread

from audit import checkpoints
from audit.checkpoints import Checkpoint
from audit.verify import verify
from kernel import merkle
from projections.connections import scoped
from projections.event_log import read_page
from service.callers import Caller, Role
from service.errors import Invalid, NotFound
from service.queries import read_pool, read_scope
from service.runtime import Runtime


async def events(runtime: Runtime, caller: Caller, district: str, *, after: int, limit: int) -> dict[str, Any]:
    """Events in the order they were recorded, `limit` at most after position `after`."""
    ledger = await to_thread.run_sync(runtime.tenants.ledger, district)  # opens its store once
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        found = await read_page(conn, district, ledger.mapper, after=after, limit=limit)
    return {"events": found, "next_after": found[-1]["position"] if found else after}


def public_key(runtime: Runtime) -> dict[str, str]:
    key = runtime.signing_key
    return {"algorithm": "Ed25519", "key_id": key.key_id, "public_key": key.public_b64(), "pem": key.public_pem()}


async def listed(runtime: Runtime, caller: Caller, district: str) -> dict[str, Any]:
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        found = await checkpoints.listed(conn, district)
    return {"district": district, "checkpoints": [c.as_json() for c in found]}


async def _tree(runtime: Runtime, caller: Caller, district: str,
                tree_size: int | None) -> tuple[list[bytes], Checkpoint, list[Checkpoint]]:
    """The district's leaves up to the checkpoint of `tree_size` (default the latest), that
    checkpoint, and every checkpoint."""
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        chained = await checkpoints.leaves(conn, district)
        found = await checkpoints.listed(conn, district)
    if not found:
        raise NotFound("检查点", "a checkpoint")
    checkpoint = found[-1] if tree_size is None else next((c for c in found if c.tree_size == tree_size), None)
    if checkpoint is None or checkpoint.tree_size > len(chained):
        raise NotFound(f"规模为 {tree_size} 的检查点", f"a checkpoint of size {tree_size}")
    return chained[:checkpoint.tree_size], checkpoint, found


async def inclusion(runtime: Runtime, caller: Caller, district: str, position: int,
                    tree_size: int | None = None) -> dict[str, Any]:
    """Proof that the event at `position` is in the checkpoint."""
    chained, checkpoint, _ = await _tree(runtime, caller, district, tree_size)
    index = next((i for i, (p, _, _) in enumerate(chained) if p == position), None)
    if index is None:
        raise NotFound(f"检查点 {checkpoint.tree_size} 中位置 {position} 的事件",
                       f"an event at position {position} in checkpoint {checkpoint.tree_size}")
    leaves = [leaf for _, leaf, _ in chained]
    return {"position": position, "index": index, "leaf": leaves[index].hex(),
            "proof": [h.hex() for h in merkle.inclusion_proof(leaves, index)], "checkpoint": checkpoint.as_json()}


async def consistency(runtime: Runtime, caller: Caller, district: str, first: int, second: int) -> dict[str, Any]:
    """Proof that the checkpoint of tree size `second` extends the one of size `first`."""
    if first > second:
        raise Invalid("first 须不大于 second", "first must not exceed second")
    chained, later, found = await _tree(runtime, caller, district, second)
    earlier = next((c for c in found if c.tree_size == first), None)
    if earlier is None:
        raise NotFound(f"规模为 {first} 的检查点", f"a checkpoint of size {first}")
    leaves = [leaf for _, leaf, _ in chained]
    return {"first": earlier.as_json(), "second": later.as_json(),
            "proof": [h.hex() for h in merkle.consistency_proof(leaves, first)]}


async def verified(runtime: Runtime, caller: Caller, district: str) -> dict[str, Any]:
    """The chain recomputed and every checkpoint's root and signature checked."""
    key = runtime.signing_key
    async with scoped(await read_pool(runtime, district), read_scope(caller)) as conn:
        result = await verify(conn, district, {key.key_id: key.public})
    return result.as_json()


async def log_read(runtime: Runtime, caller: Caller, district: str, path: str, query: str) -> None:
    """Record an auditor's read of what shows records (pseudonyms included): who, where, what."""
    if caller.role is Role.auditor:
        async with (await read_pool(runtime, district)).acquire() as conn:
            await conn.execute("INSERT INTO audit.access_log (subject, role, district, path, query)"
                               " VALUES ($1, $2, $3, $4, $5)", caller.sub, caller.role, district, path, query)
