"""Recompute a district's chain and check every checkpoint against it and against its witnesses.

Nothing stored is trusted: each event's leaf is hashed again from its row, the chain is linked
again from the first event, and each checkpoint's root, chain head and position are recomputed
from those leaves and its signature checked with the keyring of trusted public keys. The
checkpoints witnessed outside the district's tables (the city's store, the witness directory)
must all be there, unchanged, and every checkpoint older than `WITNESS_GRACE` witnessed in both;
every report step (a submission, approval or return) must be
signed (by its checkpoint or a later one) or asked for. The log streams through in pages: memory does not grow with its length.
"""

import time
from itertools import pairwise
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.checkpoints import Checkpoint, in_transaction, listed
from audit.offline import checkpoint_message
from audit.witness import IN_CITY, IN_FILE
from kernel import chain, clock, merkle
from tenants.stores import chain_table, events_table

PAGE = 5_000  # rows the log's cursor fetches at a time
REPORT_STEPS = frozenset(f"domain.report:Report.{step}" for step in ("Opened", "Submitted", "Approved", "Returned"))
Source = tuple[str, str]  # where a witness was found, in Chinese and English
COMPARED = ("tree_size", "position", "root", "chain_head", "made_at", "key_id", "signature")
# The signer witnesses what a stopped signer left unwitnessed as it starts and hourly
# (`audit.signer.witness_unwitnessed`): a checkpoint older than this with a witness missing is a fault.
WITNESS_GRACE = timedelta(hours=2)


@dataclass
class Verification:
    district: str
    events: int = 0
    checkpoints: int = 0
    witnessed: int = 0
    pending: list[int] = field(default_factory=list)  # report steps whose checkpoint the signer has yet to make
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
                "witnessed": self.witnessed, "pending": self.pending,
                "first_bad_position": self.first_bad_position, "problems": self.problems,
                "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class Recomputed:
    """The log's own answer for a prefix of `tree_size` events."""
    root: bytes
    chain_head: bytes
    position: int


async def _recompute(conn: asyncpg.Connection, district: str, sizes: set[int], result: Verification,
                     page: int) -> tuple[dict[int, Recomputed], list[int]]:
    """Stream the log: each event's leaf and chain recomputed and compared with the chain table; the
    prefixes of the wanted sizes; the positions of the report steps."""
    query = (f'SELECT coalesce(e.notification_id, c.position) AS position, e.notification_id, e.originator_id,'
             f' e.originator_version, e.topic, e.state, c.leaf, c.chain'
             f' FROM {events_table(district)} e'
             f' FULL JOIN {chain_table(district)} c ON c.position = e.notification_id ORDER BY 1')
    value, tree, steps = chain.GENESIS, merkle.RootBuilder(), []
    prefixes = {0: Recomputed(merkle.EMPTY_ROOT, chain.GENESIS, 0)} if 0 in sizes else {}
    async with in_transaction(conn):
        async for row in conn.cursor(query, prefetch=page):
            position = row["position"]
            if row["notification_id"] is None:
                result.problem(position, f"位置 {position} 的事件已被删除", f"the event at position {position} was removed")
                continue
            leaf = chain.leaf(position, row["originator_id"], row["originator_version"], row["topic"],
                              bytes(row["state"]))
            tree.add(leaf)
            value = chain.link(value, leaf)
            if row["topic"] in REPORT_STEPS:
                steps.append(position)
            if row["leaf"] is None:
                result.problem(position, f"位置 {position} 的事件不在哈希链上", f"the event at {position} is not on the chain")
            elif bytes(row["leaf"]) != leaf:
                result.problem(position, f"位置 {position} 的事件已被改动", f"the event at position {position} was changed")
            elif bytes(row["chain"]) != value:
                result.problem(position, f"哈希链在位置 {position} 断开", f"the chain breaks at position {position}")
            if tree.size in sizes:
                prefixes[tree.size] = Recomputed(tree.root(), value, position)
    result.events = tree.size
    return prefixes, steps


def _signed(c: dict[str, Any], keys: Mapping[str, Ed25519PublicKey]) -> bool:
    key = keys.get(c["key_id"])
    try:
        if key is None:
            return False
        key.verify(bytes.fromhex(c["signature"]), checkpoint_message(c))
        return True
    except (InvalidSignature, ValueError):
        return False


def _check_checkpoints(result: Verification, stored: list[Checkpoint], prefixes: dict[int, Recomputed],
                       keys: Mapping[str, Ed25519PublicKey]) -> None:
    holds = {}
    for c in stored:
        size, found = c.tree_size, prefixes.get(c.tree_size)
        if c.key_id not in keys:
            result.problem(c.position, f"检查点 {size} 的签名密钥 {c.key_id} 不在受信公钥环中",
                           f"checkpoint {size} is signed by key {c.key_id}, which the keyring does not trust")
        elif not _signed(c.as_json(), keys):
            result.problem(c.position, f"检查点 {size} 的签名无效", f"checkpoint {size} has a bad signature")
        holds[size] = found is not None and found.root == c.root
        if not holds[size]:
            result.problem(c.position, f"日志与检查点 {size} 不符（事件被改动、删除或调换）",
                           f"the log no longer matches checkpoint {size} (events changed, removed or reordered)")
        elif found.chain_head != c.chain_head:
            result.problem(c.position, f"检查点 {size} 的链头与重算的哈希链不符",
                           f"checkpoint {size}'s chain_head disagrees with the recomputed chain")
        elif found.position != c.position:
            result.problem(c.position, f"检查点 {size} 的位置与重算的日志不符",
                           f"checkpoint {size}'s position disagrees with the recomputed log")
    for earlier, later in pairwise(stored):  # the log as the earlier one signed it, extended
        if holds[earlier.tree_size] and not holds[later.tree_size]:
            result.problem(later.position, f"检查点 {later.tree_size} 与之前的检查点 {earlier.tree_size} 不一致",
                           f"checkpoint {later.tree_size} is not consistent with the earlier checkpoint {earlier.tree_size}")


def _check_witnesses(result: Verification, stored: list[Checkpoint], witnessed: Iterable[tuple[Source, dict]],
                     prefixes: dict[int, Recomputed], keys: Mapping[str, Ed25519PublicKey]) -> None:
    by_size = {c.tree_size: c.as_json() for c in stored}
    for (zh, en), w in witnessed:
        result.witnessed += 1
        size, position = w["tree_size"], w["position"]
        mine = by_size.get(size)
        if mine is None:
            result.problem(position, f"{zh}见证的检查点 {size} 已不在库中",
                           f"checkpoint {size}, witnessed in {en}, is missing")
        elif any(mine[name] != w.get(name) for name in COMPARED):
            result.problem(position, f"检查点 {size} 与{zh}的见证不同",
                           f"checkpoint {size} differs from its witness in {en}")
        if not _signed(w, keys):
            result.problem(position, f"{zh}见证的检查点 {size} 未经受信密钥签名",
                           f"checkpoint {size} witnessed in {en} is not signed by a trusted key")
        found = prefixes.get(size)
        if found is None or found.root.hex() != w["root"]:
            result.problem(position, f"日志与{zh}见证的检查点 {size} 不符",
                           f"the log no longer matches checkpoint {size} witnessed in {en}")


def _check_witnessed(result: Verification, stored: list[Checkpoint], witnessed: Iterable[tuple[Source, dict]],
                     before: datetime) -> None:
    """Every checkpoint made before `before` has its witness in the city's store and in the file."""
    seen = {(source, w["tree_size"]) for source, w in witnessed}
    for c in stored:
        if c.made_at >= before:
            continue  # the signer may be witnessing it now
        for zh, en in (IN_CITY, IN_FILE):
            if ((zh, en), c.tree_size) not in seen:
                result.problem(c.position, f"检查点 {c.tree_size} 在{zh}中没有见证",
                               f"checkpoint {c.tree_size} has no witness in {en}")


async def verify(conn: asyncpg.Connection, district: str, keys: Mapping[str, Ed25519PublicKey],
                 witnessed: Iterable[tuple[Source, dict]] = (), *, page: int | None = None,
                 grace: timedelta = WITNESS_GRACE) -> Verification:
    """`witnessed`: (where, checkpoint as JSON) of every witness of the district's checkpoints; a
    checkpoint older than `grace` that either lacks is a problem."""
    started = time.perf_counter()
    result = Verification(district)
    witnessed = list(witnessed)
    stored = await listed(conn, district)
    result.checkpoints = len(stored)
    sizes = {c.tree_size for c in stored} | {w["tree_size"] for _, w in witnessed}
    prefixes, steps = await _recompute(conn, district, sizes, result, page or PAGE)
    _check_checkpoints(result, stored, prefixes, keys)
    _check_witnesses(result, stored, witnessed, prefixes, keys)
    _check_witnessed(result, stored, witnessed, clock.now() - grace)

    # A checkpoint at or after a step commits to it (its own may have been deleted: the witnesses say so).
    last_signed = max((c.position for c in stored), default=0)
    asked = {r["position"]: r["asked_at"] for r in await conn.fetch(
        "SELECT position, asked_at FROM audit.checkpoint_requests WHERE district = $1", district)}
    for position in steps:
        if position <= last_signed:
            continue
        if position in asked and asked[position] >= clock.now() - grace:
            result.pending.append(position)
        elif position in asked:  # a request the signer never honoured is no excuse for ever (the writer may insert one)
            asked_at = f"{asked[position].astimezone(clock.CST):%Y-%m-%d %H:%M}"
            result.problem(position, f"位置 {position} 的报表流转于 {asked_at} 请求签署，至今没有检查点",
                           f"the report step at position {position} was asked to be signed at {asked_at} CST"
                           " and still has no checkpoint")
        else:
            result.problem(position, f"位置 {position} 的报表流转没有检查点",
                           f"the report step at position {position} has no checkpoint")
    result.seconds = time.perf_counter() - started
    return result
