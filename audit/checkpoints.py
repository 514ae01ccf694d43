"""Signed checkpoints: a district's log up to a point, committed to by a Merkle root.

A checkpoint is made at every report submission and approval, and at least daily for a log
that grew. Its signed message is a short text (docs/audit.md) anyone can rebuild.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any
from datetime import datetime, timedelta

import asyncpg

from kernel import merkle
from audit.signing import SigningKey
from audit.witness import Witness
from kernel import clock
from tenants.stores import chain_table

DAILY = timedelta(days=1)


@dataclass(frozen=True)
class Signer:
    """What makes a checkpoint: the private key (held by the signer's process alone) and the witness."""
    key: SigningKey
    witness: Witness


@dataclass(frozen=True)
class Checkpoint:
    district: str
    tree_size: int
    position: int
    root: bytes
    chain_head: bytes
    made_at: datetime
    reason: str
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return signed_message(self.district, self.tree_size, self.position, self.root, self.chain_head, self.made_at)

    def as_json(self) -> dict:
        return {"district": self.district, "tree_size": self.tree_size, "position": self.position,
                "root": self.root.hex(), "chain_head": self.chain_head.hex(),
                "made_at": self.made_at.astimezone(clock.CST).isoformat(), "reason": self.reason,
                "key_id": self.key_id, "signature": self.signature.hex()}


def signed_message(district: str, tree_size: int, position: int, root: bytes, chain_head: bytes,
                   made_at: datetime) -> bytes:
    return (f"stations-checkpoint-v1\ndistrict {district}\ntree_size {tree_size}\nposition {position}\n"
            f"root {root.hex()}\nchain_head {chain_head.hex()}\n"
            f"made_at {made_at.astimezone(clock.CST).isoformat()}\n").encode()


LEAVES_AT_ONCE = 10_000  # rows a checkpoint's cursor fetches at a time


def _leaves_query(district: str) -> str:
    return (f'SELECT position, leaf, chain FROM {chain_table(district)}'
            f" WHERE $1::bigint IS NULL OR position <= $1 ORDER BY position")


def in_transaction(conn: asyncpg.Connection) -> AbstractAsyncContextManager[Any]:
    """The connection's transaction (a scoped reading session is in one already), or a new one:
    a cursor lives in one."""
    return nullcontext() if conn.is_in_transaction() else conn.transaction()


async def streamed_leaves(conn: asyncpg.Connection, district: str, count: int) -> AsyncIterator[bytes]:
    """The first `count` leaf hashes of the district's log, in order, fetched a page at a time."""
    async with in_transaction(conn):
        async for row in conn.cursor(f'SELECT leaf FROM {chain_table(district)} ORDER BY position'
                                     f" LIMIT $1", count, prefetch=LEAVES_AT_ONCE):
            yield bytes(row["leaf"])


async def leaves(conn: asyncpg.Connection, district: str, up_to: int | None = None) -> list[tuple[int, bytes, bytes]]:
    """(position, leaf, chain value) of the district's events in log order, as the chain table holds them."""
    return [(r["position"], bytes(r["leaf"]), bytes(r["chain"]))
            for r in await conn.fetch(_leaves_query(district), up_to)]


async def make(conn: asyncpg.Connection, signer: Signer, district: str, reason: str,
                up_to: int | None = None) -> Checkpoint:
    """Sign the district's log as it stands (or up to a position), and have it witnessed; an
    equal one is reused.

    The leaves stream through the root's computation: a long log is never held all at once."""
    tree, position, head = merkle.RootBuilder(), 0, bytes(32)
    async with conn.transaction():  # a cursor lives in one
        async for row in conn.cursor(_leaves_query(district), up_to, prefetch=LEAVES_AT_ONCE):
            tree.add(bytes(row["leaf"]))
            position, head = row["position"], row["chain"]
    size, head = tree.size, bytes(head)
    existing = await conn.fetchrow("SELECT * FROM audit.checkpoints WHERE district = $1 AND tree_size = $2",
                                   district, size)
    if existing is not None:
        return from_row(existing)
    root = tree.root()
    made_at = clock.now()
    signature = signer.key.sign(signed_message(district, size, position, root, head, made_at))
    row = await conn.fetchrow(
        "INSERT INTO audit.checkpoints (district, tree_size, position, root, chain_head, made_at, reason, key_id,"
        " signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (district, tree_size) DO NOTHING RETURNING *",
        district, size, position, root, head, made_at, reason, signer.key.key_id, signature)
    if row is None:  # another signer's, made meanwhile (and witnessed by it)
        return from_row(await conn.fetchrow(
            "SELECT * FROM audit.checkpoints WHERE district = $1 AND tree_size = $2", district, size))
    made = from_row(row)
    await signer.witness.checkpoint_made(district, made.as_json())
    return made


async def listed(conn: asyncpg.Connection, district: str) -> list[Checkpoint]:
    return [from_row(r) for r in await conn.fetch(
        "SELECT * FROM audit.checkpoints WHERE district = $1 ORDER BY tree_size", district)]


async def covering(conn: asyncpg.Connection, district: str, position: int) -> Checkpoint | None:
    """The first checkpoint whose log includes `position`."""
    row = await conn.fetchrow("SELECT * FROM audit.checkpoints WHERE district = $1 AND position >= $2"
                              " ORDER BY tree_size LIMIT 1", district, position)
    return from_row(row) if row else None


def from_row(row: asyncpg.Record) -> Checkpoint:
    return Checkpoint(row["district"], row["tree_size"], row["position"], bytes(row["root"]),
                      bytes(row["chain_head"]), row["made_at"], row["reason"], row["key_id"], bytes(row["signature"]))
