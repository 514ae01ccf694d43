"""Recompute a district's chain and every checkpoint's root from the stored events.

Nothing stored is trusted: each event's leaf is hashed again from its row, the chain is
linked again from the first event, and each checkpoint's root is rebuilt from those leaves
and its signature checked with the public key. The first bad position is named.
"""

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kernel import chain, merkle
from audit.checkpoints import listed
from tenants.event_store import SCHEMA, chain_table, events_table


@dataclass
class Verification:
    district: str
    events: int = 0
    checkpoints: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_position(self) -> int | None:
        return min((p["position"] for p in self.problems if p["position"] is not None), default=None)

    def problem(self, position: int | None, zh: str, en: str) -> None:
        self.problems.append({"position": position, "detail": f"{zh} / {en}"})

    def as_json(self) -> dict[str, Any]:
        return {"district": self.district, "ok": self.ok, "events": self.events, "checkpoints": self.checkpoints,
                "first_bad_position": self.first_bad_position, "problems": self.problems,
                "seconds": round(self.seconds, 3)}


def prefix_roots(leaves: Iterable[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """The RFC 6962 root of every wanted prefix of the leaves, in one pass.

    The leaves seen so far form a row of perfect subtrees (one per bit of their count);
    folding that row from the right gives the root of the prefix, as RFC 6962's split at
    the largest power of two does.
    """
    wanted = set(sizes)
    roots = {0: merkle.EMPTY_ROOT} if 0 in wanted else {}
    row: list[tuple[int, bytes]] = []  # (size, hash) of perfect subtrees, largest first
    for count, leaf in enumerate(leaves, start=1):
        row.append((1, leaf))
        while len(row) > 1 and row[-1][0] == row[-2][0]:
            (size, left), (_, right) = row[-2], row[-1]
            row[-2:] = [(2 * size, merkle.node_hash(left, right))]
        if count in wanted:
            folded = row[-1][1]
            for _, left in reversed(row[:-1]):
                folded = merkle.node_hash(left, folded)
            roots[count] = folded
    return roots


async def verify(conn: asyncpg.Connection, district: str, keys: Mapping[str, Ed25519PublicKey]) -> Verification:
    started = time.perf_counter()
    result = Verification(district)
    rows = await conn.fetch(
        f'SELECT coalesce(e.notification_id, c.position) AS position, e.notification_id, e.originator_id,'
        f' e.originator_version, e.topic, e.state, c.leaf, c.chain'
        f' FROM {SCHEMA}."{events_table(district)}" e'
        f' FULL JOIN {SCHEMA}."{chain_table(district)}" c ON c.position = e.notification_id'
        f' ORDER BY 1')
    value, leaves = chain.GENESIS, []
    for row in rows:
        position = row["position"]
        if row["notification_id"] is None:
            result.problem(position, f"位置 {position} 的事件已被删除", f"the event at position {position} was removed")
            continue
        leaf = chain.leaf(position, row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"]))
        leaves.append(leaf)
        value = chain.link(value, leaf)
        if row["leaf"] is None:
            result.problem(position, f"位置 {position} 的事件不在哈希链上", f"the event at {position} is not on the chain")
        elif bytes(row["leaf"]) != leaf:
            result.problem(position, f"位置 {position} 的事件已被改动", f"the event at position {position} was changed")
        elif bytes(row["chain"]) != value:
            result.problem(position, f"哈希链在位置 {position} 断开", f"the chain breaks at position {position}")
    result.events = len(leaves)

    checkpoints = await listed(conn, district)
    result.checkpoints = len(checkpoints)
    roots = prefix_roots(leaves, [c.tree_size for c in checkpoints])
    for c in checkpoints:
        key = keys.get(c.key_id)
        try:
            if key is None:
                raise InvalidSignature
            key.verify(c.signature, c.message())
        except InvalidSignature:
            result.problem(c.position, f"检查点 {c.tree_size} 的签名无效", f"checkpoint {c.tree_size} has a bad signature")
        if roots.get(c.tree_size) != c.root:
            result.problem(c.position, f"日志与检查点 {c.tree_size} 不符（事件被改动、删除或调换）",
                           f"the log no longer matches checkpoint {c.tree_size} (events changed, removed or reordered)")
    result.seconds = time.perf_counter() - started
    return result
